import { describe, expect, it } from 'vitest';
import type { AccountDayUsage } from '../../../src/metrics/account-state';
import { compareStrings } from '../../../src/metrics/monoids/monoid';
import { distinctCount, distinctMonoid } from '../../../src/metrics/monoids/distinct';
import type { DistinctState } from '../../../src/metrics/monoids/distinct';
import type { RollingInput, RollingState } from '../../../src/metrics/rolling';
import { HISTORY_DAYS, computeRolling, rollingOfAccount } from '../../../src/metrics/rolling';
import { DAY0, accountIds, int, joinSorted, randomRollingInput, randomUsage, seeded } from './support/random-usage';

// The reference: computeRolling as it was before the per-account form (commit 16816ba), verbatim.
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
function referenceRolling(input: RollingInput): RollingState[] {
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

/** rollingOfAccount driven as a bucket task drives it: a merge-join of the sorted day files. */
function streamedRolling(input: RollingInput): RollingState[] {
  const out: RollingState[] = [];
  joinSorted<AccountDayUsage | RollingState>([input.today, ...input.history, input.previous], (accountId, rows) => {
    const today = rows[0] as AccountDayUsage | undefined;
    const history = rows.slice(1, 1 + input.history.length) as (AccountDayUsage | undefined)[];
    const previous = rows[1 + input.history.length] as RollingState | undefined;
    const state = rollingOfAccount(accountId, today, history, previous);
    expect(state).not.toBeNull();
    out.push(state!);
  });
  return out;
}

describe('rollingOfAccount', () => {
  it('streamed account by account gives exactly the whole-tenant rolling states (seeded random tenants)', () => {
    let hll = 0;
    let previousOnly = 0;
    let missingDays = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = seeded(seed);
      const ids = accountIds(r, int(r, 1, 120));
      const input = randomRollingInput(r, ids, [0.02, 0.1, 0.5][seed % 3]);
      const expected = referenceRolling(input);
      expect(streamedRolling(input), `seed ${seed}`).toEqual(expected);
      expect(computeRolling(input), `seed ${seed}`).toEqual(expected);
      hll += expected.filter((s) => s.activeUsers30d > 256).length;
      missingDays += input.history.filter((d) => d === null).length;
      const elsewhere = new Set([input.today, ...input.history].flatMap((d) => (d ?? []).map((s) => s.accountId)));
      previousOnly += (input.previous ?? []).filter((p) => !elsewhere.has(p.accountId)).length;
    }
    // The cases the brief names are really in the data, not just possible.
    expect(hll).toBeGreaterThan(20);
    expect(previousOnly).toBeGreaterThan(20);
    expect(missingDays).toBeGreaterThan(20);
  });

  it('reads each day into the right window, missing days and a short history included', () => {
    // One account, 3 events on each day present: D, D-6 (last of the 7-day window), D-7 (first of
    // the previous week), D-13 (last of it), D-14 and D-29 (30-day window only). D-1 is missing.
    const r = seeded(7);
    const usage = (daysAgo: number): AccountDayUsage => ({
      ...randomUsage(r, 'a', daysAgo),
      events: 3,
      eventsByType: { invoice_paid: 1, login: 2 },
    });
    const history: (AccountDayUsage | undefined)[] = Array.from({ length: HISTORY_DAYS }, () => undefined);
    for (const k of [6, 7, 13, 14, 29]) history[k - 1] = usage(k);
    const s = rollingOfAccount('a', usage(0), history, undefined)!;
    expect([s.events7d, s.eventsPrevious7d, s.events30d, s.invoicePaid30d]).toEqual([6, 6, 18, 6]);
    // Only 6 earlier days: everything is in the 7-day window.
    const short = rollingOfAccount('a', undefined, history.slice(0, 6), undefined)!;
    expect([short.events7d, short.eventsPrevious7d, short.events30d]).toEqual([3, 0, 3]);
    expect(rollingOfAccount('a', undefined, history.slice(0, 5), undefined)).toBeNull();
  });

  it('counts users once across days, exactly below 257 and by HLL above, as the merged day states do', () => {
    const r = seeded(11);
    const days = Array.from({ length: 30 }, (_, k) => randomUsage(r, 'big', k));
    const s = rollingOfAccount('big', days[0], days.slice(1), undefined)!;
    let week: DistinctState = distinctMonoid.empty();
    for (const d of days.slice(0, 7)) week = distinctMonoid.merge(week, d.users);
    let month: DistinctState = distinctMonoid.empty();
    for (const d of days) month = distinctMonoid.merge(month, d.users);
    expect(s.activeUsers7d).toBe(distinctCount(week));
    expect(s.activeUsers30d).toBe(distinctCount(month));
    expect(month.hll).not.toBeNull();
  });

  it('keeps an account seen only in the previous rolling state, with zeros and its first/last', () => {
    const previous: RollingState = {
      accountId: 'old',
      activeUsers7d: 4,
      activeUsers30d: 4,
      events7d: 9,
      events30d: 9,
      eventsPrevious7d: 0,
      invoicePaid30d: 1,
      invoiceOverdue30d: 0,
      paymentFailed30d: 0,
      firstSeenEver: DAY0 - 100 * 86_400_000,
      lastSeenEver: DAY0 - 40 * 86_400_000,
    };
    expect(rollingOfAccount('old', undefined, [], previous)).toEqual({
      ...previous,
      activeUsers7d: 0,
      activeUsers30d: 0,
      events7d: 0,
      events30d: 0,
      invoicePaid30d: 0,
    });
    expect(rollingOfAccount('old', undefined, [undefined, undefined], undefined)).toBeNull();
  });

  it('refuses a row of another account and more than 29 earlier days', () => {
    const r = seeded(3);
    expect(() => rollingOfAccount('a', randomUsage(r, 'b', 0), [], undefined)).toThrow(/account a got .* of b/);
    expect(() => rollingOfAccount('a', undefined, new Array<undefined>(30), undefined)).toThrow(RangeError);
    const day = [randomUsage(r, 'a', 1), randomUsage(r, 'a', 1)];
    expect(() => computeRolling({ today: [], history: [day], previous: null })).toThrow(/D-1 has account a twice/);
  });
});
