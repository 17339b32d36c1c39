import * as avro from 'avsc';
import { PassThrough, Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CorruptDataError } from '../common/errors';
import { deflateRaw as deflateRawCallback } from 'node:zlib';
import { promisify } from 'node:util';
import {
  RecordBuffer,
  SYNC_SIZE,
  decompressBlock,
  encodeOcfHeader,
  parseOcfHeader,
  readVarLong,
  writeVarLong,
} from './ocf';
import type { Codec } from './ocf';

const deflateRaw = promisify(deflateRawCallback);

/** Loads a `.avsc` file that sits next to this module. */
export function loadSchema(fileName: string): avro.Schema {
  return JSON.parse(readFileSync(path.join(__dirname, fileName), 'utf8')) as avro.Schema;
}

/**
 * Encodes records as an Avro object container file, streamed: blocks are emitted as they fill, so
 * memory stays at one block whatever the number of records.
 */
export function encodeContainer<T>(
  type: avro.Type,
  records: Iterable<T> | AsyncIterable<T>,
  codec: Codec = 'deflate',
): Readable {
  const encoder = new avro.streams.BlockEncoder(type, { codec, writeHeader: true });
  const out = new PassThrough();
  // Errors must reach the consumer of `out`; an unhandled 'error' event would kill the process.
  encoder.on('error', (error) => out.destroy(error));
  encoder.pipe(out);
  Readable.from(records as AsyncIterable<T>, { objectMode: true })
    .on('error', (error) => out.destroy(error))
    .pipe(encoder);
  return out;
}

export interface EncodeContainerBytesOptions {
  /** 16 bytes; the same marker gives the same bytes for the same records. */
  sync: Buffer;
  codec?: Codec;
  /**
   * zlib level of deflate blocks; 1 by default: the day states are mostly hashes and registers,
   * which level 6 shrinks by 3% more (documents by 11%) at two to three times the time.
   */
  level?: number;
  /** A block is closed after the record that takes it to at least this many bytes. */
  blockBytes?: number;
}

/**
 * Encodes records as a whole object container file in memory: the writer for the datasets the
 * pipeline writes (a few MB each). Records are serialized in one pass into one buffer, then the
 * blocks are compressed at once on libuv's thread pool, so a core the caller is not using does the
 * deflating. Deterministic: same records, type, sync and options give the same bytes. The header
 * carries the schema the way avsc's BlockEncoder writes it, so avsc and every other Avro reader
 * read the file.
 */
export async function encodeContainerBytes(
  type: avro.Type,
  records: readonly unknown[],
  options: EncodeContainerBytesOptions,
): Promise<Buffer> {
  const out = new RecordBuffer(Math.max(1024, options.blockBytes ?? DEFAULT_BLOCK_BYTES));
  const ends = new Int32Array(records.length);
  records.forEach((record, i) => {
    out.append(type, record);
    ends[i] = out.pos;
  });
  return containerOfEncoded(type, { buf: out.buf.subarray(0, out.pos), ends }, options);
}

/** Records already Avro-encoded one after another with some type: record i ends at ends[i]. */
export interface EncodedRecords {
  buf: Buffer;
  ends: ArrayLike<number>;
}

const DEFAULT_BLOCK_BYTES = 256 * 1024;

/** encodeContainerBytes for records encoded already (the partials, written from columns). */
export async function containerOfEncoded(
  type: avro.Type,
  encoded: EncodedRecords,
  options: EncodeContainerBytesOptions,
): Promise<Buffer> {
  const { sync, codec = 'deflate', level = 1, blockBytes = DEFAULT_BLOCK_BYTES } = options;
  const { buf, ends } = encoded;
  const blocks: { start: number; end: number; count: number }[] = [];
  let blockStart = 0;
  let blockCount = 0;
  for (let i = 0; i < ends.length; i++) {
    blockCount++;
    if (ends[i] - blockStart >= blockBytes || i === ends.length - 1) {
      blocks.push({ start: blockStart, end: ends[i], count: blockCount });
      blockStart = ends[i];
      blockCount = 0;
    }
  }
  const schemaJson = JSON.stringify(type.schema({ exportAttrs: true }));
  const datas = await Promise.all(
    blocks.map(({ start, end }) => {
      const raw = buf.subarray(start, end);
      return codec === 'deflate' ? deflateRaw(raw, { level }) : Promise.resolve(raw);
    }),
  );
  const parts: Buffer[] = [encodeOcfHeader(schemaJson, codec, sync)];
  blocks.forEach((block, i) => parts.push(writeVarLong(block.count), writeVarLong(datas[i].length), datas[i], sync));
  return Buffer.concat(parts);
}

