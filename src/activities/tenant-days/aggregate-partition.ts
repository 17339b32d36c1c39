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
}

/**
 * The work of the aggregatePartition activity, wherever it runs (the activity's thread, or a
 * partition thread, see src/workers/partition-threads.ts): aggregates one partition's raw events
 * (filtered to the local day, deduplicated by eventId within the partition, bad data handled by
 * the tenant's policy) into per-account partial states, written at
 * outputKey(run, 'partials/part-XXXX-of-YYYY.avro'). Idempotent: a retry overwrites the same key
 * with the same bytes. Reports { done, total } input objects to `progress`.
 */
export async function aggregatePartitionIn(
  deps: { store: ObjectStore; registry?: SchemaRegistry },
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
  let n = 0;
  for await (const block of reading.blocks) {
    aggregator.addBlock(block);
    n += block.count;
    if (n >= HEARTBEAT_EVERY_EVENTS) {
      n = 0;
      progress({ done: Math.max(0, opened - 1), total });
    }
  }
  const { counts, quarantineKeys } = reading.result();
  // Written from the columns as Avro bytes: what encoding the states as objects would give.
  const states = aggregator.encodedStates();
  const partialKey = outputKey(loc(input), partialPath(index, count));
  await store.put(partialKey, await containerOfEncoded(dayStateType, states, { sync: DAY_STATE_SYNC }), {
    contentType: 'avro/binary',
  });
  progress({ done: total, total });
  return { partialKey, accounts: states.ends.length, counts, quarantineKeys };
}

/** Aggregates a (validated) partition somewhere, reporting progress; see aggregatePartitionIn. */
export type PartitionRunner = (
  input: AggregatePartitionInput,
  progress: (details: { done: number; total: number }) => void,
  /** Aborted when the activity is cancelled (or its heartbeat times out): the work stops. */
  signal?: AbortSignal,
) => Promise<AggregatePartitionResult>;
