"""The v1 documents of a one-day bench run in SQL, shared by the Spark and DuckDB peers.

Exactly docs/metrics.md's formulas on exact integers, the way src/metrics/formulas.ts computes them on
exact fractions (BigInt ratios): every rounded field is "half away from zero on the exact value",
which for the non-negative values here is floor((2 * num + den) / (2 * den)) in integer arithmetic,
then divided once by 10^decimals as a double (IEEE division is correctly rounded, so the result is
the double nearest the rounded decimal, which is what Daybreak stores). Decimal types would also do
in Spark, but its division cuts the scale to 6 digits past 38 digits of precision, rounding twice, and
DuckDB's decimal division returns a double; integers are exact in both.

The bench day is the generated data's only day (days: 1), so there is no history: 7 and 30-day
windows are today's numbers, eventsPrevious7d is 0, so trendWoW and healthDelta are null and the
trend factor is 0.5 for an account with events, else 0. Input relations:

  usage(accountId, events, users, sessions, firstAt, lastAt, billing, paid, overdue, failed, eventsByType)
  attrs(accountId, accountName, lifecycleStage, seats)
"""

# Lifecycle factor in tenths (formulas.ts LIFECYCLE_FACTOR; anything else, 'unknown' included: 5).
LIFECYCLE_TENTHS = "CASE lifecycleStage WHEN 'trial' THEN 6 WHEN 'onboarding' THEN 7 WHEN 'adopting' THEN 8 WHEN 'mature' THEN 10 WHEN 'at_risk' THEN 3 WHEN 'churned' THEN 0 ELSE 5 END"


def documents_sql(tenant_id, day, idiv, empty_map):
    """idiv(a, b): the dialect's integer division; empty_map: its empty map<string, long>."""
    t = tenant_id.replace("'", "''")
    d = day.replace("'", "''")

    def half_up(num, den):
        return idiv(f"2 * ({num}) + ({den})", f"2 * ({den})")

    percentile = (
        f"CASE WHEN n = 1 THEN (CASE WHEN events > 0 THEN 10000 ELSE 0 END) "
        f"ELSE {half_up('10000 * (rk - 1)', 'n - 1')} END"
    )
    billing = f"CASE WHEN paid + overdue + 2 * failed = 0 THEN 10000 ELSE {half_up('10000 * paid', 'paid + overdue + 2 * failed')} END"
    # Health v1 in units of 1 / (20000 * S), S the seats (10 without a seat count): activity
    # 30 * p / 10^4, trend 20 * 1/2 when active (no previous week), breadth 20 * min(users, S) / S,
    # lifecycle 15 * L / 10, billing 15 * b / 10^4; half up to an integer, clamped to 0-100.
    health_num = (
        "60 * p * s + 200000 * s * (CASE WHEN events > 0 THEN 1 ELSE 0 END) + 400000 * least(users, s)"
        " + 30000 * l * s + 30 * b * s"
    )
    return f"""
WITH pop AS (
  SELECT coalesce(u.accountId, a.accountId) AS accountId,
         coalesce(a.accountName, '') AS accountName,
         coalesce(a.lifecycleStage, 'unknown') AS lifecycleStage,
         CAST(CASE WHEN a.seats > 0 THEN a.seats ELSE 10 END AS BIGINT) AS s,
         coalesce(u.events, 0) AS events, coalesce(u.users, 0) AS users, coalesce(u.sessions, 0) AS sessions,
         u.firstAt, u.lastAt, coalesce(u.billing, 0) AS billing,
         coalesce(u.paid, 0) AS paid, coalesce(u.overdue, 0) AS overdue, coalesce(u.failed, 0) AS failed,
         coalesce(u.eventsByType, {empty_map}) AS eventsByType
  FROM usage u FULL OUTER JOIN attrs a ON u.accountId = a.accountId
),
ranked AS (
  SELECT *, CAST(rank() OVER (ORDER BY events) AS BIGINT) AS rk, CAST(count(*) OVER () AS BIGINT) AS n FROM pop
),
scored AS (
  SELECT *, {percentile} AS p, {billing} AS b, {LIFECYCLE_TENTHS} AS l FROM ranked
)
SELECT '{t}' AS tenantId, accountId, '{d}' AS day, 'v1' AS pipelineVersion, accountName, lifecycleStage,
       events AS eventsTotal, eventsByType, users AS activeUsers, sessions,
       firstAt AS firstActivityAt, lastAt AS lastActivityAt,
       users AS activeUsers7d, users AS activeUsers30d, events AS events7d, events AS events30d,
       CAST(0 AS BIGINT) AS eventsPrevious7d, CAST(NULL AS DOUBLE) AS trendWoW,
       CAST(p AS DOUBLE) / CAST(100 AS DOUBLE) AS activityPercentile,
       billing AS billingEvents,
       CAST(b AS DOUBLE) / CAST(10000 AS DOUBLE) AS billingHealth,
       CAST(greatest(0, least(100, {half_up(health_num, '20000 * s')})) AS INT) AS healthScore,
       CAST(NULL AS INT) AS healthDelta
FROM scored
ORDER BY accountId
"""


def usage_columns(session_key):
    """The per-account aggregates of the deduplicated events `dedup`, without eventsByType (sums cast
    to BIGINT: DuckDB sums integers as HUGEINT, which its Parquet writer turns into doubles)."""
    return f"""
  count(*) AS events,
  count(DISTINCT userId) AS users,
  count(DISTINCT {session_key}) AS sessions,
  min(occurredAt) AS firstAt, max(occurredAt) AS lastAt,
  CAST(sum(CASE WHEN type IN ('invoice_paid', 'invoice_overdue', 'payment_failed') THEN 1 ELSE 0 END) AS BIGINT) AS billing,
  CAST(sum(CASE WHEN type = 'invoice_paid' THEN 1 ELSE 0 END) AS BIGINT) AS paid,
  CAST(sum(CASE WHEN type = 'invoice_overdue' THEN 1 ELSE 0 END) AS BIGINT) AS overdue,
  CAST(sum(CASE WHEN type = 'payment_failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed"""
