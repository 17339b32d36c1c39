/**
 * A set of string ids kept as 64-bit hashes in one open-addressing table (two Uint32Arrays): 8 bytes
 * a slot at a load of at most 0.75, so 11-21 bytes per id instead of the ~100 a Set<string> of short
 * strings costs. The price is a false "already seen" when two different ids share all 64 bits:
 * about n²/2^65, i.e. 3·10⁻⁶ for 10 million ids in one set.
 */
export class CompactIdSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 1 << 16) {
    let capacity = 1 << 4;
    while (capacity < initialCapacity) capacity <<= 1;
    this.hi = new Uint32Array(capacity);
    this.lo = new Uint32Array(capacity);
    this.mask = capacity - 1;
  }

  get size(): number {
    return this.used;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }

  /** Adds the id; false when it (or an id with the same 64-bit hash) was already there. */
  add(id: string): boolean {
    // Two independent 32-bit hashes (FNV-1a and a murmur-style multiply) make the 64-bit key.
    let a = 0x811c9dc5;
    let b = 0x9747b28c ^ id.length;
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
    b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
    b ^= b >>> 16;
    a >>>= 0;
    b >>>= 0;
    if (a === 0 && b === 0) b = 1; // (0, 0) marks an empty slot
    if (!this.insert(a, b)) return false;
    if (++this.used * 4 > (this.mask + 1) * 3) this.grow();
    return true;
  }

  private insert(a: number, b: number): boolean {
    const { hi, lo, mask } = this;
    let slot = (a ^ Math.imul(b, 0x9e3779b1)) & mask;
    for (;;) {
      const h = hi[slot];
      const l = lo[slot];
      if (h === 0 && l === 0) {
        hi[slot] = a;
        lo[slot] = b;
        return true;
      }
      if (h === a && l === b) return false;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const { hi, lo } = this;
    this.hi = new Uint32Array(hi.length * 2);
    this.lo = new Uint32Array(lo.length * 2);
    this.mask = this.hi.length - 1;
    for (let i = 0; i < hi.length; i++) if (hi[i] !== 0 || lo[i] !== 0) this.insert(hi[i], lo[i]);
  }
}
