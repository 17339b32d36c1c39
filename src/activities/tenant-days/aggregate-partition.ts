import type { ObjectStore } from '../../storage/object-store';
import { containerOfEncoded } from '../../schemas/avro-container';
import { readRawEventColumns } from '../../schemas/event-reader';
import type { SchemaRegistry } from '../../schemas/registry';
import { InvalidInputError } from '../../common/errors';
import { outputKey, outputPrefix } from '../../common/keys';
import { localDayWindow } from '../../common/local-day';
import type { AggregatePartitionInput, AggregatePartitionResult } from '../../workflows/tenant-days/pipeline-contracts';
import type { BadDataPolicy } from '../../workflows/tenants/tenant-config';
import { ColumnPartitionAggregator } from '../../metrics/column-aggregator';
import { getPipeline, partialPath } from '../../metrics/pipelines';
import { MAX_BUCKETS, MAX_PARTIAL_RUNS, isBucketCount, partialRunPath } from '../../metrics/buckets';
import { shouldSpill } from '../../metrics/spill-policy';
import { DAY_STATE_SYNC, dayStateType, loc, where } from './datasets';

const HEARTBEAT_EVERY_EVENTS = 100_000;

/** Checks a partition input before any work: run, partition index and count, and that every key is this tenant's raw data. */
export function validatePartition(input: AggregatePartitionInput): void {
  getPipeline(input.pipelineVersion);
  outputPrefix(loc(input)); // validates tenant, day, version and kind
  localDayWindow(input.day, input.timeZone); // validates the time zone
  const { index, count, inputKeys } = input.partition;
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(index) || index < 0 || index >= count) {
    throw new InvalidInputError(`partition ${index} of ${count} of ${where(input)} is invalid`);
  }
  const rawPrefix = `raw/tenant=${input.tenantId}/`;
  const foreign = [...inputKeys, ...(input.partition.dedupeKeys ?? [])].find((k) => !k.startsWith(rawPrefix));
  if (foreign) throw new InvalidInputError(`input key ${foreign} is not a raw key of ${where(input)}`);
  if (input.buckets !== undefined && !isBucketCount(input.buckets)) {
    throw new InvalidInputError(
      `buckets ${String(input.buckets)} of partition ${index} of ${where(input)} must be a power of two from 1 to ${MAX_BUCKETS}`,
    );
  }
}

/** Bucket files of a run written at once: a thousand buckets should not mean a thousand uploads in flight. */
const RUN_WRITES_AT_ONCE = 8;

/**
 * The work of the aggregatePartition activity, wherever it runs (the activity's thread, or a
 * partition thread, see src/workers/partition-threads.ts): aggregates one partition's raw events
 * (filtered to the local day, deduplicated by eventId within the partition, bad data handled by
 * the tenant's policy) into per-account partial states, written at
 * outputKey(run, 'partials/part-XXXX-of-YYYY.avro'). Idempotent: a retry overwrites the same key
 * with the same bytes. Reports { done, total } input objects to `progress`.
 *
 * With `input.buckets` > 1, or when the states outgrow `memoryShareBytes` (checked after each
 * block), the states are written as runs instead: every bucket's states so far go to
 * partialRunPath(bucket, partition, run), every bucket's file even when empty so the keys follow
 * from the counts, and the aggregation starts again empty. The runs of an account fold into its
 * state of the whole partition (AccountStatesMerger), so daily usage is the same whatever the
 * share. Duplicates are still dropped across a spill: the reader keeps the event ids, not the
 * aggregator.
 */
