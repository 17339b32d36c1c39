import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  AggregatePartitionInput,
  PlanBucketsInput,
  PlanBucketsResult,
  PlanPartitionsInput,
  RunMetricTaskInput,
} from '../../src/workflows/tenant-days/pipeline-contracts';
import { createAlertActivities } from '../../src/activities/alerts/send-alert';

/**
 * The SDK's default activity slots (maxConcurrentActivityTaskExecutions 100), as a queue-layout
 * override for workers of these activities: with few free slots the server seldom dispatches a
 * run's activities eagerly to the worker that runs its workflow, and each run's record is kept in
 * the memory of the process that planned it (recording-worker.ts).
 */
export const SDK_DEFAULT_ACTIVITY_SLOTS = { maxConcurrentActivities: 100, maxConcurrentBackfillActivities: 100 };

export interface RunRecord {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  runKind: string;
  start: number;
  end: number;
  identity: string;
}

/**
 * Stand-in activities for orchestration tests (passed as plain objects to Worker.create, as the
 * style guide asks): they do no real work but record, per tenant-day run, when it started (plan)
 * and ended (index), and can fail chosen days. The real activities have tests of their own.
 */
export function recordingActivities(options: {
  delayMs: number;
  failDays?: string[];
  /** Runs of these versions wait `slowMs` and then fail (a broken candidate). */
  failVersions?: string[];
  slowMs?: number;
  /** aggregatePartition fails its first attempt with a retryable error (a flaky network). */
  failFirstAttempt?: boolean;
  onRunEnd?: (run: RunRecord) => void;
  /** The first this many input checks of each tenant-day find its inputs missing (a day that waits). */
  inputsMissingChecks?: number;
  /** The data checks of these days block (a planted anomaly); every other day passes. */
  blockDays?: string[];
  /** Partitions planned (at most maxPartitions); default 1. */
  partitions?: number;
}) {
  const records: RunRecord[] = [];
  const open = new Map<string, RunRecord>();
  const attempts = new Map<string, number>();
  const sleep = () => new Promise((r) => setTimeout(r, options.delayMs));
  const key = (x: { tenantId: string; day: string; pipelineVersion: string; runKind: string }) =>
    `${x.tenantId}|${x.day}|${x.pipelineVersion}|${x.runKind}`;

  const inputChecks = new Map<string, number>();
  // The bucket count each run last used: a rerun that does not re-aggregate keeps it, as planBuckets does.
  const storedBuckets = new Map<string, number>();
  const activitiesFor = (identity: string) => ({
    checkTenantDayInputs(input: { tenantId: string; day: string }) {
      const k = `${input.tenantId}|${input.day}`;
      const n = (inputChecks.get(k) ?? 0) + 1;
      inputChecks.set(k, n);
      const missing = n <= (options.inputsMissingChecks ?? 0) ? [`attribute snapshot of ${input.day} (planted)`] : [];
      // Far ahead: recorded waits end by arrival, never by the deadline.
      const deadlineMs = Date.parse(`${input.day}T00:00:00Z`) + 400 * 24 * 3_600_000;
      return Promise.resolve({
        arrived: missing.length === 0,
        missing,
        rawHours: 24,
        rawHoursWithObjects: 24,
        deadlineMs,
      });
    },
    async planBuckets(input: PlanBucketsInput): Promise<PlanBucketsResult> {
      await sleep();
      const kept = input.fromTask !== undefined ? storedBuckets.get(key(input)) : undefined;
      const buckets = input.buckets ?? kept ?? 1;
      storedBuckets.set(key(input), buckets);
      return { buckets, accountsEstimate: 1, history: { usage: [], rolling: null, documents: null } };
    },
    async planPartitions(input: PlanPartitionsInput) {
      open.set(key(input), { ...input, start: Date.now(), end: 0, identity });
      const k = `${input.tenantId}|${input.day}`;
      attempts.set(k, (attempts.get(k) ?? 0) + 1);
      if (options.failVersions?.includes(input.pipelineVersion)) {
        await new Promise((r) => setTimeout(r, options.slowMs ?? 0));
        throw ApplicationFailure.nonRetryable(`planted failure of ${input.pipelineVersion}`, 'CorruptDataError');
      }
      if (options.failDays?.includes(input.day)) {
        throw ApplicationFailure.nonRetryable(`planted failure for ${input.tenantId} ${input.day}`, 'CorruptDataError');
      }
      await sleep();
      const count = Math.max(1, Math.min(options.partitions ?? 1, input.maxPartitions));
      const partitions = Array.from({ length: count }, (_, index) => ({ index, count, inputKeys: [] }));
      return { partitions, inputObjects: 0, inputBytes: 0 };
    },
    async aggregatePartition(input: AggregatePartitionInput) {
      await sleep();
      if (options.failFirstAttempt && Context.current().info.attempt === 1) {
        throw new Error(`planted transient failure reading ${input.partition.inputKeys.length} objects`);
      }
      const buckets = input.buckets ?? 1;
      return {
        // Over buckets a partition writes a file per bucket: its key is the partials/ prefix.
        partialKey:
          buckets > 1 ? `partials/${input.tenantId}/${input.day}/` : `partials/${input.tenantId}/${input.day}`,
        accounts: 1,
        counts: { read: 1, accepted: 1, quarantined: 0, duplicates: 0, outOfWindow: 0 },
        quarantineKeys: [],
        ...(buckets > 1 ? { buckets, runs: 1 } : {}),
      };
    },
    async runMetricTask(input: RunMetricTaskInput) {
      await sleep();
      const bucket = input.bucket && input.bucket.count > 1 && input.phase !== 'assemble' ? input.bucket : undefined;
      const file = bucket ? `/bucket-${bucket.index + 1}-of-${bucket.count}` : '';
      return { task: input.task, outputKey: `${input.tenantId}/${input.day}/${input.task}${file}`, records: 1 };
    },
    async ensureServingIndex(input: { tenantId: string; pipelineVersion: string }) {
      await sleep();
      return { index: `test-${input.pipelineVersion}.${input.tenantId}`, created: false };
    },
    async swapServedAlias(input: { tenantId: string; toPipelineVersion: string }) {
      await sleep();
      return { alias: `test-${input.tenantId}`, toIndex: `test-${input.toPipelineVersion}.${input.tenantId}` };
    },
    async compareRunOutputs(input: {
      tenantId: string;
      day: string;
      primaryPipelineVersion: string;
      shadowPipelineVersion: string;
    }) {
      await sleep();
      const csvKey = `reports/compare-${input.primaryPipelineVersion}-vs-${input.shadowPipelineVersion}/tenant=${input.tenantId}/day=${input.day}/differences.csv`;
      return { verdict: 'expected-differences', csvKey, summaryKey: csvKey.replace('differences.csv', 'summary.json') };
    },
    async ensureServedAlias() {},
    async indexAccountDocuments(input: { tenantId: string; day: string; pipelineVersion: string; runKind: string }) {
      await sleep();
      const record = open.get(key(input));
      if (record) {
        record.end = Date.now();
        records.push(record);
        open.delete(key(input));
        options.onRunEnd?.(record);
      }
      return { index: 'test', indexed: 1, skippedStale: 0 };
    },
    async checkDayOutputs(input: { tenantId: string; day: string; pipelineVersion: string; runKind: string }) {
      await sleep();
      const block = options.blockDays?.includes(input.day) ?? false;
      return {
        verdict: block ? 'block' : 'pass',
        baselineDays: 14,
        insufficientHistory: false,
        severity: 'block',
        results: [
          {
            check: 'accounts',
            passed: !block,
            value: block ? 50 : 100,
            baseline: 100,
            threshold: 0.3,
            detail: block ? 'accounts 50 vs baseline 100' : 'accounts 100 vs baseline 100',
          },
        ],
        summaryKey: `${input.tenantId}/${input.day}/check-summary.json`,
      };
    },
    async recordRunLedger(input: { tenantId: string; day: string }) {
      await sleep();
      return { key: `ledger/${input.tenantId}/${input.day}`, index: 'test-runs', earlierAttempts: 0 };
    },
    // A lane on the same worker alerts a day that fails for good: to the worker log, as by default.
    ...createAlertActivities(),
  });

  return {
    activities: activitiesFor('w'),
    activitiesFor,
    runs: (tenantId: string) => records.filter((r) => r.tenantId === tenantId),
    all: () => records,
    attempts: (tenantId: string, day: string) => attempts.get(`${tenantId}|${day}`) ?? 0,
  };
}
