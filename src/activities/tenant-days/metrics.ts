import { createHash } from 'node:crypto';
import * as avro from 'avsc';
import { Context } from '@temporalio/activity';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';
import {
  containerOfEncoded,
  containerRecords,
  decodeContainerBytes,
  encodeContainerBytes,
  loadSchema,
} from '../../schemas/avro-container';
import { SYNC_SIZE, parseOcfHeader, readVarLong } from '../../schemas/ocf';
import { DEFAULT_DEDUPE_HORIZON_MS, rawKeyHourMs, readRawEventColumns } from '../../schemas/event-reader';
import type { SchemaRegistry } from '../../schemas/registry';
import type { AccountDocument } from '../../workflows/serving/account-document';
import { raisingRegisteredFailures } from '../../common/application-failures';
import { CorruptDataError, InvalidInputError } from '../../common/errors';
import type { AccountAttributes } from '../../common/events';
import type { OutputLocation } from '../../common/keys';
import { attributesKey, outputKey, outputPrefix, rawHourPrefix } from '../../common/keys';
import type { UtcHour } from '../../common/local-day';
import { localDayWindow } from '../../common/local-day';
import { DEFAULT_MIN_PARTITION_BYTES } from '../../workflows/tenant-days/pipeline-contracts';
import type {
  AggregatePartitionInput,
  AggregatePartitionResult,
  PartitionPlan,
  PlanPartitionsInput,
  PlanPartitionsResult,
  RunMetricTaskInput,
  RunMetricTaskResult,
  RunRef,
} from '../../workflows/tenant-days/pipeline-contracts';
import type { BadDataPolicy } from '../../workflows/tenants/tenant-config';
import type {
  AccountDayState,
  AccountDayUsage,
  StoredAccountDayState,
  StoredAccountDayUsage,
} from '../../metrics/account-state';
import {
  ACCOUNT_DAY_STATE_READER_SCHEMA,
  ACCOUNT_DAY_USAGE_READER_SCHEMA,
  ACCOUNT_DAY_STATE_SCHEMA,
  upgradeAccountDayState,
} from '../../metrics/account-state';
import { ColumnPartitionAggregator } from '../../metrics/column-aggregator';
import { AccountStatesMerger } from '../../metrics/states-merger';
import type { RollingState } from '../../metrics/rolling';
import { ROLLING_STATE_SCHEMA, computeRolling } from '../../metrics/rolling';
import type { HistoryDay, HistorySource } from '../../metrics/history-lookup';
import { ROLLING_PROBE_DAYS, planHistory } from '../../metrics/history-lookup';
import {
  MetricDatasets,
  MetricTasks,
  PIPELINE_VERSIONS,
  buildAccountDocuments,
  getPipeline,
  normalizeAttributes,
  partialPath,
} from '../../metrics/pipelines';
import { runTaskGraph } from '../../metrics/task-graph';

/** UTC hours read after the local day's last one, so events that arrive late are still counted. */
export const TRAILING_HOURS = 2;
export const MAX_PARTITIONS_LIMIT = 1024;
const HOUR = 3_600_000;
const HEARTBEAT_EVERY_EVENTS = 100_000;

const dayStateType = avro.Type.forSchema(ACCOUNT_DAY_STATE_SCHEMA as avro.Schema);
/** Reads states of this release and of releases before fingerprints (see upgradeAccountDayState). */
const dayStateReaderType = avro.Type.forSchema(ACCOUNT_DAY_STATE_READER_SCHEMA as avro.Schema);
/** The same, without the value moments and sketch, which rolling windows and documents do not use. */
const dayUsageReaderType = avro.Type.forSchema(ACCOUNT_DAY_USAGE_READER_SCHEMA as avro.Schema);
const rollingType = avro.Type.forSchema(ROLLING_STATE_SCHEMA as avro.Schema);
const attributesType = avro.Type.forSchema(loadSchema('account-attributes.avsc'));
const documentType = avro.Type.forSchema(loadSchema('account-document.avsc'));

