import type * as avro from 'avsc';
import { Readable } from 'node:stream';
import { deflateRaw as deflateRawCallback } from 'node:zlib';
import { promisify } from 'node:util';
import type { ObjectStore, PutOptions, PutResult } from '../storage/object-store';
import type { EncodeContainerBytesOptions } from './avro-container';
import { RecordBuffer, encodeOcfHeader, writeVarLong } from './ocf';

const deflateRaw = promisify(deflateRawCallback);

const DEFAULT_BLOCK_BYTES = 256 * 1024;

export interface OcfStreamWriterOptions extends EncodeContainerBytesOptions {
  /**
   * Closed blocks that may wait (deflating, or deflated but not yet read) before write() asks the
   * caller to wait: enough to keep libuv's four threads deflating while this thread encodes.
   */
  maxPendingBlocks?: number;
}

/** A closed block: its bytes once deflated (count, size, data, sync). */
interface PendingBlock {
  bytes?: Buffer;
  ready: Promise<void>;
}

/**
 * An Avro object container file written record by record into a stream, with the bytes
 * encodeContainerBytes and containerOfEncoded give for the same records, type, sync and options
 * (same header, block closed after the record that takes it to at least blockBytes), in memory
 * bounded by a few blocks whatever the number of records: the writer for bucket files and
 * accounts.avro, whose records need not all be alive at once.
 *
 * Blocks deflate on libuv's thread pool, several at a time, and leave in order. Backpressure:
 * write() returns false when maxPendingBlocks closed blocks are waiting, and the caller awaits
 * ready() before writing more (or putStreamed does it all). `readable()` is the body for
 * ObjectStore.put; it errors when deflating fails or the writer is destroyed, and end() finishes it.
 */
export class OcfStreamWriter {
  private readonly sync: Buffer;
  private readonly codec: 'null' | 'deflate';
  private readonly level: number;
  private readonly blockBytes: number;
  private readonly maxPending: number;
  private block: RecordBuffer;
  private blockCount = 0;
  private count = 0;
  private readonly pending: PendingBlock[] = [];
  private readonly out: Readable;
  /** The consumer asked for more: push what is deflated. */
  private flowing = false;
  private ended = false;
  private headerPushed = false;
  private failed: Error | undefined;
  private waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(
    private readonly type: avro.Type,
    options: OcfStreamWriterOptions,
  ) {
    const { sync, codec = 'deflate', level = 1, blockBytes = DEFAULT_BLOCK_BYTES, maxPendingBlocks = 4 } = options;
    this.sync = sync;
    this.codec = codec;
    this.level = level;
    this.blockBytes = blockBytes;
    this.maxPending = Math.max(1, maxPendingBlocks);
    // Small to start: a task may hold many writers (one per bucket) that fill slowly; it grows by doubling.
    this.block = new RecordBuffer(Math.min(64 * 1024, Math.max(1024, blockBytes + 1024)));
    const header = encodeOcfHeader(JSON.stringify(type.schema({ exportAttrs: true })), codec, sync);
    this.pending.push({ bytes: header, ready: Promise.resolve() });
    this.out = new Readable({
      read: () => {
        this.flowing = true;
        this.pump();
      },
      destroy: (error, callback) => {
        // The consumer gave up (a failed upload) or destroy() was called: writers waiting must not hang.
        if (!this.ended || this.pending.length > 0) {
          this.fail(error ?? new Error('the container stream was closed before it ended'));
        }
        callback(error);
      },
    });
  }

  /** Records written so far. */
  get records(): number {
    return this.count;
  }

  /** Why the writer failed (deflate, destroy, or the consumer closing the stream), once it has. */
  get error(): Error | undefined {
    return this.failed;
  }

  /** The file's bytes as a stream; the same stream every call. */
  readable(): Readable {
    return this.out;
  }

  /** Encodes one record with the writer's type. False when the caller should await ready() first. */
  write(record: unknown): boolean {
    this.assertOpen();
    this.block.append(this.type, record);
    return this.recordAdded();
  }

