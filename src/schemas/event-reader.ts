import * as avro from 'avsc';
import { CorruptDataError } from '../common/errors';
import type { RawEvent } from '../common/events';
import { assertDay } from '../common/days';
import { quarantineKey } from '../common/keys';
import type { RecordCounts } from '../workflows/tenant-days/pipeline-contracts';
import type { ForeignTenantRecord } from '../workflows/tenants/record-tenant';
import {
  FOREIGN_TENANT_FILE,
  foreignTenantMessage,
  foreignTenantQuarantine,
  foreignTenantSummary,
} from '../workflows/tenants/record-tenant';
import type { BadDataPolicy } from '../workflows/tenants/tenant-config';
import { assertTenantId } from '../common/tenant-id';
import type { ObjectStore } from '../storage/object-store';
import { ByteSource } from './byte-source';
import { HASH, RecentIdSet, hashBytes, hashString } from './compact-id-set';
import { BlockInflater } from './block-inflater';
import type { EventColumns } from './event-columns';
import { COLUMN_FIELDS, allocateColumns, columnsFromRecords, compileColumnPlan } from './event-columns';
import type { OcfHeader } from './ocf';
import { OcfFormatError, SYNC_SIZE, parseOcfHeader, readVarLong } from './ocf';
import { projectedReaderType } from './raw-event-schemas';
import type { SchemaRegistry } from './registry';
import { schemaFingerprint } from './registry';

export interface ReadRawEventsOptions {
  store: ObjectStore;
  tenantId: string;
  /** Raw object keys, read in this order. */
  keys: string[];
  /** Events whose occurredAt is outside [startMs, endMs) are counted outOfWindow and not yielded. */
  window?: { startMs: number; endMs: number };
  policy: BadDataPolicy;
  /** The run's day, used in quarantineKey(...). */
  quarantineDate: string;
  /** When given, a file whose writer schema is not registered is bad data ("unknown schema fingerprint"). */
  registry?: SchemaRegistry;
  /**
   * Projection: fields not listed are skipped by the resolver, not materialized (speed). eventId and
   * occurredAt are always read; the yielded objects only have the listed fields.
   */
  fields?: (keyof RawEvent)[];
  /**
   * A copy of an event is recognized when its object is filed (raw/…/date=/hour=/) at most this
   * long after the object holding the first occurrence (default DEFAULT_DEDUPE_HORIZON_MS).
   * Objects whose key has no hour count as one hour.
   */
  dedupeHorizonMs?: number;
  /**
   * Objects read before `keys` only to remember their event ids (another partition's objects just
   * before this one's): a copy of one of their events in `keys` is a duplicate, as it would be if
   * one reader read both. Nothing of theirs is counted, yielded or quarantined.
   */
  dedupeKeys?: string[];
}

/** One bad region of an input object, as found (and, under 'quarantine', where its bytes went). */
export interface BadDataProblem {
  key: string;
  offset: number;
  reason: string;
  /** Records the region declared (0 when its block header was unreadable). */
  records: number;
  quarantineKey: string;
}

export interface ReadRawEventsResult {
  counts: RecordCounts;
  quarantineKeys: string[];
  problems: BadDataProblem[];
}

/** The events, lazily; result() is complete once `events` has been iterated to the end. */
export interface RawEventsReading {
  events: AsyncIterable<RawEvent>;
  // A property, not a method: callers destructure it.
  result: () => ReadRawEventsResult;
}

/** The events of a reading block by block, as columns (see EventColumns); result() as for RawEventsReading. */
export interface RawEventColumnsReading {
  blocks: AsyncIterable<EventColumns>;
  result: () => ReadRawEventsResult;
}

/**
 * Producer retries land in the same hour's object or the next one's: copies filed up to two hours
 * after the original are recognized. Measured in the hours objects are filed under, not in event
 * time, so what counts as a copy depends only on the objects, never on how they were split into
 * partitions: a partition reads the objects of this horizon before its own to know their ids.
 */
