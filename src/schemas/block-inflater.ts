import type { InflateRaw } from 'node:zlib';
import { constants, createInflateRaw } from 'node:zlib';

/** What zlib's own synchronous path drives (lib/zlib.js processChunkSync): the native handle and its result words. */
interface NativeInflate {
  _handle: {
    writeSync(
      flush: number,
      input: Buffer,
      inOff: number,
      inLen: number,
      out: Buffer,
      outOff: number,
      outLen: number,
    ): void;
    /** Called by the handle, synchronously inside writeSync, when zlib reports an error. */
    onerror: (message: string, errno: number, code?: string) => void;
  };
  /** After writeSync: [output bytes left, input bytes left]. */
  _writeState: Uint32Array;
}

/**
 * Inflates raw-deflate blocks into two output buffers it reuses in turn, so a block stays valid
 * while the next one is inflated, and no block allocates. A fresh buffer per block (what
 * zlib.inflateRaw returns) is external memory: at ten million events a day its churn set off
 * hundreds of garbage collections per partition thread, and every block landed in memory the
 * cache had never seen. Node's zlib has no public call that inflates into a given buffer, so this
 * drives the native handle as zlib's own inflateRawSync does (a test pins the behaviour).
 */
export class BlockInflater {
  private zlib: InflateRaw = this.fresh();
  private error: Error | undefined;
  private readonly outputs: Buffer[];
  private turn = 0;

  constructor(initialBytes = 1 << 20) {
    const bytes = Math.max(1024, initialBytes);
    this.outputs = [Buffer.allocUnsafe(bytes), Buffer.allocUnsafe(bytes)];
  }

  private fresh(): InflateRaw {
    const z = createInflateRaw();
    // Taken over from the stream, which would destroy itself and report on a later tick.
    (z as unknown as NativeInflate)._handle.onerror = (message, errno, code) => {
      this.error = Object.assign(new Error(message), { errno, code });
    };
    return z;
  }

  /** The inflated bytes of `data`, valid until the call after next; throws zlib's error on bytes that do not inflate. */
  inflate(data: Buffer): Buffer {
    const z = this.zlib as unknown as NativeInflate;
    this.zlib.reset();
    let out = this.outputs[this.turn];
    let outAt = 0;
    let inAt = 0;
    let inLeft = data.length;
    for (;;) {
      z._handle.writeSync(constants.Z_FINISH, data, inAt, inLeft, out, outAt, out.length - outAt);
      if (this.error !== undefined) {
        const error = this.error;
        this.error = undefined;
        // A stream that failed cannot be reset: its native state goes, a new one takes its place.
        this.zlib.close();
        this.zlib = this.fresh();
        throw error;
      }
      const outLeft = z._writeState[0];
      const inLeftAfter = z._writeState[1];
      inAt += inLeft - inLeftAfter;
      inLeft = inLeftAfter;
      outAt = out.length - outLeft;
      if (outLeft !== 0) break;
      const bigger = Buffer.allocUnsafe(out.length * 2);
      out.copy(bigger, 0, 0, outAt);
      out = bigger;
      this.outputs[this.turn] = out;
    }
    this.turn ^= 1;
    return out.subarray(0, outAt);
  }
}
