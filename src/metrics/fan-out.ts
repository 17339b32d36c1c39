import type {
  AggregatePartitionInput,
  AggregatePartitionResult,
  PlanBucketsInput,
  PlanBucketsResult,
  PlanPartitionsInput,
  PlanPartitionsResult,
  RunMetricTaskInput,
  RunMetricTaskResult,
  RunRef,
} from '../workflows/tenant-days/pipeline-contracts';
import { runRefOf } from '../workflows/tenant-days/pipeline-contracts';
import type { BadDataPolicy } from '../workflows/tenants/tenant-config';
import { InvalidInputError } from '../common/errors';
import { isBucketCount } from './buckets';
import { MetricTasks, getPipeline } from './pipelines';
import { runTaskGraph } from './task-graph';

/**
 * The one fan-out of a tenant-day's metric work, shared by the tenant-day workflow (where each op
 * is an activity) and the in-process runner (where each op is a direct call). Pure and
 * deterministic: no clock of its own (hooks.now), no I/O, the same calls in the same order for the
 * same results, so it runs in the workflow sandbox.
 *
 * Shape of a day with B account buckets and P partitions:
 *   planBuckets
 *   aggregate-partitions: planPartitions, aggregatePartition x P      attributes x 1 (split into B)
 *   daily-usage x B  ->  rolling-windows x B  ->  account-documents: distribution x B, documents x B, assemble x 1
 * With B = 1 each task is the single call it always was (no phases), so a small tenant's day costs
 * what it did before buckets.
 */
export interface MetricOps {
  planBuckets(input: PlanBucketsInput, summary: string): Promise<PlanBucketsResult>;
  planPartitions(input: PlanPartitionsInput, summary: string): Promise<PlanPartitionsResult>;
  aggregatePartition(input: AggregatePartitionInput, summary: string): Promise<AggregatePartitionResult>;
  runMetricTask(input: RunMetricTaskInput, summary: string): Promise<RunMetricTaskResult>;
}

export interface FanOutTaskTiming {
  task: string;
  outputKey: string;
  records: number;
  durationMs: number;
}

export interface FanOutHooks {
  /** The clock durations are measured with (workflow time in a workflow); default: durations are 0. */
  now?(): number;
  step?(text: string): void;
  taskStarted?(task: string): void;
  taskEnded?(timing: FanOutTaskTiming, attempts: (number | undefined)[]): void;
  planned?(plan: PlanPartitionsResult): void;
  partitionDone?(result: AggregatePartitionResult): void;
}

export interface MetricFanOutInput extends RunRef {
  ops: MetricOps;
  maxPartitions: number;
  badDataPolicy: BadDataPolicy;
  fromTask?: string;
  primaryPipelineVersion?: string;
  /** Forced bucket count (tests, benchmarks); otherwise planBuckets chooses. */
  buckets?: number;
  /** Partitions aggregated at once (default 4). */
  partitionConcurrency?: number;
  /** Bucket tasks of one stage run at once (default 8): across workers, each takes what it has slots for. */
  bucketConcurrency?: number;
  hooks?: FanOutHooks;
}

export interface MetricFanOutResult {
  layout: PlanBucketsResult;
  plan?: PlanPartitionsResult;
  partitions: AggregatePartitionResult[];
  tasks: RunMetricTaskResult[];
  ran: string[];
}

/** What the Web UI's timeline shows for each call instead of the bare activity type. */
export const fanOutSummaries = {
  planBuckets: (day: string) => `Plan account buckets of ${day}`,
  planPartitions: (day: string) => `Plan partitions of ${day}`,
  aggregatePartition: (index: number, count: number) => `Aggregate partition ${index + 1}/${count}`,
  metricTask: (task: string) => `Metric task ${task}`,
  bucketTask: (task: string, index: number, count: number, phase?: string) =>
    `Metric task ${task}${phase ? ` (${phase})` : ''}, bucket ${index + 1}/${count}`,
  assemble: () => 'Metric task account-documents (assemble accounts.avro)',
};