export const DEFAULT_DEDUPE_HORIZON_MS = 2 * 3_600_000;

/** The UTC hour a raw object is filed under (raw/tenant=…/date=YYYY-MM-DD/hour=HH/…) as epoch ms; 0 when its key has none. */
export function rawKeyHourMs(key: string): number {
  const m = /\/date=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\//.exec(key);
  return m ? Date.parse(`${m[1]}T${m[2]}:00:00Z`) : 0;
}

/** A block larger than this is a corrupt size field, not data (writers use blocks of a few MB). */
const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

/** Decodes one block's records; throws when the bytes are not exactly `count` records. */
type DecodeBlock<B> = (data: Buffer, count: number) => B;

/**
 * Decides per record whether it is accepted: the reading tenant's, in the window and the first copy
 * of its eventId. A format calls `foreign` (and not `admit`) for a record whose tenantId is not
 * `tenantId`/`tenantBytes` (the same id as UTF-8, for formats that compare bytes).
 */
interface Gate {
  tenantId: string;
  tenantBytes: Buffer;
  foreign(index: number, eventId: string, recordTenantId: string): void;
  admit(occurredAt: number, idA: number, idB: number): boolean;
}

/** How decoded blocks look (objects or columns), and how they pass the gate. */
interface BlockFormat<B, Out> {
  readerType: avro.Type;
  compile(writerType: avro.Type, resolver: avro.Resolver): DecodeBlock<B>;
  /** What the reading yields for a good block (undefined: nothing). */
  screen(block: B, gate: Gate): Out | undefined;
}

interface FileReader<B> {
  decode: DecodeBlock<B>;
  codec: 'null' | 'deflate';
}

/**
 * Reads raw-event container files fast: headers and blocks are parsed here, deflate blocks inflated
 * by zlib into reused buffers (BlockInflater), and records decoded by a resolver from the file's
 * writer schema to the (projected) v3 reader schema, built once per distinct writer schema.
 *
 * Every record is counted exactly once: read = accepted + quarantined + duplicates + outOfWindow. A
 * bad block counts the records its header declares; only bytes skipped while resynchronizing after an
 * unreadable block header cannot be counted (their count was in the destroyed header), and are
 * reported as a problem with records = 0.
 *
 * Duplicates: the first occurrence of an eventId within one call (dedupeKeys included) wins; later
 * ones are dropped. The ids are held with the hour their object is filed under, in a RecentIdSet
 * (8-byte slots, 11-21 bytes per id), and dropped once the objects read are `dedupeHorizonMs` (2 h) past that
 * hour, so memory follows the hourly event rate, not the day's volume. Keys must therefore be given
 * in hour order (raw keys sort by hour).
 *
 * Bad data (truncated file, bad sync marker, undecodable block, unknown or unreadable writer schema)
 * makes a CorruptDataError naming the tenant, key, byte offset and problem. Under policy 'fail' it is
 * thrown from the iteration; under 'quarantine' the bad bytes are written under quarantineKey(...)
 * and reading goes on with the next block (after the next sync marker) or the next file.
 *
 * Records of another tenant: every record's tenantId must be `tenantId`, the tenant whose raw prefix
 * the keys are under. One that is not is checked before anything else (never accepted, out of
 * window or remembered as a duplicate). Under 'fail' the first one is a CorruptDataError naming
 * both tenants, the key and the block; under 'quarantine' each counts as quarantined, and the
 * object's foreign records are listed, each with its reason, in one JSON Lines object at
 * quarantineKey(tenant, day, key, 'foreign-tenant.jsonl') (record-tenant.ts).
 */
