/**
 * A set of ids kept as 64-bit hashes in one open-addressing table (two Uint32Arrays): 8 bytes a slot
 * at a load of at most 0.75, so 11-21 bytes per id instead of the ~100 a Set<string> of short
 * strings costs. The price is a false "already seen" when two different ids share all 64 bits:
 * about n²/2^65, i.e. 3·10⁻⁶ for 10 million ids in one set.
 */
export class CompactIdSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  private used = 0;

  constructor(initialCapacity = 1 << 10) {
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
    hashString(id);
    return this.addHash(HASH[0], HASH[1]);
  }

  /** Adds a 64-bit hash (from hashString or hashBytes, as HASH[0], HASH[1]); false when present. */
  addHash(a: number, b: number): boolean {
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

/** The last 64-bit id hash computed, as two unsigned 32-bit halves (no allocation per id). */
export const HASH = new Uint32Array(2);

// Two independent 32-bit hashes (FNV-1a and a murmur-style multiply) make the 64-bit key.
function finish(a: number, b: number): void {
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  b ^= b >>> 16;
  HASH[0] = a;
  HASH[1] = b;
}

/** Hashes the UTF-16 code units of `id` into HASH. */
export function hashString(id: string): void {
  let a = 0x811c9dc5;
  let b = 0x9747b28c ^ id.length;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  finish(a, b);
}

/**
 * Hashes bytes[at, at + len) into HASH (a different function from hashString: use one per set).
 * Four bytes a step, as MurmurHash3 does (every event id of a day goes through here; a byte at a
 * time took three times as long). Each word is mixed by a bijection, then fed to two lanes with
 * different mixing (MurmurHash3's and MurmurHash2's), each finished with an avalanche, so two ids
 * share the 64 bits only by chance.
 */
export function hashBytes(bytes: Uint8Array, at: number, len: number): void {
  let a = 0x811c9dc5 ^ len;
  let b = 0x9747b28c ^ len;
  const end = at + len;
  const words = at + (len & ~3);
  let i = at;
  for (; i < words; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    a ^= k;
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    b = Math.imul(b ^ k, 0x5bd1e995);
    b ^= b >>> 15;
  }
  if (i < end) {
    let k = 0;
    for (let shift = 0; i < end; i++, shift += 8) k |= bytes[i] << shift;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    a ^= k;
    b = Math.imul(b ^ k, 0x5bd1e995);
  }
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a = Math.imul(a ^ (a >>> 13), 0xc2b2ae35);
  a ^= a >>> 16;
  finish(a >>> 0, b);
}

const HOUR_MS = 3_600_000;

/**
 * Duplicate detection with memory bounded by time, not by the whole input (Spark's dropDuplicates
 * with a watermark): ids are kept in one CompactIdSet per UTC hour of their event time, and an
 * hour's set is dropped once the newest event time seen is more than `horizonMs` past that hour's
 * end. Copies of one event share its event time, so a copy is recognized as long as it is read
 * before the input has moved more than the horizon beyond it, which holds for inputs read in time
 * order whose lateness is below the horizon. Memory is the ids of (horizon + 1 h) of events.
 */
export class WatermarkedIdSet {
  private readonly hours = new Map<number, CompactIdSet>();
  private newestHour = Number.NEGATIVE_INFINITY;
  private lastHour = Number.NaN;
  private lastSet: CompactIdSet | undefined;
  private readonly horizonHours: number;

  constructor(horizonMs: number) {
    this.horizonHours = Math.ceil(horizonMs / HOUR_MS);
  }

  /** Adds the id hash of an event at `atMs`; false when it was already there. */
  add(atMs: number, a: number, b: number): boolean {
    const hour = Math.floor(atMs / HOUR_MS);
    if (hour !== this.lastHour) {
      if (hour > this.newestHour) {
        this.newestHour = hour;
        for (const h of this.hours.keys()) if (h < hour - this.horizonHours) this.hours.delete(h);
      }
      let set = this.hours.get(hour);
      if (set === undefined) {
        // Sized for as many ids as the hour before held, so a busy hour does not grow its table
        // through every power of two (each growth re-inserts everything).
        set = new CompactIdSet(this.lastSet ? this.lastSet.size * 1.4 : undefined);
        this.hours.set(hour, set);
      }
      this.lastHour = hour;
      this.lastSet = set;
    }
    return this.lastSet!.addHash(a, b);
  }

  /** Ids held now. */
  get size(): number {
    let n = 0;
    for (const set of this.hours.values()) n += set.size;
    return n;
  }
}
