import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountRecord, Comparator, FieldPair, FieldValue } from '../../../src/compare';
import {
  absTolerance,
  allowChange,
  createComparisonRegistry,
  exact,
  ignore,
  matchesField,
  onlyAccounts,
  relTolerance,
  tolerance,
  withBillingEvents,
} from '../../../src/compare';

function pair(primary: FieldValue, shadow: FieldValue, extra: Partial<FieldPair> = {}): FieldPair {
  return {
    accountId: 'a1',
    field: 'healthScore',
    primary,
    shadow,
    primaryRecord: { accountId: 'a1', billingEvents: 0 },
    shadowRecord: { accountId: 'a1', billingEvents: 0 },
    ...extra,
  };
}

const billing = (p: number, s: number): Partial<FieldPair> => ({
  primaryRecord: { accountId: 'a1', billingEvents: p },
  shadowRecord: { accountId: 'a1', billingEvents: s },
});

describe('built-in comparators', () => {
  const table: Array<[string, Comparator, FieldValue, FieldValue, Partial<FieldPair>, string]> = [
    ['exact: any number difference', exact, 1, 2, {}, 'unexpected'],
    ['exact: string difference (NFC vs NFD)', exact, 'Café', 'Cafe\u0301', {}, 'unexpected'],
    ['exact: null vs value', exact, null, 0, {}, 'unexpected'],
    ['ignore: passes any difference', ignore, 1, 1000, {}, 'equal'],
    ['ignore: passes a type change', ignore, 'x', null, {}, 'equal'],
    ['abs 0.5: within', absTolerance(0.5), 10, 10.5, {}, 'equal'],
    ['abs 0.5: beyond', absTolerance(0.5), 10, 10.51, {}, 'unexpected'],
    ['abs 0.5: negative side', absTolerance(0.5), -10, -10.4, {}, 'equal'],
    ['abs: null vs number is never within', absTolerance(1e9), null, 1, {}, 'unexpected'],
    ['abs: strings are never within', absTolerance(1e9), 'a', 'b', {}, 'unexpected'],
    ['rel 1%: within', relTolerance(0.01), 100, 100.99, {}, 'equal'],
    ['rel 1%: beyond', relTolerance(0.01), 100, 102, {}, 'unexpected'],
    ['rel 1%: zero vs tiny is beyond', relTolerance(0.01), 0, 1e-12, {}, 'unexpected'],
    ['abs+rel: abs covers the zero case', tolerance({ abs: 1e-9, rel: 0.01 }), 0, 1e-12, {}, 'equal'],
    ['only listed: listed account', onlyAccounts(['a1']), 1, 2, {}, 'expected'],
    ['only listed: other account', onlyAccounts(['a2']), 1, 2, {}, 'unexpected'],
    ['billing predicate: billing on primary', onlyAccounts(withBillingEvents), 50, 60, billing(2, 0), 'expected'],
    ['billing predicate: billing on shadow only', onlyAccounts(withBillingEvents), 50, 60, billing(0, 1), 'expected'],
    ['billing predicate: no billing', onlyAccounts(withBillingEvents), 50, 60, billing(0, 0), 'unexpected'],
    [
      'billing predicate: no billing, within otherwise tolerance',
      onlyAccounts(withBillingEvents, { otherwise: absTolerance(1) }),
      50,
      51,
      billing(0, 0),
      'equal',
    ],
    ['allow-change', allowChange, 1, 2, {}, 'expected'],
  ];
  it.each(table)('%s', (_name, c, primary, shadow, extra, outcome) => {
    expect(c.compare(pair(primary, shadow, extra))).toBe(outcome);
  });

  it('names appear as the CSV rule', () => {
    expect(absTolerance(0.5).name).toBe('abs-tolerance(0.5)');
    expect(relTolerance(0.01).name).toBe('rel-tolerance(0.01)');
    expect(onlyAccounts(withBillingEvents).name).toBe('only-accounts(with-billing-events)');
    expect(onlyAccounts(['a', 'b']).name).toBe('only-accounts(2 listed)');
  });

  it('rejects negative or non-finite tolerances', () => {
    expect(() => absTolerance(-1)).toThrow(/tolerance/);
    expect(() => relTolerance(Number.NaN)).toThrow(/tolerance/);
  });
});

