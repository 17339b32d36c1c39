/**
 * An insertion-ordered set of keys (UTF-8 bytes), each given a dense index: the aggregation hot
 * path's replacement for a Map<string, …>, which would need a JS string per event. Keys are copied
 * once into one arena; lookups compare the hash, the length, then the bytes, so the index is exact.
 * A slot holds its entry's hash, arena offset and length beside the entry, so a lookup that finds
 * its key touches the slot's cache line and the key's, not a third line of per-entry fields (with a
 * million accounts, every lookup misses the cache, and that line was a sixth of the aggregation).
 * The caller supplies the hash (murmur3Bytes), which it usually needs anyway for a sketch.
 */
export class ByteKeyIndex {
  /** Per slot: entry + 1 (0 is empty), hash, arena offset, length. */
  private slots: Int32Array;
  private mask: number;
  /** Per entry: hash, arena offset, length (for the by-index reads after aggregation). */
  private entries: Int32Array;
  private arena: Uint8Array;
  private arenaUsed = 0;
  size = 0;
  /** True when the last findOrAdd added its key. */
  added = false;

  constructor(initialSlots = 8) {
    let capacity = 4;
    while (capacity < initialSlots) capacity <<= 1;
    this.slots = new Int32Array(capacity * 4);
    this.mask = capacity - 1;
    this.entries = new Int32Array((capacity >> 1) * 3);
    this.arena = new Uint8Array(capacity * 8);
  }

