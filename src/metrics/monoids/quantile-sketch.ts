import type { Monoid } from './monoid';

/**
 * A quantile sketch with fixed logarithmic buckets (DDSketch's mapping, Masson et al. 2019, without
 * bucket collapsing): relative accuracy alpha = 1%, gamma = (1 + alpha) / (1 - alpha), a positive
 * value x falls in bucket ceil(ln(x) / ln(gamma)), a negative one in the same bucket of |x| in a
 * separate store, and |x| < 1e-9 counts as zero. Merging adds bucket counts, which is exact and
 * commutative (a t-digest's merge is not), so the state is byte-identical however the input was
 * partitioned. Any quantile is returned within 1% relative error of a value at that rank. The one
 * sketch in Daybreak: the metrics' states and data checks, and the comparison's quantile shifts.
 *
 * State: zero count plus bucket arrays sorted by index.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;
const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
export const MIN_INDEXABLE = 1e-9;

export interface Bucket {
  index: number;
  count: number;
}

export interface QuantileSketchState {
  zeroCount: number;
  positive: Bucket[];
  negative: Bucket[];
}

const BUCKETS = {
  type: 'array',
  items: {
    type: 'record',
    name: 'Bucket',
    namespace: 'daybreak.metrics',
    fields: [
      { name: 'index', type: 'int' },
      { name: 'count', type: 'long' },
    ],
  },
};

export const QUANTILE_SKETCH_SCHEMA = {
  type: 'record',
  name: 'QuantileSketch',
  namespace: 'daybreak.metrics',
  doc: 'Log buckets, gamma = 1.01/0.99, bucket of x = ceil(ln|x| / ln gamma); sorted by index.',
  fields: [
    { name: 'zeroCount', type: 'long' },
    { name: 'positive', type: BUCKETS },
    { name: 'negative', type: { type: 'array', items: 'daybreak.metrics.Bucket' } },
  ],
};

export function bucketIndex(magnitude: number): number {
  return Math.ceil(Math.log(magnitude) / LN_GAMMA);
}

/** The value a bucket stands for: within alpha of every value in it. */
export function bucketValue(index: number): number {
  return (2 * GAMMA ** index) / (GAMMA + 1);
}

function mergeBuckets(a: Bucket[], b: Bucket[]): Bucket[] {
  const out: Bucket[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].index < b[j].index)) out.push({ ...a[i++] });
    else if (i >= a.length || b[j].index < a[i].index) out.push({ ...b[j++] });
    else out.push({ index: a[i].index, count: a[i++].count + b[j++].count });
  }
  return out;
}

export const quantileSketchMonoid: Monoid<QuantileSketchState> = {
  name: 'quantileSketch',
  empty: () => ({ zeroCount: 0, positive: [], negative: [] }),
  merge: (a, b) => ({
    zeroCount: a.zeroCount + b.zeroCount,
    positive: mergeBuckets(a.positive, b.positive),
    negative: mergeBuckets(a.negative, b.negative),
  }),
  commutative: true,
  schema: QUANTILE_SKETCH_SCHEMA,
};

export function sketchCount(s: QuantileSketchState): number {
  let n = s.zeroCount;
  for (const b of s.positive) n += b.count;
  for (const b of s.negative) n += b.count;
  return n;
}

/**
 * The q-quantile (0 <= q <= 1): the value at rank floor(q * (n - 1)) in ascending order, within 1%
 * relative error. Null for an empty sketch.
 */
export function sketchQuantile(s: QuantileSketchState, q: number): number | null {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile ${q} is not within [0, 1]`);
  const n = sketchCount(s);
  if (n === 0) return null;
  let rank = Math.floor(q * (n - 1));
  for (let i = s.negative.length - 1; i >= 0; i--) {
    const b = s.negative[i];
    if (rank < b.count) return -bucketValue(b.index);
    rank -= b.count;
  }
  if (rank < s.zeroCount) return 0;
  rank -= s.zeroCount;
  for (const b of s.positive) {
    if (rank < b.count) return bucketValue(b.index);
    rank -= b.count;
  }
  return bucketValue(s.positive[s.positive.length - 1].index);
}

/**
 * The q-quantiles of the union of several sketches (the comparison engine keeps the values both
 * sides agree on in one shared sketch); undefined when they hold no values.
 */
export function sketchQuantiles(states: readonly QuantileSketchState[], qs: readonly number[]): number[] | undefined {
  const union = states.reduce((a, b) => quantileSketchMonoid.merge(a, b), quantileSketchMonoid.empty());
  if (sketchCount(union) === 0) return undefined;
  return qs.map((q) => sketchQuantile(union, q)!);
}

/** In-place accumulator for the hot path; `toState()` sorts the buckets. */
export class QuantileSketchAccumulator {
  private zero = 0;
  private readonly positive = new Map<number, number>();
  private readonly negative = new Map<number, number>();

  add(x: number): void {
    if (!Number.isFinite(x)) throw new RangeError(`quantile sketch: ${x} is not a finite number`);
    if (x > MIN_INDEXABLE) {
      const i = bucketIndex(x);
      this.positive.set(i, (this.positive.get(i) ?? 0) + 1);
    } else if (x < -MIN_INDEXABLE) {
      const i = bucketIndex(-x);
      this.negative.set(i, (this.negative.get(i) ?? 0) + 1);
    } else this.zero++;
  }

  toState(): QuantileSketchState {
    const sorted = (m: Map<number, number>) =>
      [...m.entries()].sort((x, y) => x[0] - y[0]).map(([index, count]) => ({ index, count }));
    return { zeroCount: this.zero, positive: sorted(this.positive), negative: sorted(this.negative) };
  }
}

export function sketchOf(values: Iterable<number>): QuantileSketchState {
  const acc = new QuantileSketchAccumulator();
  for (const v of values) acc.add(v);
  return acc.toState();
}
