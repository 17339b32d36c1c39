import type { AccountDayState } from './account-state';
import type { DistinctState } from './monoids/distinct';
import { DISTINCT_EXACT_LIMIT } from './monoids/distinct';
import { fingerprintCount, murmurOf, unionFingerprints } from './monoids/fingerprint';
import type { HllState } from './monoids/hyperloglog';
import { hllAddHash, hllEmpty, hllMergeInto } from './monoids/hyperloglog';
import { compareStrings } from './monoids/monoid';
import type { Bucket } from './monoids/quantile-sketch';

/**
 * Merges lists of account states (partials, in any order and number) one list at a time, so
 * partials can be read and folded in one by one: memory holds one state per account plus the list
 * being added, whatever the number of partitions. `result()` is exactly what folding
 * accountDayStateMonoid.merge over the same states gives (a property test holds it to that), but
 * each account is folded in place: no new sets, registers, bucket arrays or BigInt strings per
 * merge, which made the daily-usage merge of five partials take most of a second at 20k accounts.
 */
export class AccountStatesMerger {
  private readonly byAccount = new Map<string, AccountFold>();
  /** Event types by first appearance: each account counts types in an array indexed by these. */
  private readonly types = new Map<string, number>();

  add(list: Iterable<AccountDayState>): void {
    for (const state of list) {
      let fold = this.byAccount.get(state.accountId);
      if (fold === undefined) {
        fold = new AccountFold(state.accountId);
        this.byAccount.set(state.accountId, fold);
      }
      fold.add(state, this.types);
    }
  }

  /** One state per account, sorted by accountId. */
  result(): AccountDayState[] {
    const names = [...this.types.keys()];
    const order = [...this.types.values()].sort((x, y) => compareStrings(names[x], names[y]));
    return [...this.byAccount.values()]
      .map((f) => f.state(names, order))
      .sort((x, y) => compareStrings(x.accountId, y.accountId));
  }
}

class AccountFold {
  private events = 0;
  /** Counts by type index; undefined where the account never had the type. */
  private readonly byType: number[] = [];
  private readonly users = new DistinctFold();
  private readonly sessions = new DistinctFold();
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private count = 0;
  private readonly sum = new IntegerSum();
  private readonly sumSquares = new IntegerSum();
  private zeroCount = 0;
  /** Sketch buckets as sorted [index, count, index, count, ...]. */
  private positive: number[] = [];
  private negative: number[] = [];

  constructor(private readonly accountId: string) {}

  add(s: AccountDayState, types: Map<string, number>): void {
    this.events += s.events;
    for (const key in s.eventsByType) {
      let t = types.get(key);
      if (t === undefined) types.set(key, (t = types.size));
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
  }

  /** The folded state; `order` lists the type indexes by type name, in key order. */
  state(names: readonly string[], order: readonly number[]): AccountDayState {
    const eventsByType: Record<string, number> = {};
    for (const t of order) {
      const n = this.byType[t];
      if (n === undefined) continue;
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

/**
 * The distinct monoid folded in place: the exact union while it has at most DISTINCT_EXACT_LIMIT
 * fingerprints and no HLL was seen, then registers fed every hash, as distinctMonoid.merge does.
 */
class DistinctFold {
  private set: Uint8Array = new Uint8Array(0);
  private hll: HllState | null = null;

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
    this.set = new Uint8Array(0);
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

  toString(): string {
    if (this.big === 0n) return this.small === 0 ? '0' : String(this.small);
    return (this.big + BigInt(this.small)).toString();
  }
}