  /** One record encoded already with the writer's type (a row copied from another file of the schema). */
  writeEncoded(bytes: Uint8Array): boolean {
    this.assertOpen();
    const block = this.block;
    if (block.pos + bytes.length > block.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(block.buf.length * 2, block.pos + bytes.length));
      block.buf.copy(bigger, 0, 0, block.pos);
      block.buf = bigger;
    }
    block.buf.set(bytes, block.pos);
    block.pos += bytes.length;
    return this.recordAdded();
  }

  /** Resolves when fewer than maxPendingBlocks closed blocks wait; rejects when the writer failed. */
  ready(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.waitingBlocks() < this.maxPending) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Closes the last block; the stream ends once every block has been read. */
  end(): void {
    this.assertOpen();
    if (this.blockCount > 0) this.closeBlock();
    this.ended = true;
    this.pump();
  }

  /** Fails the stream (its consumer sees the error) and every waiting writer. */
  destroy(error: Error): void {
    this.fail(error);
  }

  private assertOpen(): void {
    if (this.failed) throw this.failed;
    if (this.ended) throw new Error('write after end of an Avro container stream');
  }

  private recordAdded(): boolean {
    this.count++;
    this.blockCount++;
    if (this.block.pos >= this.blockBytes) this.closeBlock();
    return this.waitingBlocks() < this.maxPending;
  }

  /** Closed blocks not yet pushed, the header aside. */
  private waitingBlocks(): number {
    return this.pending.length - (this.headerPushed ? 0 : 1);
  }

  private closeBlock(): void {
    const raw = this.block.buf.subarray(0, this.block.pos);
    const records = this.blockCount;
    // The next block starts at the size this one reached: blocks of one file are alike.
    this.block = new RecordBuffer(this.block.buf.length);
    this.blockCount = 0;
    const entry: PendingBlock = { ready: Promise.resolve() };
    const data = this.codec === 'deflate' ? deflateRaw(raw, { level: this.level }) : Promise.resolve(raw);
    entry.ready = data.then(
      (bytes) => {
        entry.bytes = Buffer.concat([writeVarLong(records), writeVarLong(bytes.length), bytes, this.sync]);
        this.pump();
      },
      (error: Error) => this.fail(error),
    );
    this.pending.push(entry);
  }

  /** Pushes deflated blocks in order while the consumer wants them; ends the stream after the last. */
  private pump(): void {
    if (this.failed) return;
    while (this.flowing && this.pending.length > 0 && this.pending[0].bytes) {
      const bytes = this.pending[0].bytes;
      this.pending.shift();
      this.headerPushed = true;
      this.flowing = this.out.push(bytes);
    }
    if (this.waitingBlocks() < this.maxPending && this.waiters.length > 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter.resolve();
    }
    if (this.ended && this.pending.length === 0 && this.flowing) {
      this.flowing = false;
      this.out.push(null);
    }
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    this.pending.length = 0;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
    if (!this.out.destroyed) this.out.destroy(error);
  }
}

/**
 * Writes one container file to `key` through an OcfStreamWriter that `fill` writes records into,
 * waiting on the writer when blocks pile up. A throw from `fill` aborts the put (no object is left,
 * as the stores write to a temporary name or a multipart upload first) and is rethrown.
 */
export async function putStreamed(
  store: ObjectStore,
  key: string,
  type: avro.Type,
  options: OcfStreamWriterOptions,
  fill: (writer: OcfStreamWriter) => Promise<void>,
  putOptions?: PutOptions,
): Promise<PutResult & { records: number }> {
  const writer = new OcfStreamWriter(type, options);
  const body = writer.readable();
  // A fill that fails before the store has attached to the stream (the fs store first makes the
  // folder) destroys it with nobody listening: an 'error' event without a listener would take the
  // whole worker process down. The failure is reported below, from fill or from the put.
  body.on('error', () => undefined);
  const put = store.put(key, body, putOptions);
  // A put that fails while fill runs must not be reported as unhandled before it is awaited below.
  put.catch(() => undefined);
  try {
    await fill(writer);
    writer.end();
  } catch (error) {
    const ownFailure = error === writer.error;
    writer.destroy(error as Error);
    const putError = await put.then(
      () => undefined,
      (e: unknown) => e,
    );
    // When the upload failed first, the writer only reports that its stream closed: the cause is the put's.
    throw ownFailure && putError !== undefined ? putError : error;
  }
  const result = await put;
  return { ...result, records: writer.records };
}
