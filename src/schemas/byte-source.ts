import type { Readable } from 'node:stream';

/**
 * A stream of bytes read on demand with a cursor, for parsers that need "the next n bytes" without
 * copying every chunk into one growing buffer: chunks are only joined when a read spans them.
 */
export class ByteSource {
  private buf: Buffer = Buffer.alloc(0);
  /** Cursor inside `buf`. */
  private pos = 0;
  /** File offset of buf[0]. */
  private base = 0;
  private ended = false;
  private readonly iterator: AsyncIterator<Buffer | string>;

  constructor(private readonly stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  }

  /** File offset of the cursor. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Bytes available after the cursor without reading more. */
  get available(): number {
    return this.buf.length - this.pos;
  }

  /**
   * The buffered bytes from the cursor on. A fill replaces the buffer instead of writing into it,
   * so a view taken earlier keeps its bytes (the event reader relies on that to read ahead).
   */
  view(): Buffer {
    return this.buf.subarray(this.pos);
  }

  /** Ensures at least `n` bytes after the cursor; false when the stream ends first. */
  async fill(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    const parts: Buffer[] = [this.buf.subarray(this.pos)];
    let have = this.available;
    while (have < n && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      parts.push(chunk);
      have += chunk.length;
    }
    this.base += this.pos;
    this.buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, have);
    this.pos = 0;
    return have >= n;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  skip(n: number): void {
    this.pos += n;
  }

  /** Everything from the cursor to the end of the stream. */
  async rest(): Promise<Buffer> {
    while (await this.fill(this.available + 1));
    const out = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return out;
  }

  /**
   * Moves the cursor to the first occurrence of `marker` at or after it (or to the end when there is
   * none) and returns the bytes skipped over.
   */
  async seek(marker: Buffer): Promise<{ skipped: Buffer; found: boolean }> {
    const skipped: Buffer[] = [];
    for (;;) {
      const found = this.view().indexOf(marker);
      if (found >= 0) {
        skipped.push(this.view().subarray(0, found));
        this.pos += found;
        return { skipped: Buffer.concat(skipped), found: true };
      }
      // Keep the last marker.length - 1 bytes: the marker may straddle two chunks.
      const keep = Math.min(this.available, marker.length - 1);
      skipped.push(Buffer.from(this.view().subarray(0, this.available - keep)));
      this.pos += this.available - keep;
      if (!(await this.fill(this.available + 1))) {
        skipped.push(Buffer.from(this.view()));
        this.pos = this.buf.length;
        return { skipped: Buffer.concat(skipped), found: false };
      }
    }
  }

  close(): void {
    this.stream.destroy();
  }
}
