import * as avro from 'avsc';
import type { Readable } from 'node:stream';
import { CorruptDataError } from '../common/errors';

const SYNC_BYTES = 16;

/**
 * Streams the records of an account-document container file in batches (the records decoded so
 * far, about one container block), decoded with the writer's own schema from the file header, so
 * fields a newer pipeline version added are seen too instead of being dropped by a reader schema.
 * Memory stays at about one block. Batches rather than single records: a promise per record costs
 * more than decoding it, especially under the async hooks of an activity context.
 *
 * avsc's BlockDecoder silently drops a truncated last block, which would read as a file with fewer
 * accounts. Every block of an object container file ends with the header's sync marker, so a file
 * that does not end with it is cut off (or has trailing garbage): that is a CorruptDataError here.
 */
export async function* readAccountDocumentBatches(
  source: Readable,
  key: string,
): AsyncIterable<Array<Record<string, unknown>>> {
  const decoder = new avro.streams.BlockDecoder();
  let sync: Buffer | undefined;
  let tail: Buffer = Buffer.alloc(0);
  let ended = false;
  let failure: Error | undefined;
  let wake: () => void = () => {};
  decoder.on('metadata', (_type: unknown, _codec: unknown, header: { sync: Buffer }) => {
    sync = header.sync;
  });
  decoder.on('readable', () => wake());
  decoder.on('end', () => {
    ended = true;
    wake();
  });
  decoder.on('error', (error: Error) => {
    failure = error;
    wake();
  });
  source.on('error', (error) => decoder.destroy(error));
  source.on('data', (chunk: Buffer) => {
    tail =
      chunk.length >= SYNC_BYTES
        ? chunk.subarray(chunk.length - SYNC_BYTES)
        : Buffer.concat([tail, chunk]).subarray(-SYNC_BYTES);
  });
  source.pipe(decoder);
  try {
    for (;;) {
      if (failure) throw new CorruptDataError(`${key} is not a readable Avro container file: ${failure.message}`, key);
      const batch: Array<Record<string, unknown>> = [];
      let record: Record<string, unknown> | null;
      while ((record = decoder.read() as Record<string, unknown> | null) !== null) batch.push(record);
      if (batch.length > 0) {
        yield batch;
        continue;
      }
      if (ended) break;
      // No await between the empty read() and here, so no event can slip in before `wake` is set.
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!ended) {
      source.unpipe(decoder);
      source.destroy();
      decoder.destroy();
    }
  }
  if (!sync) throw new CorruptDataError(`${key} is not an Avro container file (no header)`, key);
  if (!tail.equals(sync)) {
    throw new CorruptDataError(`${key} is truncated or has trailing bytes: it does not end with a sync marker`, key);
  }
}

/** The same records one at a time, for consumers that need no speed. */
export async function* readAccountDocuments(source: Readable, key: string): AsyncIterable<Record<string, unknown>> {
  for await (const batch of readAccountDocumentBatches(source, key)) yield* batch;
}
