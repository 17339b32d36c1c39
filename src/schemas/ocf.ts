import * as avro from 'avsc';
import { Readable } from 'node:stream';
import { deflateRaw as deflateRawCallback, inflateRawSync } from 'node:zlib';
import { promisify } from 'node:util';

const deflateRaw = promisify(deflateRawCallback);

/**
 * Avro object container files, parsed and written by hand. avsc's BlockDecoder emits one stream
 * event per record and BlockEncoder picks a random sync marker; the reader needs block-level control
 * (offsets, resync, quarantine of a whole block) and the generator needs byte-identical output for a
 * seed, so both sides live here. Format: https://avro.apache.org/docs/1.11.1/specification/#object-container-files
 */

export const OCF_MAGIC = Buffer.from([0x4f, 0x62, 0x6a, 0x01]); // 'Obj' 1
export const SYNC_SIZE = 16;

export type Codec = 'null' | 'deflate';

export interface OcfHeader {
  /** The writer schema exactly as the file carries it (JSON text). */
  schemaJson: string;
  codec: string;
  sync: Buffer;
  /** Size of the header in bytes; the first block starts here. */
  size: number;
}

/** Reads a zig-zag varint long at `pos`; undefined when the buffer ends first. */
export function readVarLong(buf: Buffer, pos: number): { value: number; pos: number } | undefined {
  let n = 0;
  let shift = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) return undefined;
    const b = buf[pos++];
    n += (b & 0x7f) * shift;
    shift *= 128;
    if (!(b & 0x80)) return { value: n % 2 === 0 ? n / 2 : -(n + 1) / 2, pos };
  }
  // Ten continuation bytes cannot be a long: report it as an impossible value, not as "need more".
  return { value: Number.NaN, pos };
}

export function writeVarLong(value: number): Buffer {
  let n = value >= 0 ? value * 2 : -value * 2 - 1;
  const bytes: number[] = [];
  while (n >= 0x80) {
    bytes.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

const META_TYPE = avro.Type.forSchema({ type: 'map', values: 'bytes' });

export class OcfFormatError extends Error {
  override readonly name = 'OcfFormatError';
}

/**
 * Parses the header at the start of `buf`: 'incomplete' when more bytes are needed, an OcfFormatError
 * when the bytes cannot be a header.
 */
export function parseOcfHeader(buf: Buffer): OcfHeader | 'incomplete' {
  if (buf.length < OCF_MAGIC.length) return 'incomplete';
  if (!buf.subarray(0, OCF_MAGIC.length).equals(OCF_MAGIC))
    throw new OcfFormatError('not an Avro container file (bad magic)');
  let decoded: { value: unknown; offset: number };
  try {
    decoded = META_TYPE.decode(buf, OCF_MAGIC.length);
  } catch (error) {
    throw new OcfFormatError(`unreadable header metadata: ${(error as Error).message}`);
  }
  if (decoded.offset < 0 || decoded.offset + SYNC_SIZE > buf.length) return 'incomplete';
  const meta = decoded.value as Record<string, Buffer>;
  const schema = meta['avro.schema'];
  if (!schema) throw new OcfFormatError('header has no avro.schema');
  return {
    schemaJson: schema.toString('utf8'),
    codec: meta['avro.codec'] ? meta['avro.codec'].toString('utf8') : 'null',
    sync: Buffer.from(buf.subarray(decoded.offset, decoded.offset + SYNC_SIZE)),
    size: decoded.offset + SYNC_SIZE,
  };
}

export function encodeOcfHeader(schemaJson: string, codec: Codec, sync: Buffer): Buffer {
  if (sync.length !== SYNC_SIZE) throw new Error(`sync marker must be ${SYNC_SIZE} bytes`);
  const meta = META_TYPE.toBuffer({ 'avro.schema': Buffer.from(schemaJson, 'utf8'), 'avro.codec': Buffer.from(codec) });
  return Buffer.concat([OCF_MAGIC, meta, sync]);
}

/**
 * The output chunk size to inflate a block with: zlib's default of 16 KB makes a block of Avro
 * records (about 4 times its deflated size) take many chunks and a concatenation, which made
 * inflating raw events take 1.3 times as long synchronously and twice as long on the thread pool.
 */
export function inflateChunkSize(deflated: Buffer): number {
  return Math.min(8 << 20, Math.max(64 << 10, deflated.length * 4));
}

/** Decompresses a block's data; throws on a codec it does not know or bytes that do not inflate. */
export function decompressBlock(codec: string, data: Buffer): Buffer {
  if (codec === 'null') return data;
  if (codec === 'deflate') return inflateRawSync(data, { chunkSize: inflateChunkSize(data) });
  throw new OcfFormatError(`unsupported codec ${JSON.stringify(codec)}`);
}

export interface EncodeOcfOptions<T> {
  /** The writer schema; written verbatim into the header (logical types and aliases kept). */
  schema: avro.Schema;
  records: Iterable<T> | AsyncIterable<T>;
  /** 16 bytes; pass a seeded one for byte-identical files. */
  sync: Buffer;
  codec?: Codec;
  /** Records per block. */
  blockRecords?: number;
  /** Deflate level (zlib), default 6. */
  level?: number;
}

/**
 * Writes an object container file as a stream of blocks, encoding lazily as the consumer pulls, so
 * memory stays at one block whatever the number of records. Deterministic: same records, schema, sync
 * and level give the same bytes.
 */
export function encodeOcf<T>(options: EncodeOcfOptions<T>): Readable {
  return Readable.from(ocfChunks(options), { objectMode: false });
}

// Building an avsc type compiles its reader and writer; files written with the same schema object share one.
const types = new WeakMap<object, avro.Type>();
function typeOf(schema: avro.Schema): avro.Type {
  if (typeof schema !== 'object') return avro.Type.forSchema(schema);
  let type = types.get(schema);
  if (!type) {
    type = avro.Type.forSchema(schema);
    types.set(schema, type);
  }
  return type;
}

/** Records encoded one after another into one buffer, which grows (by a copy) as needed. */
export class RecordBuffer {
  buf: Buffer;
  /** Where the next record goes: the bytes before it are the records so far. */
  pos = 0;

  constructor(initialBytes: number) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  append(type: avro.Type, record: unknown): void {
    let next = type.encode(record, this.buf, this.pos);
    while (next < 0) {
      // encode() returns minus the missing byte count when the buffer is too small.
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos - next + 1024));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
      next = type.encode(record, this.buf, this.pos);
    }
    this.pos = next;
  }
}

