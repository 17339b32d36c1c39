import type { BadDataPolicy } from '../tenants/tenant-config';
import type { RunKind } from '../../common/search-attributes';

/**
 * Contracts between the tenant-day workflow and the metric activities. Payloads carry object keys
 * and counts, never data: outputs live in the object store under keys from src/common/keys.ts.
 */

/** Which run an activity works for. Together these address a run's outputs (outputPrefix). */
export interface RunRef {
  tenantId: string;
  /** The tenant's local day, ISO date. */
  day: string;
  /** IANA time zone of the tenant; the day spans [startOfLocalDay(day), startOfLocalDay(day + 1)). */
  timeZone: string;
  pipelineVersion: string;
  runKind: RunKind;
}

/** The run an input names, without the input's other fields (what every activity call carries). */
export function runRefOf(input: RunRef): RunRef {
  const { tenantId, day, timeZone, pipelineVersion, runKind } = input;
  return { tenantId, day, timeZone, pipelineVersion, runKind };
}

/** Every input record is counted in exactly one bucket: read = accepted + quarantined + duplicates + outOfWindow. */
export interface RecordCounts {
  read: number;
  accepted: number;
  quarantined: number;
  duplicates: number;
  /** Records in the partitions read whose event time belongs to another local day (late or early arrivals). */
  outOfWindow: number;
}

/**
 * Input bytes (compressed) below which a day is not split further, like Spark's
 * maxPartitionBytes: every partition writes a partial of every account it saw, so partitions much
 * smaller than this cost more to merge than they save (about 3.3 M events at 40 bytes an event; Spark's default is the same 128 MiB).
 */
export const DEFAULT_MIN_PARTITION_BYTES = 128 * 1024 * 1024;

export interface PlanPartitionsInput extends RunRef {
  /** Upper bound on partitions; small days get fewer. */
  maxPartitions: number;
}

export interface PartitionPlan {
  index: number;
  count: number;
  /** Raw event object keys this partition reads. */
  inputKeys: string[];
  /**
   * Raw objects just before inputKeys (within the duplicate horizon), read only to recognize
   * copies of their events, so a copy is dropped whichever partition its original fell in. Absent
   * in plans made before it existed: no such objects.
   */
  dedupeKeys?: string[];
}

export interface PlanPartitionsResult {
  partitions: PartitionPlan[];
  inputObjects: number;
  inputBytes: number;
  /** The raw objects planned, in key order, as listed (size, ETag): what the run ledger says the run read. */
  inputs?: { key: string; size: number; etag?: string }[];
  /** The activity attempt that planned (the run ledger's task attempts); absent outside a worker. */
  attempt?: number;
}

export interface AggregatePartitionInput extends RunRef {
  partition: PartitionPlan;
  badDataPolicy: BadDataPolicy;
  /** Account buckets to write the partial states in (a power of two; absent: 1, the single partial file). */
  buckets?: number;
}

export interface AggregatePartitionResult {
  partialKey: string;
  accounts: number;
  counts: RecordCounts;
  /** Keys of quarantined blocks/records written by this partition. */
  quarantineKeys: string[];
  /**
   * Runs written (absent: 1). A partition whose states outgrow its memory share writes every
   * bucket's states so far as a run and starts again (partialRunPath); partialKey is then the
   * run's partials/ prefix.
   */
  runs?: number;
  /** The bucket count written (absent: 1). */
  buckets?: number;
  /** See PlanPartitionsResult.attempt. */
  attempt?: number;
}

/** One task of the metric task graph (src/metrics/task-graph.ts), run after its requirements. */
export interface RunMetricTaskInput extends RunRef {
  task: string;
  /** For the task that merges partitions: the partial keys, in any order (the merge is order-independent). */
  partialKeys?: string[];
  /** The version compared with (a shadow's primary): its primary outputs are the first warm-up source for earlier days this version never ran (planHistory). */
  primaryPipelineVersion?: string;
  /**
   * The account bucket this call computes (daily-usage, rolling-windows, account-documents); absent:
   * bucket 0 of 1, the whole tenant, as calls made before buckets existed.
   */
  bucket?: { index: number; count: number };
  /** attributes: the bucket count to split the snapshot into (absent: 1). */
  buckets?: number;
  /** daily-usage of a bucketed or spilled day: runs written by each partition (index p); absent: listed. */
  partitionRuns?: number[];
  /** rolling-windows and account-documents: where earlier days are (planBuckets); absent: resolved by the task. */
  history?: HistoryLayouts;
  /**
   * account-documents with more than one bucket: 'distribution' writes the bucket's events7d
   * histogram, 'documents' (after every bucket's distribution) its documents, 'assemble' merges the
   * buckets' documents into accounts.avro. Absent: all three, for a single bucket.
   */
  phase?: 'distribution' | 'documents' | 'assemble';
}

/** A stored day's dataset: which run of it holds it, and in how many account buckets (1: the single file). */
export interface StoredLayout {
  day: string;
  source: { pipelineVersion: string; runKind: RunKind };
  buckets: number;
}

/** Where a run's earlier days are read from, resolved once per tenant-day (planBuckets). */
export interface HistoryLayouts {
  /** D-1..D-29: index i is D-(i+1); null where no source has the day's daily usage. */
  usage: (StoredLayout | null)[];
  /** The latest earlier rolling state within the lookback (first/last activity carry); null when none. */
  rolling: StoredLayout | null;
  /** D-1's documents of the run's own version (healthDelta); null when missing. */
  documents: StoredLayout | null;
}

export interface PlanBucketsInput extends RunRef {
  /** A rerun from this task; when it does not re-aggregate, the run's stored bucket count is kept. */
  fromTask?: string;
  /** Forced bucket count (a power of two, 1-1024), for tests and benchmarks; otherwise chosen from the budget. */
  buckets?: number;
  primaryPipelineVersion?: string;
}

export interface PlanBucketsResult {
  /** Account buckets of this run (a power of two): each per-account task runs once per bucket. */
  buckets: number;
  /** Accounts in the day's attribute snapshot (from its block headers), which the count was chosen for. */
  accountsEstimate: number;
  history: HistoryLayouts;
  /** See PlanPartitionsResult.attempt. */
  attempt?: number;
}

export interface RunMetricTaskResult {
  task: string;
  outputKey: string;
  records: number;
  /** attributes only: the sorted runs it spilled and merged because the snapshot outgrew its memory share (absent: none). */
  runs?: number;
  /** See PlanPartitionsResult.attempt. */
  attempt?: number;
}
