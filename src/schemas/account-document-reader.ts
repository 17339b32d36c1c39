import * as avro from 'avsc';
import type { Readable } from 'node:stream';
import { CorruptDataError } from '../shared/errors';

const SYNC_BYTES = 16;

/**
 * Streams the records of an account-document container file, decoded with the writer's own schema
 * (from the file header), so fields a newer pipeline version added are seen too instead of being
 * dropped by a reader schema. Blocks are decoded as they arrive; memory stays at about one block.
 *
 * avsc's BlockDecoder silently drops a truncated last block, which would read as a file with fewer
 * accounts. Every block of an object container file ends with the header's sync marker, so a file
 * that does not end with it is cut off (or has trailing garbage): that is a CorruptDataError here.
 */
export async function* readAccountDocuments(source: Readable, key: string): AsyncIterable<Record<string, unknown>> {
  const decoder = new avro.streams.BlockDecoder();
  let sync: Buffer | undefined;
  let tail: Buffer = Buffer.alloc(0);
  decoder.on('metadata', (_type: unknown, _codec: unknown, header: { sync: Buffer }) => {
    sync = header.sync;
  });
  source.on('error', (error) => decoder.destroy(error));
  source.pipe(decoder);
  source.on('data', (chunk: Buffer) => {
    tail =
      chunk.length >= SYNC_BYTES
        ? chunk.subarray(chunk.length - SYNC_BYTES)
        : Buffer.concat([tail, chunk]).subarray(-SYNC_BYTES);
  });
  try {
    for await (const record of decoder) yield record as Record<string, unknown>;
  } catch (error) {
    throw new CorruptDataError(`${key} is not a readable Avro container file: ${(error as Error).message}`, key);
  }
  if (!sync) throw new CorruptDataError(`${key} is not an Avro container file (no header)`, key);
  if (!tail.equals(sync)) {
    throw new CorruptDataError(`${key} is truncated or has trailing bytes: it does not end with a sync marker`, key);
  }
}
