import { raisingRegisteredFailures } from '../../common/application-failures';
import { InvalidInputError } from '../../common/errors';
import type { ObjectStore } from '../../storage/object-store';
import type { SchemaRegistry } from '../../schemas/registry';
import { outputKey, outputPrefix, rawHourPrefix } from '../../common/keys';
import { localDayWindow } from '../../common/local-day';
import { DEFAULT_MIN_PARTITION_BYTES } from '../../workflows/tenant-days/pipeline-contracts';
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
} from '../../workflows/tenant-days/pipeline-contracts';
import { getPipeline } from '../../metrics/pipelines';
import { MAX_PARTITIONS_LIMIT, groupIntoPartitions, hoursToRead } from '../../metrics/partition-plan';
import { activityContext, heartbeat } from './activity-context';
import type { PartitionRunner } from './aggregate-partition';
import { aggregatePartitionIn, validatePartition } from './aggregate-partition';
import { loc, where } from './datasets';
import type { BucketTaskRunner } from './bucket-tasks';
import { createBucketTaskRunner } from './bucket-tasks';
import { resolveHistoryLayouts, storedLayoutOf } from './bucket-reads';
import { MAX_BUCKETS, isBucketCount } from '../../metrics/buckets';
import { SNAPSHOT_BYTES_PER_ACCOUNT, chooseBucketCount } from '../../metrics/partition-plan';
import { MetricTasks } from '../../metrics/pipelines';
import { downstreamOf } from '../../metrics/task-graph';
import { attributesKey } from '../../common/keys';

/** Checks a task's bucket, bucket count and phase before any work. */
function validateBucket(input: RunMetricTaskInput): void {
  const what = `task ${input.task} of ${where(input)}`;
  if (input.bucket !== undefined) {
    const { index, count } = input.bucket;
    if (!isBucketCount(count) || !Number.isInteger(index) || index < 0 || index >= count)
      throw new InvalidInputError(
        `bucket ${index} of ${count} of ${what} is invalid (counts are powers of two up to ${MAX_BUCKETS})`,
      );
  }
  if (input.buckets !== undefined && !isBucketCount(input.buckets))
    throw new InvalidInputError(
      `buckets ${String(input.buckets)} of ${what} must be a power of two from 1 to ${MAX_BUCKETS}`,
    );
  if (input.phase !== undefined && input.task !== MetricTasks.AccountDocuments)
    throw new InvalidInputError(`phase ${input.phase} of ${what} is only for ${MetricTasks.AccountDocuments}`);
  if (input.task === MetricTasks.AccountDocuments && (input.bucket?.count ?? 1) > 1 && input.phase === undefined)
    throw new InvalidInputError(
      `${what} has ${input.bucket?.count} buckets: it runs in phases (distribution, documents, assemble)`,
    );
}

/** Accounts the day's attribute snapshot holds, estimated from its size (0 when it has not arrived: the attributes task says so). */
async function snapshotAccounts(store: ObjectStore, run: RunRef): Promise<number> {
  const key = attributesKey(run.tenantId, run.day);
  for await (const o of store.list(key)) if (o.key === key) return Math.ceil(o.size / SNAPSHOT_BYTES_PER_ACCOUNT);
  return 0;
}

/**
 * The bucket count a rerun keeps: when it does not re-aggregate the partitions, the tasks it
 * re-runs read what the run stored, so they must use its count (the partials' for a rerun from
 * daily-usage, the daily usage's after that). Undefined when everything is recomputed.
 */
async function keptBuckets(store: ObjectStore, input: PlanBucketsInput): Promise<number | undefined> {
  if (input.fromTask === undefined) return undefined;
  const graph = getPipeline(input.pipelineVersion).graph;
  const rerun = downstreamOf(graph, input.fromTask);
  if (rerun.has(MetricTasks.AggregatePartitions)) return undefined;
  if (rerun.has(MetricTasks.DailyUsage)) return (await partialsLayoutOf(store, input)) ?? undefined;
  return (await storedLayoutOf(store, loc(input), 'daily-usage', MetricTasks.DailyUsage)) ?? undefined;
}

