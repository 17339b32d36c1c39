import type { Monoid } from './monoids/monoid';
import { AccountStatesMerger } from './states-merger';
import { compareStrings } from './monoids/monoid';
import { countByKeyMonoid, maxMonoid, minMonoid, sortedCounts } from './monoids/basic';
import type { DistinctState } from './monoids/distinct';
import type { StoredDistinctState } from './monoids/distinct';
import {
  DISTINCT_SCHEMA,
  DistinctAccumulator,
  LEGACY_DISTINCT_VALUES_FIELD,
  distinctMonoid,
  upgradeDistinct,
} from './monoids/distinct';
import type { MomentsState } from './monoids/moments';
import { MOMENTS_SCHEMA, MomentsAccumulator, momentsMonoid } from './monoids/moments';
import type { QuantileSketchState } from './monoids/quantile-sketch';
import { QUANTILE_SKETCH_SCHEMA, QuantileSketchAccumulator, quantileSketchMonoid } from './monoids/quantile-sketch';

/**
 * One account's aggregate state for (part of) one local day: the product of the monoids below, so
 * itself a commutative monoid. Partitions write lists of these (partials), the daily-usage task
 * merges them, and later days merge stored daily states for their rolling windows.
 */
export interface AccountDayState {
  accountId: string;
  events: number;
  /** Keys in code-unit order. */
  eventsByType: Record<string, number>;
  users: DistinctState;
  /** Distinct session ids; an event without one counts toward one implicit session per user ("user:<id>"). */
  sessions: DistinctState;
  /** Earliest and latest event time (epoch ms) of the day. */
  firstAt: number | null;
  lastAt: number | null;
  /** Moments and distribution of the events' `value`. */
  value: MomentsState;
  valueSketch: QuantileSketchState;
}

/** The fields of a raw event the metric engine reads (everything else is projected away). */
export interface MetricEvent {
  accountId: string;
  userId: string;
  type: string;
  occurredAt: number;
  value: number;
  sessionId: string | null;
}

export const METRIC_EVENT_FIELDS = ['eventId', 'accountId', 'userId', 'type', 'occurredAt', 'value', 'sessionId'];

export const ACCOUNT_DAY_STATE_SCHEMA = {
  type: 'record',
  name: 'AccountDayState',
  namespace: 'daybreak.metrics',
  doc: 'One account, one local day (or one partition of it): mergeable monoid states, sorted by accountId in files.',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'events', type: 'long' },
    { name: 'eventsByType', type: { type: 'map', values: 'long' } },
    { name: 'users', type: DISTINCT_SCHEMA },
    { name: 'sessions', type: 'daybreak.metrics.Distinct' },
    { name: 'firstAt', type: ['null', 'long'], default: null },
    { name: 'lastAt', type: ['null', 'long'], default: null },
    { name: 'value', type: MOMENTS_SCHEMA },
    { name: 'valueSketch', type: QUANTILE_SKETCH_SCHEMA },
  ],
};

/**
 * The schema stored states are read with: ACCOUNT_DAY_STATE_SCHEMA plus the string values of
 * states written before fingerprints (empty by default), which upgradeAccountDayState converts.
 * Avro resolution then reads files of either kind.
 */
export const ACCOUNT_DAY_STATE_READER_SCHEMA = {
  ...ACCOUNT_DAY_STATE_SCHEMA,
  fields: ACCOUNT_DAY_STATE_SCHEMA.fields.map((f) =>
    f.name === 'users'
      ? { ...f, type: { ...DISTINCT_SCHEMA, fields: [...DISTINCT_SCHEMA.fields, LEGACY_DISTINCT_VALUES_FIELD] } }
      : f,
  ),
};

/** A state as decoded with ACCOUNT_DAY_STATE_READER_SCHEMA. */
export type StoredAccountDayState = Omit<AccountDayState, 'users' | 'sessions'> & {
  users: StoredDistinctState;
  sessions: StoredDistinctState;
};

/** A decoded state of any release (or the usage part of one) with current distinct states. */
export function upgradeAccountDayState(stored: StoredAccountDayState): AccountDayState;
export function upgradeAccountDayState(stored: StoredAccountDayUsage): AccountDayUsage;
export function upgradeAccountDayState(stored: StoredAccountDayUsage): AccountDayUsage {
  return { ...stored, users: upgradeDistinct(stored.users), sessions: upgradeDistinct(stored.sessions) };
}

/**
 * What rolling windows and account documents use of a day state: all but the value moments and
 * sketch. They read stored states with ACCOUNT_DAY_USAGE_READER_SCHEMA, so Avro resolution skips
 * those bytes instead of building a few dozen sketch buckets per account they would not look at.
 */
export type AccountDayUsage = Omit<AccountDayState, 'value' | 'valueSketch'>;
export type StoredAccountDayUsage = Omit<StoredAccountDayState, 'value' | 'valueSketch'>;