export async function aggregatePartitionIn(
  deps: { store: ObjectStore; registry?: SchemaRegistry; memoryShareBytes?: number },
  input: AggregatePartitionInput,
  progress: (details: { done: number; total: number }) => void,
): Promise<AggregatePartitionResult> {
  const { store, registry } = deps;
  validatePartition(input);
  const { index, count, inputKeys } = input.partition;
  // The version decides which instants belong to the day (v2 carries a planted defect there).
  const window = getPipeline(input.pipelineVersion).eventWindow(input.day, input.timeZone);
  const total = inputKeys.length;
  let opened = 0;
  const counted = new Set(inputKeys);
  // Counts the partition's own objects as the reader opens them, for progress heartbeats.
  const observed: ObjectStore = {
    description: store.description,
    get: (key) => {
      if (counted.has(key)) progress({ done: opened++, total });
      return store.get(key);
    },
    getBytes: (key) => store.getBytes(key),
    put: (key, body, options) => store.put(key, body, options),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
    exists: (key) => store.exists(key),
  };
  const reading = readRawEventColumns({
    store: observed,
    tenantId: input.tenantId,
    keys: inputKeys,
    dedupeKeys: input.partition.dedupeKeys ?? [],
    window,
    policy: input.badDataPolicy satisfies BadDataPolicy,
    quarantineDate: input.day,
    registry,
  });
  const aggregator = new ColumnPartitionAggregator();
  const buckets = input.buckets ?? 1;
  const shareBytes = deps.memoryShareBytes ?? Number.POSITIVE_INFINITY;
  let runs = 0;
  let accounts = 0;
  // Every bucket's states so far as run `runs`, in bucket files of the day-state marker like the single partial.
  const writeRun = async () => {
    if (runs >= MAX_PARTIAL_RUNS) {
      throw new InvalidInputError(
        `partition ${index} of ${count} of ${where(input)} spilled ${MAX_PARTIAL_RUNS} runs: give the worker more memory (DAYBREAK_MEMORY_BUDGET_MB) or plan more partitions`,
      );
    }
    const parts = aggregator.encodedStatesOfBuckets(buckets);
    const run = runs;
    let next = 0;
    const writer = async () => {
      for (let b = next++; b < buckets; b = next++) {
        const key = outputKey(loc(input), partialRunPath({ index: b, count: buckets }, { index, count }, run));
        await store.put(key, await containerOfEncoded(dayStateType, parts[b], { sync: DAY_STATE_SYNC }), {
          contentType: 'avro/binary',
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(RUN_WRITES_AT_ONCE, buckets) }, writer));
    for (const part of parts) accounts += part.ends.length;
    runs++;
  };
  let n = 0;
  for await (const block of reading.blocks) {
    aggregator.addBlock(block);
    n += block.count;
    if (n >= HEARTBEAT_EVERY_EVENTS) {
      n = 0;
      progress({ done: Math.max(0, opened - 1), total });
    }
    if (shouldSpill({ estimatedBytes: aggregator.estimatedBytes(), shareBytes })) {
      await writeRun();
      aggregator.reset();
    }
  }
  const { counts, quarantineKeys } = reading.result();
  if (buckets === 1 && runs === 0) {
    // Written from the columns as Avro bytes: what encoding the states as objects would give.
    const states = aggregator.encodedStates();
    const partialKey = outputKey(loc(input), partialPath(index, count));
    await store.put(partialKey, await containerOfEncoded(dayStateType, states, { sync: DAY_STATE_SYNC }), {
      contentType: 'avro/binary',
    });
    progress({ done: total, total });
    return { partialKey, accounts: states.ends.length, counts, quarantineKeys };
  }
  // A spill just after the last block left nothing for another run.
  if (runs === 0 || aggregator.accountCount > 0) await writeRun();
  await deleteLaterRuns(store, input, buckets, runs);
  progress({ done: total, total });
  return { partialKey: outputKey(loc(input), 'partials') + '/', runs, buckets, accounts, counts, quarantineKeys };
}

/**
 * Deletes this partition's runs numbered `runs` and up, which an earlier attempt with a smaller
 * share wrote: a daily-usage that lists the partials would merge them too. Runs are written for
 * every bucket, so bucket 0's listing shows them all.
 */
async function deleteLaterRuns(
  store: ObjectStore,
  input: AggregatePartitionInput,
  buckets: number,
  runs: number,
): Promise<void> {
  const { index, count } = input.partition;
  const first = outputKey(loc(input), partialRunPath({ index: 0, count: buckets }, { index, count }, 0));
  const prefix = first.slice(0, first.lastIndexOf('/') + 1);
  const own = first.slice(prefix.length).replace(/-run-\d{3}\.avro$/, '-run-');
  const later: number[] = [];
  for await (const o of store.list(prefix)) {
    const name = o.key.slice(prefix.length);
    if (!name.startsWith(own)) continue;
    const run = Number(name.slice(own.length, own.length + 3)) - 1;
    if (run >= runs && run < MAX_PARTIAL_RUNS) later.push(run);
  }
  for (const run of later) {
    for (let b = 0; b < buckets; b++) {
      await store.delete(outputKey(loc(input), partialRunPath({ index: b, count: buckets }, { index, count }, run)));
    }
  }
}

/** Aggregates a (validated) partition somewhere, reporting progress; see aggregatePartitionIn. */
export type PartitionRunner = (
  input: AggregatePartitionInput,
  progress: (details: { done: number; total: number }) => void,
  /** Aborted when the activity is cancelled (or its heartbeat times out): the work stops. */
  signal?: AbortSignal,
) => Promise<AggregatePartitionResult>;