/** The same as encodeOcf, as the chunks themselves (header first, then one buffer per block). */
export async function* ocfChunks<T>(options: EncodeOcfOptions<T>): AsyncGenerator<Buffer> {
  const { schema, records, sync, codec = 'deflate', blockRecords = 4096, level = 6 } = options;
  const type = typeOf(schema);
  yield encodeOcfHeader(JSON.stringify(schema), codec, sync);
  const out = new RecordBuffer(1 << 20);
  let count = 0;
  // Blocks are compressed on libuv's thread pool while the next block is encoded here; at most one
  // block is in flight, and blocks are yielded in order, so output stays deterministic.
  let inFlight: Promise<Buffer> | undefined;
  const flush = (): Promise<Buffer> | undefined => {
    const raw = Buffer.from(out.buf.subarray(0, out.pos));
    const records = count;
    out.pos = 0;
    count = 0;
    const previous = inFlight;
    inFlight = (codec === 'deflate' ? deflateRaw(raw, { level }) : Promise.resolve(raw)).then((data) =>
      Buffer.concat([writeVarLong(records), writeVarLong(data.length), data, sync]),
    );
    // A rejected block surfaces when it is awaited in order; keep it from being reported as unhandled first.
    inFlight.catch(() => undefined);
    return previous;
  };
  const add = (record: T): Promise<Buffer> | undefined => {
    out.append(type, record);
    count++;
    return count >= blockRecords ? flush() : undefined;
  };
  // A synchronous source is iterated without an await per record (the generator's hot path).
  if (Symbol.iterator in records) {
    for (const record of records) {
      const done = add(record);
      if (done) yield await done;
    }
  } else {
    for await (const record of records) {
      const done = add(record);
      if (done) yield await done;
    }
  }
  const beforeLast = count > 0 ? flush() : undefined;
  if (beforeLast) yield await beforeLast;
  if (inFlight) yield await inFlight;
}
