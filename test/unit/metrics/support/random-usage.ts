import type { AccountDayUsage } from '../../../../src/metrics/account-state';
import { distinctMonoid, distinctOf } from '../../../../src/metrics/monoids/distinct';
import type { RollingState } from '../../../../src/metrics/rolling';
import { compareStrings } from '../../../../src/metrics/monoids/monoid';

/** mulberry32: a small seeded generator, so a failing case can be rerun from its seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const int = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

export function shuffled<T>(r: () => number, xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = int(r, 0, i);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Account ids with the awkward ones: the empty id, non-ASCII, an integer-like id. */
export function accountIds(r: () => number, n: number): string[] {
  const ids = new Set<string>(['', 'ü-account', '42']);
  while (ids.size < n) ids.add(`acc-${int(r, 0, 10 * n).toString(36)}`);
  return [...ids].slice(0, n);
}

const TYPES = ['login', 'page_view', 'invoice_paid', 'invoice_overdue', 'payment_failed', '7', '42'];
export const DAY0 = Date.UTC(2026, 10, 1);
const DAY_MS = 86_400_000;

/**
 * One account's usage on day D-daysAgo: mostly a few users, sometimes a few hundred (so unions of
 * days pass the 256-value exact limit and switch to HLL), users drawn from a pool shared by the
 * account's days so that unions overlap.
 */
export function randomUsage(r: () => number, accountId: string, daysAgo: number): AccountDayUsage {
  const busy = r() < 0.08;
  const userCount = busy ? int(r, 120, 320) : int(r, 0, 5);
  const users = Array.from({ length: userCount }, () => `u-${int(r, 0, busy ? 600 : 12)}`);
  const eventsByType: Record<string, number> = {};
  for (const t of TYPES) if (r() < 0.35) eventsByType[t] = int(r, 1, busy ? 5000 : 9);
  const events = Object.values(eventsByType).reduce((a, b) => a + b, 0);
  const start = DAY0 - daysAgo * DAY_MS;
  const firstAt = events > 0 ? start + int(r, 0, DAY_MS / 2) : null;
  return {
    accountId,
    events,
    eventsByType: Object.fromEntries(Object.entries(eventsByType).sort((x, y) => compareStrings(x[0], y[0]))),
    users: userCount > 0 ? distinctOf(users) : distinctMonoid.empty(),
    sessions: distinctOf(users.map((u) => `s-${u}-${int(r, 0, 2)}`)),
    firstAt,
    lastAt: firstAt === null ? null : firstAt + int(r, 0, DAY_MS / 2 - 1),
  };
}

export interface RandomRollingInput {
  today: AccountDayUsage[];
  history: (AccountDayUsage[] | null)[];
  previous: RollingState[] | null;
}

/**
 * A random tenant's rolling input: `ids` accounts, each active on a day with probability
 * `density`, some history days missing (null), a history of 0..29 days, and previous rolling
 * states including accounts that appear nowhere else (first/last only, possibly null). Lists are
 * shuffled: the whole-tenant functions must not depend on their order.
 */
export function randomRollingInput(r: () => number, ids: readonly string[], density: number): RandomRollingInput {
  const dayOf = (daysAgo: number) =>
    shuffled(
      r,
      ids.filter(() => r() < density).map((id) => randomUsage(r, id, daysAgo)),
    );
  const historyDays = r() < 0.7 ? 29 : int(r, 0, 28);
  const history = Array.from({ length: historyDays }, (_, i) => (r() < 0.15 ? null : dayOf(i + 1)));
  const previous =
    r() < 0.2
      ? null
      : shuffled(
          r,
          ids
            .filter(() => r() < 0.4)
            .map((accountId): RollingState => {
              const first = r() < 0.2 ? null : DAY0 - int(r, 31, 400) * DAY_MS;
              return {
                accountId,
                activeUsers7d: int(r, 0, 9),
                activeUsers30d: int(r, 0, 9),
                events7d: int(r, 0, 9),
                events30d: int(r, 0, 9),
                eventsPrevious7d: int(r, 0, 9),
                invoicePaid30d: 0,
                invoiceOverdue30d: 0,
                paymentFailed30d: 0,
                firstSeenEver: first,
                lastSeenEver: first === null ? null : first + int(r, 0, 20) * DAY_MS,
              };
            }),
        );
  return { today: dayOf(0), history, previous };
}

/**
 * A k-way merge-join of lists sorted by accountId, as a bucket task runs over sorted files: calls
 * `visit` once per account in accountId order with its row of each list (undefined where absent).
 */
export function joinSorted<T extends { accountId: string }>(
  lists: readonly (readonly T[] | null)[],
  visit: (accountId: string, rows: (T | undefined)[]) => void,
): void {
  const sorted = lists.map((l) => (l === null ? [] : [...l].sort((x, y) => compareStrings(x.accountId, y.accountId))));
  const at = sorted.map(() => 0);
  for (;;) {
    let least: string | undefined;
    for (let k = 0; k < sorted.length; k++) {
      const row = sorted[k][at[k]];
      if (row !== undefined && (least === undefined || row.accountId < least)) least = row.accountId;
    }
    if (least === undefined) return;
    const rows = sorted.map((l, k) => (l[at[k]]?.accountId === least ? l[at[k]++] : undefined));
    visit(least, rows);
  }
}
