import type { AccountDayState } from './account-state';
import type { DistinctState } from './monoids/distinct';
import { DISTINCT_EXACT_LIMIT } from './monoids/distinct';
import { fingerprintCount, murmurOf, unionFingerprints } from './monoids/fingerprint';
import type { HllState } from './monoids/hyperloglog';
import { hllAddHash, hllEmpty, hllMergeInto } from './monoids/hyperloglog';
import { compareStrings } from './monoids/monoid';
import type { Bucket } from './monoids/quantile-sketch';
import { AvroByteWriter } from '../schemas/avro-bytes';

/**
 * Merges lists of account states (partials, in any order and number) one list at a time, so
 * partials can be read and folded in one by one: memory holds one state per account plus the list
 * being added, whatever the number of partitions. `result()` is exactly what folding
 * accountDayStateMonoid.merge over the same states gives (a property test holds it to that), but
 * each account is folded in place: no new sets, registers, bucket arrays or BigInt strings per
 * merge, which made the daily-usage merge of five partials take most of a second at 20k accounts.
 * Each account is an AccountFold, the same fold a merge-join of sorted partials runs per account.
 */
export class AccountStatesMerger {
  private readonly byAccount = new Map<string, AccountFold>();
  private readonly types = new EventTypeIndex();

  add(list: Iterable<AccountDayState>): void {
    for (const state of list) {
      let fold = this.byAccount.get(state.accountId);
      if (fold === undefined) {
        fold = new AccountFold(this.types).reset(state.accountId);
        this.byAccount.set(state.accountId, fold);
      }
      fold.add(state);
    }
  }

  /** One state per account, sorted by accountId. */
  result(): AccountDayState[] {
    return [...this.byAccount.values()].map((f) => f.state()).sort((x, y) => compareStrings(x.accountId, y.accountId));
  }
}

/**
 * Event types numbered by first appearance: a fold counts types in an array indexed by these.
 * One index can serve every account of a task, so a type's name is hashed once per state, not
 * kept per account.
 */
export class EventTypeIndex {
  readonly names: string[] = [];
  private readonly byName = new Map<string, number>();
  /** Each name as an Avro string, and every index in the order a count map writes them (see mapOrder). */
  private encoded: Buffer[] = [];
  private order: number[] | undefined;

  indexOf(name: string): number {
    let t = this.byName.get(name);
    if (t === undefined) {
      t = this.names.length;
      this.byName.set(name, t);
      this.names.push(name);
      const w = new AvroByteWriter(16 + 3 * name.length);
      w.string(name);
      this.encoded.push(w.buf.subarray(0, w.pos));
      this.order = undefined;
    }
    return t;
  }

  /** Type t's name as the bytes of an Avro string. */
  encodedName(t: number): Buffer {
    return this.encoded[t];
  }

  /**
   * Every index in the key order of an object whose keys were inserted in code-unit order, as
   * AccountFold.state() builds eventsByType and avsc then writes it: JavaScript puts integer-like
   * keys first. Found through such an object, once per new type; any subset of the types keeps
   * this order, so one order serves every account.
   */
  mapOrder(): readonly number[] {
    if (this.order === undefined) {
      const keyed: Record<string, number> = {};
      const sorted = this.names.map((_, t) => t).sort((x, y) => compareStrings(this.names[x], this.names[y]));
      for (const t of sorted) keyed[this.names[t]] = t;
      this.order = Object.keys(keyed).map((name) => keyed[name]);
    }
    return this.order;
  }
}

/**
 * The states of one account folded in place, in any order: exactly what folding
 * accountDayStateMonoid.merge over them gives, eventsByType included with its keys in the order
 * AccountStatesMerger writes (inserted in code-unit order, so JS puts integer-like keys first), so
 * an encoded state has the same bytes. For a merge-join of sorted partials: reset(accountId), add
 * the account's states, state(), then reset for the next account (state() hands over the fold's
 * sets and registers, so do not add to it after).
 */
export class AccountFold {
  private accountId = '';
  private events = 0;
  /** Counts by type index; undefined where the account never had the type. */
  private byType: number[] = [];
  private users = new DistinctFold();
  private sessions = new DistinctFold();
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private count = 0;
  private sum = new IntegerSum();
  private sumSquares = new IntegerSum();
  private zeroCount = 0;
  /** Sketch buckets as sorted [index, count, index, count, ...]. */
  private positive: number[] = [];
  private negative: number[] = [];

  constructor(private readonly types: EventTypeIndex = new EventTypeIndex()) {}

