import type { RunRef } from '../../workflows/tenant-days/pipeline-contracts';
import type { BadDataPolicy } from '../../workflows/tenants/tenant-config';
import type { MetricFanOutResult, MetricOps } from '../../metrics/fan-out';
import { runMetricFanOut } from '../../metrics/fan-out';
import type { MetricActivities } from './metric-activities';

export interface RunMetricDayOptions extends RunRef {
  /** The metric activities, or anything with their calls (the benchmark's worker processes). */
  activities: Pick<MetricActivities, 'planBuckets' | 'planPartitions' | 'aggregatePartition' | 'runMetricTask'>;
  maxPartitions: number;
  badDataPolicy: BadDataPolicy;
  fromTask?: string;
  primaryPipelineVersion?: string;
  /** Forced bucket count; otherwise planBuckets chooses from the snapshot and the memory budget. */
  buckets?: number;
  /** Partitions aggregated at once (in-process: overlaps I/O only; default 2). */
  concurrency?: number;
  /** Bucket tasks of a stage at once (default 2). */
  bucketConcurrency?: number;
}

export type RunMetricDayResult = MetricFanOutResult;

/**
 * Runs a whole tenant-day in-process through the same fan-out the tenant-day workflow runs
 * (src/metrics/fan-out.ts), each activity called directly. For tests, the benchmarks and local
 * tools.
 */
export async function runMetricDayInProcess(options: RunMetricDayOptions): Promise<RunMetricDayResult> {
  const { activities, concurrency, bucketConcurrency, ...rest } = options;
  const ops: MetricOps = {
    planBuckets: (input) => activities.planBuckets(input),
    planPartitions: (input) => activities.planPartitions(input),
    aggregatePartition: (input) => activities.aggregatePartition(input),
    runMetricTask: (input) => activities.runMetricTask(input),
  };
  const now = () => Date.now();
  return runMetricFanOut({
    ...rest,
    ops,
    partitionConcurrency: concurrency ?? 2,
    bucketConcurrency: bucketConcurrency ?? 2,
    hooks: { now },
  });
}
