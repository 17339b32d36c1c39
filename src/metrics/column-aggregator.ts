import { AvroByteWriter } from '../schemas/avro-bytes';
import type { EventColumns } from '../schemas/event-columns';
import { ByteKeyIndex, OwnedHashSet } from './byte-key-index';
import { DISTINCT_EXACT_LIMIT } from './monoids/distinct';
import type { HllState } from './monoids/hyperloglog';
import { hllAddHash, hllEmpty } from './monoids/hyperloglog';
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
/** Sketch buckets of the integers 0..INT_BUCKETS-1, precomputed: most values are small counts. */
const INT_BUCKETS = Int32Array.from({ length: 4096 }, (_, i) => (i === 0 ? 0 : bucketIndex(i)));

/** Counts keyed (owner, key) in one table: every account's quantile-sketch buckets. */
class OwnedCounts {
  private owners: Int32Array;
  private keys: Int32Array;
  private counts: Float64Array;
  private mask: number;
  size = 0;

  constructor(initialSlots: number) {
    let capacity = 16;
    while (capacity < initialSlots) capacity <<= 1;
    this.owners = new Int32Array(capacity);
    this.keys = new Int32Array(capacity);
    this.counts = new Float64Array(capacity);
    this.mask = capacity - 1;
  }

  increment(owner: number, key: number, by = 1): void {
    const { owners, keys, mask } = this;
    let slot = Math.imul(owner + 1, 0x9e3779b1) ^ Math.imul(key, 0x85ebca6b);
    slot = (slot ^ (slot >>> 15)) & mask;
    for (;;) {
      const o = owners[slot];
      if (o === 0) {
        owners[slot] = owner + 1;
        keys[slot] = key;
        this.counts[slot] = by;
        if (++this.size * 2 > mask + 1) this.grow();
        return;
      }
      if (o === owner + 1 && keys[slot] === key) {
        this.counts[slot] += by;
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
    const { owners } = this;
    const start = new Int32Array(ownerCount + 1);
    for (let s = 0; s <= this.mask; s++) if (owners[s] !== 0) start[owners[s]]++; // owners are stored + 1
    for (let o = 0; o < ownerCount; o++) start[o + 1] += start[o];
    const fill = start.slice(0, ownerCount);
    const keys = new Int32Array(this.size);
    const counts = new Float64Array(this.size);
    for (let s = 0; s <= this.mask; s++) {
      if (owners[s] === 0) continue;
      const o = owners[s] - 1;
      const key = this.keys[s];
      // Insertion into the owner's segment, kept sorted: segments are a few dozen buckets.
      let at = fill[o]++;
      while (at > start[o] && keys[at - 1] > key) {
        keys[at] = keys[at - 1];
        counts[at] = counts[at - 1];
        at--;
      }
      keys[at] = key;
      counts[at] = this.counts[s];
    }
    return { start, keys, counts };
  }

  private grow(): void {
    const { owners, keys, counts } = this;
    const capacity = owners.length * 2;
    this.owners = new Int32Array(capacity);
    this.keys = new Int32Array(capacity);
    this.counts = new Float64Array(capacity);
    this.mask = capacity - 1;
    this.size = 0;
    for (let s = 0; s < owners.length; s++) if (owners[s] !== 0) this.increment(owners[s] - 1, keys[s], counts[s]);
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
  private readonly accountIndex = new ByteKeyIndex(1024);
  private readonly typeIndex = new ByteKeyIndex(16);
  private stride = TYPES + 16;
  private rows = new Float64Array(1024 * (TYPES + 16));
  private accounts = 0;
  /**
   * Exact distinct sets, per account, until they become HLLs: fingerprint pairs (murmur3, FNV-1a)
   * in first-seen order, so no string is ever made for a user or session, and the HLL switch
   * needs no re-hashing (murmur3 is the HLL hash).
   */
  private readonly userHll: (HllState | null)[] = [];
  private readonly sessionHll: (HllState | null)[] = [];
  /** Membership of the exact sets, keyed (account * 2 + kind, murmur3, FNV-1a). */
  private readonly members = new OwnedHashSet(1 << 14);
  private readonly buckets = new OwnedCounts(1 << 14);
  /** Sums that outgrew exact doubles, per account (rare). */
  private readonly bigSums = new Map<number, { sum: bigint; squares: bigint }>();
  private implicitSession = Buffer.alloc(256);
  accepted = 0;

  addBlock(block: EventColumns): void {
    const { bytes, accepted, accountAt, accountLen, typeAt, typeLen, userAt, userLen, sessionAt, sessionLen } = block;
    const { occurredAt, value } = block;
    for (let i = 0; i < block.count; i++) {
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
      rows[row + EVENTS]++;
      rows[row + TYPES + t]++;
      const at = occurredAt[i];
      if (at < rows[row + FIRST_AT]) rows[row + FIRST_AT] = at;
      if (at > rows[row + LAST_AT]) rows[row + LAST_AT] = at;
      this.addValue(a, row, value[i]);

      const uAt = userAt[i];
      const uLen = userLen[i];
      const uHash = murmur3Bytes(bytes, uAt, uLen);
      if (rows[row + USERS_HLL] !== 0) hllAddHash(this.userHll[a]!, uHash);
      else {
        const uFnv = fnv1aBytes(bytes, uAt, uLen);
        if (this.members.add(a * 2, uHash, uFnv)) this.addedExact(this.userHll, a, a * 2, row + USERS_HLL);
      }
      let sBytes = bytes;
      let sAt = sessionAt[i];
      let sLen = sessionLen[i];
      if (sAt < 0) {
        // No session id: one implicit session per user, keyed "user:<userId>" as in PartitionAggregator.
        sLen = USER_PREFIX.length + uLen;
        if (this.implicitSession.length < sLen) this.implicitSession = Buffer.alloc(sLen * 2);
        sBytes = this.implicitSession;
        for (let k = 0; k < USER_PREFIX.length; k++) sBytes[k] = USER_PREFIX[k];
        for (let k = 0; k < uLen; k++) sBytes[USER_PREFIX.length + k] = bytes[uAt + k];
        sAt = 0;
      }
      const sHash = murmur3Bytes(sBytes, sAt, sLen);
      if (rows[row + SESSIONS_HLL] !== 0) hllAddHash(this.sessionHll[a]!, sHash);
      else {
        const sFnv = fnv1aBytes(sBytes, sAt, sLen);
        if (this.members.add(a * 2 + 1, sHash, sFnv))
          this.addedExact(this.sessionHll, a, a * 2 + 1, row + SESSIONS_HLL);
      }
      this.accepted++;
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
  encodedStates(): { buf: Buffer; ends: Int32Array } {
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
    const ids = Array.from({ length: this.accounts }, (_, a) => this.accountIndex.key(a));
    const order = ids.map((_, a) => a).sort((x, y) => compareStrings(ids[x], ids[y]));
    const w = new AvroByteWriter(Math.max(1024, this.accounts * 256));
    const ends = new Int32Array(this.accounts);
    const rows = this.rows;
    for (let i = 0; i < order.length; i++) {
      const a = order[i];
      const row = a * this.stride;
      w.string(ids[a]);
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
      for (const instant of [rows[row + FIRST_AT], rows[row + LAST_AT]]) {
        if (events === 0) w.long(0);
        else {
          w.long(1);
          w.long(instant);
        }
      }
      const m = this.moments(a, row);
      w.long(m.count);
      w.string(m.sum);
      w.string(m.sumSquares);
      w.long(rows[row + ZEROS]);
      writeBuckets(w, sketch, a * 2);
      writeBuckets(w, sketch, a * 2 + 1);
      ends[i] = w.pos;
    }
    return { buf: w.buf.subarray(0, w.pos), ends };
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
