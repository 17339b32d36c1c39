/**
 * Avro binary encoding written by hand, for the one dataset written in bulk from columns (the
 * partition partials): longs as zig-zag varints, strings and bytes with their length first, as
 * the specification says (https://avro.apache.org/docs/1.11.1/specification/#binary-encoding).
 * Canonical: the bytes are those avsc writes for the same values, which a test holds it to.
 */
export class AvroByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }

  /** Room for n more bytes. */
  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** An int or long: an integer with |n| <= 2^53. */
  long(n: number): void {
    this.ensure(10);
    const buf = this.buf;
    let z = n >= 0 ? n * 2 : -n * 2 - 1;
    while (z >= 0x80) {
      buf[this.pos++] = (z % 0x80) | 0x80;
      z = Math.floor(z / 0x80);
    }
    buf[this.pos++] = z;
  }

  bytes(data: Uint8Array): void {
    this.long(data.length);
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  /** A string as UTF-8. */
  string(s: string): void {
    const length = Buffer.byteLength(s, 'utf8');
    this.long(length);
    this.ensure(length);
    this.pos += this.buf.write(s, this.pos, length, 'utf8');
  }

  /**
   * An Avro string of the decimal digits of an integer held exactly in a double (|x| <= 2^53):
   * the bytes string(String(x)) writes, without making the string (three strings per account
   * were a third of encoding a million accounts).
   */
  integerString(x: number): void {
    let m = x < 0 ? -x : x;
    let digits = 1;
    for (let p = 10; p <= m; p *= 10) digits++;
    const length = x < 0 ? digits + 1 : digits;
    this.long(length);
    const at = this.reserve(length);
    const buf = this.buf;
    if (x < 0) buf[at] = 0x2d; // '-'
    for (let k = at + length - 1; k >= at + length - digits; k--) {
      const q = Math.floor(m / 10);
      buf[k] = 0x30 + (m - q * 10);
      m = q;
    }
  }

  /** Makes room for n bytes the caller writes into `buf` from the returned offset. */
  reserve(n: number): number {
    this.ensure(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  /** Bytes already encoded (a string or record written once and repeated). */
  raw(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }
}