  /** Starts the fold of another account. */
  reset(accountId: string): this {
    this.accountId = accountId;
    this.events = 0;
    this.byType = [];
    // Reset in place rather than made anew: a merge folds a million accounts. state() handed
    // over their sets and registers; resetting points them at fresh ones and leaves those alone.
    this.users.reset();
    this.sessions.reset();
    this.firstAt = null;
    this.lastAt = null;
    this.count = 0;
    this.sum.reset();
    this.sumSquares.reset();
    this.zeroCount = 0;
    this.positive = [];
    this.negative = [];
    return this;
  }

  add(s: AccountDayState): this {
    if (s.accountId !== this.accountId) {
      throw new RangeError(`fold of account ${this.accountId} got a state of account ${s.accountId}`);
    }
    this.events += s.events;
    for (const key in s.eventsByType) {
      const t = this.types.indexOf(key);
      this.byType[t] = (this.byType[t] ?? 0) + s.eventsByType[key];
    }
    this.users.add(s.users);
    this.sessions.add(s.sessions);
    if (s.firstAt !== null) this.firstAt = this.firstAt === null ? s.firstAt : Math.min(this.firstAt, s.firstAt);
    if (s.lastAt !== null) this.lastAt = this.lastAt === null ? s.lastAt : Math.max(this.lastAt, s.lastAt);
    this.count += s.value.count;
    this.sum.add(s.value.sum);
    this.sumSquares.add(s.value.sumSquares);
    this.zeroCount += s.valueSketch.zeroCount;
    this.positive = mergeBuckets(this.positive, s.valueSketch.positive);
    this.negative = mergeBuckets(this.negative, s.valueSketch.negative);
    return this;
  }

  /**
   * The folded state written into `w` in ACCOUNT_DAY_STATE_SCHEMA's encoding: the bytes avsc
   * writes for state() (a test holds it to that), without building the state and its Avro form
   * first, which was most of the daily-usage merge's encoding time. The fold is unchanged.
   */
  encodeInto(w: AvroByteWriter): void {
    w.string(this.accountId);
    w.long(this.events);
    const byType = this.byType;
    let present = 0;
    for (let t = 0; t < byType.length; t++) if (byType[t] !== undefined) present++;
    if (present > 0) {
      w.long(present);
      for (const t of this.types.mapOrder()) {
        const n = byType[t];
        if (n === undefined) continue;
        if (!Number.isSafeInteger(n))
          throw new RangeError(`count of ${this.types.names[t]} ${n} is not a safe integer`);
        w.raw(this.types.encodedName(t));
        w.long(n);
      }
    }
    w.long(0);
    this.users.encodeInto(w);
    this.sessions.encodeInto(w);
    writeOptionalLong(w, this.firstAt);
    writeOptionalLong(w, this.lastAt);
    w.long(this.count);
    this.sum.encodeInto(w);
    this.sumSquares.encodeInto(w);
    w.long(this.zeroCount);
    writeFlatBuckets(w, this.positive);
    writeFlatBuckets(w, this.negative);
  }

  /** The folded state. */
  state(): AccountDayState {
    const names = this.types.names;
    const seen: number[] = [];
    for (let t = 0; t < this.byType.length; t++) if (this.byType[t] !== undefined) seen.push(t);
    seen.sort((x, y) => compareStrings(names[x], names[y]));
    const eventsByType: Record<string, number> = {};
    for (const t of seen) {
      const n = this.byType[t];
      // As countByKeyMonoid: a count past 2^53 would no longer be exact.
      if (!Number.isSafeInteger(n)) throw new RangeError(`count of ${names[t]} ${n} is not a safe integer`);
      eventsByType[names[t]] = n;
    }
    return {
      accountId: this.accountId,
      events: this.events,
      eventsByType,
      users: this.users.state(),
      sessions: this.sessions.state(),
      firstAt: this.firstAt,
      lastAt: this.lastAt,
      value: { count: this.count, sum: this.sum.toString(), sumSquares: this.sumSquares.toString() },
      valueSketch: { zeroCount: this.zeroCount, positive: buckets(this.positive), negative: buckets(this.negative) },
    };
  }
}

/**
 * The states of one account (all with its accountId, at least one) folded into one: what
 * AccountStatesMerger gives for that account. `types` may be shared by the folds of a task.
 */
export function foldAccountStates(states: readonly AccountDayState[], types?: EventTypeIndex): AccountDayState {
  if (states.length === 0) throw new RangeError('foldAccountStates needs at least one state');
  const fold = new AccountFold(types).reset(states[0].accountId);
  for (const s of states) fold.add(s);
  return fold.state();
}

