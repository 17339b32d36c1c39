import { describe, expect, it } from 'vitest';
import type { AccountRecord, ComparisonPolicy, DifferenceRow } from '../../../src/compare';
import {
  ComparisonRun,
  OutputReadError,
  absTolerance,
  createComparisonRegistry,
  maxChangedAccounts,
  mergeJoin,
  quantileShift,
} from '../../../src/compare';
import { accountDocument, accountId } from '../../support/account-documents';

/** Batches of 3 (and an empty one), so the join crosses batch boundaries. */
async function* stream(records: readonly object[]): AsyncIterable<AccountRecord[]> {
  yield await Promise.resolve([]);
  for (let i = 0; i < records.length; i += 3) yield (records as AccountRecord[]).slice(i, i + 3);
}

const registry = createComparisonRegistry();

async function compare(
  primary: readonly object[],
  shadow: readonly object[],
  policy: string | ComparisonPolicy,
  noiseFields?: Set<string>,
) {
  const rows: DifferenceRow[] = [];
  const run = new ComparisonRun({
    policy: typeof policy === 'string' ? registry.policy(policy) : registry.resolve(policy),
    noiseFields,
    onUnexpected: (row) => rows.push(row),
  });
  await mergeJoin(stream(primary), stream(shadow), {
    matched: (p, s) => run.compare(p, s),
    primaryOnly: (p) => run.primaryOnly(p),
    shadowOnly: (s) => run.shadowOnly(s),
  });
  return { outcome: run.finish(), rows };
}

const docs = (n: number, version = 'v1') =>
  Array.from({ length: n }, (_, i) => accountDocument(i, { pipelineVersion: version }));

