/**
 * The tenant-wide distribution of events7d over the document population, as a mergeable state, so
 * the activity percentile (the one cross-account metric) can be computed per bucket of accounts:
 * each bucket counts its accounts per distinct events7d value, the counts of all buckets are
 * summed, and every bucket looks its accounts up in the sum. Exact counts, not a sketch, so the
 * percentiles are exactly activityPercentiles' and documents are byte-identical to the
 * single-activity path; the state grows with the number of distinct events7d values, not accounts.
 */
import type { Monoid } from './monoids/monoid';
import { roundRatio } from './formulas';

/**
 * Compact sorted form: values strictly ascending, counts[i] >= 1 accounts had events7d values[i].
 * What a bucket writes, one { events7d, accounts } row per value.
 */
export interface ActivityDistribution {
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/** One row of an activity-histogram file. */
export interface ActivityHistogramRow {
  events7d: number;
  accounts: number;
}

export const ACTIVITY_HISTOGRAM_SCHEMA = {
  type: 'record',
  name: 'ActivityHistogramRow',
  namespace: 'daybreak.metrics',
  doc: 'Accounts of a bucket of the document population per distinct events7d; files sorted by events7d ascending.',
  fields: [
    { name: 'events7d', type: 'long' },
    { name: 'accounts', type: 'long' },
  ],
};

function checkValue(events7d: number): void {
  if (!Number.isSafeInteger(events7d) || events7d < 0) {
    throw new RangeError(`events7d ${events7d} is not a count (a safe integer >= 0)`);
  }
}

function checkCount(accounts: number, events7d: number): void {
  if (!Number.isSafeInteger(accounts) || accounts < 1) {
    throw new RangeError(`the count of accounts with events7d ${events7d} is ${accounts}, not a safe integer >= 1`);
  }
}

/** Counts summed value by value: a linear merge of the two sorted forms. */
function mergeSorted(a: ActivityDistribution, b: ActivityDistribution): ActivityDistribution {
  const values: number[] = [];
  const counts: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.values.length || j < b.values.length) {
    if (j >= b.values.length || (i < a.values.length && a.values[i] < b.values[j])) {
      values.push(a.values[i]);
      counts.push(a.counts[i++]);
    } else if (i >= a.values.length || b.values[j] < a.values[i]) {
      values.push(b.values[j]);
      counts.push(b.counts[j++]);
    } else {
      const n = a.counts[i] + b.counts[j];
      checkCount(n, a.values[i]);
      values.push(a.values[i]);
      counts.push(n);
      i++;
      j++;
    }
  }
  return { values, counts };
}

/** The monoid on the compact form: the empty distribution, and counts summed per value. */
export const activityDistributionMonoid: Monoid<ActivityDistribution> = {
  name: 'activityDistribution',
  empty: () => ({ values: [], counts: [] }),
  merge: mergeSorted,
  commutative: true,
  schema: { type: 'array', items: ACTIVITY_HISTOGRAM_SCHEMA },
};

/**
 * The mutable side of the monoid, for a task that streams its accounts: add(events7d) once per
 * account of the population (in any order), merge(distribution) for another bucket's counts,
 * toDistribution() for the compact form. Equal to folding the monoid over singleton distributions.
 */
export class ActivityDistributionBuilder {
  private readonly byValue = new Map<number, number>();

  add(events7d: number, accounts = 1): this {
    checkValue(events7d);
    const n = (this.byValue.get(events7d) ?? 0) + accounts;
    checkCount(n, events7d);
    this.byValue.set(events7d, n);
    return this;
  }

  merge(distribution: ActivityDistribution): this {
    for (let i = 0; i < distribution.values.length; i++) this.add(distribution.values[i], distribution.counts[i]);
    return this;
  }

  toDistribution(): ActivityDistribution {
    const values = [...this.byValue.keys()].sort((x, y) => x - y);
    return { values, counts: values.map((v) => this.byValue.get(v)!) };
  }
}

/** The distribution of a list of events7d values (one per account). */
export function distributionOf(events7d: Iterable<number>): ActivityDistribution {
  const builder = new ActivityDistributionBuilder();
  for (const e of events7d) builder.add(e);
  return builder.toDistribution();
}

/** Number of accounts counted. */
export function populationOf(distribution: ActivityDistribution): number {
  let n = 0;
  for (const c of distribution.counts) n += c;
  return n;
}

/** The rows a bucket writes: one per distinct value, events7d ascending. */
export function histogramRows(distribution: ActivityDistribution): ActivityHistogramRow[] {
  return distribution.values.map((events7d, i) => ({ events7d, accounts: distribution.counts[i] }));
}

/**
 * The distribution of rows read back from a histogram file. `source` names the file in the error
 * when the rows are not what histogramRows writes (ascending, distinct values, counts >= 1).
 */
export function distributionOfRows(rows: Iterable<ActivityHistogramRow>, source: string): ActivityDistribution {
  const values: number[] = [];
  const counts: number[] = [];
  for (const row of rows) {
    try {
      checkValue(row.events7d);
      checkCount(row.accounts, row.events7d);
    } catch (error) {
      throw new RangeError(`${source}: row ${values.length}: ${(error as Error).message}`);
    }
    if (values.length > 0 && row.events7d <= values[values.length - 1]) {
      throw new RangeError(
        `${source}: row ${values.length} has events7d ${row.events7d} after ${values[values.length - 1]}; rows must be strictly ascending`,
      );
    }
    values.push(row.events7d);
    counts.push(row.accounts);
  }
  return { values, counts };
}

/**
 * The activity percentile of an account with `events7d` in a tenant whose document population has
 * `distribution`: exactly activityPercentiles' value, round(100 * lo / (n - 1), 2) with lo the
 * accounts with strictly fewer events7d and n the population; n = 1 gives 100 if events7d > 0,
 * else 0. Cumulative counts are computed once, each value's percentile at most once; a lookup is a
 * binary search. A value not in the distribution is ranked all the same (lo counts what is below it).
 */
export function percentileLookup(distribution: ActivityDistribution): (events7d: number) => number {
  const { values, counts } = distribution;
  const below = new Array<number>(values.length + 1);
  below[0] = 0;
  for (let i = 0; i < values.length; i++) {
    if (i > 0 && !(values[i] > values[i - 1])) {
      throw new RangeError(
        `activity distribution values must be strictly ascending: ${values[i]} after ${values[i - 1]}`,
      );
    }
    below[i + 1] = below[i] + counts[i];
  }
  const n = below[values.length];
  const cached = new Array<number | undefined>(values.length);
  return (events7d) => {
    if (n === 0) throw new RangeError('activity percentile looked up in an empty distribution');
    if (n === 1) return events7d > 0 ? 100 : 0;
    let lo = 0;
    let hi = values.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid] < events7d) lo = mid + 1;
      else hi = mid;
    }
    if (lo < values.length && values[lo] === events7d) {
      return (cached[lo] ??= roundRatio(100 * below[lo], n - 1, 2));
    }
    return roundRatio(100 * below[lo], n - 1, 2);
  };
}