describe('comparator symmetry: swapping primary and shadow never changes the outcome', () => {
  const value = fc.oneof(
    fc.double({ noNaN: true, min: -1e12, max: 1e12 }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.constant(null),
    fc.string(),
  );
  const record = fc.record({ accountId: fc.constant('a1'), billingEvents: fc.nat(3) });
  const comparators: Comparator[] = [
    exact,
    ignore,
    absTolerance(0.5),
    relTolerance(0.01),
    tolerance({ abs: 0.1, rel: 0.05 }),
    onlyAccounts(withBillingEvents),
    onlyAccounts(withBillingEvents, { otherwise: relTolerance(0.1) }),
    onlyAccounts(['a1', 'a3']),
  ];
  it.each(comparators.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    fc.assert(
      fc.property(value, value, record, record, (a, b, ra: AccountRecord, rb: AccountRecord) => {
        const forward = c.compare({
          accountId: 'a1',
          field: 'f',
          primary: a,
          shadow: b,
          primaryRecord: ra,
          shadowRecord: rb,
        });
        const backward = c.compare({
          accountId: 'a1',
          field: 'f',
          primary: b,
          shadow: a,
          primaryRecord: rb,
          shadowRecord: ra,
        });
        expect(backward).toBe(forward);
      }),
      { numRuns: 500 },
    );
  });

  it('tolerances are monotone: a difference within a tolerance is within any larger one', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
        fc.double({ noNaN: true, min: -1e6, max: 1e6 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (a, b, eps) => {
          if (absTolerance(eps).compare(pair(a, b)) === 'equal')
            expect(absTolerance(eps * 2).compare(pair(a, b))).toBe('equal');
        },
      ),
    );
  });
});

describe('field patterns', () => {
  it.each([
    ['healthScore', 'healthScore', true],
    ['healthScore', 'healthScoreX', false],
    ['eventsByType', 'eventsByType.login', true],
    ['eventsByType.*', 'eventsByType.login', true],
    ['eventsByType.*', 'eventsByType', false],
    ['eventsByType', 'eventsByTypeX.login', false],
    ['*', 'anything.at.all', true],
  ])('%s matches %s: %s', (pattern, field, expected) => {
    expect(matchesField(pattern, field)).toBe(expected);
  });
});

describe('registry', () => {
  it('resolves comparators by name, first matching rule wins', () => {
    const registry = createComparisonRegistry();
    registry.registerComparator('within-two', ({ primary, shadow }) =>
      typeof primary === 'number' && typeof shadow === 'number' && Math.abs(primary - shadow) <= 2
        ? 'equal'
        : 'unexpected',
    );
    registry.registerPolicy({
      name: 'custom',
      description: 'test',
      rules: [
        { fields: 'eventsByType.login', comparator: 'ignore' },
        { fields: ['eventsByType', 'sessions'], comparator: 'within-two' },
      ],
      otherwise: 'allow-change',
    });
    const policy = registry.policy('custom');
    expect(policy.comparatorFor('eventsByType.login').name).toBe('ignore');
    expect(policy.comparatorFor('eventsByType.page_view').name).toBe('within-two');
    expect(policy.comparatorFor('sessions').name).toBe('within-two');
    expect(policy.comparatorFor('healthScore').name).toBe('allow-change');
  });

  it('names unknown policies and comparators with the known ones', () => {
    const registry = createComparisonRegistry();
    expect(() => registry.policy('nope')).toThrow(/unknown comparison policy "nope"; known: identical, v1-to-v2/);
    registry.registerPolicy({ name: 'bad', description: '', rules: [{ fields: 'x', comparator: 'missing' }] });
    expect(() => registry.policy('bad')).toThrow(/unknown comparator "missing"/);
  });

  it('has the built-in policies', () => {
    const registry = createComparisonRegistry();
    expect(registry.policyNames()).toEqual(['identical', 'v1-to-v2']);
    const v2 = registry.policy('v1-to-v2');
    expect(v2.comparatorFor('healthScore').name).toBe('only-accounts(with-billing-events)');
    expect(v2.comparatorFor('healthDelta').name).toBe('only-accounts(with-billing-events-or-same-health-today)');
    expect(v2.comparatorFor('eventsTotal').name).toBe('exact');
    expect(registry.policy('identical').comparatorFor('healthScore').name).toBe('exact');
  });
});

describe('v1-to-v2 healthDelta', () => {
  it('expects a delta change carried from yesterday (same score today) and refuses one that is not', () => {
    const v2 = createComparisonRegistry().policy('v1-to-v2');
    const rule = v2.comparatorFor('healthDelta');
    const doc = (healthScore: number, healthDelta: number) => ({ billingEvents: 0, healthScore, healthDelta });
    const judge = (primary: Record<string, unknown>, shadow: Record<string, unknown>) =>
      rule.compare({
        accountId: 'a',
        field: 'healthDelta',
        primary: primary.healthDelta,
        shadow: shadow.healthDelta,
        primaryRecord: primary,
        shadowRecord: shadow,
      } as never);
    expect(judge(doc(70, 3), doc(70, -4))).toBe('expected');
    expect(judge(doc(70, 3), doc(72, -2))).toBe('unexpected');
  });
});
