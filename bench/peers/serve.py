"""The request loop every peer runs under bench/peers.bench.ts.

The bench starts a peer once (so Spark's JVM start is paid once and reported apart), then sends one
JSON request per line on stdin and reads one JSON reply per line from file descriptor 3: Spark and
its JVM print to stdout and stderr as they please, so replies travel on a descriptor of their own.
"""
import json
import os
import sys
import time
import traceback

import pyarrow.parquet as pq


def dump_documents(parquet_path, jsonl_path):
    """Documents as JSON Lines sorted by accountId, outside any timing, for the agreement check."""
    table = pq.read_table(parquet_path)
    rows = table.to_pylist()
    rows.sort(key=lambda r: r["accountId"])
    with open(jsonl_path, "w", encoding="utf-8") as out:
        for row in rows:
            by_type = row.get("eventsByType")
            # Arrow gives a map column as a list of (key, value) pairs; null when an engine left it so.
            row["eventsByType"] = dict(by_type) if by_type is not None else {}
            out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    return len(rows)


def serve(handlers):
    """Runs requests {"op": name, ...} through handlers[name] until stdin closes."""
    replies = os.fdopen(3, "w", buffering=1)
    handlers = dict(handlers)
    handlers.setdefault("dump", lambda r: {"documents": dump_documents(r["parquet"], r["jsonl"])})
    replies.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        started = time.perf_counter()
        try:
            result = handlers[request["op"]](request)
            reply = {"ok": True, "seconds": time.perf_counter() - started, **(result or {})}
        except Exception as error:  # the bench reports it with the peer's name and stops
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": traceback.format_exc()}
        replies.write(json.dumps(reply) + "\n")