export function readRawEvents(options: ReadRawEventsOptions): RawEventsReading {
  const readerType = projectedReaderType(options.fields);
  const format: BlockFormat<RawEvent[], RawEvent[]> = {
    readerType,
    compile: (_writer, resolver) => (data, count) => decodeBlock(readerType, resolver, data, count),
    screen(records, gate) {
      const out: RawEvent[] = [];
      for (let i = 0; i < records.length; i++) {
        const r = records[i];
        if (r.tenantId !== gate.tenantId) {
          gate.foreign(i, r.eventId, r.tenantId);
          continue;
        }
        hashString(r.eventId);
        if (gate.admit(r.occurredAt, HASH[0], HASH[1])) out.push(r);
      }
      return out;
    },
  };
  const { blocks, result } = readBlocks(options, format);
  async function* events(): AsyncGenerator<RawEvent> {
    for await (const accepted of blocks) yield* accepted;
  }
  return { events: events(), result };
}

/**
 * The same reading as readRawEvents (same counts, bad-data handling and duplicates rule), yielding
 * each good block once as columns with `accepted` marks instead of one object per event: the
 * metric engine's fast path. A yielded block is valid until the next one is requested.
 */
export function readRawEventColumns(options: Omit<ReadRawEventsOptions, 'fields'>): RawEventColumnsReading {
  const readerType = projectedReaderType(COLUMN_FIELDS);
  let columns = allocateColumns(4096);
  /** The screened block's event-id hashes, two words per event. */
  let idHashes = new Uint32Array(8192);
  const format: BlockFormat<EventColumns, EventColumns> = {
    readerType,
    compile(writerType, resolver) {
      const plan = compileColumnPlan(writerType);
      if (plan) return (data, count) => (columns = plan.decode(data, count, columns));
      return (data, count) => (columns = columnsFromRecords(decodeBlock(readerType, resolver, data, count), columns));
    },
    // In two passes, hashes then the duplicates table: at ten million events a day every probe of
    // that table misses the cache, and a loop of probes alone lets the processor overlap them.
    screen(block, gate) {
      const { bytes, eventIdAt, eventIdLen, tenantAt, tenantLen, occurredAt, accepted, count } = block;
      const tenant = gate.tenantBytes;
      if (idHashes.length < count * 2) idHashes = new Uint32Array(count * 4);
      const hashes = idHashes;
      for (let i = 0; i < count; i++) {
        if (!sameBytes(bytes, tenantAt[i], tenantLen[i], tenant)) {
          accepted[i] = 0;
          gate.foreign(
            i,
            bytes.toString('utf8', eventIdAt[i], eventIdAt[i] + eventIdLen[i]),
            bytes.toString('utf8', tenantAt[i], tenantAt[i] + tenantLen[i]),
          );
          continue;
        }
        hashBytes(bytes, eventIdAt[i], eventIdLen[i]);
        hashes[i * 2] = HASH[0];
        hashes[i * 2 + 1] = HASH[1];
        accepted[i] = 1;
      }
      for (let i = 0; i < count; i++) {
        if (accepted[i] === 1) accepted[i] = gate.admit(occurredAt[i], hashes[i * 2], hashes[i * 2 + 1]) ? 1 : 0;
      }
      return block;
    },
  };
  return readBlocks(options, format);
}

