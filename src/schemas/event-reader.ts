import * as avro from 'avsc';
import { CorruptDataError } from '../shared/errors';
import type { RawEvent } from '../shared/events';
import { assertDay } from '../shared/days';
import { quarantineKey } from '../shared/keys';
import type { RecordCounts } from '../shared/pipeline-contracts';
import type { BadDataPolicy } from '../shared/tenant-config';
import { assertTenantId } from '../shared/tenant-id';
import type { ObjectStore } from '../storage/object-store';
import { ByteSource } from './byte-source';
import { CompactIdSet } from './compact-id-set';
import type { OcfHeader } from './ocf';
import { OcfFormatError, SYNC_SIZE, decompressBlock, parseOcfHeader, readVarLong } from './ocf';
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

/** A block larger than this is a corrupt size field, not data (writers use blocks of a few MB). */
const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

interface FileReader {
  resolver: avro.Resolver;
  codec: string;
}

/**
 * Reads raw-event container files fast: headers and blocks are parsed here, deflate blocks inflated
 * with zlib, and records decoded by a resolver from the file's writer schema to the (projected) v3
 * reader schema, built once per distinct writer schema.
 *
 * Every record is counted exactly once: read = accepted + quarantined + duplicates + outOfWindow. A
 * bad block counts the records its header declares; only bytes skipped while resynchronizing after an
 * unreadable block header cannot be counted (their count was in the destroyed header), and are
 * reported as a problem with records = 0.
 *
 * Duplicates: the first occurrence of an eventId within one call wins; later ones are dropped. The ids
 * seen are held in a CompactIdSet (11-21 bytes per accepted event, e.g. ~210 MB for 10M events).
 *
 * Bad data (truncated file, bad sync marker, undecodable block, unknown or unreadable writer schema)
 * makes a CorruptDataError naming the tenant, key, byte offset and problem. Under policy 'fail' it is
 * thrown from the iteration; under 'quarantine' the bad bytes are written under quarantineKey(...)
 * and reading goes on with the next block (after the next sync marker) or the next file.
 */
export function readRawEvents(options: ReadRawEventsOptions): RawEventsReading {
  const { store, keys, window, policy, registry } = options;
  const tenantId = assertTenantId(options.tenantId);
  const quarantineDate = assertDay(options.quarantineDate, 'quarantineDate');
  const readerType = projectedReaderType(options.fields);
  const counts: RecordCounts = { read: 0, accepted: 0, quarantined: 0, duplicates: 0, outOfWindow: 0 };
  const quarantineKeys: string[] = [];
  const problems: BadDataProblem[] = [];
  const seen = new CompactIdSet();
  // Writer schema text -> resolver; files of one producer version share one resolver.
  const resolvers = new Map<string, avro.Resolver | string>();
  const startMs = window?.startMs ?? Number.NEGATIVE_INFINITY;
  const endMs = window?.endMs ?? Number.POSITIVE_INFINITY;

  const bad = async (key: string, offset: number, reason: string, bytes: Buffer, records: number, name: string) => {
    const error = new CorruptDataError(`tenant ${tenantId}: object ${key} at byte ${offset}: ${reason}`, key, offset);
    if (policy === 'fail') throw error;
    const target = quarantineKey(tenantId, quarantineDate, key, name);
    await store.put(target, bytes);
    quarantineKeys.push(target);
    problems.push({ key, offset, reason, records, quarantineKey: target });
    counts.read += records;
    counts.quarantined += records;
  };

  const resolverFor = async (header: OcfHeader): Promise<avro.Resolver | string> => {
    const cached = resolvers.get(header.schemaJson);
    if (cached !== undefined) return cached;
    let outcome: avro.Resolver | string;
    try {
      const writerType = avro.Type.forSchema(JSON.parse(header.schemaJson) as avro.Schema);
      const fingerprint = schemaFingerprint(writerType);
      if (registry && !(await registry.lookup(fingerprint))) outcome = `unknown schema fingerprint ${fingerprint}`;
      else outcome = readerType.createResolver(writerType);
    } catch (error) {
      outcome = `writer schema cannot be read as the current raw-event schema: ${(error as Error).message}`;
    }
    resolvers.set(header.schemaJson, outcome);
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

  async function* readFile(key: string): AsyncGenerator<RawEvent> {
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
      const file: FileReader | string = await (async () => {
        const resolver = await resolverFor(header);
        if (typeof resolver === 'string') return resolver;
        if (header.codec !== 'null' && header.codec !== 'deflate') return `unsupported codec ${header.codec}`;
        return { resolver, codec: header.codec };
      })();
      source.skip(header.size);
      if (typeof file === 'string') {
        // The whole file goes to quarantine; its blocks are walked only to count what it declared.
        const records = await countRecords(source);
        source.close();
        await bad(key, 0, file, await store.getBytes(key), records, 'whole-file.avro');
        return;
      }

      // Blocks.
      while (!(await source.atEnd())) {
        const blockStart = source.offset;
        await source.fill(20);
        const view = source.view();
        const count = readVarLong(view, 0);
        const size = count && readVarLong(view, count.pos);
        if (!count || !size) {
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
        let records: RawEvent[];
        try {
          records = decodeBlock(
            readerType,
            file.resolver,
            decompressBlock(file.codec, block.subarray(dataStart, dataStart + size.value)),
            declared,
          );
        } catch (error) {
          await bad(
            key,
            blockStart,
            `undecodable block of ${declared} records: ${(error as Error).message}`,
            Buffer.from(block),
            declared,
            `undecodable-at-${blockStart}.bin`,
          );
          continue;
        }
        counts.read += records.length;
        for (const record of records) {
          if (!(record.occurredAt >= startMs && record.occurredAt < endMs)) counts.outOfWindow++;
          else if (!seen.add(record.eventId)) counts.duplicates++;
          else {
            counts.accepted++;
            yield record;
          }
        }
      }
    } finally {
      source.close();
    }
  }

  async function* all(): AsyncGenerator<RawEvent> {
    for (const key of keys) yield* readFile(key);
  }

  return {
    events: all(),
    result: () => ({ counts: { ...counts }, quarantineKeys: [...quarantineKeys], problems: [...problems] }),
  };
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
