import * as avro from 'avsc';
import { PassThrough, Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CorruptDataError } from '../shared/errors';
import { SYNC_SIZE, decompressBlock, parseOcfHeader, readVarLong } from './ocf';

/** Loads a `.avsc` file that sits next to this module. */
export function loadSchema(fileName: string): avro.Schema {
  return JSON.parse(readFileSync(path.join(__dirname, fileName), 'utf8')) as avro.Schema;
}

export type Codec = 'null' | 'deflate';

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

// Resolvers by reader type and writer schema text: building one compiles code, so it is done once.
const resolvers = new WeakMap<avro.Type, Map<string, avro.Resolver>>();

function resolverFor(readerType: avro.Type, schemaJson: string): avro.Resolver {
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
  const fail = (what: string) => new CorruptDataError(`${key} ${what}`, key);
  let header: ReturnType<typeof parseOcfHeader>;
  try {
    header = parseOcfHeader(bytes);
  } catch (error) {
    throw fail(`is not a readable Avro container file: ${(error as Error).message}`);
  }
  if (header === 'incomplete') throw fail('is truncated inside its header');
  const resolver = resolverFor(readerType, header.schemaJson);
  const out: T[] = [];
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
      out.push(decoded.value);
      p = decoded.offset;
    }
    if (p !== data.length) throw fail(`has ${data.length - p} bytes left over in the block at byte ${pos}`);
    pos = end + SYNC_SIZE;
  }
  return out;
}
