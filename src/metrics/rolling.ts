import { compareStrings } from './monoids/monoid';
import { distinctCount, distinctMonoid } from './monoids/distinct';
import type { DistinctState } from './monoids/distinct';
import type { AccountDayUsage } from './account-state';

/**
 * Per-account rolling windows for local day D, merged from stored daily states (never re-read from
 * raw events), plus the account's first and last activity ever, carried from day to day.
 */
export interface RollingState {
  accountId: string;
  /** Distinct users over D-6..D and D-29..D (HLL merges of the daily user states). */
  activeUsers7d: number;
  activeUsers30d: number;
  /** Events over D-6..D, D-29..D and D-13..D-7. */
  events7d: number;
  events30d: number;
  eventsPrevious7d: number;
  /** Billing events over D-29..D, by type. */
  invoicePaid30d: number;
  invoiceOverdue30d: number;
  paymentFailed30d: number;
  /** Epoch ms of the first and latest event ever seen (carried from the latest earlier rolling state). */
  firstSeenEver: number | null;
  lastSeenEver: number | null;
}

export const ROLLING_STATE_SCHEMA = {
  type: 'record',
  name: 'RollingState',
  namespace: 'daybreak.metrics',
  doc: 'Rolling windows of one account for one local day; files sorted by accountId.',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'activeUsers7d', type: 'long' },
    { name: 'activeUsers30d', type: 'long' },
    { name: 'events7d', type: 'long' },
    { name: 'events30d', type: 'long' },
    { name: 'eventsPrevious7d', type: 'long' },
    { name: 'invoicePaid30d', type: 'long' },
    { name: 'invoiceOverdue30d', type: 'long' },
    { name: 'paymentFailed30d', type: 'long' },
    { name: 'firstSeenEver', type: ['null', 'long'], default: null },
    { name: 'lastSeenEver', type: ['null', 'long'], default: null },
  ],
};

/** How many earlier days the rolling windows read: D-1 .. D-29. */
export const HISTORY_DAYS = 29;

export interface RollingInput {
  /** Day D's merged states. */
  today: readonly AccountDayUsage[];
  /**
   * Earlier days' stored daily states: history[k - 1] is day D-k for k = 1..29; null where that
   * day's state is missing (not run yet, or lost), which counts as a day without events.
   */
  history: readonly (readonly AccountDayUsage[] | null)[];
  /**
   * The latest earlier day's rolling states there are (D-k, found by planHistory within
   * ROLLING_LOOKBACK_DAYS), for the first/last-seen carry; null when none. Days D-k+1..D-1 reach
   * first/last through `history`, so the carry is exact for k <= HISTORY_DAYS + 1.
   */
  previous: readonly RollingState[] | null;
}

interface Window {
  users7: DistinctState;
  users30: DistinctState;
  events7: number;
  events30: number;
  eventsPrev7: number;
  paid: number;
  overdue: number;
  failed: number;
  first: number | null;
  last: number | null;
}

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/**
 * Computes rolling states for every account that appears today, in any of the 29 earlier days, or
 * in the previous rolling states (so first/last activity is never forgotten). Sorted by accountId.
 */
export function computeRolling(input: RollingInput): RollingState[] {
  if (input.history.length > HISTORY_DAYS) {
    throw new RangeError(`rolling windows read at most ${HISTORY_DAYS} earlier days, got ${input.history.length}`);
  }
  const windows = new Map<string, Window>();
  const windowOf = (accountId: string): Window => {
    let w = windows.get(accountId);
    if (!w) {
      w = {
        users7: distinctMonoid.empty(),
        users30: distinctMonoid.empty(),
        events7: 0,
        events30: 0,
        eventsPrev7: 0,
        paid: 0,
        overdue: 0,
        failed: 0,
        first: null,
        last: null,
      };
      windows.set(accountId, w);
    }
    return w;
  };
  const addDay = (daysAgo: number, states: readonly AccountDayUsage[]) => {
    for (const s of states) {
      const w = windowOf(s.accountId);
      if (daysAgo <= 6) {
        w.users7 = distinctMonoid.merge(w.users7, s.users);
        w.events7 += s.events;
      } else if (daysAgo <= 13) {
        w.eventsPrev7 += s.events;
      }
      w.users30 = distinctMonoid.merge(w.users30, s.users);
      w.events30 += s.events;
      w.paid += s.eventsByType['invoice_paid'] ?? 0;
      w.overdue += s.eventsByType['invoice_overdue'] ?? 0;
      w.failed += s.eventsByType['payment_failed'] ?? 0;
      w.first = minOf(w.first, s.firstAt);
      w.last = maxOf(w.last, s.lastAt);
    }
  };
  addDay(0, input.today);
  input.history.forEach((states, i) => {
    if (states) addDay(i + 1, states);
  });
  for (const p of input.previous ?? []) {
    const w = windowOf(p.accountId);
    w.first = minOf(w.first, p.firstSeenEver);
    w.last = maxOf(w.last, p.lastSeenEver);
  }
  return [...windows.entries()]
    .sort((x, y) => compareStrings(x[0], y[0]))
    .map(([accountId, w]) => ({
      accountId,
      activeUsers7d: distinctCount(w.users7),
      activeUsers30d: distinctCount(w.users30),
      events7d: w.events7,
      events30d: w.events30,
      eventsPrevious7d: w.eventsPrev7,
      invoicePaid30d: w.paid,
      invoiceOverdue30d: w.overdue,
      paymentFailed30d: w.failed,
      firstSeenEver: w.first,
      lastSeenEver: w.last,
    }));
}