  /** The index of bytes[at, at + len), added when new (see `added`). */
  findOrAdd(bytes: Uint8Array, at: number, len: number, hash: number): number {
    const { slots, mask, arena } = this;
    let slot = hash & mask;
    for (;;) {
      const base = slot << 2;
      const e = slots[base] - 1;
      if (e < 0) break;
      if (slots[base + 1] === (hash | 0) && slots[base + 3] === len) {
        let k = slots[base + 2];
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
    // A byte loop: bytes.subarray() would allocate an object per new key.
    const target = this.arena;
    for (let i = 0, k = this.arenaUsed; i < len; i++, k++) target[k] = bytes[at + i];
    if ((index + 1) * 3 > this.entries.length) {
      const bigger = new Int32Array(this.entries.length * 2);
      bigger.set(this.entries);
      this.entries = bigger;
    }
    const e3 = index * 3;
    this.entries[e3] = hash;
    this.entries[e3 + 1] = this.arenaUsed;
    this.entries[e3 + 2] = len;
    const base = slot << 2;
    slots[base] = index + 1;
    slots[base + 1] = hash;
    slots[base + 2] = this.arenaUsed;
    slots[base + 3] = len;
    this.arenaUsed += len;
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

  /** The byte length of entry `index`'s key. */
  keyLength(index: number): number {
    return this.entries[index * 3 + 2];
  }

  /** Whether entry `index`'s key is all ASCII (its bytes are then exactly its string's UTF-8). */
  isAscii(index: number): boolean {
    const base = index * 3;
    const { arena } = this;
    for (let k = this.entries[base + 1], end = k + this.entries[base + 2]; k < end; k++)
      if (arena[k] > 0x7f) return false;
    return true;
  }

  /** Byte k of entry `index`'s key, or -1 past its end. */
  keyByte(index: number, k: number): number {
    const base = index * 3;
    return k < this.entries[base + 2] ? this.arena[this.entries[base + 1] + k] : -1;
  }

  /** Copies entry `index`'s key bytes into target at `at`. */
  copyKey(index: number, target: Uint8Array, at: number): void {
    const base = index * 3;
    const from = this.entries[base + 1];
    const { arena } = this;
    for (let k = from, end = from + this.entries[base + 2], i = at; k < end; k++, i++) target[i] = arena[k];
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
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(capacity * 4);
    const mask = capacity - 1;
    const { entries } = this;
    for (let e = 0; e < this.size; e++) {
      let slot = entries[e * 3] & mask;
      while (slots[slot << 2] !== 0) slot = (slot + 1) & mask;
      const base = slot << 2;
      slots[base] = e + 1;
      slots[base + 1] = entries[e * 3];
      slots[base + 2] = entries[e * 3 + 1];
      slots[base + 3] = entries[e * 3 + 2];
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * Membership of small per-owner sets of byte strings, all in one table of 16-byte slots (a 64-bit
 * hash of the bytes, a link, the owner), so a lookup touches one cache line: the exact phase of
 * every account's distinct users and sessions. Two different values of one owner are taken for the
 * same when both 32-bit hashes collide, about 2^-64 per pair; no bytes are kept. Each owner's
 * entries are also chained through the link word, so they can be listed without a list per owner
 * (pushing to one JS array per account and set was a fifth of the aggregation's time).
 */
export class OwnedHashSet {
  private slots: Int32Array;
  private mask: number;
  /** Per owner: slot + 1 of its latest entry (0: none), and its number of entries. */
  private heads = new Int32Array(1024);
  private counts = new Int32Array(1024);
  size = 0;

  constructor(initialSlots = 1 << 12) {
    let capacity = 16;
    while (capacity < initialSlots) capacity <<= 1;
    this.slots = new Int32Array(capacity * 4);
    this.mask = capacity - 1;
  }

  /** Adds (owner, a, b); false when it was there. Owners are >= 0. */
  add(owner: number, a: number, b: number): boolean {
    const slots = this.slots;
    const mask = this.mask;
    let slot = (a ^ Math.imul(owner + 1, 0x9e3779b1)) & mask;
    for (;;) {
      const base = slot << 2;
      const o = slots[base + 3];
      if (o === 0) {
        if (owner >= this.heads.length) this.growOwners(owner);
        slots[base] = a;
        slots[base + 1] = b;
        slots[base + 2] = this.heads[owner];
        slots[base + 3] = owner + 1;
        this.heads[owner] = slot + 1;
        this.counts[owner]++;
        if (++this.size * 2 > mask + 1) this.grow();
        return true;
      }
      if (o === owner + 1 && slots[base] === (a | 0) && slots[base + 1] === (b | 0)) return false;
      slot = (slot + 1) & mask;
    }
  }

  /** Bytes held. */
  get bytes(): number {
    return this.slots.byteLength + this.heads.byteLength + this.counts.byteLength;
  }

  /** How many entries `owner` has. */
  countOf(owner: number): number {
    return owner < this.counts.length ? this.counts[owner] : 0;
  }

  /** Calls visit(a) with the first hash of each of `owner`'s entries, newest first. */
  forEachHashOf(owner: number, visit: (a: number) => void): void {
    for (let s = owner < this.heads.length ? this.heads[owner] : 0; s !== 0; s = this.slots[((s - 1) << 2) + 2]) {
      visit(this.slots[(s - 1) << 2] >>> 0);
    }
  }

  /**
   * Every owner's entries as unsigned (a, b) pairs, grouped: owner o's are pairs[2 * start[o],
   * 2 * start[o + 1]). One pass over the table in slot order, for the end of a partition.
   */
  byOwner(ownerCount: number): { start: Int32Array; pairs: Uint32Array } {
    const start = new Int32Array(ownerCount + 1);
    for (let o = 0; o < ownerCount; o++) start[o + 1] = start[o] + this.countOf(o);
    const fill = start.slice(0, ownerCount);
    const pairs = new Uint32Array(start[ownerCount] * 2);
    const slots = this.slots;
    for (let base = 0; base < slots.length; base += 4) {
      const o = slots[base + 3] - 1;
      if (o < 0 || o >= ownerCount) continue;
      const at = fill[o]++ * 2;
      pairs[at] = slots[base];
      pairs[at + 1] = slots[base + 1];
    }
    return { start, pairs };
  }

  private growOwners(owner: number): void {
    let length = this.heads.length * 2;
    while (length <= owner) length *= 2;
    const heads = new Int32Array(length);
    heads.set(this.heads);
    this.heads = heads;
    const counts = new Int32Array(length);
    counts.set(this.counts);
    this.counts = counts;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    const slots = new Int32Array(capacity * 4);
    const mask = capacity - 1;
    const heads = this.heads;
    // Re-placing rebuilds every chain (the order within a chain does not matter to its users);
    // the counts per owner stay as they are, so they are not touched.
    heads.fill(0);
    for (let from = 0; from < old.length; from += 4) {
      const o = old[from + 3];
      if (o === 0) continue;
      const a = old[from];
      let slot = (a ^ Math.imul(o, 0x9e3779b1)) & mask;
      while (slots[(slot << 2) + 3] !== 0) slot = (slot + 1) & mask;
      const base = slot << 2;
      slots[base] = a;
      slots[base + 1] = old[from + 1];
      slots[base + 2] = heads[o - 1];
      slots[base + 3] = o;
      heads[o - 1] = slot + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
