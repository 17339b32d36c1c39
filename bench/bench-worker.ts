/**
 * The worker bench:metrics and bench:peers run Daybreak's job on, set up as a worker sets itself
 * up (src/workers/compose.ts): partition threads started before the job, the memory budget divided
 * between them and the activity slots, and the metric activities given that share, so both
 * benchmarks measure the engine users run, with the same buckets, partitions and spill decisions.
 */
import type { MetricActivities } from '../src/activities/tenant-days/metric-activities';
import { createMetricActivities } from '../src/activities/tenant-days/metric-activities';
import type { ObjectStore } from '../src/storage/object-store';
import { memoryShareBytes } from '../src/metrics/spill-policy';
import { PartitionThreadPool } from '../src/workers/partition-threads';

/** Metric activities a worker runs at once beside its partition threads (bucket tasks). */
export const ACTIVITY_SLOTS = 2;

/** A task's share of the budget, as a worker divides it between partition threads and activity slots. */
export function shareOf(budgetMb: number, threads: number): number {
  return memoryShareBytes({ budgetMb, partitionThreads: threads, activitySlots: ACTIVITY_SLOTS });
}

export interface BenchWorker {
  activities: MetricActivities;
  close: () => Promise<void>;
}

/**
 * Metric activities over `store` (a filesystem store at `root`) on `threads` partition threads
 * (0: inline), each task given `memoryShareBytes` (shareOf).
 */
export async function startBenchWorker(input: {
  store: ObjectStore;
  root: string;
  threads: number;
  memoryShareBytes: number;
  minPartitionBytes?: number;
}): Promise<BenchWorker> {
  const { store, root, threads, memoryShareBytes } = input;
  const pool =
    threads > 0 ? new PartitionThreadPool({ threads, store: { kind: 'fs', root }, memoryShareBytes }) : undefined;
  await pool?.start();
  const activities = createMetricActivities({
    store,
    partitionRunner: pool?.runner,
    bucketTaskRunner: pool?.taskRunner,
    memoryShareBytes,
    ...(input.minPartitionBytes !== undefined ? { minPartitionBytes: input.minPartitionBytes } : {}),
  });
  return { activities, close: async () => pool?.close() };
}
