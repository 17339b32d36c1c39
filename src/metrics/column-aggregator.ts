import { AvroByteWriter } from '../schemas/avro-bytes';
import type { EventColumns } from '../schemas/event-columns';
import { MAX_BUCKETS, bucketBits, isBucketCount } from './buckets';
import { ByteKeyIndex, OwnedHashSet } from './byte-key-index';
import { DISTINCT_EXACT_LIMIT } from './monoids/distinct';
import type { HllState } from './monoids/hyperloglog';
import { HLL_REGISTERS, hllAddHash, hllEmpty } from './monoids/hyperloglog';
import { fnv1aBytes, writeFingerprintPairs } from './monoids/fingerprint';
import { compareStrings } from './monoids/monoid';
import type { MomentsState } from './monoids/moments';
import { quantize } from './monoids/moments';
import { murmur3Bytes } from './monoids/murmur3';
import { MIN_INDEXABLE, bucketIndex } from './monoids/quantile-sketch';

// One row of doubles per account, so an event touches one or two cache lines of its account
// instead of a chain of objects (with 20k accounts, pointer chasing was most of the cost).
const EVENTS = 0;
const FIRST_AT = 1;
const LAST_AT = 2;
const SUM_LO = 3; // moments, as in MomentsAccumulator
const SQ_HH = 4;
const SQ_HL = 5;
const SQ_LL = 6;
const ZEROS = 7; // the quantile sketch's zero bucket
const USERS_HLL = 8; // 1 once the account's users are an HLL
const SESSIONS_HLL = 9;
const TYPES = 10; // event counts by type index from here

const SPILL = 2 ** 52;
const SPLIT = 2 ** 20;
/** A Uint8Array's own object and backing-store bookkeeping, beside its registers (measured, roughly). */
const HLL_OBJECT_BYTES = 160;
/** A Map entry with an object of two small BigInts. */
const BIG_SUM_BYTES = 200;
/** Sketch buckets of the integers 0..INT_BUCKETS-1, precomputed: most values are small counts. */
const INT_BUCKETS = Int32Array.from({ length: 4096 }, (_, i) => (i === 0 ? 0 : bucketIndex(i)));

/** Segments of at most this many buckets are sorted by insertion. */
const SHORT_SEGMENT = 16;
/** Room for a position beside a key in one double (byOwner). */
const POSITIONS = 2 ** 20;

/**
 * Counts keyed (owner, key) in one table: every account's quantile-sketch buckets. A slot is 16
 * bytes, owner + 1 and key as int32 and the count as a double, in one buffer seen through two views,
 * so an increment touches one cache line (three arrays cost three misses per event at a million
 * accounts).
 */
class OwnedCounts {
  /** Per slot: owner + 1 (0: empty), key, then the count's 8 bytes. */
  private ints: Int32Array;
  /** The same buffer: the count of slot s is counts[2 * s + 1]. */
  private counts: Float64Array;
  private mask: number;
  size = 0;

  constructor(initialSlots: number) {
    let capacity = 16;
    while (capacity < initialSlots) capacity <<= 1;
    this.mask = capacity - 1;
    this.counts = new Float64Array(capacity * 2);
    this.ints = new Int32Array(this.counts.buffer);
  }

