import * as avro from 'avsc';
import { PassThrough, Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CorruptDataError } from '../shared/errors';

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
