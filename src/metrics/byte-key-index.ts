/**
 * An insertion-ordered set of byte strings (UTF-8 keys), each given a dense index: the aggregation
 * hot path's replacement for a Map<string, …>, which would need a JS string per event. Keys are
 * copied once into one arena; lookups compare the caller's hash, then the bytes, so the index is
 * exact. The caller supplies the hash (murmur3Bytes), which it usually needs anyway for a sketch.
 */
export class ByteKeyIndex {
  /** entry + 1 per slot; 0 is empty. */
  private slots: Int32Array;
  private mask: number;
  /** Per entry: hash, arena offset, length. */
  private entries: Int32Array;
  private arena: Uint8Array;
  private arenaUsed = 0;
  size = 0;
  /** True when the last findOrAdd added its key. */
  added = false;

  constructor(initialSlots = 8) {
    let capacity = 4;
    while (capacity < initialSlots) capacity <<= 1;
    this.slots = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.entries = new Int32Array((capacity >> 1) * 3);
    this.arena = new Uint8Array(capacity * 8);
  }

  /** The index of bytes[at, at + len), added when new (see `added`). */
  findOrAdd(bytes: Uint8Array, at: number, len: number, hash: number): number {
    const { slots, mask, entries, arena } = this;
    let slot = hash & mask;
    for (;;) {
      const e = slots[slot] - 1;
      if (e < 0) break;
      const base = e * 3;
      if (entries[base] === (hash | 0) && entries[base + 2] === len) {
        let k = entries[base + 1];
        let i = at;
        const end = at + len;
        while (i < end && arena[k] === bytes[i]) {
          i++;
          k++;
        }
        if (i === end) {
          this.added = false;
          return e;
        }
      }
      slot = (slot + 1) & mask;
    }
    const index = this.size++;
    if (this.arenaUsed + len > this.arena.length) this.growArena(len);
    this.arena.set(bytes.subarray(at, at + len), this.arenaUsed);
    if ((index + 1) * 3 > this.entries.length) {
      const bigger = new Int32Array(this.entries.length * 2);
      bigger.set(this.entries);
      this.entries = bigger;
    }
    const base = index * 3;
    this.entries[base] = hash;
    this.entries[base + 1] = this.arenaUsed;
    this.entries[base + 2] = len;
    this.arenaUsed += len;
    slots[slot] = index + 1;
    if (this.size * 2 > mask + 1) this.rehash();
    this.added = true;
    return index;
  }

  /** The key of entry `index`, decoded. */
  key(index: number): string {
    const base = index * 3;
    const at = this.entries[base + 1];
    return Buffer.from(this.arena.buffer, this.arena.byteOffset + at, this.entries[base + 2]).toString('utf8');
  }

  /** The hash given for entry `index`, unsigned. */
  hash(index: number): number {
    return this.entries[index * 3] >>> 0;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.slots.byteLength + this.entries.byteLength + this.arena.byteLength;
  }

  private growArena(need: number): void {
    const bigger = new Uint8Array(Math.max(this.arena.length * 2, this.arenaUsed + need));
    bigger.set(this.arena.subarray(0, this.arenaUsed));
    this.arena = bigger;
  }

  private rehash(): void {
    const capacity = this.slots.length * 2;
    const slots = new Int32Array(capacity);
    const mask = capacity - 1;
    for (let e = 0; e < this.size; e++) {
      let slot = this.entries[e * 3] & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = e + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