function readBlocks<B, Out>(
  options: Omit<ReadRawEventsOptions, 'fields'>,
  format: BlockFormat<B, Out>,
): { blocks: AsyncIterable<Out>; result: () => ReadRawEventsResult } {
  const { store, keys, window, policy, registry } = options;
  const tenantId = assertTenantId(options.tenantId);
  const quarantineDate = assertDay(options.quarantineDate, 'quarantineDate');
  const { readerType } = format;
  const counts: RecordCounts = { read: 0, accepted: 0, quarantined: 0, duplicates: 0, outOfWindow: 0 };
  const quarantineKeys: string[] = [];
  const problems: BadDataProblem[] = [];
  const seen = new RecentIdSet(options.dedupeHorizonMs ?? DEFAULT_DEDUPE_HORIZON_MS);
  const inflater = new BlockInflater();
  /** The hour the object being read is filed under: ids are remembered by it. */
  let fileHourMs = 0;
  // Writer schema text -> block decoder; files of one producer version share one.
  const decoders = new Map<string, DecodeBlock<B> | string>();
  const startMs = window?.startMs ?? Number.NEGATIVE_INFINITY;
  const endMs = window?.endMs ?? Number.POSITIVE_INFINITY;
  const tenantBytes = Buffer.from(tenantId, 'utf8');
  /** Where the block being screened starts, and the current object's records of other tenants. */
  let blockAt = 0;
  let foreignRecords: ForeignTenantRecord[] = [];
  const gate: Gate = {
    tenantId,
    tenantBytes,
    // Checked before the window and the duplicates: another tenant's record is none of this
    // tenant's events, not even an out-of-window or duplicate one, so its id is never remembered.
    foreign(index, eventId, recordTenantId) {
      const record = { blockOffset: blockAt, index, eventId, tenantId: recordTenantId };
      if (policy === 'fail') {
        throw new CorruptDataError(
          foreignTenantMessage({ keyTenantId: tenantId, key: currentKey, record }),
          currentKey,
          blockAt,
        );
      }
      counts.quarantined++;
      foreignRecords.push(record);
    },
    admit(t, a, b) {
      if (!(t >= startMs && t < endMs)) counts.outOfWindow++;
      else if (!seen.add(fileHourMs, a, b)) counts.duplicates++;
      else {
        counts.accepted++;
        return true;
      }
      return false;
    },
  };
  // For dedupeKeys: the ids an accepting read would have remembered, and nothing else.
  const remember: Gate = {
    tenantId,
    tenantBytes,
    foreign: () => undefined,
    admit(t, a, b) {
      if (t >= startMs && t < endMs) seen.add(fileHourMs, a, b);
      return false;
    },
  };

  let priming = false;
  let currentKey = '';
  const bad = async (key: string, offset: number, reason: string, bytes: Buffer, records: number, name: string) => {
    // Bad data in another partition's objects is that partition's to report.
    if (priming) return;
    const error = new CorruptDataError(`tenant ${tenantId}: object ${key} at byte ${offset}: ${reason}`, key, offset);
    if (policy === 'fail') throw error;
    const target = quarantineKey(tenantId, quarantineDate, key, name);
    await store.put(target, bytes);
    quarantineKeys.push(target);
    problems.push({ key, offset, reason, records, quarantineKey: target });
    counts.read += records;
    counts.quarantined += records;
  };

  const unreadable = (error: unknown) =>
    `writer schema cannot be read as the current raw-event schema: ${(error as Error).message}`;
  const compileDecoder = async (schemaJson: string): Promise<DecodeBlock<B> | string> => {
    let writerType: avro.Type;
    try {
      writerType = avro.Type.forSchema(JSON.parse(schemaJson) as avro.Schema);
    } catch (error) {
      return unreadable(error);
    }
    const fingerprint = schemaFingerprint(writerType);
    // Outside any try: a registry that cannot be reached (an S3 outage) fails the read, to be
    // retried, instead of sending a good file to quarantine as bad data.
    if (registry && !(await registry.lookup(fingerprint))) return `unknown schema fingerprint ${fingerprint}`;
    try {
      return format.compile(writerType, readerType.createResolver(writerType));
    } catch (error) {
      return unreadable(error);
    }
  };

  const decoderFor = async (header: OcfHeader): Promise<DecodeBlock<B> | string> => {
    const cached = decoders.get(header.schemaJson);
    if (cached !== undefined) return cached;
    const outcome = await compileDecoder(header.schemaJson);
    decoders.set(header.schemaJson, outcome);
    return outcome;
  };

  /** Walks the blocks of a file without decoding them, to count the records of a file quarantined whole. */
  const countRecords = async (source: ByteSource): Promise<number> => {
    let total = 0;
    while (await source.fill(1)) {
      await source.fill(20);
      const count = readVarLong(source.view(), 0);
      const size = count && readVarLong(source.view(), count.pos);
      if (!count || !size || !(count.value >= 0) || !(size.value >= 0)) break;
      total += count.value;
      source.skip(size.pos);
      if (!(await source.fill(size.value + SYNC_SIZE))) break;
      source.skip(size.value + SYNC_SIZE);
    }
    return total;
  };

  /** Writes the current object's foreign records, if any, to one quarantine object listing each with its reason. */
  const quarantineForeign = async (key: string) => {
    const records = foreignRecords;
    foreignRecords = [];
    if (records.length === 0) return;
    const target = quarantineKey(tenantId, quarantineDate, key, FOREIGN_TENANT_FILE);
    await store.put(target, Buffer.from(foreignTenantQuarantine({ keyTenantId: tenantId, key, records }), 'utf8'), {
      contentType: 'application/x-ndjson',
    });
    quarantineKeys.push(target);
    problems.push({
      key,
      offset: records[0].blockOffset,
      reason: foreignTenantSummary({ keyTenantId: tenantId, records }),
      records: records.length,
      quarantineKey: target,
    });
  };

  async function* readFile(key: string): AsyncGenerator<Out> {
    fileHourMs = rawKeyHourMs(key);
    currentKey = key;
    const source = new ByteSource(await store.get(key));
    try {
      // Header.
      let header: OcfHeader | 'incomplete' = 'incomplete';
      try {
        while ((header = parseOcfHeader(source.view())) === 'incomplete') {
          if (!(await source.fill(source.available + 1))) break;
        }
      } catch (error) {
        if (!(error instanceof OcfFormatError)) throw error;
        await bad(key, 0, error.message, await source.rest(), 0, 'whole-file.avro');
        return;
      }
      if (header === 'incomplete') {
        await bad(key, 0, 'truncated file: it ends inside the header', await source.rest(), 0, 'whole-file.avro');
        return;
      }
      const file: FileReader<B> | string = await (async () => {
        const decode = await decoderFor(header);
        if (typeof decode === 'string') return decode;
        if (header.codec !== 'null' && header.codec !== 'deflate') return `unsupported codec ${header.codec}`;
        return { decode, codec: header.codec };
      })();
      source.skip(header.size);
      if (typeof file === 'string') {
        // The whole file goes to quarantine; its blocks are walked only to count what it declared.
        const records = await countRecords(source);
        source.close();
        await bad(key, 0, file, await store.getBytes(key), records, 'whole-file.avro');
        return;
      }

      // Blocks. Each is inflated on this thread as soon as it is read, into the inflater's reused
      // buffers, and the block before it is decoded after that. Inflating on libuv's thread pool
      // overlapped the two, but a worker's partition threads already keep its cores busy, and a
      // fresh buffer per block cost more in garbage collection and cache misses than the overlap
      // gave (the job at 12.5M events and 20k accounts: 16.7 -> 14.7 s). Blocks are still handled
      // strictly in file order: a bad block is reported after the good blocks before it.
      const reader = file;
      let pending: { blockStart: number; declared: number; whole: Buffer; data: Promise<Buffer> } | undefined;
      const settle = async function* (): AsyncGenerator<Out> {
        const block = pending;
        if (!block) return;
        pending = undefined;
        let decoded: B;
        try {
          decoded = reader.decode(await block.data, block.declared);
        } catch (error) {
          await bad(
            key,
            block.blockStart,
            `undecodable block of ${block.declared} records: ${(error as Error).message}`,
            block.whole,
            block.declared,
            `undecodable-at-${block.blockStart}.bin`,
          );
          return;
        }
        blockAt = block.blockStart;
        if (priming) {
          format.screen(decoded, remember);
          return;
        }
        counts.read += block.declared;
        const out = format.screen(decoded, gate);
        if (out !== undefined) yield out;
      };
      while (!(await source.atEnd())) {
        const blockStart = source.offset;
        await source.fill(20);
        const view = source.view();
        const count = readVarLong(view, 0);
        const size = count && readVarLong(view, count.pos);
        if (!count || !size) {
          yield* settle();
          await bad(
            key,
            blockStart,
            'truncated file: it ends inside a block header',
            await source.rest(),
            0,
            `truncated-at-${blockStart}.bin`,
          );
          return;
        }
        if (
          !(count.value >= 0) ||
          !(size.value >= 0) ||
          size.value > MAX_BLOCK_BYTES ||
          count.value > size.value * 8 + 8
        ) {
          // The block header is garbage, so where the block ends is unknown: skip to the next sync marker.
          const { skipped, found } = await source.seek(header.sync);
          if (found) source.skip(SYNC_SIZE);
          yield* settle();
          await bad(
            key,
            blockStart,
            `unreadable block header (count ${count.value}, size ${size.value}); skipped ${skipped.length} bytes to the ${found ? 'next sync marker' : 'end of the file'}, records in them could not be counted`,
            skipped,
            0,
            `unreadable-at-${blockStart}.bin`,
          );
          continue;
        }
        const dataStart = size.pos;
        const declared = count.value;
        if (!(await source.fill(dataStart + size.value + SYNC_SIZE))) {
          yield* settle();
          await bad(
            key,
            blockStart,
            `truncated file: a block of ${declared} records and ${size.value} bytes ends after ${source.available - dataStart} bytes`,
            await source.rest(),
            declared,
            `truncated-at-${blockStart}.bin`,
          );
          return;
        }
        const block = source.view().subarray(0, dataStart + size.value + SYNC_SIZE);
        source.skip(block.length);
        if (!block.subarray(dataStart + size.value).equals(header.sync)) {
          yield* settle();
          await bad(
            key,
            blockStart,
            `bad sync marker after a block of ${declared} records (expected ${header.sync.toString('hex')}, found ${block.subarray(dataStart + size.value).toString('hex')})`,
            Buffer.from(block),
            declared,
            `bad-sync-at-${blockStart}.bin`,
          );
          continue;
        }
        // No copy: the source never writes into bytes it has handed out (a fill makes a new buffer),
        // so this view stays valid while the next block is read.
        const whole = block;
        const data = inflateBlock(inflater, reader.codec, whole.subarray(dataStart, dataStart + size.value));
        // Rejections are handled where the block is settled; never report one as unhandled first.
        data.catch(() => undefined);
        yield* settle();
        pending = { blockStart, declared, whole, data };
      }
      yield* settle();
    } finally {
      source.close();
    }
  }

  async function* all(): AsyncGenerator<Out> {
    priming = true;
    for (const key of options.dedupeKeys ?? []) yield* readFile(key);
    priming = false;
    for (const key of keys) {
      yield* readFile(key);
      await quarantineForeign(key);
    }
  }

  return {
    blocks: all(),
    result: () => ({ counts: { ...counts }, quarantineKeys: [...quarantineKeys], problems: [...problems] }),
  };
}

