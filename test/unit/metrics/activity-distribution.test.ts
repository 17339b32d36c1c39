import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { ActivityDistribution } from '../../../src/metrics/activity-distribution';
import {
  ACTIVITY_HISTOGRAM_SCHEMA,
  ActivityDistributionBuilder,
  activityDistributionMonoid,
  distributionOf,
  distributionOfRows,
  histogramRows,
  percentileLookup,
  populationOf,
} from '../../../src/metrics/activity-distribution';
import { activityPercentiles } from '../../../src/metrics/formulas';
import { bucketOfAccount } from '../../../src/metrics/buckets';
import { accountIds, int, seeded } from './support/random-usage';

const rowType = avro.Type.forSchema(ACTIVITY_HISTOGRAM_SCHEMA as avro.Schema);

/**
 * The percentiles of a tenant whose accounts are split into `buckets` buckets by bucketOfAccount:
 * each bucket writes its histogram rows (through Avro, as a file would hold them), the rows of all
 * buckets are read back and merged, and every account is looked up in the merge.
 */
function percentilesAcrossBuckets(ids: readonly string[], events7d: readonly number[], buckets: number): number[] {
  const builders = Array.from({ length: buckets }, () => new ActivityDistributionBuilder());
  ids.forEach((id, i) => builders[bucketOfAccount(id, buckets)].add(events7d[i]));
  const files = builders.map((b) => histogramRows(b.toDistribution()).map((row) => rowType.toBuffer(row)));
  const read = files.map((rows, b) =>
    distributionOfRows(
      rows.map((buf) => rowType.fromBuffer(buf) as { events7d: number; accounts: number }),
      `bucket ${b}`,
    ),
  );
  const merged = read.reduce((a, b) => activityDistributionMonoid.merge(a, b), activityDistributionMonoid.empty());
  // The builder's merge is the same sum.
  const built = new ActivityDistributionBuilder();
  for (const d of read) built.merge(d);
  expect(built.toDistribution()).toEqual(merged);
  expect(populationOf(merged)).toBe(ids.length);
  const lookup = percentileLookup(merged);
  return events7d.map((e) => lookup(e));
}

/** events7d of a random tenant: ties, all zero, n = 1, large values, a heavy tail. */
function randomEvents(r: () => number, kind: number): number[] {
  const n = kind === 0 ? 1 : int(r, 1, 3000);
  switch (kind % 5) {
    case 0:
      return [r() < 0.5 ? 0 : int(r, 1, 50)];
    case 1:
      return Array.from({ length: n }, () => 0);
    case 2:
      return Array.from({ length: n }, () => int(r, 0, 3)); // mostly ties
    case 3:
      return Array.from({ length: n }, () => (r() < 0.5 ? 0 : int(r, 0, 2 ** 50))); // large values
    default:
      return Array.from({ length: n }, () => (r() < 0.6 ? 0 : Math.floor(1 / (r() + 1e-6)))); // quiet, heavy tail
  }
}

describe('activity distribution: percentile across buckets', () => {
  it('merged bucket distributions look up exactly activityPercentiles, for B in 1, 2, 8, 64 (seeded)', () => {
    const kinds = new Set<string>();
    for (let seed = 0; seed < 60; seed++) {
      const r = seeded(1000 + seed);
      const events7d = randomEvents(r, seed);
      const ids = accountIds(r, events7d.length);
      const expected = activityPercentiles(events7d);
      for (const buckets of [1, 2, 8, 64]) {
        expect(percentilesAcrossBuckets(ids, events7d, buckets), `seed ${seed} B=${buckets}`).toEqual(expected);
      }
      if (events7d.length === 1) kinds.add(`n=1 ${events7d[0] > 0}`);
      if (events7d.every((e) => e === 0)) kinds.add('all zero');
      if (events7d.some((e) => e > 2 ** 40)) kinds.add('large');
      if (new Set(events7d).size < events7d.length / 10) kinds.add('ties');
    }
    expect([...kinds].sort()).toEqual(['all zero', 'large', 'n=1 false', 'n=1 true', 'ties']);
  });

  it('gives two percentiles derived by hand, across 8 buckets', () => {
    // 7 accounts: events7d 0, 2, 2, 5, 9, 9, 12; n - 1 = 6.
    // events7d 9: lo = #{0, 2, 2, 5} = 4, 100 * 4 / 6 = 66.666... -> 66.67.
    // events7d 2: lo = #{0} = 1, 100 * 1 / 6 = 16.666... -> 16.67.
    const events7d = [9, 0, 2, 12, 5, 2, 9];
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const p = percentilesAcrossBuckets(ids, events7d, 8);
    expect(p[0]).toBe(66.67);
    expect(p[2]).toBe(16.67);
    // 33 accounts: one with 0 events, 32 with 5; n - 1 = 32. events7d 5: lo = 1,
    // 100 * 1 / 32 = 3.125 exactly, half up -> 3.13 (a binary 3.125 * 100 rounding could go either way).
    const tie = [0, ...Array<number>(32).fill(5)];
    const q = percentilesAcrossBuckets(accountIds(seeded(4), 33), tie, 8);
    expect(q[0]).toBe(0);
    expect(q[1]).toBe(3.13);
  });

  it('is a commutative monoid: empty is the identity, merge is associative, same as the builder', () => {
    const r = seeded(77);
    const d = (): ActivityDistribution => distributionOf(Array.from({ length: int(r, 0, 40) }, () => int(r, 0, 12)));
    const m = activityDistributionMonoid;
    for (let i = 0; i < 50; i++) {
      const [a, b, c] = [d(), d(), d()];
      expect(m.merge(a, m.empty())).toEqual(a);
      expect(m.merge(m.empty(), a)).toEqual(a);
      expect(m.merge(a, b)).toEqual(m.merge(b, a));
      expect(m.merge(m.merge(a, b), c)).toEqual(m.merge(a, m.merge(b, c)));
      expect(m.merge(a, b)).toEqual(new ActivityDistributionBuilder().merge(a).merge(b).toDistribution());
    }
    expect(distributionOf([3, 0, 3, 1e9, 0, 3])).toEqual({ values: [0, 3, 1e9], counts: [2, 3, 1] });
    expect(histogramRows({ values: [0, 3], counts: [2, 3] })).toEqual([
      { events7d: 0, accounts: 2 },
      { events7d: 3, accounts: 3 },
    ]);
  });

  it('refuses what a histogram file must not hold, naming the file', () => {
    const rows = (...pairs: [number, number][]) => pairs.map(([events7d, accounts]) => ({ events7d, accounts }));
    expect(() => distributionOfRows(rows([1, 2], [1, 1]), 'f.avro')).toThrow(/f\.avro: row 1 .*strictly ascending/);
    expect(() => distributionOfRows(rows([3, 2], [1, 1]), 'f.avro')).toThrow(/strictly ascending/);
    expect(() => distributionOfRows(rows([1, 0]), 'f.avro')).toThrow(/f\.avro: row 0/);
    expect(() => distributionOfRows(rows([-1, 1]), 'f.avro')).toThrow(/not a count/);
    expect(() => new ActivityDistributionBuilder().add(1.5)).toThrow(RangeError);
    expect(() => percentileLookup({ values: [], counts: [] })(0)).toThrow(/empty distribution/);
    expect(() => percentileLookup({ values: [2, 1], counts: [1, 1] })).toThrow(/strictly ascending/);
  });
});