export const ACCOUNT_DAY_USAGE_READER_SCHEMA = {
  ...ACCOUNT_DAY_STATE_READER_SCHEMA,
  fields: ACCOUNT_DAY_STATE_READER_SCHEMA.fields.filter((f) => f.name !== 'value' && f.name !== 'valueSketch'),
};

export function emptyAccountDayState(accountId: string): AccountDayState {
  return {
    accountId,
    events: 0,
    eventsByType: {},
    users: distinctMonoid.empty(),
    sessions: distinctMonoid.empty(),
    firstAt: null,
    lastAt: null,
    value: momentsMonoid.empty(),
    valueSketch: quantileSketchMonoid.empty(),
  };
}

/** Merge of two states of the same account (the accountId of `a` is kept; an empty '' defers to `b`). */
export const accountDayStateMonoid: Monoid<AccountDayState> = {
  name: 'accountDayState',
  empty: () => emptyAccountDayState(''),
  merge(a, b) {
    if (a.accountId && b.accountId && a.accountId !== b.accountId) {
      throw new RangeError(`cannot merge states of accounts ${a.accountId} and ${b.accountId}`);
    }
    return {
      accountId: a.accountId || b.accountId,
      events: a.events + b.events,
      eventsByType: countByKeyMonoid.merge(a.eventsByType, b.eventsByType),
      users: distinctMonoid.merge(a.users, b.users),
      sessions: distinctMonoid.merge(a.sessions, b.sessions),
      firstAt: minMonoid.merge(a.firstAt, b.firstAt),
      lastAt: maxMonoid.merge(a.lastAt, b.lastAt),
      value: momentsMonoid.merge(a.value, b.value),
      valueSketch: quantileSketchMonoid.merge(a.valueSketch, b.valueSketch),
    };
  },
  commutative: true,
  schema: ACCOUNT_DAY_STATE_SCHEMA,
};

/**
 * Merges lists of account states (partials, in any order and number) into one list with one state
 * per account, sorted by accountId. Memory grows with the number of accounts.
 */
export function mergeAccountStates(lists: Iterable<Iterable<AccountDayState>>): AccountDayState[] {
  const merger = new AccountStatesMerger();
  for (const list of lists) merger.add(list);
  return merger.result();
}

class AccountAccumulator {
  events = 0;
  readonly byType = new Map<string, number>();
  readonly users = new DistinctAccumulator();
  readonly sessions = new DistinctAccumulator();
  firstAt = Infinity;
  lastAt = -Infinity;
  readonly value = new MomentsAccumulator();
  readonly valueSketch = new QuantileSketchAccumulator();

  constructor(readonly accountId: string) {}

  toState(): AccountDayState {
    return {
      accountId: this.accountId,
      events: this.events,
      eventsByType: sortedCounts(this.byType),
      users: this.users.toState(),
      sessions: this.sessions.toState(),
      firstAt: this.events ? this.firstAt : null,
      lastAt: this.events ? this.lastAt : null,
      value: this.value.toState(),
      valueSketch: this.valueSketch.toState(),
    };
  }
}

/**
 * Aggregates one partition's events into per-account states: the hot path. Mutable accumulators
 * (Sets, counters, HLL registers) keep the cost per event low; `states()` converts them to the
 * canonical monoid states, which are exactly what folding the monoids over the same events gives.
 * Events outside [startMs, endMs) are counted and skipped: late or early arrivals of other days.
 */
export class PartitionAggregator {
  private readonly accounts = new Map<string, AccountAccumulator>();
  accepted = 0;
  outOfWindow = 0;

  constructor(
    private readonly startMs: number,
    private readonly endMs: number,
  ) {}

  add(event: MetricEvent): boolean {
    const t = event.occurredAt;
    if (!(t >= this.startMs && t < this.endMs)) {
      this.outOfWindow++;
      return false;
    }
    let acc = this.accounts.get(event.accountId);
    if (acc === undefined) {
      acc = new AccountAccumulator(event.accountId);
      this.accounts.set(event.accountId, acc);
    }
    acc.events++;
    acc.byType.set(event.type, (acc.byType.get(event.type) ?? 0) + 1);
    acc.users.add(event.userId);
    acc.sessions.add(event.sessionId ?? `user:${event.userId}`);
    if (t < acc.firstAt) acc.firstAt = t;
    if (t > acc.lastAt) acc.lastAt = t;
    acc.value.add(event.value);
    acc.valueSketch.add(event.value);
    this.accepted++;
    return true;
  }

  get accountCount(): number {
    return this.accounts.size;
  }

  /** The partition's partial states, sorted by accountId. */
  states(): AccountDayState[] {
    return [...this.accounts.values()].map((a) => a.toState()).sort((x, y) => compareStrings(x.accountId, y.accountId));
  }
}
