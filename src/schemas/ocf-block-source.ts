import * as avro from 'avsc';
import type { Readable } from 'node:stream';
import { inflateRaw as inflateRawCallback } from 'node:zlib';
import { promisify } from 'node:util';
import { CorruptDataError } from '../common/errors';
import { resolverFor } from './avro-container';
import { ByteSource } from './byte-source';
import { SYNC_SIZE, inflateChunkSize, parseOcfHeader, readVarLong } from './ocf';
import type { OcfHeader } from './ocf';

const inflateRaw = promisify(inflateRawCallback);

export interface BlocksOfOptions {
  /**
   * Blocks inflated ahead, on libuv's thread pool, while this thread decodes the current one. Each
   * costs an inflated block of memory per source: a join over a thousand files wants 0 or 1.
   */
  readAhead?: number;
}

/** One block as it sits in the file: where it starts, its record count and its (compressed) data. */
interface RawBlock {
  at: number;
  count: number;
  data: Buffer;
  /** Bytes of the whole block in the file: header, data and sync marker. */
  length: number;
}

/** Where the blocks come from: a whole file in memory or a stream read on demand. */
interface BlockReader {
  header(): Promise<OcfHeader>;
  next(): Promise<RawBlock | undefined>;
  close(): void;
}

/**
 * The records of an Avro object container file one block at a time, resolved from the writer's
 * schema (the file header) to `readerType` as decodeContainer does: what the bucket tasks feed
 * joinSorted, holding one decoded block (and `readAhead` inflated ones) per file. A file cut short,
 * a bad sync marker or an undecodable block is a CorruptDataError naming `key`, the same checks as
 * containerRecords.
 */
export function blocksOf<T>(
  source: Readable | Buffer,
  readerType: avro.Type,
  key = 'object',
  options: BlocksOfOptions = {},
): AsyncGenerator<T[]> {
  return decodedBlocks(source, key, options, (header) => {
    const resolver = resolverFor(readerType, header.schemaJson);
    return (data, block, fail) => decodeBlock<T>(data, block, readerType, resolver, fail);
  });
}

/** A record's sort key and its bytes in a type's encoding. */
export interface EncodedRow {
  key: string;
  bytes: Buffer;
  /** The fields decoded: the key field and EncodedRowsOptions.alsoDecode (more for a file of another schema). */
  value: Record<string, unknown>;
}

export interface EncodedRowsOptions extends BlocksOfOptions {
  /** Fields decoded beside the key field (a check on each row, such as its tenant). */
  alsoDecode?: readonly string[];
}

/**
 * The records of a container file one block at a time as their string field `keyField` and their
 * bytes encoded with `type`, the other fields skipped rather than decoded: what a k-way merge of
 * files of one schema copies as it is (OcfStreamWriter.writeEncoded), as Spark's shuffle merges
 * serialized rows. A file written with another schema than `type` is decoded and encoded again,
 * so the bytes are always `type`'s. The same checks as blocksOf.
 */
export function encodedRowsOf(
  source: Readable | Buffer,
  type: avro.Type,
  keyField: string,
  key = 'object',
  options: EncodedRowsOptions = {},
): AsyncGenerator<EncodedRow[]> {
  return decodedBlocks(source, key, options, (header) => {
    const writer = avro.Type.forSchema(JSON.parse(header.schemaJson) as avro.Schema);
    if (!writer.equals(type)) {
      const resolver = resolverFor(type, header.schemaJson);
      return (data, block, fail) =>
        decodeBlock<Record<string, unknown>>(data, block, type, resolver, fail).map((row) => ({
          key: row[keyField] as string,
          bytes: type.toBuffer(row),
          value: row,
        }));
    }
    const keyType = keyTypeOf(type, [keyField, ...(options.alsoDecode ?? [])]);
    const resolver = keyType.createResolver(type);
    return (data, block, fail) => {
      const rows = new Array<EncodedRow>(block.count);
      let p = 0;
      for (let i = 0; i < block.count; i++) {
        const decoded: { value: Record<string, unknown>; offset: number } = keyType.decode(data, p, resolver);
        if (decoded.offset < 0) throw fail(`has a block at byte ${block.at} whose record ${i} runs past its end`);
        rows[i] = {
          key: decoded.value[keyField] as string,
          bytes: data.subarray(p, decoded.offset),
          value: decoded.value,
        };
        p = decoded.offset;
      }
      if (p !== data.length) throw fail(`has ${data.length - p} bytes left over in the block at byte ${block.at}`);
      return rows;
    };
  });
}

const keyTypes = new WeakMap<avro.Type, Map<string, avro.Type>>();

/** A record type of `type`'s name with only `fields` (of their types there): resolving `type` to it skips every other field. */
function keyTypeOf(type: avro.Type, fields: readonly string[]): avro.Type {
  let byFields = keyTypes.get(type);
  if (!byFields) keyTypes.set(type, (byFields = new Map<string, avro.Type>()));
  let keyType = byFields.get(fields.join());
  if (!keyType) {
    const record = type as avro.types.RecordType;
    if (!record.name || !record.fields) throw new TypeError('encodedRowsOf reads records of a named record type');
    keyType = avro.Type.forSchema({
      type: 'record',
      name: record.name,
      fields: fields.map((name) => {
        const field = record.fields.find((f) => f.name === name);
        if (!field) throw new TypeError(`${record.name} has no field ${name}`);
        return { name, type: field.type.schema() };
      }),
    });
    byFields.set(fields.join(), keyType);
  }
  return keyType;
}