/** Runs `fn` over `items` with at most `limit` at once, results in item order. Deterministic start order. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  return results;
}

export async function runMetricFanOut(input: MetricFanOutInput): Promise<MetricFanOutResult> {
  const { ops, hooks = {} } = input;
  const run = runRefOf(input);
  if (input.buckets !== undefined && !isBucketCount(input.buckets)) {
    throw new InvalidInputError(`buckets ${String(input.buckets)} must be a power of two from 1 to 1024`);
  }
  const now = () => hooks.now?.() ?? 0;
  const partitionConcurrency = input.partitionConcurrency ?? 4;
  const bucketConcurrency = input.bucketConcurrency ?? 8;
  const primaryPipelineVersion = input.primaryPipelineVersion;

  const layout = await ops.planBuckets(
    {
      ...run,
      ...(input.fromTask !== undefined ? { fromTask: input.fromTask } : {}),
      ...(input.buckets !== undefined ? { buckets: input.buckets } : {}),
      ...(primaryPipelineVersion !== undefined ? { primaryPipelineVersion } : {}),
    },
    fanOutSummaries.planBuckets(run.day),
  );
  const B = layout.buckets;
  const bucketIndexes = Array.from({ length: B }, (_, b) => b);
  const history = layout.history;
  let plan: PlanPartitionsResult | undefined;
  let partitions: AggregatePartitionResult[] = [];
  const tasks: RunMetricTaskResult[] = [];

  /** The calls of one stage of bucket tasks, merged into the one result the graph task reports. */
  const perBucket = async (
    task: string,
    extra: Partial<RunMetricTaskInput>,
  ): Promise<{ results: RunMetricTaskResult[]; records: number }> => {
    const results = await mapBounded(bucketIndexes, bucketConcurrency, (b) =>
      ops.runMetricTask(
        { ...run, task, bucket: { index: b, count: B }, primaryPipelineVersion, ...extra },
        fanOutSummaries.bucketTask(task, b, B, extra.phase),
      ),
    );
    tasks.push(...results);
    return { results, records: results.reduce((n, r) => n + r.records, 0) };
  };

  const single = async (task: string, extra: Partial<RunMetricTaskInput>): Promise<RunMetricTaskResult> => {
    const result = await ops.runMetricTask(
      { ...run, task, primaryPipelineVersion, ...extra },
      fanOutSummaries.metricTask(task),
    );
    tasks.push(result);
    return result;
  };

  const aggregate = async (): Promise<{ outputKey: string; records: number; attempts: (number | undefined)[] }> => {
    hooks.step?.(`Planning partitions of ${run.day} (${run.timeZone})`);
    plan = await ops.planPartitions(
      { ...run, maxPartitions: input.maxPartitions },
      fanOutSummaries.planPartitions(run.day),
    );
    hooks.planned?.(plan);
    const planned = plan.partitions;
    let done = 0;
    partitions = await mapBounded(planned, partitionConcurrency, async (partition) => {
      const result = await ops.aggregatePartition(
        { ...run, partition, badDataPolicy: input.badDataPolicy, ...(B > 1 ? { buckets: B } : {}) },
        fanOutSummaries.aggregatePartition(partition.index, partition.count),
      );
      hooks.step?.(`Aggregated ${++done}/${planned.length} partitions`);
      hooks.partitionDone?.(result);
      return result;
    });
    return {
      outputKey: partitions[0]?.partialKey.replace(/partials\/.*$/, 'partials') ?? '',
      records: partitions.reduce((n, p) => n + p.accounts, 0),
      attempts: [plan.attempt, ...partitions.map((p) => p.attempt)],
    };
  };

  const spilled = () => partitions.some((p) => (p.runs ?? 1) > 1);
  const partitionRuns = () =>
    partitions.length > 0 && (B > 1 || spilled()) ? { partitionRuns: partitions.map((p) => p.runs ?? 1) } : {};

  const { ran } = await runTaskGraph<true>({
    graph: getPipeline(run.pipelineVersion).graph,
    fromTask: input.fromTask,
    concurrency: 2,
    runTask: async (task) => {
      const started = now();
      hooks.taskStarted?.(task.name);
      let outputKey: string;
      let records: number;
      let attempts: (number | undefined)[];
      if (task.partitioned) {
        ({ outputKey, records, attempts } = await aggregate());
      } else {
        hooks.step?.(`Running task ${task.name}${B > 1 ? ` over ${B} buckets` : ''}`);
        const results: RunMetricTaskResult[] = [];
        let earlierAttempts: (number | undefined)[] = [];
        if (task.name === MetricTasks.Attributes) {
          results.push(await single(task.name, B > 1 ? { buckets: B } : {}));
        } else if (B === 1) {
          const extra: Partial<RunMetricTaskInput> =
            task.name === MetricTasks.DailyUsage
              ? spilled()
                ? { bucket: { index: 0, count: 1 }, ...partitionRuns() }
                : partitions.length > 0
                  ? { partialKeys: partitions.map((p) => p.partialKey) }
                  : {}
              : { history };
          results.push(await single(task.name, extra));
        } else if (task.name === MetricTasks.DailyUsage) {
          results.push(...(await perBucket(task.name, partitionRuns())).results);
        } else if (task.name === MetricTasks.AccountDocuments) {
          const distribution = await perBucket(task.name, { phase: 'distribution', history });
          const documents = await perBucket(task.name, { phase: 'documents', history });
          const assembled = await ops.runMetricTask(
            { ...run, task: task.name, bucket: { index: 0, count: B }, phase: 'assemble' },
            fanOutSummaries.assemble(),
          );
          tasks.push(assembled);
          earlierAttempts = [...distribution.results, ...documents.results].map((r) => r.attempt);
          results.push(assembled);
        } else {
          results.push(...(await perBucket(task.name, { history })).results);
        }
        outputKey = results.length === 1 ? results[0].outputKey : results[0].outputKey.replace(/\/bucket-[^/]*$/, '');
        records = results.reduce((n, r) => n + r.records, 0);
        attempts = [...earlierAttempts, ...results.map((r) => r.attempt)];
      }
      hooks.taskEnded?.({ task: task.name, outputKey, records, durationMs: now() - started }, attempts);
      return true;
    },
  });
  return { layout, ...(plan ? { plan } : {}), partitions, tasks, ran };
}
