import { createHash } from 'node:crypto';
import * as avro from 'avsc';
import type { ObjectStore } from '../../storage/object-store';
import { encodeContainerBytes, loadSchema } from '../../schemas/avro-container';
import type { OcfStreamWriter } from '../../schemas/ocf-stream-writer';
import { putStreamed } from '../../schemas/ocf-stream-writer';
import { SYNC_SIZE, parseOcfHeader, readVarLong } from '../../schemas/ocf';
import { CorruptDataError } from '../../common/errors';
import type { OutputLocation } from '../../common/keys';
import type { RunRef } from '../../workflows/tenant-days/pipeline-contracts';
import type { AccountDayState } from '../../metrics/account-state';
import {
  ACCOUNT_DAY_STATE_READER_SCHEMA,
  ACCOUNT_DAY_USAGE_READER_SCHEMA,
  ACCOUNT_DAY_STATE_SCHEMA,
} from '../../metrics/account-state';
import { ROLLING_STATE_SCHEMA } from '../../metrics/rolling';

/**
 * Reading and writing the metric datasets of a run (partials, daily usage, rolling states,
 * attributes, documents): their Avro types, deterministic sync markers, and reads that name the
 * object in every error. The one place that knows how a dataset is laid out in the object store.
 */
export const dayStateType = avro.Type.forSchema(ACCOUNT_DAY_STATE_SCHEMA as avro.Schema);
/** Reads states of this release and of releases before fingerprints (see upgradeAccountDayState). */
export const dayStateReaderType = avro.Type.forSchema(ACCOUNT_DAY_STATE_READER_SCHEMA as avro.Schema);
/** The same, without the value moments and sketch, which rolling windows and documents do not use. */
export const dayUsageReaderType = avro.Type.forSchema(ACCOUNT_DAY_USAGE_READER_SCHEMA as avro.Schema);
export const rollingType = avro.Type.forSchema(ROLLING_STATE_SCHEMA as avro.Schema);
export const attributesType = avro.Type.forSchema(loadSchema('account-attributes.avsc'));
export const documentType = avro.Type.forSchema(loadSchema('account-document.avsc'));

export function where(run: RunRef): string {
  return `tenant ${run.tenantId} day ${run.day} (${run.pipelineVersion}/${run.runKind})`;
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The avsc writer has no "bytes" view of a Uint8Array: fingerprints and registers go out as Buffers. */
export function dayStateForAvro(s: AccountDayState): unknown {
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
export function encodeFile(type: avro.Type, records: readonly unknown[], markerSeed: string): Promise<Buffer> {
  return encodeContainerBytes(type, records, { sync: syncMarker(markerSeed) });
}

export function syncMarker(seed: string): Buffer {
  return createHash('md5').update(seed).digest();
}

/**
 * Partials and the daily-usage dataset share one sync marker, so a day aggregated as a single
 * partition has a partial that already is, byte for byte, its daily usage (merging one sorted
 * partial is the identity), and daily-usage copies it instead of decoding and encoding it again.
 */
export const DAY_STATE_MARKER = 'daybreak.metrics.AccountDayState';
export const DAY_STATE_SYNC = syncMarker(DAY_STATE_MARKER);

/** Records declared by an Avro container file's block headers, without decoding them. */
export function countContainerRecords(bytes: Buffer, key: string): number {
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

export function loc(run: RunRef): OutputLocation {
  return { tenantId: run.tenantId, day: run.day, pipelineVersion: run.pipelineVersion, runKind: run.runKind };
}

/** A dataset writer's sink: `write` an item, waiting only when the writer asks to. */
type Fill<T> = (write: (item: T) => void | Promise<void>) => Promise<void>;

async function streamDataset<T>(
  target: { store: ObjectStore; key: string; type: avro.Type; sync: Buffer },
  add: (writer: OcfStreamWriter, item: T) => boolean,
  fill: Fill<T>,
): Promise<number> {
  const { store, key, type, sync } = target;
  const { records } = await putStreamed(
    store,
    key,
    type,
    { sync },
    (writer) => fill((item) => (add(writer, item) ? undefined : writer.ready())),
    { contentType: 'avro/binary' },
  );
  return records;
}

/**
 * Writes a dataset file record by record as `fill` produces them, streamed to the store a few
 * blocks at a time (OcfStreamWriter), with the block rule of encodeFile: the same records give the
 * same bytes as encodeFile. The writer of the bucket tasks, which never hold a whole dataset.
 * Returns the number of records written.
 */
export function writeStreamed(
  store: ObjectStore,
  key: string,
  type: avro.Type,
  sync: Buffer,
  fill: Fill<unknown>,
): Promise<number> {
  return streamDataset({ store, key, type, sync }, (writer, record) => writer.write(record), fill);
}

/**
 * writeStreamed for records that are already Avro-encoded with `type` (rows copied from a file of
 * the same schema): the same bytes as decoding and writing them.
 */
export function writeEncodedStreamed(
  store: ObjectStore,
  key: string,
  type: avro.Type,
  sync: Buffer,
  fill: Fill<Buffer>,
): Promise<number> {
  return streamDataset({ store, key, type, sync }, (writer, encoded) => writer.writeEncoded(encoded), fill);
}
