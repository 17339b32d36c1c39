import { metricMeter } from '@temporalio/workflow';
import type { RecordCounts } from './pipeline-contracts';
import { DaybreakMetrics, recordedName } from '../../common/metric-names';
import type { Verdict } from '../rollouts/rollout-contracts';
import { CHECK_NAMES } from '../data-checks/data-check-contracts';
import type { DataChecksOutcome } from '../data-checks/data-check-contracts';
import type { RunKind, Trigger } from '../../common/search-attributes';

/**
 * A tenant-day's numbers for Prometheus, recorded where the workflow receives its activities'
 * results. The workflow's meter records nothing while a history replays, so a result counts once
 * even when a worker picks the run up again, and an activity attempt that did the work but was
 * retried (its worker lost before it reported) does not count twice, as it would from inside the
 * activity. The worker's exporter serves them with the SDK's own metrics (src/workers/metrics-exporter.ts).
 * Labels: see src/common/metric-names.ts (no tenant label).
 */
export interface RunMetricLabels {
  pipelineVersion: string;
  runKind: RunKind;
  trigger: Trigger;
}

function runTags(run: RunMetricLabels) {
  return { pipeline_version: run.pipelineVersion, run_kind: run.runKind, trigger: run.trigger };
}

function counter(name: string, unit: string, description: string) {
  // Created at each use: the workflow meter exists only inside a workflow's context.
  return metricMeter.createCounter(recordedName(name), unit, description);
}

/** The record counts of the day's partitions, once they are all aggregated. */
export function recordEventCounts(input: { run: RunMetricLabels; counts: RecordCounts }): void {
  const tags = runTags(input.run);
  counter(DaybreakMetrics.EventsRead, 'records', 'Raw records read by tenant-day partitions').add(
    input.counts.read,
    tags,
  );
  counter(DaybreakMetrics.EventsAccepted, 'records', 'Raw records accepted into the metrics').add(
    input.counts.accepted,
    tags,
  );
  counter(DaybreakMetrics.EventsQuarantined, 'records', 'Raw records sent to quarantine').add(
    input.counts.quarantined,
    tags,
  );
}

/** How long one task of a tenant-day took, from its start to its output (retries and queueing included). */
export function recordTaskDuration(input: { run: RunMetricLabels; task: string; durationMs: number }): void {
  metricMeter
    .createHistogram(recordedName(DaybreakMetrics.TaskDuration), 'float', 's', 'Tenant-day task duration in seconds')
    .record(Math.max(0, input.durationMs) / 1000, {
      pipeline_version: input.run.pipelineVersion,
      run_kind: input.run.runKind,
      task: input.task,
    });
}

export function recordDocumentsIndexed(input: { run: RunMetricLabels; indexed: number }): void {
  counter(DaybreakMetrics.DocumentsIndexed, 'documents', 'Account documents indexed into Elasticsearch').add(
    input.indexed,
    runTags(input.run),
  );
}

export function recordVerdict(input: { primaryVersion: string; shadowVersion: string; verdict: Verdict }): void {
  counter(DaybreakMetrics.ComparisonVerdicts, 'comparisons', 'Shadow runs compared with their primary, by verdict').add(
    1,
    { primary_version: input.primaryVersion, shadow_version: input.shadowVersion, verdict: input.verdict },
  );
}

/** A primary run's data checks: its verdict, and each check that failed (every check is added, so each series exists). */
export function recordChecks(input: { run: RunMetricLabels; checks: DataChecksOutcome }): void {
  counter(DaybreakMetrics.DataChecks, 'runs', 'Primary runs whose outputs were checked, by verdict').add(1, {
    ...runTags(input.run),
    verdict: input.checks.verdict,
  });
  const failed = counter(DaybreakMetrics.DataChecksFailed, 'checks', 'Data checks that failed, by check');
  // Every check, at 0 when it passed or did not run (too little history), so each series exists.
  for (const check of CHECK_NAMES) {
    const result = input.checks.results.find((r) => r.check === check);
    failed.add(result && !result.passed ? 1 : 0, { pipeline_version: input.run.pipelineVersion, check });
  }
}

/** One freshness check's late and recovered tenant-days (no tenant label: which ones is in the alerts). */
export function recordFreshness(input: { missed: number; recovered: number }): void {
  counter(DaybreakMetrics.SlaMisses, 'days', 'Tenant-days found late against their freshness SLA').add(input.missed);
  counter(DaybreakMetrics.SlaRecoveries, 'days', 'Late tenant-days served after all').add(input.recovered);
}

export function recordOutcome(input: { run: RunMetricLabels; outcome: 'completed' | 'failed' | 'cancelled' }): void {
  counter(DaybreakMetrics.TenantDays, 'runs', 'Tenant-day runs that ended, by outcome').add(1, {
    ...runTags(input.run),
    outcome: input.outcome,
  });
}