/** Whether bytes[at, at + len) are exactly `expected` (a short id: a loop beats Buffer.compare's call). */
function sameBytes(bytes: Buffer, at: number, len: number, expected: Buffer): boolean {
  if (len !== expected.length) return false;
  for (let k = 0; k < len; k++) if (bytes[at + k] !== expected[k]) return false;
  return true;
}

/**
 * A block's data as written, decompressed (the codec was checked when the file was opened), or the
 * reason it does not inflate, as a promise settled when the block is.
 */
function inflateBlock(inflater: BlockInflater, codec: 'null' | 'deflate', data: Buffer): Promise<Buffer> {
  // The executor runs now, so the block is inflated here; a throw in it rejects.
  return new Promise((resolve) => resolve(codec === 'null' ? data : inflater.inflate(data)));
}

/** Decodes a whole block before any record is used, so a bad block is quarantined entire, never half-read. */
function decodeBlock(readerType: avro.Type, resolver: avro.Resolver, data: Buffer, count: number): RawEvent[] {
  const out = new Array<RawEvent>(count);
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const decoded: { value: RawEvent; offset: number } = readerType.decode(data, pos, resolver);
    if (decoded.offset < 0) throw new Error(`record ${i} of ${count} runs past the end of the block`);
    out[i] = decoded.value;
    pos = decoded.offset;
  }
  if (pos !== data.length) throw new Error(`${data.length - pos} bytes left over after ${count} records`);
  return out;
}