  increment(owner: number, key: number, by = 1): void {
    const { ints, mask } = this;
    let slot = Math.imul(owner + 1, 0x9e3779b1) ^ Math.imul(key, 0x85ebca6b);
    slot = (slot ^ (slot >>> 15)) & mask;
    for (;;) {
      const base = slot << 2;
      const o = ints[base];
      if (o === 0) {
        ints[base] = owner + 1;
        ints[base + 1] = key;
        this.counts[(slot << 1) + 1] = by;
        if (++this.size * 2 > mask + 1) this.grow();
        return;
      }
      if (o === owner + 1 && ints[base + 1] === key) {
        this.counts[(slot << 1) + 1] += by;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  /**
   * Every owner's (key, count) pairs, keys ascending: owner o's are at [start[o], start[o + 1]).
   * Typed arrays and a counting pass instead of an array and a sort per owner: this runs once per
   * partition over every account's sketch buckets.
   */
  byOwner(ownerCount: number): { start: Int32Array; keys: Int32Array; counts: Float64Array } {
    const { ints } = this;
    const slots = this.mask + 1;
    const start = new Int32Array(ownerCount + 1);
    for (let s = 0; s < slots; s++) if (ints[s << 2] !== 0) start[ints[s << 2]]++; // owners are stored + 1
    for (let o = 0; o < ownerCount; o++) start[o + 1] += start[o];
    const fill = start.slice(0, ownerCount);
    const keys = new Int32Array(this.size);
    const counts = new Float64Array(this.size);
    for (let s = 0; s < slots; s++) {
      const owner = ints[s << 2];
      if (owner === 0) continue;
      const at = fill[owner - 1]++;
      keys[at] = ints[(s << 2) + 1];
      counts[at] = this.counts[(s << 1) + 1];
    }
    // Each segment sorted by key: by insertion when short, else by a native sort of key and
    // position packed in one double (insertion over a busy account's hundred buckets was a
    // quarter of encoding 20k accounts).
    let packed = new Float64Array(64);
    for (let o = 0; o < ownerCount; o++) {
      const from = start[o];
      const to = start[o + 1];
      if (to - from <= SHORT_SEGMENT) {
        for (let i = from + 1; i < to; i++) {
          const key = keys[i];
          const count = counts[i];
          let at = i;
          for (; at > from && keys[at - 1] > key; at--) {
            keys[at] = keys[at - 1];
            counts[at] = counts[at - 1];
          }
          keys[at] = key;
          counts[at] = count;
        }
        continue;
      }
      const n = to - from;
      if (packed.length < n) packed = new Float64Array(n * 2);
      // Keys are 32-bit and n < 2^20 (sketch buckets of one account): key * 2^20 + i is exact.
      for (let i = 0; i < n; i++) packed[i] = keys[from + i] * POSITIONS + i;
      const sorted = packed.subarray(0, n).sort();
      const was = counts.slice(from, to);
      for (let i = 0; i < n; i++) {
        const position = sorted[i] - Math.floor(sorted[i] / POSITIONS) * POSITIONS;
        keys[from + i] = (sorted[i] - position) / POSITIONS;
        counts[from + i] = was[position];
      }
    }
    return { start, keys, counts };
  }

  /** Bytes held. */
  get bytes(): number {
    return this.counts.byteLength;
  }

  private grow(): void {
    const { ints, counts } = this;
    const slots = this.mask + 1;
    const capacity = slots * 2;
    this.counts = new Float64Array(capacity * 2);
    this.ints = new Int32Array(this.counts.buffer);
    this.mask = capacity - 1;
    this.size = 0;
    for (let s = 0; s < slots; s++) {
      if (ints[s << 2] !== 0) this.increment(ints[s << 2] - 1, ints[(s << 2) + 1], counts[(s << 1) + 1]);
    }
  }
}

const USER_PREFIX = Buffer.from('user:', 'utf8');

/**
 * Aggregates the accepted events of column blocks (readRawEventColumns) into per-account states:
 * the metric engine's hot path. It works on the UTF-8 bytes in the block: an account, event type,
 * user or session becomes a JS string only the first time it is seen, distinct sets hash bytes
 * directly, and each account's counters live in one row of a Float64Array. `encodedStates()` is
 * exactly the Avro encoding of the states PartitionAggregator gives for the same accepted events
 * (tests hold the two to it), so partials do not depend on which path read them, and are written
 * without an object per account. Memory grows with accounts: per account a row,
 * at most DISTINCT_EXACT_LIMIT + 1 exact users and sessions (then 4 KB of HLL registers each), and
 * its sketch buckets.
 */
export class ColumnPartitionAggregator {
  private accountIndex = new ByteKeyIndex(1024);
  /** Kept by reset(): a spilled partition's runs share their type columns. */
  private readonly typeIndex = new ByteKeyIndex(16);
  private stride = TYPES + 16;
  private rows = new Float64Array(1024 * (TYPES + 16));
  private accounts = 0;
  /**
   * Exact distinct sets, per account, until they become HLLs: fingerprint pairs (murmur3, FNV-1a)
   * in first-seen order, so no string is ever made for a user or session, and the HLL switch
   * needs no re-hashing (murmur3 is the HLL hash).
   */
  private userHll: (HllState | null)[] = [];
  private sessionHll: (HllState | null)[] = [];
  /** Register arrays in userHll and sessionHll, for estimatedBytes. */
  private hlls = 0;
  /** Membership of the exact sets, keyed (account * 2 + kind, murmur3, FNV-1a). */
  private members = new OwnedHashSet(1 << 14);
  private buckets = new OwnedCounts(1 << 14);
  /** Sums that outgrew exact doubles, per account (rare). */
  private bigSums = new Map<number, { sum: bigint; squares: bigint }>();
  private implicitSession = Buffer.alloc(256);
  /** Per event of the block being added: its account (addBlock's passes). */
  private accountOf = new Int32Array(4096);
  accepted = 0;

  /**
   * Forgets every account (after a spill wrote them), as a new aggregator would start, but keeps
   * the event types and their columns. The big tables are allocated afresh at their first size
   * rather than cleared: estimatedBytes() must drop with the states, and the tables regrow at an
   * amortized cost of one copy each.
   */
  reset(): void {
    this.accountIndex = new ByteKeyIndex(1024);
    this.rows = new Float64Array(1024 * this.stride);
    this.accounts = 0;
    this.userHll = [];
    this.sessionHll = [];
    this.hlls = 0;
    this.members = new OwnedHashSet(1 << 14);
    this.buckets = new OwnedCounts(1 << 14);
    this.bigSums = new Map();
    this.accepted = 0;
  }

  /**
   * The aggregator's memory, roughly and cheaply: the capacities of its typed arrays and indexes
   * (what the process holds, not what is filled), a register array per HLL and a guess per rare
   * BigInt sum. The spill decision compares it with the task's memory share.
   */
  estimatedBytes(): number {
    return (
      this.rows.byteLength +
      this.accountIndex.bytes +
      this.typeIndex.bytes +
      this.members.bytes +
      this.buckets.bytes +
      // The register arrays, their typed-array objects, and both per-account slot arrays.
      this.hlls * (HLL_REGISTERS + HLL_OBJECT_BYTES) +
      this.userHll.length * 16 +
      this.bigSums.size * BIG_SUM_BYTES +
      this.implicitSession.length
    );
  }

  /**
   * In passes over the block, each touching one table: the accounts (index and row), then the
   * users, then the sessions. With a million accounts every touch of a table misses the cache;
   * a pass's loop is short enough that the processor overlaps the misses of several events, where
   * one loop doing everything per event waited for each in turn. Each set still sees its values in
   * event order, so the states are the same.
   */
  addBlock(block: EventColumns): void {
    const { bytes, accepted, accountAt, accountLen, typeAt, typeLen, userAt, userLen, sessionAt, sessionLen } = block;
    const { occurredAt, value, count } = block;
    if (this.accountOf.length < count) this.accountOf = new Int32Array(count * 2);
    const accountOf = this.accountOf;
    for (let i = 0; i < count; i++) {
      if (accepted[i] === 0) continue;
      const aAt = accountAt[i];
      const aLen = accountLen[i];
      const a = this.accountIndex.findOrAdd(bytes, aAt, aLen, murmur3Bytes(bytes, aAt, aLen));
      if (this.accountIndex.added) this.addAccount();
      const tAt = typeAt[i];
      const tLen = typeLen[i];
      const t = this.typeIndex.findOrAdd(bytes, tAt, tLen, murmur3Bytes(bytes, tAt, tLen));
      if (TYPES + t >= this.stride) this.widen();
      const rows = this.rows;
      const row = a * this.stride;
      accountOf[i] = a;
      rows[row + EVENTS]++;
      rows[row + TYPES + t]++;
      const at = occurredAt[i];
      if (at < rows[row + FIRST_AT]) rows[row + FIRST_AT] = at;
      if (at > rows[row + LAST_AT]) rows[row + LAST_AT] = at;
      this.addValue(a, row, value[i]);
      this.accepted++;
    }
    const stride = this.stride;
    const rows = this.rows;
    for (let i = 0; i < count; i++) {
      if (accepted[i] === 0) continue;
      const a = accountOf[i];
      const uAt = userAt[i];
      const uLen = userLen[i];
      const uHash = murmur3Bytes(bytes, uAt, uLen);
      if (rows[a * stride + USERS_HLL] !== 0) hllAddHash(this.userHll[a]!, uHash);
      else if (this.members.add(a * 2, uHash, fnv1aBytes(bytes, uAt, uLen)))
        this.addedExact(this.userHll, a, a * 2, a * stride + USERS_HLL);
    }
    for (let i = 0; i < count; i++) {
      if (accepted[i] === 0) continue;
      const a = accountOf[i];
      let sBytes = bytes;
      let sAt = sessionAt[i];
      let sLen = sessionLen[i];
      if (sAt < 0) {
        // No session id: one implicit session per user, keyed "user:<userId>" as in PartitionAggregator.
        const uAt = userAt[i];
        const uLen = userLen[i];
        sLen = USER_PREFIX.length + uLen;
        if (this.implicitSession.length < sLen) this.implicitSession = Buffer.alloc(sLen * 2);
        sBytes = this.implicitSession;
        for (let k = 0; k < USER_PREFIX.length; k++) sBytes[k] = USER_PREFIX[k];
        for (let k = 0; k < uLen; k++) sBytes[USER_PREFIX.length + k] = bytes[uAt + k];
        sAt = 0;
      }
      const sHash = murmur3Bytes(sBytes, sAt, sLen);
      if (rows[a * stride + SESSIONS_HLL] !== 0) hllAddHash(this.sessionHll[a]!, sHash);
      else if (this.members.add(a * 2 + 1, sHash, fnv1aBytes(sBytes, sAt, sLen)))
        this.addedExact(this.sessionHll, a, a * 2 + 1, a * stride + SESSIONS_HLL);
    }
  }

  /** Moments (exactly as MomentsAccumulator.add) and the quantile sketch bucket (as QuantileSketchAccumulator.add). */
  private addValue(a: number, row: number, x: number): void {
    const rows = this.rows;
    const q = quantize(x);
    rows[row + SUM_LO] += q;
    if (rows[row + SUM_LO] > SPILL || rows[row + SUM_LO] < -SPILL) {
      this.big(a).sum += BigInt(rows[row + SUM_LO]);
      rows[row + SUM_LO] = 0;
    }
    const m = q < 0 ? -q : q;
    if (m >= SPLIT * SPLIT) this.big(a).squares += BigInt(q) * BigInt(q);
    else {
      const h = Math.floor(m / SPLIT);
      const l = m - h * SPLIT;
      rows[row + SQ_HH] += h * h;
      rows[row + SQ_HL] += h * l;
      rows[row + SQ_LL] += l * l;
      if (rows[row + SQ_HH] > SPILL || rows[row + SQ_HL] > SPILL || rows[row + SQ_LL] > SPILL)
        this.spillSquares(a, row);
    }
    if (x > MIN_INDEXABLE) {
      this.buckets.increment(a * 2, x < 4096 && x === Math.floor(x) ? INT_BUCKETS[x] : bucketIndex(x));
    } else if (x < -MIN_INDEXABLE) {
      this.buckets.increment(a * 2 + 1, x > -4096 && x === Math.floor(x) ? INT_BUCKETS[-x] : bucketIndex(-x));
    } else rows[row + ZEROS]++;
  }

  private big(a: number): { sum: bigint; squares: bigint } {
    let big = this.bigSums.get(a);
    if (big === undefined) {
      big = { sum: 0n, squares: 0n };
      this.bigSums.set(a, big);
    }
    return big;
  }

  private spillSquares(a: number, row: number): void {
    const rows = this.rows;
    this.big(a).squares +=
      (BigInt(rows[row + SQ_HH]) << 40n) + (BigInt(rows[row + SQ_HL]) << 21n) + BigInt(rows[row + SQ_LL]);
    rows[row + SQ_HH] = 0;
    rows[row + SQ_HL] = 0;
    rows[row + SQ_LL] = 0;
  }

  /**
   * After a new value joined an exact set: past DISTINCT_EXACT_LIMIT values the set becomes HLL
   * registers fed the hashes already computed (its members stay in the table, unused).
   */
  private addedExact(hlls: (HllState | null)[], a: number, owner: number, flag: number): void {
    if (this.members.countOf(owner) <= DISTINCT_EXACT_LIMIT) return;
    const registers = hllEmpty();
    this.members.forEachHashOf(owner, (hash) => hllAddHash(registers, hash));
    hlls[a] = registers;
    this.hlls++;
    this.rows[flag] = 1;
  }

  private addAccount(): void {
    const row = this.accounts++ * this.stride;
    if (row + this.stride > this.rows.length) {
      const bigger = new Float64Array(this.rows.length * 2);
      bigger.set(this.rows);
      this.rows = bigger;
    }
    this.rows[row + FIRST_AT] = Infinity;
    this.rows[row + LAST_AT] = -Infinity;
    this.userHll.push(null);
    this.sessionHll.push(null);
  }

  /** More event types than the row has room for: re-lay the rows with twice the type columns. */
  private widen(): void {
    const stride = TYPES + (this.stride - TYPES) * 2;
    const rows = new Float64Array(Math.max(1024, this.accounts * 2) * stride);
    for (let a = 0; a < this.accounts; a++) {
      rows.set(this.rows.subarray(a * this.stride, (a + 1) * this.stride), a * stride);
    }
    this.rows = rows;
    this.stride = stride;
  }

  get accountCount(): number {
    return this.accounts;
  }

  /**
   * The partition's partial states, sorted by accountId, Avro-encoded with
   * ACCOUNT_DAY_STATE_SCHEMA one after another (record i ends at ends[i]): exactly the bytes avsc
   * writes for those states, without making an object per account, bucket and set. Does not
   * change the aggregator.
   */
  encodedStates(): EncodedStates {
    return this.encodeInOrder(this.sortedAccounts());
  }

  /**
   * encodedStates() cut by account bucket: element b holds, in the same order and with the same
   * bytes per record, exactly the records of the accounts whose bucket of `count` is b (top
   * log2(count) bits of the murmur3 hash the account index already holds). One encoding pass: the
   * sorted order is grouped by bucket (a stable counting sort), so each bucket's records are
   * contiguous in one buffer and every element is a view of it. count 1 is encodedStates().
   */
  encodedStatesOfBuckets(count: number): EncodedStates[] {
    if (!isBucketCount(count))
      throw new RangeError(`bucket count ${String(count)} must be a power of two 1-${MAX_BUCKETS}`);
    if (count === 1) return [this.encodedStates()];
    const order = this.sortedAccounts();
    const n = this.accounts;
    const bucketOf = new Uint16Array(n);
    const start = new Int32Array(count + 1);
    // bucketOfHash, its shift found once.
    const shift = 32 - bucketBits(count);
    for (let a = 0; a < n; a++) {
      const b = this.accountIndex.hash(a) >>> shift;
      bucketOf[a] = b;
      start[b + 1]++;
    }
    for (let b = 0; b < count; b++) start[b + 1] += start[b];
    const fill = start.slice(0, count);
    const grouped = new Int32Array(n);
    for (let i = 0; i < n; i++) grouped[fill[bucketOf[order[i]]]++] = order[i];
    const all = this.encodeInOrder(grouped);
    return Array.from({ length: count }, (_, b) => {
      const from = start[b];
      const to = start[b + 1];
      const base = from === 0 ? 0 : all.ends[from - 1];
      const ends = all.ends.slice(from, to);
      for (let k = 0; k < ends.length; k++) ends[k] -= base;
      return { buf: all.buf.subarray(base, to === from ? base : all.ends[to - 1]), ends };
    });
  }

  /**
   * The accounts in accountId order (compareStrings). ASCII ids, the usual kind, are sorted by
   * their bytes, whose order is then the strings' order, with a radix sort: sorting a million id
   * strings with a comparator took seconds, and making them a second more.
   */
  private sortedAccounts(): ArrayLike<number> {
    const n = this.accounts;
    const index = this.accountIndex;
    let longest = 0;
    let ascii = true;
    for (let a = 0; a < n && ascii; a++) {
      longest = Math.max(longest, index.keyLength(a));
      ascii = index.isAscii(a);
    }
    if (!ascii || longest > RADIX_MAX_KEY_BYTES) {
      const ids = Array.from({ length: n }, (_, a) => index.key(a));
      return ids.map((_, a) => a).sort((x, y) => compareStrings(ids[x], ids[y]));
    }
    return radixOrder(index, n, longest);
  }

  /** The states of the accounts `order` lists, in that order (see encodedStates). */
  private encodeInOrder(order: ArrayLike<number>): EncodedStates {
    const types = Array.from({ length: this.typeIndex.size }, (_, t) => this.typeIndex.key(t));
    // A count map is written in the key order of the object the states hold: keys in string order,
    // except that JavaScript puts integer-like keys first. Found once, through such an object.
    const keyed: Record<string, number> = {};
    for (const t of types.map((_, t) => t).sort((x, y) => compareStrings(types[x], types[y]))) keyed[types[t]] = t;
    const typeOrder = Object.keys(keyed).map((name) => keyed[name]);
    const typeNames = types.map((name) => {
      const w = new AvroByteWriter(64);
      w.string(name);
      return w.buf.subarray(0, w.pos);
    });
    const sketch = this.buckets.byOwner(this.accounts * 2);
    const exact = this.members.byOwner(this.accounts * 2);
    // Encoded in index order, then copied into the order asked for: rows, sets and sketch buckets
    // are laid out by index, and an encoding pass in accountId order over a million accounts was
    // mostly cache misses (4x slower than this pass and the copy together).
    const n = this.accounts;
    const w = new AvroByteWriter(Math.max(1024, n * 256));
    const at = new Int32Array(n + 1);
    const rows = this.rows;
    const accountIndex = this.accountIndex;
    for (let a = 0; a < n; a++) {
      const row = a * this.stride;
      // An ASCII id's bytes are what encoding its string gives; any other goes through the string,
      // which is what a byte sequence that is not well-formed UTF-8 decodes to.
      if (accountIndex.isAscii(a)) {
        const len = accountIndex.keyLength(a);
        w.long(len);
        accountIndex.copyKey(a, w.buf, w.reserve(len));
      } else w.string(accountIndex.key(a));
      const events = rows[row + EVENTS];
      w.long(events);
      let types = 0;
      for (const t of typeOrder) if (rows[row + TYPES + t] > 0) types++;
      if (types > 0) {
        w.long(types);
        for (const t of typeOrder) {
          if (rows[row + TYPES + t] === 0) continue;
          w.raw(typeNames[t]);
          w.long(rows[row + TYPES + t]);
        }
      }
      w.long(0);
      writeDistinct(w, exact, a * 2, this.userHll[a]);
      writeDistinct(w, exact, a * 2 + 1, this.sessionHll[a]);
      if (events === 0) {
        w.long(0);
        w.long(0);
      } else {
        w.long(1);
        w.long(rows[row + FIRST_AT]);
        w.long(1);
        w.long(rows[row + LAST_AT]);
      }
      w.long(events); // the moments' count
      this.writeSums(w, a, row);
      w.long(rows[row + ZEROS]);
      writeBuckets(w, sketch, a * 2);
      writeBuckets(w, sketch, a * 2 + 1);
      at[a + 1] = w.pos;
    }
    const buf = Buffer.allocUnsafe(w.pos);
    const ends = new Int32Array(order.length);
    const from = w.buf;
    let pos = 0;
    for (let i = 0; i < order.length; i++) {
      const a = order[i];
      const start = at[a];
      const end = at[a + 1];
      // A byte loop for the usual record of a hundred bytes: Buffer.copy's call costs more.
      if (end - start > 512) pos += from.copy(buf, pos, start, end);
      else for (let k = start; k < end; k++) buf[pos++] = from[k];
      ends[i] = pos;
    }
    return { buf: buf.subarray(0, pos), ends };
  }

  /** The moments' sum and sum of squares as decimal strings (MomentsState), digits written directly when exact in a double. */
  private writeSums(w: AvroByteWriter, a: number, row: number): void {
    const rows = this.rows;
    const hh = rows[row + SQ_HH];
    const hl = rows[row + SQ_HL];
    const ll = rows[row + SQ_LL];
    // The terms are non-negative integers and each product by a power of two is exact, so a sum
    // within 2^53 is exact as a double: no BigInt for the usual account.
    const squares = hh * 2 ** 40 + hl * 2 ** 21 + ll;
    if (squares <= Number.MAX_SAFE_INTEGER && !this.bigSums.has(a)) {
      w.integerString(rows[row + SUM_LO]);
      w.integerString(squares);
      return;
    }
    const m = this.moments(a, row);
    w.string(m.sum);
    w.string(m.sumSquares);
  }

  private moments(a: number, row: number): MomentsState {
    const rows = this.rows;
    const big = this.bigSums.get(a);
    const hh = rows[row + SQ_HH];
    const hl = rows[row + SQ_HL];
    const ll = rows[row + SQ_LL];
    // The terms are non-negative integers and each product by a power of two is exact, so a sum
    // within 2^53 is exact as a double: no BigInt for the usual account.
    const squares = hh * 2 ** 40 + hl * 2 ** 21 + ll;
    if (big === undefined && squares <= Number.MAX_SAFE_INTEGER) {
      return { count: rows[row + EVENTS], sum: integerString(rows[row + SUM_LO]), sumSquares: integerString(squares) };
    }
    return {
      count: rows[row + EVENTS],
      sum: ((big?.sum ?? 0n) + BigInt(rows[row + SUM_LO])).toString(),
      sumSquares: ((big?.squares ?? 0n) + (BigInt(hh) << 40n) + (BigInt(hl) << 21n) + BigInt(ll)).toString(),
    };
  }
}

/** Ids longer than this are sorted as strings: a pass per two bytes would cost more. */
const RADIX_MAX_KEY_BYTES = 64;
/** A radix digit: two bytes, each 0 past the key's end or 1 + the (ASCII) byte. */
const RADIX = 129;

/**
 * Entries 0..n-1 of an index of ASCII keys in byte order (shorter first on a common prefix), by
 * a least-significant-digit radix sort of two bytes a pass: stable counting sorts, each reading
 * the keys in index order (the arena's), so the passes stay cache-friendly.
 */
function radixOrder(index: ByteKeyIndex, n: number, longest: number): Int32Array {
  let order = Int32Array.from({ length: n }, (_, a) => a);
  let next = new Int32Array(n);
  const digit = new Uint16Array(n);
  const count = new Int32Array(RADIX * RADIX + 1);
  for (let k = (Math.ceil(longest / 2) - 1) * 2; k >= 0; k -= 2) {
    count.fill(0);
    for (let a = 0; a < n; a++) {
      const d = (index.keyByte(a, k) + 1) * RADIX + index.keyByte(a, k + 1) + 1;
      digit[a] = d;
      count[d + 1]++;
    }
    // Every key has the same two bytes here (a common prefix): this pass would not move any.
    if (count[digit[0] + 1] === n) continue;
    for (let d = 0; d < RADIX * RADIX; d++) count[d + 1] += count[d];
    for (let i = 0; i < n; i++) {
      const a = order[i];
      next[count[digit[a]]++] = a;
    }
    [order, next] = [next, order];
  }
  return order;
}

/** Records encoded one after another: record i ends at ends[i] (EncodedRecords, for containerOfEncoded). */
export interface EncodedStates {
  buf: Buffer;
  ends: Int32Array;
}

/** An integer held exactly in a double (|x| <= 2^53), as BigInt(x).toString() writes it. */
function integerString(x: number): string {
  return x === 0 ? '0' : String(x);
}

/** An account's distinct state (Distinct record): its exact members' fingerprints, or its registers. */
function writeDistinct(
  w: AvroByteWriter,
  exact: { start: Int32Array; pairs: Uint32Array },
  owner: number,
  hll: HllState | null,
): void {
  if (hll !== null) {
    w.long(0); // no fingerprints
    w.long(1); // the union's bytes branch
    w.bytes(hll);
    return;
  }
  // The table holds each member once, so the set's size is known before it is sorted.
  const from = 2 * exact.start[owner];
  const to = 2 * exact.start[owner + 1];
  w.long((to - from) * 4);
  const at = w.reserve((to - from) * 4); // before reading w.buf: reserving may replace it
  writeFingerprintPairs(exact.pairs, from, to, w.buf, at);
  w.long(0); // null registers
}

/** An array of Bucket records, sorted by index. */
function writeBuckets(
  w: AvroByteWriter,
  sketch: { start: Int32Array; keys: Int32Array; counts: Float64Array },
  owner: number,
): void {
  const from = sketch.start[owner];
  const to = sketch.start[owner + 1];
  if (to > from) {
    w.long(to - from);
    for (let i = from; i < to; i++) {
      w.long(sketch.keys[i]);
      w.long(sketch.counts[i]);
    }
  }
  w.long(0);
}
