import { compareStrings } from './monoids/monoid';
import { DISTINCT_EXACT_LIMIT, distinctCount, distinctMonoid } from './monoids/distinct';
import { fingerprintCount } from './monoids/fingerprint';
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

function minOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}
function maxOf(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

/**
 * A state distinctMonoid.merge leaves as it is (exact and within the limit, or registers only):
 * merged into the empty state it gives an equal state, so the first day an account appears needs
 * no merge (and no copy), which is most accounts of a quiet tenant.
 */
function isNormalized(d: DistinctState): boolean {
  return d.hll === null ? fingerprintCount(d.fingerprints) <= DISTINCT_EXACT_LIMIT : d.fingerprints.length === 0;
}

function sameAccount(accountId: string, s: { accountId: string }, what: string): void {
  // A merge-join that pairs the wrong rows would otherwise write another account's numbers silently.
  if (s.accountId !== accountId) throw new RangeError(`rolling of account ${accountId} got ${what} of ${s.accountId}`);
}

/**
 * The rolling state of one account on day D, from its own rows only: `today` (D's daily usage),
 * `history[i]` (day D-(i+1), undefined where that day is missing or the account had no row) and
 * `previous` (its row in the latest earlier rolling state). Null when it appears in none of them.
 * Per-account so that a task can stream sorted files through a merge-join instead of holding the
 * tenant; computeRolling is this, account by account.
 *
 * Distinct users are merged in the order today, D-1, D-2, ..., D-29: the 7-day union is the 30-day
 * union after D-6, so the 30-day one goes on from it instead of merging those days a second time.
 */
export function rollingOfAccount(
  accountId: string,
  today: AccountDayUsage | undefined,
  history: readonly (AccountDayUsage | undefined)[],
  previous: RollingState | undefined,
): RollingState | null {
  if (history.length > HISTORY_DAYS) {
    throw new RangeError(`rolling windows read at most ${HISTORY_DAYS} earlier days, got ${history.length}`);
  }
  let present = false;
  let users: DistinctState = distinctMonoid.empty();
  let events7 = 0;
  let events30 = 0;
  let eventsPrev7 = 0;
  let paid = 0;
  let overdue = 0;
  let failed = 0;
  let first: number | null = null;
  let last: number | null = null;
  let users7: DistinctState = users;
  // daysAgo 0 is today, k is history[k - 1].
  for (let daysAgo = 0; daysAgo <= history.length; daysAgo++) {
    const s = daysAgo === 0 ? today : history[daysAgo - 1];
    if (s !== undefined) {
      sameAccount(accountId, s, daysAgo === 0 ? 'the daily usage of D' : `the daily usage of D-${daysAgo}`);
      users = present || !isNormalized(s.users) ? distinctMonoid.merge(users, s.users) : s.users;
      present = true;
      if (daysAgo <= 6) events7 += s.events;
      else if (daysAgo <= 13) eventsPrev7 += s.events;
      events30 += s.events;
      const byType = s.eventsByType;
      paid += byType['invoice_paid'] ?? 0;
      overdue += byType['invoice_overdue'] ?? 0;
      failed += byType['payment_failed'] ?? 0;
      first = minOf(first, s.firstAt);
      last = maxOf(last, s.lastAt);
    }
    if (daysAgo === 6) users7 = users;
  }
  if (history.length < 6) users7 = users;
  if (previous !== undefined) {
    sameAccount(accountId, previous, 'the previous rolling state');
    present = true;
    first = minOf(first, previous.firstSeenEver);
    last = maxOf(last, previous.lastSeenEver);
  }
  if (!present) return null;
  return {
    accountId,
    activeUsers7d: distinctCount(users7),
    activeUsers30d: distinctCount(users),
    events7d: events7,
    events30d: events30,
    eventsPrevious7d: eventsPrev7,
    invoicePaid30d: paid,
    invoiceOverdue30d: overdue,
    paymentFailed30d: failed,
    firstSeenEver: first,
    lastSeenEver: last,
  };
}

interface AccountRows {
  today: AccountDayUsage | undefined;
  history: (AccountDayUsage | undefined)[];
  previous: RollingState | undefined;
}

/**
 * Computes rolling states for every account that appears today, in any of the 29 earlier days, or
 * in the previous rolling states (so first/last activity is never forgotten). Sorted by accountId.
 * The whole-tenant form of rollingOfAccount (each list holds one row per account, as every stored
 * file does); tests hold the per-account streaming use to it.
 */
export function computeRolling(input: RollingInput): RollingState[] {
  if (input.history.length > HISTORY_DAYS) {
    throw new RangeError(`rolling windows read at most ${HISTORY_DAYS} earlier days, got ${input.history.length}`);
  }
  // One map of each account's rows: a lookup per row, not one per account and earlier day.
  const rows = new Map<string, AccountRows>();
  const rowsOf = (accountId: string): AccountRows => {
    let r = rows.get(accountId);
    if (r === undefined) {
      r = {
        today: undefined,
        history: new Array<AccountDayUsage | undefined>(input.history.length),
        previous: undefined,
      };
      rows.set(accountId, r);
    }
    return r;
  };
  // Every stored dataset has one row per account; a second one would silently replace the first.
  const twice = (what: string, accountId: string) => new RangeError(`${what} has account ${accountId} twice`);
  for (const s of input.today) {
    const r = rowsOf(s.accountId);
    if (r.today !== undefined) throw twice('the daily usage of D', s.accountId);
    r.today = s;
  }
  input.history.forEach((states, i) => {
    for (const s of states ?? []) {
      const r = rowsOf(s.accountId);
      if (r.history[i] !== undefined) throw twice(`the daily usage of D-${i + 1}`, s.accountId);
      r.history[i] = s;
    }
  });
  for (const p of input.previous ?? []) {
    const r = rowsOf(p.accountId);
    if (r.previous !== undefined) throw twice('the previous rolling state', p.accountId);
    r.previous = p;
  }
  const out: RollingState[] = [];
  for (const accountId of [...rows.keys()].sort(compareStrings)) {
    const r = rows.get(accountId)!;
    out.push(rollingOfAccount(accountId, r.today, r.history, r.previous)!);
  }
  return out;
}