/** The bucket count of a run's stored partials (bucket-NNNN-of-BBBB folders; single files are 1); null when none. */
async function partialsLayoutOf(store: ObjectStore, run: RunRef): Promise<number | null> {
  for await (const o of store.list(outputKey(loc(run), 'partials') + '/')) {
    const match = /\/partials\/bucket-\d{4}-of-(\d{4})\//.exec(o.key);
    return match ? Number(match[1]) : 1;
  }
  return null;
}

export interface MetricDeps {
  store: ObjectStore;
  /** When given, raw files whose writer schema is not registered are bad data. */
  registry?: SchemaRegistry;
  /** Partitions are made no smaller than this many input bytes (DEFAULT_MIN_PARTITION_BYTES); 0: only maxPartitions counts. */
  minPartitionBytes?: number;
  /**
   * Runs aggregatePartitionIn elsewhere (a PartitionThreadPool: one core per partition); without
   * it, partitions are aggregated on the activity's thread.
   */
  partitionRunner?: PartitionRunner;
  /**
   * Runs the non-partitioned tasks elsewhere (the same PartitionThreadPool): the per-bucket
   * merges, windows and documents are CPU-bound too, and on the activity's thread they would share
   * one core and hold up its event loop. Without it, they run on the activity's thread.
   */
  bucketTaskRunner?: BucketTaskRunner;
  /**
   * Memory one metric task (a partition's aggregation, a bucket task) may use, from
   * DAYBREAK_MEMORY_BUDGET_MB (see memoryShareBytes): what the bucket count is chosen for and when
   * an aggregation spills.
   */
  memoryShareBytes?: number;
}

/** A 4 GB worker's share per task with two partition threads and two activity slots. */
export const DEFAULT_MEMORY_SHARE_BYTES = 512 * 1024 * 1024;

