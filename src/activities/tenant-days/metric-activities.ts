import { raisingRegisteredFailures } from '../../common/application-failures';
import { InvalidInputError } from '../../common/errors';
import type { ObjectStore } from '../../storage/object-store';
import type { SchemaRegistry } from '../../schemas/registry';
import { outputPrefix, rawHourPrefix } from '../../common/keys';
import { localDayWindow } from '../../common/local-day';
import { DEFAULT_MIN_PARTITION_BYTES } from '../../workflows/tenant-days/pipeline-contracts';
import type {
  AggregatePartitionInput,
  AggregatePartitionResult,
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
import { createMetricTasks } from './metric-tasks';

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
}

/** Activities of the metric engine: they read raw events and stored datasets, and write datasets, in the object store. */
export function createMetricActivities({
  store,
  registry,
  minPartitionBytes = DEFAULT_MIN_PARTITION_BYTES,
  partitionRunner,
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
  const tasks = createMetricTasks(store);

  return {
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
          : await aggregatePartitionIn({ store, registry }, input, heartbeat);
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
        const result = await tasks[spec.name as keyof typeof tasks](input);
        return { ...result, attempt: activityContext()?.info.attempt };
      });
    },
  };
}

export type MetricActivities = ReturnType<typeof createMetricActivities>;