/**
 * Decodes an object container file, resolving the writer's schema (from the file header) to the
 * reader's schema, so files written by older producers read as the current shape. A file cut short
 * is an error naming `key`: avsc's BlockDecoder would otherwise end quietly with fewer records.
 */
export async function* decodeContainer<T>(source: Readable, readerType: avro.Type, key = 'object'): AsyncIterable<T> {
  const decoder = new avro.streams.BlockDecoder({ readerSchema: readerType });
  source.on('error', (error) => decoder.destroy(error));
  let sawHeader = false;
  decoder.once('metadata', () => {
    sawHeader = true;
  });
  decoder.on('finish', () => {
    // The decoder keeps the bytes of an incomplete header or block in its tap (avsc 5.7.9, pinned).
    const tap = (decoder as unknown as { _tap?: { buf: Buffer; pos: number } })._tap;
    const left = !tap ? 0 : sawHeader ? tap.buf.length - tap.pos : tap.buf.length;
    if (left > 0) {
      decoder.destroy(
        new CorruptDataError(`${key} is truncated: ${left} trailing bytes are not a whole Avro block`, key),
      );
    }
  });
  source.pipe(decoder);
  for await (const record of decoder) yield record as T;
}

// Resolvers by reader type and writer schema text: building one compiles code, so it is done once
// (exported for the block source, src/schemas/ocf-block-source.ts).
const resolvers = new WeakMap<avro.Type, Map<string, avro.Resolver>>();

export function resolverFor(readerType: avro.Type, schemaJson: string): avro.Resolver {
  let byWriter = resolvers.get(readerType);
  if (!byWriter) {
    byWriter = new Map();
    resolvers.set(readerType, byWriter);
  }
  let resolver = byWriter.get(schemaJson);
  if (!resolver) {
    resolver = readerType.createResolver(avro.Type.forSchema(JSON.parse(schemaJson) as avro.Schema));
    byWriter.set(schemaJson, resolver);
  }
  return resolver;
}

/**
 * Decodes a whole object container file held in memory, synchronously: the reader for the
 * datasets the pipeline writes and reads back (a few MB each), where a stream and an await per
 * record cost more than the decoding. Same resolution as decodeContainer; any truncation, bad sync
 * marker or undecodable block is a CorruptDataError naming `key`.
 */
export function decodeContainerBytes<T>(bytes: Buffer, readerType: avro.Type, key = 'object'): T[] {
  return [...containerRecords<T>(bytes, readerType, key)];
}

/**
 * The records of decodeContainerBytes one at a time, decoded as they are taken: a consumer that
 * folds them (the daily-usage merge) keeps one record alive at a time instead of a whole file's
 * objects, which the garbage collector would otherwise move to the old generation first. The
 * checks are the same, made as the iteration reaches each block.
 */
export function* containerRecords<T>(bytes: Buffer, readerType: avro.Type, key = 'object'): Generator<T> {
  const fail = (what: string) => new CorruptDataError(`${key} ${what}`, key);
  let header: ReturnType<typeof parseOcfHeader>;
  try {
    header = parseOcfHeader(bytes);
  } catch (error) {
    throw fail(`is not a readable Avro container file: ${(error as Error).message}`);
  }
  if (header === 'incomplete') throw fail('is truncated inside its header');
  const resolver = resolverFor(readerType, header.schemaJson);
  let pos = header.size;
  while (pos < bytes.length) {
    const count = readVarLong(bytes, pos);
    const size = count && readVarLong(bytes, count.pos);
    if (!count || !size) throw fail(`is truncated: it ends inside the block header at byte ${pos}`);
    if (!(count.value >= 0) || !(size.value >= 0)) throw fail(`has an unreadable block header at byte ${pos}`);
    const end = size.pos + size.value;
    if (end + SYNC_SIZE > bytes.length) throw fail(`is truncated: the block at byte ${pos} is cut short`);
    if (!bytes.subarray(end, end + SYNC_SIZE).equals(header.sync)) throw fail(`has a bad sync marker at byte ${end}`);
    let data: Buffer;
    try {
      data = decompressBlock(header.codec, bytes.subarray(size.pos, end));
    } catch (error) {
      throw fail(`has a block at byte ${pos} that does not decompress: ${(error as Error).message}`);
    }
    let p = 0;
    for (let i = 0; i < count.value; i++) {
      const decoded: { value: T; offset: number } = readerType.decode(data, p, resolver);
      if (decoded.offset < 0) throw fail(`has a block at byte ${pos} whose record ${i} runs past its end`);
      p = decoded.offset;
      yield decoded.value;
    }
    if (p !== data.length) throw fail(`has ${data.length - p} bytes left over in the block at byte ${pos}`);
    pos = end + SYNC_SIZE;
  }
}