/** Activities of the metric engine: they read raw events and stored datasets, and write datasets, in the object store. */
export function createMetricActivities({
  store,
  registry,
  minPartitionBytes = DEFAULT_MIN_PARTITION_BYTES,
  partitionRunner,
  bucketTaskRunner,
  memoryShareBytes = DEFAULT_MEMORY_SHARE_BYTES,
}: MetricDeps) {
  if (!Number.isSafeInteger(minPartitionBytes) || minPartitionBytes < 0) {
    throw new InvalidInputError(`minPartitionBytes ${minPartitionBytes} must be a non-negative integer`);
  }
  const validateRun = (run: RunRef) => {
    const pipeline = getPipeline(run.pipelineVersion);
    outputPrefix(loc(run)); // validates tenant, day, version and kind
    localDayWindow(run.day, run.timeZone); // validates the time zone
    return pipeline;
  };
  const runHere = createBucketTaskRunner(store, memoryShareBytes);

  return {
    /**
     * The first call of a tenant-day: how many account buckets its per-account tasks run in, and
     * where its earlier days are stored (so bucket tasks open exact keys and never list). The
     * count is the input's when forced, the run's stored one when a rerun does not re-aggregate
     * (its partials or daily usage are kept), and otherwise the smallest that fits the memory
     * share for the accounts of the day's attribute snapshot (chooseBucketCount). Read-only.
     */
    async planBuckets(input: PlanBucketsInput): Promise<PlanBucketsResult> {
      return raisingRegisteredFailures(async () => {
        validateRun(input);
        if (input.buckets !== undefined && !isBucketCount(input.buckets)) {
          throw new InvalidInputError(
            `buckets ${String(input.buckets)} of ${where(input)} must be a power of two from 1 to ${MAX_BUCKETS}`,
          );
        }
        const accountsEstimate = await snapshotAccounts(store, input);
        const history = await resolveHistoryLayouts(store, input, input.primaryPipelineVersion);
        const kept = input.buckets === undefined ? await keptBuckets(store, input) : undefined;
        const buckets = input.buckets ?? kept ?? chooseBucketCount({ accountsEstimate, shareBytes: memoryShareBytes });
        return { buckets, accountsEstimate, history, attempt: activityContext()?.info.attempt };
      });
    },

    /**
     * Lists the raw-event objects of a tenant's local day (its UTC hour partitions plus
     * TRAILING_HOURS for late arrivals) and groups them into at most maxPartitions partitions of
     * similar size, each of at least minPartitionBytes of input when the day has that much. Read-only and deterministic: a retry plans the same partitions. A day without
     * raw objects gets one empty partition, so its documents are still written.
     */
    async planPartitions(input: PlanPartitionsInput): Promise<PlanPartitionsResult> {
      return raisingRegisteredFailures(async () => {
        validateRun(input);
        const max = input.maxPartitions;
        if (!Number.isInteger(max) || max < 1 || max > MAX_PARTITIONS_LIMIT) {
          throw new InvalidInputError(
            `maxPartitions ${max} of ${where(input)} must be an integer 1-${MAX_PARTITIONS_LIMIT}`,
          );
        }
        // The 23-25 hour prefixes are listed at once (one round trip each to S3), in hour order.
        const byHour = await Promise.all(
          hoursToRead(input.day, input.timeZone).map(async (hour) => {
            const found: { key: string; size: number; etag?: string }[] = [];
            for await (const o of store.list(rawHourPrefix(input.tenantId, hour))) {
              if (o.key.endsWith('.avro'))
                found.push({ key: o.key, size: o.size, ...(o.etag ? { etag: o.etag } : {}) });
            }
            return found;
          }),
        );
        const objects = byHour.flat();
        const inputBytes = objects.reduce((n, o) => n + o.size, 0);
        const bySize = minPartitionBytes > 0 ? Math.max(1, Math.ceil(inputBytes / minPartitionBytes)) : max;
        return {
          partitions: groupIntoPartitions(objects, Math.min(max, bySize)),
          inputObjects: objects.length,
          inputBytes,
          inputs: objects,
          attempt: activityContext()?.info.attempt,
        };
      });
    },

    /**
     * Aggregates one partition's raw events (filtered to the local day, deduplicated by eventId
     * within the partition, bad data handled by the tenant's policy) into per-account partial
     * states, written at outputKey(run, 'partials/part-XXXX-of-YYYY.avro'). Idempotent: a retry
     * overwrites the same key with the same bytes. Heartbeats { done, total } input objects.
     */
    async aggregatePartition(input: AggregatePartitionInput): Promise<AggregatePartitionResult> {
      return raisingRegisteredFailures(async () => {
        validatePartition(input);
        // The activity context is not current in the thread's message callbacks: capture it here.
        const context = activityContext();
        const result = partitionRunner
          ? await partitionRunner(input, (progress) => context?.heartbeat(progress), context?.cancellationSignal)
          : await aggregatePartitionIn({ store, registry, memoryShareBytes }, input, heartbeat);
        return { ...result, attempt: context?.info.attempt };
      });
    },

    /**
     * Runs one non-partitioned task of the run's pipeline graph (pipelineTaskGraph(version)):
     * reads its inputs from the run's outputs, writes its dataset at a deterministic key, so a
     * retry or rerun overwrites. account-documents writes accounts.avro (AccountDocuments sorted by
     * accountId); daily-usage.avro, rolling.avro and accounts.avro are also what the next day reads.
     * Earlier days are read as planHistory says: the version's own outputs of either kind, then
     * (warm-up) primaryPipelineVersion's and the other versions' primary outputs (docs/metrics.md,
     * "History lookup").
     */
    async runMetricTask(input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      return raisingRegisteredFailures(async () => {
        const pipeline = validateRun(input);
        const spec = pipeline.graph.tasks.find((t) => t.name === input.task);
        if (!spec) {
          throw new InvalidInputError(
            `task ${JSON.stringify(input.task)} is not in pipeline ${input.pipelineVersion} (${where(input)})`,
          );
        }
        if (spec.partitioned) {
          throw new InvalidInputError(
            `task ${spec.name} is the partition fan-out: run planPartitions and aggregatePartition (${where(input)})`,
          );
        }
        validateBucket(input);
        const context = activityContext();
        const result = bucketTaskRunner
          ? await bucketTaskRunner(input, context?.cancellationSignal)
          : await runHere(input);
        return { ...result, attempt: context?.info.attempt };
      });
    },
  };
}

export type MetricActivities = ReturnType<typeof createMetricActivities>;