/** A ['null', 'long'] union. */
function writeOptionalLong(w: AvroByteWriter, n: number | null): void {
  if (n === null) w.long(0);
  else {
    w.long(1);
    w.long(n);
  }
}

/** An array of Bucket records from flat [index, count, ...]. */
function writeFlatBuckets(w: AvroByteWriter, flat: readonly number[]): void {
  if (flat.length > 0) {
    w.long(flat.length / 2);
    for (let i = 0; i < flat.length; i++) w.long(flat[i]);
  }
  w.long(0);
}

/** Sorted flat buckets plus sorted bucket records, as quantileSketchMonoid merges them (counts added). */
function mergeBuckets(flat: number[], add: readonly Bucket[]): number[] {
  if (add.length === 0) return flat;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < flat.length || j < add.length) {
    if (j >= add.length || (i < flat.length && flat[i] < add[j].index)) {
      out.push(flat[i], flat[i + 1]);
      i += 2;
    } else if (i >= flat.length || add[j].index < flat[i]) {
      out.push(add[j].index, add[j].count);
      j++;
    } else {
      out.push(flat[i], flat[i + 1] + add[j].count);
      i += 2;
      j++;
    }
  }
  return out;
}

function buckets(flat: readonly number[]): Bucket[] {
  const out: Bucket[] = [];
  for (let i = 0; i < flat.length; i += 2) out.push({ index: flat[i], count: flat[i + 1] });
  return out;
}

/** The empty set every fold starts from: never written to (unionFingerprints makes a new array). */
const NO_FINGERPRINTS = new Uint8Array(0);

/**
 * The distinct monoid folded in place: the exact union while it has at most DISTINCT_EXACT_LIMIT
 * fingerprints and no HLL was seen, then registers fed every hash, as distinctMonoid.merge does.
 */
class DistinctFold {
  private set: Uint8Array = NO_FINGERPRINTS;
  private hll: HllState | null = null;

  reset(): void {
    this.set = NO_FINGERPRINTS;
    this.hll = null;
  }

  add(s: DistinctState): void {
    if (s.hll !== null) {
      this.hll ??= hllEmpty();
      hllMergeInto(this.hll, s.hll);
    }
    if (this.hll === null) {
      if (s.fingerprints.length > 0) this.set = unionFingerprints(this.set, s.fingerprints);
      if (fingerprintCount(this.set) <= DISTINCT_EXACT_LIMIT) return;
      this.hll = hllEmpty();
    }
    addHashes(this.hll, this.set);
    addHashes(this.hll, s.fingerprints);
    this.set = NO_FINGERPRINTS;
  }

  /** state() as a Distinct record: fingerprints, then the registers' ['null', 'bytes'] union. */
  encodeInto(w: AvroByteWriter): void {
    if (this.hll !== null) {
      w.long(0);
      w.long(1);
      w.bytes(this.hll);
    } else {
      w.bytes(this.set);
      w.long(0);
    }
  }

  state(): DistinctState {
    return this.hll !== null
      ? { fingerprints: new Uint8Array(0), hll: this.hll }
      : { fingerprints: this.set, hll: null };
  }
}

function addHashes(registers: HllState, fingerprints: Uint8Array): void {
  for (let i = 0, n = fingerprintCount(fingerprints); i < n; i++) hllAddHash(registers, murmurOf(fingerprints, i));
}

/**
 * A sum of decimal integer strings (moments), in a double while that is exact and in a BigInt past
 * it; written as BigInt would write it.
 */
class IntegerSum {
  private small = 0;
  private big = 0n;

  reset(): void {
    this.small = 0;
    this.big = 0n;
  }

  add(decimal: string): void {
    // Up to 15 characters (14 digits and a sign) is below 10^15, exact as a double.
    if (decimal.length <= 15) {
      this.small += Number(decimal);
      if (this.small > 2 ** 52 || this.small < -(2 ** 52)) this.spill();
    } else this.big += BigInt(decimal);
  }

  private spill(): void {
    this.big += BigInt(this.small);
    this.small = 0;
  }

  /** toString() as an Avro string. */
  encodeInto(w: AvroByteWriter): void {
    if (this.big === 0n) w.integerString(this.small);
    else w.string(this.toString());
  }

  toString(): string {
    if (this.big === 0n) return this.small === 0 ? '0' : String(this.small);
    return (this.big + BigInt(this.small)).toString();
  }
}
