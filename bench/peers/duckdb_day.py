"""DuckDB peer of bench:peers: the v1 documents of one tenant-day, threads=2, from the raw events
converted to uncompressed Parquet outside the timing (to_parquet.py): the near-limit reference of a
columnar engine that does not inflate. Written as one Parquet file sorted by accountId.
"""
import duckdb

from day_sql import documents_sql, usage_columns
from serve import serve

con = duckdb.connect()
con.execute("SET threads = 2")
con.execute("SET preserve_insertion_order = false")


def run(request):
    files = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in request["parquetFiles"]) + "]"
    t = request["tenantId"].replace("'", "''")
    attributes = request["attributesParquet"].replace("'", "''")
    # As in spark_day.py: the local day's events, the first filed copy of an event winning
    # (arg_min_null: a v1 copy's null sessionId is a value here, not a row to skip).
    usage = f"""
    CREATE OR REPLACE TEMP VIEW dedup AS
    SELECT eventId, any_value(accountId) AS accountId, any_value(userId) AS userId, any_value(type) AS type,
           any_value(occurredAt) AS occurredAt, arg_min_null(sessionId, date || hour) AS sessionId
    FROM read_parquet({files}, hive_partitioning = true, hive_types_autocast = false)
    WHERE tenantId = '{t}' AND occurredAt >= {int(request['startMs'])} AND occurredAt < {int(request['endMs'])}
    GROUP BY eventId;
    CREATE OR REPLACE TEMP VIEW usage AS
    SELECT accountId, {usage_columns("coalesce(sessionId, 'user:' || userId)")},
           CAST(histogram(type) AS MAP(VARCHAR, BIGINT)) AS eventsByType
    FROM dedup GROUP BY accountId;
    CREATE OR REPLACE TEMP VIEW attrs AS
    SELECT accountId, accountName, lifecycleStage, seats FROM read_parquet('{attributes}') WHERE tenantId = '{t}';
    """
    con.execute(usage)
    sql = documents_sql(
        request["tenantId"], request["day"], idiv=lambda a, b: f"(({a}) // ({b}))", empty_map="MAP {}::MAP(VARCHAR, BIGINT)"
    )
    out = request["out"].replace("'", "''")
    con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    return {}


serve({"run": run, "startup": lambda _r: {"startupSeconds": 0, "version": duckdb.__version__}})