type BlockDecoder<R> = (data: Buffer, block: RawBlock, fail: Fail) => R[];

async function* decodedBlocks<R>(
  source: Readable | Buffer,
  key: string,
  options: BlocksOfOptions,
  decoderFor: (header: OcfHeader) => BlockDecoder<R>,
): AsyncGenerator<R[]> {
  const readAhead = Math.max(0, options.readAhead ?? 1);
  const fail = (what: string) => new CorruptDataError(`${key} ${what}`, key);
  const reader = Buffer.isBuffer(source) ? bufferBlocks(source, fail) : streamBlocks(source, fail);
  try {
    const header = await reader.header();
    if (header.codec !== 'null' && header.codec !== 'deflate') {
      throw fail(`is not a readable Avro container file: unsupported codec ${JSON.stringify(header.codec)}`);
    }
    const decode = decoderFor(header);
    const ahead: { block: RawBlock; data: Promise<Buffer> }[] = [];
    let exhausted = false;
    for (;;) {
      while (!exhausted && ahead.length <= readAhead) {
        const block = await reader.next();
        if (!block) {
          exhausted = true;
          break;
        }
        const data = inflate(header.codec, block.data).catch((error: Error) => {
          throw fail(`has a block at byte ${block.at} that does not decompress: ${error.message}`);
        });
        // Awaited in order below; until then a failure must not count as unhandled.
        data.catch(() => undefined);
        ahead.push({ block, data });
      }
      const next = ahead.shift();
      if (!next) return;
      yield decode(await next.data, next.block, fail);
    }
  } finally {
    reader.close();
  }
}

function inflate(codec: string, data: Buffer): Promise<Buffer> {
  return codec === 'null' ? Promise.resolve(data) : inflateRaw(data, { chunkSize: inflateChunkSize(data) });
}

function decodeBlock<T>(
  data: Buffer,
  block: RawBlock,
  readerType: avro.Type,
  resolver: avro.Resolver,
  fail: (what: string) => CorruptDataError,
): T[] {
  const rows = new Array<T>(block.count);
  let p = 0;
  for (let i = 0; i < block.count; i++) {
    const decoded: { value: T; offset: number } = readerType.decode(data, p, resolver);
    if (decoded.offset < 0) throw fail(`has a block at byte ${block.at} whose record ${i} runs past its end`);
    p = decoded.offset;
    rows[i] = decoded.value;
  }
  if (p !== data.length) throw fail(`has ${data.length - p} bytes left over in the block at byte ${block.at}`);
  return rows;
}

type Fail = (what: string) => CorruptDataError;

function parsedHeader(bytes: Buffer, fail: Fail): OcfHeader | 'incomplete' {
  try {
    return parseOcfHeader(bytes);
  } catch (error) {
    throw fail(`is not a readable Avro container file: ${(error as Error).message}`);
  }
}

/** Checks a block whose header starts at bytes[0] and returns it, or how many bytes it needs. */
function blockAt(bytes: Buffer, at: number, sync: Buffer, complete: boolean, fail: Fail): RawBlock | number {
  const count = readVarLong(bytes, 0);
  const size = count && readVarLong(bytes, count.pos);
  if (!count || !size) {
    if (complete) throw fail(`is truncated: it ends inside the block header at byte ${at}`);
    return 20;
  }
  if (!(count.value >= 0) || !(size.value >= 0)) throw fail(`has an unreadable block header at byte ${at}`);
  const end = size.pos + size.value;
  if (end + SYNC_SIZE > bytes.length) {
    if (complete) throw fail(`is truncated: the block at byte ${at} is cut short`);
    return end + SYNC_SIZE;
  }
  if (!bytes.subarray(end, end + SYNC_SIZE).equals(sync)) throw fail(`has a bad sync marker at byte ${at + end}`);
  return { at, count: count.value, data: bytes.subarray(size.pos, end), length: end + SYNC_SIZE };
}

function bufferBlocks(bytes: Buffer, fail: Fail): BlockReader {
  let pos = 0;
  let sync: Buffer = Buffer.alloc(0);
  return {
    header() {
      const header = parsedHeader(bytes, fail);
      if (header === 'incomplete') throw fail('is truncated inside its header');
      pos = header.size;
      sync = header.sync;
      return Promise.resolve(header);
    },
    next() {
      if (pos >= bytes.length) return Promise.resolve(undefined);
      const block = blockAt(bytes.subarray(pos), pos, sync, true, fail) as RawBlock;
      pos += block.length;
      return Promise.resolve(block);
    },
    close() {},
  };
}

function streamBlocks(stream: Readable, fail: Fail): BlockReader {
  const source = new ByteSource(stream);
  let sync: Buffer = Buffer.alloc(0);
  return {
    async header() {
      for (let want = 4096; ; want *= 2) {
        const complete = !(await source.fill(want));
        const header = parsedHeader(source.view(), fail);
        if (header !== 'incomplete') {
          source.skip(header.size);
          sync = header.sync;
          return header;
        }
        if (complete) throw fail('is truncated inside its header');
      }
    },
    async next() {
      if (await source.atEnd()) return undefined;
      const at = source.offset;
      let want = 20;
      for (;;) {
        const complete = !(await source.fill(want));
        const found = blockAt(source.view(), at, sync, complete, fail);
        if (typeof found !== 'number') {
          source.skip(found.length);
          return found;
        }
        want = found;
      }
    },
    close() {
      source.close();
    },
  };
}
