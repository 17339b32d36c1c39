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
 * Duplicate detection with memory bounded by time, not by the whole input: each id is kept with
 * the hour it was last seen in (the hour the object holding it is filed under), and a sighting is
 * a copy when the id was seen at most `horizonMs` before. One open-addressing table of 8-byte
 * slots: 56 bits of the id's hash and the hour's low 8 bits (hours are compared modulo 256, so
 * one reader must not span 128 hours; a day's reading spans 27). Entries past the horizon are
 * dropped whenever the table would grow, so memory is the ids of the horizon's hours. Two
 * different ids are taken for the same when 56 bits of their hashes collide: about n^2 / 2^57
 * for n ids held at once, 2e-5 for the 1.5M ids of 3 hours of a 13M-event day.
 *
 * What counts as a copy depends only on the sightings within the horizon before it, so a reader
 * that starts by adding the ids of the objects of the horizon before its first object (dedupeKeys)
 * decides exactly as one that read everything before.
 */
export class RecentIdSet {
  /** Slots of two ints: the hash's high word (never 0; 0 is an empty slot), then its low word with the hour in the low byte. */
  private slots: Int32Array;
  private mask: number;
  private used = 0;
  private newest = 0;
  private readonly horizonHours: number;

  constructor(horizonMs: number, initialCapacity = 1 << 12) {
    this.horizonHours = Math.ceil(horizonMs / HOUR_MS);
    if (this.horizonHours > 100) throw new RangeError(`a duplicate horizon of ${this.horizonHours} hours is over 100`);
    let capacity = 1 << 4;
    while (capacity < initialCapacity) capacity <<= 1;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
  }

  /** Ids held now (some may be past the horizon until the next clean-up). */
  get size(): number {
    return this.used;
  }

  /**
   * Records a sighting of the id hash (a, b) at `atMs` (the filing hour of its object); false
   * when the id was seen within the horizon before, true when it is new.
   */
  add(atMs: number, a: number, b: number): boolean {
    const hour = Math.floor(atMs / HOUR_MS) & 0xff;
    this.newest = hour;
    const high = a | 0 || 1;
    const low = (b & ~0xff) | hour;
    const slots = this.slots;
    const mask = this.mask;
    let slot = (high ^ Math.imul(b >>> 8, 0x9e3779b1)) & mask;
    for (;;) {
      const at = slot << 1;
      const h = slots[at];
      if (h === 0) {
        slots[at] = high;
        slots[at + 1] = low;
        if (++this.used * 4 > (mask + 1) * 3) this.rebuild();
        return true;
      }
      if (h === high && ((slots[at + 1] ^ b) & ~0xff) === 0) {
        const recent = ((hour - slots[at + 1]) & 0xff) <= this.horizonHours;
        slots[at + 1] = low;
        return !recent;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Drops the entries past the horizon, and doubles the table if it is still over half full. */
  private rebuild(): void {
    const old = this.slots;
    const isLive = (at: number) => old[at] !== 0 && ((this.newest - old[at + 1]) & 0xff) <= this.horizonHours;
    let live = 0;
    for (let at = 0; at < old.length; at += 2) if (isLive(at)) live++;
    const capacity = live * 2 > old.length / 2 ? old.length : old.length / 2;
    this.slots = new Int32Array(capacity * 2);
    this.mask = capacity - 1;
    this.used = 0;
    for (let at = 0; at < old.length; at += 2) {
      if (!isLive(at)) continue;
      let slot = (old[at] ^ Math.imul(old[at + 1] >>> 8, 0x9e3779b1)) & this.mask;
      while (this.slots[slot << 1] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot << 1] = old[at];
      this.slots[(slot << 1) + 1] = old[at + 1];
      this.used++;
    }
  }
}