describe('comparison engine', () => {
  it('is clean for identical outputs of different versions (identity fields are not compared)', async () => {
    const { outcome, rows } = await compare(docs(50), docs(50, 'v2'), 'identical');
    expect(outcome.verdict).toBe('clean');
    expect(rows).toEqual([]);
    expect(outcome.accounts).toMatchObject({ compared: 50, missingInPrimary: 0, missingInShadow: 0, changed: 0 });
    expect(outcome.fields.map((f) => f.field)).not.toContain('pipelineVersion');
  });

  it('reports accounts missing on either side', async () => {
    const primary = docs(10).filter((d) => d.accountId !== accountId(3));
    const shadow = docs(12).filter((d) => d.accountId !== accountId(0) && d.accountId !== accountId(7));
    const { outcome, rows } = await compare(primary, shadow, 'identical');
    expect(outcome.accounts).toMatchObject({ compared: 7, missingInPrimary: 3, missingInShadow: 2 });
    expect(rows.map((r) => [r.account, r.rule])).toEqual([
      [accountId(0), 'missing-in-shadow'],
      [accountId(3), 'missing-in-primary'],
      [accountId(7), 'missing-in-shadow'],
      [accountId(10), 'missing-in-primary'],
      [accountId(11), 'missing-in-primary'],
    ]);
    expect(outcome.verdict).toBe('unexpected-differences');
  });

  it('compares map entries by key, including keys only one side has, and fields only one side has', async () => {
    const primary = docs(3);
    const shadow = docs(3).map((d, i) =>
      i === 1
        ? { ...d, eventsByType: { ...d.eventsByType, login: d.eventsByType.login + 1, export: 2 }, churnRisk: 0.3 }
        : d,
    );
    const { rows } = await compare(primary, shadow, 'identical');
    expect(rows.map((r) => [r.account, r.field, r.primary, r.shadow, r.delta])).toEqual([
      [accountId(1), 'eventsByType.login', primary[1].eventsByType.login, primary[1].eventsByType.login + 1, 1],
      [accountId(1), 'eventsByType.export', undefined, 2, undefined],
      [accountId(1), 'churnRisk', undefined, 0.3, undefined],
    ]);
  });

  it('v1-to-v2: health changes on billing accounts are expected, anywhere else unexpected', async () => {
    const primary = docs(40);
    const shadow = docs(40, 'v2').map((d) => ({ ...d, healthScore: Math.min(100, d.healthScore + 1) }));
    const { outcome, rows } = await compare(primary, shadow, 'v1-to-v2');
    const billing = primary.filter((d) => d.billingEvents > 0 && d.healthScore < 100).length;
    const nonBilling = primary.filter((d) => d.billingEvents === 0 && d.healthScore < 100).length;
    expect(outcome.counts.expected).toBe(billing);
    expect(rows).toHaveLength(nonBilling);
    expect(new Set(rows.map((r) => r.rule))).toEqual(new Set(['only-accounts(with-billing-events)']));
    expect(outcome.verdict).toBe('unexpected-differences');

    const onlyBilling = docs(40, 'v2').map((d) =>
      d.billingEvents > 0 ? { ...d, healthScore: 0, healthDelta: -50 } : d,
    );
    const second = await compare(primary, onlyBilling, 'v1-to-v2');
    expect(second.rows).toEqual([]);
    expect(second.outcome.verdict).toBe('expected-differences');
  });

  it('tolerated differences keep the verdict clean and are counted', async () => {
    const shadow = docs(10).map((d) => ({ ...d, activityPercentile: d.activityPercentile + 0.001 }));
    const { outcome } = await compare(docs(10), shadow, {
      name: 't',
      description: '',
      rules: [{ fields: 'activityPercentile', comparator: absTolerance(0.01) }],
    });
    expect(outcome.verdict).toBe('clean');
    const field = outcome.fields.find((f) => f.field === 'activityPercentile')!;
    expect(field).toMatchObject({ differing: 10, tolerated: 10, unexpected: 0 });
    expect(field.maxAbsDelta).toBeCloseTo(0.001, 9);
    expect(field.meanDelta).toBeCloseTo(0.001, 9);
  });

  it('at most N% of accounts may change', async () => {
    const policy = (percent: number): ComparisonPolicy => ({
      name: 'pct',
      description: '',
      rules: [{ fields: 'sessions', comparator: 'allow-change' }],
      checks: [maxChangedAccounts({ percent })],
    });
    const shadow = docs(100).map((d, i) => (i < 10 ? { ...d, sessions: d.sessions + 1 } : d));
    const pass = await compare(docs(100), shadow, policy(10));
    expect(pass.outcome.verdict).toBe('expected-differences');
    expect(pass.outcome.checks[0]).toMatchObject({ passed: true });
    const fail = await compare(docs(100), shadow, policy(9.5));
    expect(fail.outcome.verdict).toBe('unexpected-differences');
    expect(fail.rows).toEqual([
      {
        account: '*',
        field: '*',
        primary: undefined,
        shadow: undefined,
        delta: 0.5,
        rule: 'max-changed-accounts(9.5%)',
      },
    ]);
  });

  it('distribution check: quantile shift within a bound passes, beyond it fails', async () => {
    const policy = (maxAbsShift: number): ComparisonPolicy => ({
      name: 'dist',
      description: '',
      rules: [{ fields: 'healthScore', comparator: 'allow-change' }],
      checks: [quantileShift({ field: 'healthScore', maxAbsShift })],
    });
    const primary = Array.from({ length: 101 }, (_, i) => ({ ...accountDocument(i), healthScore: i }));
    const shadow = primary.map((d) => ({ ...d, healthScore: d.healthScore < 50 ? d.healthScore : d.healthScore + 5 }));
    // p10 = 10 -> 10, p50 = 50 -> 55, p90 = 90 -> 95, each read as its bucket's value (1% log buckets,
    // gamma = 1.01/0.99, x in bucket ceil(ln x / ln gamma), standing for 2 gamma^i / (gamma + 1)):
    // 10 -> 10.0747, 50 -> 49.9030, 55 -> 55.1515, 90 -> 89.1303, 95 -> 94.6420.
    const pass = await compare(primary, shadow, policy(6));
    expect(pass.outcome.verdict).toBe('expected-differences');
    const { p10, p50, p90 } = pass.outcome.fields.find((f) => f.field === 'healthScore')!.quantiles!;
    const values = (q: { primary: number; shadow: number; shift: number }) =>
      [q.primary, q.shadow, q.shift].map((x) => Math.round(x * 1e4) / 1e4);
    expect(values(p10)).toEqual([10.0747, 10.0747, 0]);
    expect(values(p50)).toEqual([49.903, 55.1515, 5.2485]);
    expect(values(p90)).toEqual([89.1303, 94.642, 5.5117]);
    const fail = await compare(primary, shadow, policy(4));
    expect(fail.rows.map((r) => [r.field, r.primary, r.shadow, r.delta])).toEqual([
      ['healthScore.p50', 49.902961, 55.151485, 5.248524],
      ['healthScore.p90', 89.130329, 94.64203, 5.511701],
    ]);
  });

  it('noise fields turn unexpected differences into noise', async () => {
    const shadow = docs(10).map((d) => ({
      ...d,
      lastActivityAt: (d.lastActivityAt ?? 0) + 1,
      sessions: d.sessions + 1,
    }));
    const { outcome, rows } = await compare(docs(10), shadow, 'identical', new Set(['lastActivityAt']));
    expect(rows.every((r) => r.field === 'sessions')).toBe(true);
    expect(rows).toHaveLength(10);
    expect(outcome.counts.noise).toBe(10);
    expect(outcome.noiseFields).toEqual(['lastActivityAt']);
  });

  it('refuses unsorted or duplicated input, naming the side', async () => {
    const unsorted = [accountDocument(2), accountDocument(1)];
    await expect(compare(docs(3), unsorted, 'identical')).rejects.toMatchObject({ side: 'shadow' });
    await expect(compare([accountDocument(1), accountDocument(1)], docs(3), 'identical')).rejects.toThrow(
      OutputReadError,
    );
    await expect(compare([accountDocument(1), accountDocument(1)], docs(3), 'identical')).rejects.toThrow(
      /primary output: accounts are not sorted/,
    );
  });
});
