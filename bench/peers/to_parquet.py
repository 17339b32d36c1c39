"""Raw Avro event files and the attribute snapshot to uncompressed Parquet, for DuckDB (which has
no Avro reader here: its Avro extension is downloaded from DuckDB's site at run time).

Outside the timing: this is the columnar, inflate-free input the near-limit reference reads. Each raw
file becomes one Parquet file at the same relative path (the hive-style date=/hour= folders stay, so
the filing hour is a partition column as it is for Spark), in the current reader shape (v3): v1 and
v2's `user` is `userId`, v1 has no sessionId (null), `value` is a double.

    python to_parquet.py <store root> <out root> <key>...
"""
import os
import sys

import fastavro
import pyarrow as pa
import pyarrow.parquet as pq

EVENTS = pa.schema(
    [
        ("eventId", pa.string()),
        ("tenantId", pa.string()),
        ("accountId", pa.string()),
        ("userId", pa.string()),
        ("type", pa.string()),
        ("occurredAt", pa.int64()),
        ("value", pa.float64()),
        ("properties", pa.map_(pa.string(), pa.string())),
        ("sessionId", pa.string()),
    ]
)
BATCH = 200_000
# Epoch ms as they are stored: the engines compare longs, and a datetime would round through floats.
fastavro.read.LOGICAL_READERS["long-timestamp-millis"] = lambda value, *_: value


def convert_events(src, dst):
    columns = {name: [] for name in EVENTS.names}
    writer = pq.ParquetWriter(dst, EVENTS, compression="none")

    def flush():
        writer.write_table(pa.table(columns, schema=EVENTS))
        for values in columns.values():
            values.clear()

    with open(src, "rb") as f:
        for r in fastavro.reader(f):
            columns["eventId"].append(r["eventId"])
            columns["tenantId"].append(r["tenantId"])
            columns["accountId"].append(r["accountId"])
            columns["userId"].append(r["userId"] if "userId" in r else r["user"])
            columns["type"].append(r["type"])
            columns["occurredAt"].append(r["occurredAt"])
            columns["value"].append(float(r["value"]))
            columns["properties"].append(list(r["properties"].items()))
            columns["sessionId"].append(r.get("sessionId"))
            if len(columns["eventId"]) >= BATCH:
                flush()
    flush()
    writer.close()


def convert_plain(src, dst):
    with open(src, "rb") as f:
        rows = list(fastavro.reader(f))
    pq.write_table(pa.Table.from_pylist(rows), dst, compression="none")


def main():
    root, out, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
    for key in keys:
        dst = os.path.join(out, os.path.splitext(key)[0] + ".parquet")
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        tmp = dst + ".tmp"
        (convert_events if key.startswith("raw/") else convert_plain)(os.path.join(root, key), tmp)
        os.replace(tmp, dst)


if __name__ == "__main__":
    main()
