import * as avro from 'avsc';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ObjectStore } from '../../storage/object-store';
import { AlreadyExistsError } from '../../shared/errors';
import { skeletonKey } from '../../shared/keys';
import type {
  ReadSkeletonEventsInput,
  ReadSkeletonEventsResult,
  UploadSkeletonBulkFileInput,
  UploadSkeletonBulkFileResult,
  WriteSkeletonEventsInput,
  WriteSkeletonEventsResult,
} from '../../shared/skeleton-contracts';
import { decodeContainer, encodeContainer, loadSchema } from '../../schemas/avro-container';
import { readAll } from '../../storage/object-store';

interface SkeletonEvent {
  eventId: string;
  tenantId: string;
  accountId: string;
  /** Epoch milliseconds (timestamp-millis, read as a plain number). */
  occurredAt: number;
  payload: string;
}

const skeletonEventType = avro.Type.forSchema(loadSchema('skeleton-event.avsc'));

/** Deterministic events for a tenant-day: a rerun writes the same bytes. */
function* skeletonEvents(tenantId: string, day: string, count: number, payloadBytes: number): Generator<SkeletonEvent> {
  const start = Date.parse(`${day}T00:00:00Z`);
  for (let i = 0; i < count; i++) {
    yield {
      eventId: `${tenantId}-${day}-${i}`,
      tenantId,
      accountId: `acct-${i % 17}`,
      occurredAt: start + ((i * 7919) % 86_400_000),
      // Varied filler so deflate cannot shrink the bulk file below the multipart threshold.
      payload: payloadBytes ? pseudoRandomText(i, payloadBytes) : '',
    };
  }
}

function pseudoRandomText(seed: number, length: number): string {
  let x = (seed * 2654435761) >>> 0 || 1;
  const chars = new Array<string>(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    chars[i] = String.fromCharCode(33 + (x % 94));
  }
  return chars.join('');
}

function fingerprint(type: avro.Type): string {
  return type.fingerprint('sha256').toString('hex');
}

export interface S3SkeletonDeps {
  store: ObjectStore;
}

/** Activities that read and write the object store (S3 in every real deployment). */
export function createS3SkeletonActivities({ store }: S3SkeletonDeps) {
  return {
    /**
     * Writes the skeleton's Avro events file with a conditional create, then proves that a second
     * conditional create of the same key is refused. Idempotent: a retry finds the file there.
     */
    async writeSkeletonEvents(input: WriteSkeletonEventsInput): Promise<WriteSkeletonEventsResult> {
      const key = skeletonKey(input.tenantId, input.day, 'events');
      const body = await readAll(
        encodeContainer(skeletonEventType, skeletonEvents(input.tenantId, input.day, input.events, 16)),
      );
      let bytes = body.length;
      try {
        await store.put(key, body, { ifNoneMatch: true, contentType: 'avro/binary' });
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        bytes = (await store.getBytes(key)).length; // written by an earlier attempt or run
      }
      let overwriteRefused = false;
      try {
        await store.put(key, Buffer.from('not avro'), { ifNoneMatch: true });
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        overwriteRefused = true;
      }
      if (!overwriteRefused) {
        throw ApplicationFailure.nonRetryable(
          `${store.description} accepted an overwrite of ${key} despite If-None-Match: *`,
        );
      }
      return { key, events: input.events, bytes, overwriteRefused };
    },

    /** Streams a large Avro file to the store; above one part it goes up as a multipart upload. */
    async uploadSkeletonBulkFile(input: UploadSkeletonBulkFileInput): Promise<UploadSkeletonBulkFileResult> {
      const key = skeletonKey(input.tenantId, input.day, 'bulk');
      const payloadBytes = 4096;
      const events = Math.ceil(input.minBytes / payloadBytes) + 1;
      // Uncompressed, so the object's size is predictable and crosses the multipart threshold.
      const body = encodeContainer(
        skeletonEventType,
        skeletonEvents(input.tenantId, input.day, events, payloadBytes),
        'null',
      );
      const put = await store.put(key, body, {
        contentType: 'avro/binary',
      });
      Context.current().heartbeat({ bytes: put.bytes });
      return { key, bytes: put.bytes, parts: put.parts, events };
    },

    /** Reads an Avro container file back and counts its records, resolving to the current schema. */
    async readSkeletonEvents(input: ReadSkeletonEventsInput): Promise<ReadSkeletonEventsResult> {
      let events = 0;
      for await (const event of decodeContainer<SkeletonEvent>(
        await store.get(input.key),
        skeletonEventType,
        input.key,
      )) {
        if (!skeletonEventType.isValid(event)) throw ApplicationFailure.nonRetryable(`invalid record in ${input.key}`);
        events++;
      }
      return { key: input.key, events, writerSchemaFingerprint: fingerprint(skeletonEventType) };
    },
  };
}

export type S3SkeletonActivities = ReturnType<typeof createS3SkeletonActivities>;
