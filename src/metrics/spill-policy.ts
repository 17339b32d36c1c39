/**
 * How much memory one metric task may use, and when an aggregation spills (docs/metrics.md, "How
 * the aggregation runs"). Pure: the worker's configuration gives the inputs.
 */

const MIB = 1024 * 1024;

/** What a worker process holds before any task: the runtime, the SDK, clients, loaded code. */
export const BASELINE_MEMORY_MB = 400;
/** A share never goes below this, however many tasks a small budget is split between. */
export const MIN_MEMORY_SHARE_BYTES = 16 * MIB;

export interface MemoryShareInput {
  /** The worker's budget (DAYBREAK_MEMORY_BUDGET_MB). */
  budgetMb: number;
  /** Partition threads, each aggregating one partition at a time (0: on the activity's thread). */
  partitionThreads: number;
  /** Activity slots that may run a metric task at the same time. */
  activitySlots: number;
}

/**
 * One task's share of the budget: what is left after the baseline, split evenly between every
 * task that can run at once (each partition thread and each activity slot), floored at
 * MIN_MEMORY_SHARE_BYTES. Even a tiny budget gives a usable share: a task then spills often
 * rather than failing.
 */
export function memoryShareBytes({ budgetMb, partitionThreads, activitySlots }: MemoryShareInput): number {
  for (const [name, value] of Object.entries({ budgetMb, partitionThreads, activitySlots })) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`${name} ${value} must be a non-negative integer`);
  }
  const tasks = Math.max(1, partitionThreads + activitySlots);
  const share = Math.floor(((budgetMb - BASELINE_MEMORY_MB) * MIB) / tasks);
  return Math.max(MIN_MEMORY_SHARE_BYTES, share);
}

/** Whether an aggregation holding `estimatedBytes` (ColumnPartitionAggregator.estimatedBytes) must spill its states now. */
export function shouldSpill({ estimatedBytes, shareBytes }: { estimatedBytes: number; shareBytes: number }): boolean {
  return estimatedBytes > shareBytes;
}
