import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountDayState, MetricEvent } from '../../../src/metrics/account-state';
import { PartitionAggregator, accountDayStateMonoid } from '../../../src/metrics/account-state';
import { AccountStatesMerger } from '../../../src/metrics/states-merger';
import { DISTINCT_EXACT_LIMIT } from '../../../src/metrics/monoids/distinct';
import { compareStrings } from '../../../src/metrics/monoids/monoid';

const T0 = Date.UTC(2026, 2, 10);

/** The reference: accountDayStateMonoid.merge folded over every state of an account, in list order. */
function foldByMonoid(lists: AccountDayState[][]): AccountDayState[] {
  const by = new Map<string, AccountDayState>();
  for (const list of lists) {
    for (const s of list) {
      const seen = by.get(s.accountId);
      by.set(s.accountId, seen ? accountDayStateMonoid.merge(seen, s) : s);
    }
  }
  return [...by.values()].sort((x, y) => compareStrings(x.accountId, y.accountId));
}

function partials(events: MetricEvent[], partitionOf: number[], partitions: number): AccountDayState[][] {
  const aggs = Array.from({ length: partitions }, () => new PartitionAggregator(T0, T0 + 86_400_000));
  events.forEach((e, i) => aggs[partitionOf[i] % partitions].add(e));
  return aggs.map((a) => a.states());
}

function merged(lists: AccountDayState[][]): AccountDayState[] {
  const merger = new AccountStatesMerger();
  for (const list of lists) merger.add(list);
  return merger.result();
}

const eventArb = fc.record({
  accountId: fc.constantFrom('a', 'b', 'ü', ''),
  // A few hundred users, so some accounts pass the exact limit in some partitions and not others.
  userId: fc.integer({ min: 0, max: DISTINCT_EXACT_LIMIT + 60 }).map((n) => `user-${n}`),
  type: fc.constantFrom('login', 'page_view', 'invoice_paid'),
  occurredAt: fc.integer({ min: T0, max: T0 + 86_399_999 }),
  value: fc.oneof(
    fc.integer({ min: -5000, max: 5000 }),
    fc.constantFrom(0, 0.5, 2 ** 45, -(2 ** 45), 1e12),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  ),
  sessionId: fc.option(fc.integer({ min: 0, max: 400 }).map(String), { nil: null }),
});

describe('AccountStatesMerger', () => {
  it('gives exactly what folding accountDayStateMonoid.merge gives, whatever the partitions (property)', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 700 }),
        fc.array(fc.nat(), { minLength: 700, maxLength: 700 }),
        fc.integer({ min: 1, max: 7 }),
        (events, partitionOf, partitions) => {
          const lists = partials(events, partitionOf, partitions);
          expect(merged(lists)).toEqual(foldByMonoid(lists));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps a union of exactly the limit exact, and switches to HLL one value past it', () => {
    const usersIn = (distinct: number) => {
      const events: MetricEvent[] = Array.from({ length: distinct }, (_, n) => ({
        accountId: 'big',
        userId: `user-${n}`,
        type: 'login',
        occurredAt: T0 + n,
        value: 1,
        sessionId: null,
      }));
      return partials(
        events,
        events.map((_, i) => i % 2),
        2,
      );
    };
    const atLimit = usersIn(DISTINCT_EXACT_LIMIT);
    const [exact] = merged(atLimit);
    expect(exact.users.hll).toBeNull();
    expect(exact.users.fingerprints.length).toBe(DISTINCT_EXACT_LIMIT * 8);
    expect([exact]).toEqual(foldByMonoid(atLimit));

    const past = usersIn(DISTINCT_EXACT_LIMIT + 1);
    expect(past.every((l) => l[0].users.hll === null)).toBe(true);
    const [state] = merged(past);
    expect(state.users.hll).not.toBeNull();
    expect(state.users.fingerprints.length).toBe(0);
    expect([state]).toEqual(foldByMonoid(past));
  });

  it('sums moments past 2^53 exactly, as decimal strings', () => {
    const state = (sum: string, sumSquares: string): AccountDayState => ({
      accountId: 'x',
      events: 1,
      eventsByType: { login: 1 },
      users: { fingerprints: new Uint8Array(0), hll: null },
      sessions: { fingerprints: new Uint8Array(0), hll: null },
      firstAt: T0,
      lastAt: T0,
      value: { count: 1, sum, sumSquares },
      valueSketch: { zeroCount: 1, positive: [], negative: [] },
    });
    const lists = [
      [state('4503599627370495', '99999999999999999999')],
      [state('4503599627370497', '1')],
      [state('-12', '7')],
    ];
    const [out] = merged(lists);
    expect(out.value).toEqual({ count: 3, sum: '9007199254740980', sumSquares: '100000000000000000007' });
    expect([out]).toEqual(foldByMonoid(lists));
  });
});