function where(run: RunRef): string {
  return `tenant ${run.tenantId} day ${run.day} (${run.pipelineVersion}/${run.runKind})`;
}

/** The current activity's context; in-process runs (tests, the benchmark) have none. */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function heartbeat(details: unknown): void {
  activityContext()?.heartbeat(details);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The avsc writer has no "bytes" view of a Uint8Array: fingerprints and registers go out as Buffers. */
function dayStateForAvro(s: AccountDayState): unknown {
  const buf = (d: AccountDayState['users']) => ({
    fingerprints: asBuffer(d.fingerprints),
    hll: d.hll && asBuffer(d.hll),
  });
  return { ...s, users: buf(s.users), sessions: buf(s.sessions) };
}

/**
 * An Avro object container file with a sync marker derived from `markerSeed` (the dataset path, or
 * DAY_STATE_MARKER), so the same records always give the same bytes (avsc picks a random marker).
 */
function encodeFile(type: avro.Type, records: readonly unknown[], markerSeed: string): Promise<Buffer> {
  return encodeContainerBytes(type, records, { sync: syncMarker(markerSeed) });
}

function syncMarker(seed: string): Buffer {
  return createHash('md5').update(seed).digest();
}

/**
 * Partials and the daily-usage dataset share one sync marker, so a day aggregated as a single
 * partition has a partial that already is, byte for byte, its daily usage (merging one sorted
 * partial is the identity), and daily-usage copies it instead of decoding and encoding it again.
 */
const DAY_STATE_MARKER = 'daybreak.metrics.AccountDayState';
const DAY_STATE_SYNC = syncMarker(DAY_STATE_MARKER);

/** Records declared by an Avro container file's block headers, without decoding them. */
function countContainerRecords(bytes: Buffer, key: string): number {
  const header = parseOcfHeader(bytes);
  if (header === 'incomplete') throw new CorruptDataError(`${key} is truncated inside its header`, key);
  let records = 0;
  let pos = header.size;
  while (pos < bytes.length) {
    const count = readVarLong(bytes, pos);
    const size = count && readVarLong(bytes, count.pos);
    if (
      !count ||
      !size ||
      !(count.value >= 0) ||
      !(size.value >= 0) ||
      size.pos + size.value + SYNC_SIZE > bytes.length
    )
      throw new CorruptDataError(`${key} has an unreadable or truncated block at byte ${pos}`, key);
    const end = size.pos + size.value;
    if (!bytes.subarray(end, end + SYNC_SIZE).equals(header.sync))
      throw new CorruptDataError(`${key} has a bad sync marker at byte ${end}`, key);
    records += count.value;
    pos = end + SYNC_SIZE;
  }
  return records;
}

/** Stored day states as current ones, one at a time. */
function* upgradeEach(rows: Iterable<StoredAccountDayState>): Generator<AccountDayState> {
  for (const row of rows) yield upgradeAccountDayState(row);
}

function upgradeUsage(rows: StoredAccountDayUsage[]): AccountDayUsage[];
function upgradeUsage(rows: StoredAccountDayUsage[] | null): AccountDayUsage[] | null;
/** Stored day usage (of any release) with current distinct states. */
function upgradeUsage(rows: StoredAccountDayUsage[] | null): AccountDayUsage[] | null {
  return rows && rows.map((row) => upgradeAccountDayState(row));
}

async function readFile<T>(store: ObjectStore, key: string, type: avro.Type, what: string): Promise<T[]> {
  const bytes = await store.getBytes(key);
  try {
    return decodeContainerBytes<T>(bytes, type, key);
  } catch (error) {
    throw new CorruptDataError(`${what}: ${key} cannot be decoded: ${(error as Error).message}`, key);
  }
}

/**
 * A stored dataset's records one at a time, decoded as they are taken (containerRecords), with
 * the errors readFile gives; for folds that should not hold a whole file's objects.
 */
async function readEach<T>(store: ObjectStore, key: string, type: avro.Type, what: string): Promise<Iterable<T>> {
  const bytes = await store.getBytes(key);
  const records = containerRecords<T>(bytes, type, key);
  return {
    *[Symbol.iterator]() {
      for (;;) {
        let next: IteratorResult<T>;
        try {
          next = records.next();
        } catch (error) {
          throw new CorruptDataError(`${what}: ${key} cannot be decoded: ${(error as Error).message}`, key);
        }
        if (next.done) return;
        yield next.value;
      }
    },
  };
}

async function readOptional<T>(store: ObjectStore, key: string, type: avro.Type, what: string): Promise<T[] | null> {
  try {
    return await readFile<T>(store, key, type, what);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

function loc(run: RunRef): OutputLocation {
  return { tenantId: run.tenantId, day: run.day, pipelineVersion: run.pipelineVersion, runKind: run.runKind };
}

/** The UTC hour partitions of the local day plus TRAILING_HOURS after it. */
export function hoursToRead(day: string, timeZone: string): UtcHour[] {
  const window = localDayWindow(day, timeZone);
  const hours = [...window.utcHours];
  const last = hours[hours.length - 1];
  const lastMs = Date.parse(`${last.date}T${String(last.hour).padStart(2, '0')}:00:00Z`);
  for (let k = 1; k <= TRAILING_HOURS; k++) {
    const iso = new Date(lastMs + k * HOUR).toISOString();
    hours.push({ date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) });
  }
  return hours;
}

/**
 * Groups objects into at most `max` partitions of contiguous keys (hour order) and similar byte
 * size, none empty. Contiguous, so that each partition has one boundary before it: the objects
 * filed within the duplicate horizon before its first object are its dedupeKeys, read only to
 * know their event ids. A reader holds exactly those ids at that point when it reads the whole
 * day, so the accepted events are the same whatever the number of partitions. Deterministic.
 */
export function groupIntoPartitions(
  objects: { key: string; size: number }[],
  max: number,
  horizonMs = DEFAULT_DEDUPE_HORIZON_MS,
): PartitionPlan[] {
  const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const count = Math.max(1, Math.min(max, sorted.length));
  const total = sorted.reduce((n, o) => n + o.size, 0);
  const groups: string[][] = Array.from({ length: count }, () => []);
  let bytes = 0;
  let g = 0;
  sorted.forEach((o, i) => {
    const groupsAfter = count - 1 - g;
    // Next group once this one has its share, or when each later group needs one of those left.
    if (
      groups[g].length > 0 &&
      groupsAfter > 0 &&
      (bytes >= (total * (g + 1)) / count || sorted.length - i <= groupsAfter)
    )
      g++;
    groups[g].push(o.key);
    bytes += o.size;
  });
  return groups.map((inputKeys, index) => {
    const from = rawKeyHourMs(inputKeys[0]) - horizonMs;
    const before = groups.slice(0, index).flat();
    const dedupeKeys = before.filter((k) => rawKeyHourMs(k) >= from);
    return { index, count, inputKeys, ...(dedupeKeys.length > 0 ? { dedupeKeys } : {}) };
  });
}

/** Checks a partition input before any work: run, partition index and count, and that every key is this tenant's raw data. */
function validatePartition(input: AggregatePartitionInput): void {
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

export interface S3MetricDeps {
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

/** Aggregates a (validated) partition somewhere, reporting progress; see aggregatePartitionIn. */
export type PartitionRunner = (
  input: AggregatePartitionInput,
  progress: (details: { done: number; total: number }) => void,
  /** Aborted when the activity is cancelled (or its heartbeat times out): the work stops. */
  signal?: AbortSignal,
) => Promise<AggregatePartitionResult>;

/** Activities of the metric engine: they read raw events and stored datasets, and write datasets, in the object store. */
export function createS3MetricActivities({
  store,
  registry,
  minPartitionBytes = DEFAULT_MIN_PARTITION_BYTES,
  partitionRunner,
}: S3MetricDeps) {
  if (!Number.isSafeInteger(minPartitionBytes) || minPartitionBytes < 0) {
    throw new InvalidInputError(`minPartitionBytes ${minPartitionBytes} must be a non-negative integer`);
  }
  const validateRun = (run: RunRef) => {
    const pipeline = getPipeline(run.pipelineVersion);
    outputPrefix(loc(run)); // validates tenant, day, version and kind
    localDayWindow(run.day, run.timeZone); // validates the time zone
    return pipeline;
  };

  const sourceKey = (run: RunRef, day: string, source: HistorySource, path: string) =>
    outputKey({ tenantId: run.tenantId, day, ...source }, path);
  const sourceWhere = (run: RunRef, day: string, source: HistorySource, path: string) =>
    `${path} of tenant ${run.tenantId} day ${day} (${source.pipelineVersion}/${source.runKind}), history of ${where(run)}`;

  /** An earlier day's dataset from the first of `history.sources` that has it (see planHistory); null when none has. */
  const readHistory = async <T>(
    run: RunRef,
    history: HistoryDay,
    path: string,
    type: avro.Type,
  ): Promise<T[] | null> => {
    for (const source of history.sources) {
      const key = sourceKey(run, history.day, source, path);
      const found = await readOptional<T>(store, key, type, sourceWhere(run, history.day, source, path));
      if (found !== null) return found;
    }
    return null;
  };

  /**
   * The rolling state of the latest day of `days` (latest first) that any source has, or null.
   * D-1 is read directly (the usual case); further back, ROLLING_PROBE_DAYS days are probed at
   * once with existence checks, so only the state used is ever read and held.
   */
  const readLatestRolling = async (run: RunRef, days: readonly HistoryDay[]): Promise<RollingState[] | null> => {
    if (days.length === 0) return null;
    const first = await readHistory<RollingState>(run, days[0], MetricDatasets.Rolling, rollingType);
    if (first !== null) return first;
    const path = MetricDatasets.Rolling;
    for (let i = 1; i < days.length; i += ROLLING_PROBE_DAYS) {
      // Every (day, source) of the batch at once: a new tenant's first day costs a few round trips, not 90 x 3.
      const candidates = days
        .slice(i, i + ROLLING_PROBE_DAYS)
        .flatMap((history) => history.sources.map((source) => ({ day: history.day, source })));
      const present = await Promise.all(candidates.map((c) => store.exists(sourceKey(run, c.day, c.source, path))));
      // Candidates are in plan order (latest day first, then source order): the first present wins.
      for (const [k, hit] of candidates.entries()) {
        if (!present[k]) continue;
        const key = sourceKey(run, hit.day, hit.source, path);
        // Deleted between the probe and the read: the next candidate is the latest there is.
        const rows = await readOptional<RollingState>(
          store,
          key,
          rollingType,
          sourceWhere(run, hit.day, hit.source, path),
        );
        if (rows !== null) return rows;
      }
    }
    return null;
  };

  const writeDataset = async (run: RunRef, path: string, type: avro.Type, records: readonly unknown[]) => {
    const key = outputKey(loc(run), path);
    await store.put(key, await encodeFile(type, records, path), { contentType: 'avro/binary' });
    return key;
  };

  const tasks = {
    async [MetricTasks.Attributes](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const key = attributesKey(input.tenantId, input.day);
      const rows = await readOptional<AccountAttributes>(store, key, attributesType, `attributes of ${where(input)}`);
      if (rows === null) {
        throw new InvalidInputError(`attribute snapshot ${key} of ${where(input)} does not exist`);
      }
      const foreign = rows.find((r) => r.tenantId !== input.tenantId);
      if (foreign) {
        throw new CorruptDataError(
          `attribute snapshot ${key} of ${where(input)} has a row of tenant ${foreign.tenantId} (account ${foreign.accountId})`,
          key,
        );
      }
      const normalized = normalizeAttributes(rows);
      const written = await writeDataset(input, MetricDatasets.Attributes, attributesType, normalized);
      return { task: input.task, outputKey: written, records: normalized.length };
    },

    async [MetricTasks.DailyUsage](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const prefix = outputKey(loc(input), 'partials') + '/';
      const present: string[] = [];
      for await (const o of store.list(prefix)) present.push(o.key);
      let keys = input.partialKeys;
      if (keys === undefined) {
        const sets = new Set(present.map((k) => /-of-(\d+)\.avro$/.exec(k)?.[1] ?? '?'));
        if (sets.size !== 1 || present.length !== Number([...sets][0])) {
          throw new InvalidInputError(
            `partials under ${prefix} of ${where(input)} are not one complete set (${present.length} objects); rerun from ${MetricTasks.AggregatePartitions}`,
          );
        }
        keys = present;
      }
      for (const k of keys) {
        if (!k.startsWith(prefix)) throw new InvalidInputError(`partial ${k} is not a partial of ${where(input)}`);
      }
      const deleteStale = async (keep: Set<string>) => {
        // Partials of an earlier plan (another partition count) would make a later rerun ambiguous.
        for (const k of present) if (!keep.has(k)) await store.delete(k);
      };
      if (keys.length === 1) {
        const bytes = await store.getBytes(keys[0]).catch((error: unknown) => {
          if (error instanceof NotFoundError)
            throw new InvalidInputError(`partial ${keys[0]} of ${where(input)} does not exist`);
          throw error;
        });
        const records = countContainerRecords(bytes, keys[0]);
        const key = outputKey(loc(input), MetricDatasets.DailyUsage);
        await store.put(key, bytes, { contentType: 'avro/binary' });
        await deleteStale(new Set(keys));
        return { task: input.task, outputKey: key, records };
      }
      // One partial at a time: memory follows the accounts, not accounts times partitions.
      const merger = new AccountStatesMerger();
      for (const k of keys) {
        try {
          const partial = await readEach<StoredAccountDayState>(
            store,
            k,
            dayStateReaderType,
            `partial of ${where(input)}`,
          );
          merger.add(upgradeEach(partial));
        } catch (error) {
          if (error instanceof NotFoundError)
            throw new InvalidInputError(`partial ${k} of ${where(input)} does not exist`);
          throw error;
        }
      }
      const merged = merger.result();
      const key = outputKey(loc(input), MetricDatasets.DailyUsage);
      await store.put(key, await encodeFile(dayStateType, merged.map(dayStateForAvro), DAY_STATE_MARKER), {
        contentType: 'avro/binary',
      });
      const written = key;
      await deleteStale(new Set(keys));
      return { task: input.task, outputKey: written, records: merged.length };
    },

    async [MetricTasks.RollingWindows](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const todayKey = outputKey(loc(input), MetricDatasets.DailyUsage);
      const today = upgradeUsage(
        await readOptional<StoredAccountDayUsage>(
          store,
          todayKey,
          dayUsageReaderType,
          `daily usage of ${where(input)}`,
        ),
      );
      if (today === null) {
        throw new InvalidInputError(
          `${todayKey} of ${where(input)} does not exist; run ${MetricTasks.DailyUsage} first`,
        );
      }
      const plan = planHistory({ ...input, knownVersions: PIPELINE_VERSIONS });
      // The 29 days are read at once, as before; each day tries its sources one after the other.
      const [history, previous] = await Promise.all([
        Promise.all(
          plan.usage.map((day) =>
            readHistory<StoredAccountDayUsage>(input, day, MetricDatasets.DailyUsage, dayUsageReaderType).then(
              upgradeUsage,
            ),
          ),
        ),
        readLatestRolling(input, plan.rolling),
      ]);
      const rolling = computeRolling({ today, history, previous });
      const written = await writeDataset(input, MetricDatasets.Rolling, rollingType, rolling);
      return { task: input.task, outputKey: written, records: rolling.length };
    },

    async [MetricTasks.AccountDocuments](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const need = async <T>(path: string, type: avro.Type, task: string) => {
        const key = outputKey(loc(input), path);
        const rows = await readOptional<T>(store, key, type, `${path} of ${where(input)}`);
        if (rows === null) throw new InvalidInputError(`${key} of ${where(input)} does not exist; run ${task} first`);
        return rows;
      };
      const plan = planHistory({ ...input, knownVersions: PIPELINE_VERSIONS });
      const [today, rolling, attributes, previous] = await Promise.all([
        need<StoredAccountDayUsage>(MetricDatasets.DailyUsage, dayUsageReaderType, MetricTasks.DailyUsage).then(
          (rows) => upgradeUsage(rows),
        ),
        need<RollingState>(MetricDatasets.Rolling, rollingType, MetricTasks.RollingWindows),
        need<AccountAttributes>(MetricDatasets.Attributes, attributesType, MetricTasks.Attributes),
        // healthDelta compares with this version's own score of D-1 (either kind), never another version's.
        readHistory<AccountDocument>(input, plan.documents, MetricDatasets.Accounts, documentType),
      ]);
      const documents = buildAccountDocuments({
        tenantId: input.tenantId,
        day: input.day,
        pipeline: getPipeline(input.pipelineVersion),
        today,
        rolling,
        attributes,
        previous,
      });
      const written = await writeDataset(input, MetricDatasets.Accounts, documentType, documents);
      return { task: input.task, outputKey: written, records: documents.length };
    },
  };

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

export type S3MetricActivities = ReturnType<typeof createS3MetricActivities>;

export interface RunMetricJobOptions extends RunRef {
  activities: S3MetricActivities;
  maxPartitions: number;
  badDataPolicy: BadDataPolicy;
  fromTask?: string;
  primaryPipelineVersion?: string;
  /** Partitions aggregated at once (in-process: overlaps I/O only). */
  concurrency?: number;
}

export interface RunMetricJobResult {
  partitions: AggregatePartitionResult[];
  tasks: RunMetricTaskResult[];
  ran: string[];
}

/**
 * Runs a whole tenant-day in-process, the way the tenant-day workflow does with activities: the
 * task graph in dependency order, the fan-out task as plan + one aggregation per partition. For
 * tests, the benchmark and local tools.
 */
export async function runMetricJobInProcess(options: RunMetricJobOptions): Promise<RunMetricJobResult> {
  const { activities, maxPartitions, badDataPolicy, primaryPipelineVersion, ...rest } = options;
  const run: RunRef = {
    tenantId: rest.tenantId,
    day: rest.day,
    timeZone: rest.timeZone,
    pipelineVersion: rest.pipelineVersion,
    runKind: rest.runKind,
  };
  const concurrency = options.concurrency ?? 2;
  const partitions: AggregatePartitionResult[] = [];
  const taskResults: RunMetricTaskResult[] = [];
  const { ran } = await runTaskGraph<string[]>({
    graph: getPipeline(run.pipelineVersion).graph,
    fromTask: options.fromTask,
    concurrency: 2,
    runTask: async (task, inputs) => {
      if (task.partitioned) {
        const plan = await activities.planPartitions({ ...run, maxPartitions });
        const queue = [...plan.partitions];
        const worker = async () => {
          for (let p = queue.shift(); p; p = queue.shift()) {
            partitions.push(await activities.aggregatePartition({ ...run, partition: p, badDataPolicy }));
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        return partitions.map((p) => p.partialKey);
      }
      const result = await activities.runMetricTask({
        ...run,
        task: task.name,
        partialKeys: inputs[MetricTasks.AggregatePartitions],
        primaryPipelineVersion,
      });
      taskResults.push(result);
      return [result.outputKey];
    },
  });
  return { partitions, tasks: taskResults, ran };
}
