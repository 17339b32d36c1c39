"""Spark peer of bench:peers: the v1 documents of one tenant-day in Spark SQL, local[2], from the
same raw Avro files Daybreak reads (spark-avro), written as Parquet sorted by accountId.

Started once by the bench (the JVM start is timed apart, as Daybreak's partition threads start
before its job); each "run" request then times one whole day: read, filter, deduplicate, aggregate,
join the attribute snapshot, rank, score, write.
"""
import json
import sys
import time

from day_sql import documents_sql, usage_columns
from serve import serve

started = time.perf_counter()
from pyspark.sql import SparkSession  # noqa: E402  (imported after the clock starts: part of the start-up)

config = json.loads(sys.argv[1])
spark = (
    SparkSession.builder.master("local[2]")
    .appName("daybreak-bench-peers")
    .config("spark.jars", config["avroJar"])
    .config("spark.driver.memory", config.get("driverMemory", "6g"))
    .config("spark.ui.enabled", "false")
    # A shuffle of 4 partitions per core instead of 200 (AQE would coalesce those, after paying for
    # their files): the setting a Spark user tunes first on a small machine.
    .config("spark.sql.shuffle.partitions", "8")
    # Partition folders (date=, hour=) stay strings: the filing hour orders copies of an event.
    .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    .getOrCreate()
)
spark.sparkContext.setLogLevel("ERROR")
# Warm-up-free start: the JVM and the session only; the first run pays Spark's own first-query costs.
STARTUP_SECONDS = time.perf_counter() - started

# The current reader schema (v3) minus `properties`, which no metric reads: Avro's schema resolution
# skips it, aliases `user` (v1, v2) to userId, widens float to double and gives v1 a null sessionId,
# the projection Daybreak's column decoder makes. occurredAt stays a long (epoch ms), unlike the
# timestamp Spark would make of timestamp-millis.
READER_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "RawEvent",
        "namespace": "daybreak.events",
        "fields": [
            {"name": "eventId", "type": "string"},
            {"name": "tenantId", "type": "string"},
            {"name": "accountId", "type": "string"},
            {"name": "userId", "type": "string", "aliases": ["user"]},
            {"name": "type", "type": "string"},
            {"name": "occurredAt", "type": "long"},
            {"name": "sessionId", "type": ["null", "string"], "default": None},
        ],
    }
)


def prepare(request):
    """Registers the day's views (no work yet: Spark plans lazily) and returns the documents' SQL."""
    raw = (
        spark.read.format("avro")
        .option("avroSchema", READER_SCHEMA)
        .option("basePath", request["rawBase"])
        .load(request["rawFiles"])
    )
    raw.createOrReplaceTempView("raw")
    spark.read.format("avro").load(request["attributesFile"]).createOrReplaceTempView("attributes_raw")
    t = request["tenantId"].replace("'", "''")
    # Events of the local day; a copy of an event (same eventId) counts once, and the first filed
    # copy wins, as in Daybreak's reader: copies differ only in sessionId, absent where a v1
    # producer wrote the copy. Copies share occurredAt, so filtering before deduplicating is exact.
    spark.sql(
        f"""
        SELECT eventId, first(accountId) AS accountId, first(userId) AS userId, first(type) AS type,
               first(occurredAt) AS occurredAt, min_by(sessionId, concat(date, hour)) AS sessionId
        FROM raw
        WHERE tenantId = '{t}' AND occurredAt >= {int(request['startMs'])} AND occurredAt < {int(request['endMs'])}
        GROUP BY eventId
        """
    ).createOrReplaceTempView("dedup")
    spark.sql(
        f"""
        SELECT c.*, m.eventsByType FROM (
          SELECT accountId, {usage_columns("coalesce(sessionId, concat('user:', userId))")}
          FROM dedup GROUP BY accountId
        ) c JOIN (
          SELECT accountId, map_from_entries(collect_list(struct(type, n))) AS eventsByType
          FROM (SELECT accountId, type, count(*) AS n FROM dedup GROUP BY accountId, type) GROUP BY accountId
        ) m ON c.accountId = m.accountId
        """
    ).createOrReplaceTempView("usage")
    # One row per account, the later row of a duplicated account winning, is what Daybreak keeps;
    # generated snapshots have one row per account, so they are taken as they are.
    spark.sql(
        f"SELECT accountId, accountName, lifecycleStage, seats FROM attributes_raw WHERE tenantId = '{t}'"
    ).createOrReplaceTempView("attrs")
    return documents_sql(
        request["tenantId"],
        request["day"],
        idiv=lambda a, b: f"(({a}) div ({b}))",
        empty_map="CAST(map() AS MAP<STRING, BIGINT>)",
    )


def run(request):
    spark.sql(prepare(request)).write.mode("overwrite").parquet(request["out"])
    return {}


def profile(request):
    """Where a day's time goes, untimed by the ratios: the same query cut short at each stage, each
    run to Spark's no-op sink (every row computed, nothing written)."""
    sql = prepare(request)
    t = request["tenantId"].replace("'", "''")
    stages = {
        "scan": f"SELECT eventId, accountId, userId, type, occurredAt, sessionId, date, hour FROM raw WHERE tenantId = '{t}'",
        "dedupe": "SELECT * FROM dedup",
        "usage": "SELECT * FROM usage",
        "documents": sql,
    }
    seconds = {}
    for name, query in stages.items():
        started = time.perf_counter()
        spark.sql(query).write.format("noop").mode("overwrite").save()
        seconds[name] = time.perf_counter() - started
    return {"stages": seconds}


serve(
    {
        "run": run,
        "profile": profile,
        "startup": lambda _r: {"startupSeconds": STARTUP_SECONDS, "version": spark.version},
    }
)
