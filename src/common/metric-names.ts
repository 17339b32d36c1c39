/**
 * Daybreak's Prometheus series, by name: recorded by the tenant-day workflow (src/workflows/tenant-days/run-metrics.ts),
 * exposed by the worker's exporter (src/workers/metrics-exporter.ts), queried by the dashboard and the
 * alert rules in deploy/observability/. Pure, so workflow code can import it.
 *
 * Labels are bounded whatever the number of tenants: pipeline version, run kind, trigger, task,
 * verdict and outcome each take a handful of values, and the SDK adds namespace, task_queue and
 * workflow_type (one queue per pipeline version). No series carries a tenant id: with thousands of
 * tenants, each label value multiplies every series; a tenant's numbers are in its run's result.
 */
export const DaybreakMetrics = {
  /** Counter: raw records read by the partitions of a tenant-day (every record, good or bad). */
  EventsRead: 'daybreak_events_read_total',
  /** Counter: records accepted into the day's metrics. */
  EventsAccepted: 'daybreak_events_accepted_total',
  /** Counter: records sent to quarantine (bad data under the quarantine policy). */
  EventsQuarantined: 'daybreak_events_quarantined_total',
  /** Histogram: seconds from a task's start to its output, retries included, by task (plus `serve`). */
  TaskDuration: 'daybreak_tenant_day_task_duration_seconds',
  /** Counter: account documents indexed into Elasticsearch. */
  DocumentsIndexed: 'daybreak_documents_indexed_total',
  /** Counter: comparisons of a shadow with its primary, by verdict. */
  ComparisonVerdicts: 'daybreak_comparison_verdicts_total',
  /** Counter: tenant-day runs that ended, by outcome (completed, failed). */
  TenantDays: 'daybreak_tenant_days_total',
  /** Counter: primary runs whose outputs were checked, by verdict (pass, warn, block). */
  DataChecks: 'daybreak_data_checks_total',
  /** Counter: data checks that failed, by check (five names; every check is counted, at 0 when it passed). */
  DataChecksFailed: 'daybreak_data_checks_failed_total',
  /** Counter: tenant-days the freshness monitor found late (one per sla-missed alert); by the monitor's workers. */
  SlaMisses: 'daybreak_sla_misses_total',
  /** Counter: late tenant-days served after all (one per sla-recovered alert). */
  SlaRecoveries: 'daybreak_sla_recoveries_total',
} as const;

/**
 * The names as recorded: the exporter appends `_total` to every counter (Prometheus' convention),
 * so a counter is created without it.
 */
export function recordedName(exposed: string): string {
  return exposed.endsWith('_total') ? exposed.slice(0, -'_total'.length) : exposed;
}

/** Buckets of the task duration histogram, in seconds: a partition of a small tenant to a large tenant's slow day. */
export const TASK_DURATION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
