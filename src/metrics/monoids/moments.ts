import type { Monoid } from './monoid';

/**
 * Count, mean and variance, mergeable and exact. Values are quantized to a fixed grid of 1/1000
 * (MOMENTS_SCALE) and the state keeps the count, the sum and the sum of squares of the quantized
 * integers, as base-10 integer strings (arbitrary precision). Integer sums are the same in every
 * order, unlike floating Welford updates, so merged states are byte-identical however the inputs
 * were partitioned.
 */
export const MOMENTS_SCALE = 1000;

export interface MomentsState {
  count: number;
  /** Sum of round(x * 1000), decimal integer. */
  sum: string;
  /** Sum of round(x * 1000)^2, decimal integer. */
  sumSquares: string;
}

export const MOMENTS_SCHEMA = {
  type: 'record',
  name: 'Moments',
  namespace: 'daybreak.metrics',
  fields: [
    { name: 'count', type: 'long' },
    { name: 'sum', type: 'string', doc: 'Sum of round(x * 1000), base-10 integer.' },
    { name: 'sumSquares', type: 'string', doc: 'Sum of round(x * 1000)^2, base-10 integer.' },
  ],
};

export const momentsMonoid: Monoid<MomentsState> = {
  name: 'moments',
  empty: () => ({ count: 0, sum: '0', sumSquares: '0' }),
  merge: (a, b) => ({
    count: a.count + b.count,
    sum: (BigInt(a.sum) + BigInt(b.sum)).toString(),
    sumSquares: (BigInt(a.sumSquares) + BigInt(b.sumSquares)).toString(),
  }),
  commutative: true,
  schema: MOMENTS_SCHEMA,
};

export function quantize(x: number): number {
  if (!Number.isFinite(x)) throw new RangeError(`moments: ${x} is not a finite number`);
  return Math.round(x * MOMENTS_SCALE);
}

export function momentsOf(values: Iterable<number>): MomentsState {
  const acc = new MomentsAccumulator();
  for (const v of values) acc.add(v);
  return acc.toState();
}

/** Mean of the quantized values; null when empty. */
export function momentsMean(s: MomentsState): number | null {
  return s.count === 0 ? null : Number(BigInt(s.sum)) / MOMENTS_SCALE / s.count;
}

/** Population variance of the quantized values, computed exactly in integers then converted; null when empty. */
export function momentsVariance(s: MomentsState): number | null {
  if (s.count === 0) return null;
  const n = BigInt(s.count);
  const sum = BigInt(s.sum);
  const numerator = n * BigInt(s.sumSquares) - sum * sum; // n^2 * variance * scale^2, exact
  return Number(numerator) / (s.count * s.count * MOMENTS_SCALE * MOMENTS_SCALE);
}

const SPILL = 2 ** 52;
const SPLIT = 2 ** 20;

/**
 * In-place accumulator for the hot path: sums in plain numbers while they are exact, spilling
 * into BigInt before they could lose precision. Squares are accumulated split (q = h * 2^20 + l,
 * q^2 = h^2 * 2^40 + 2hl * 2^20 + l^2) so no single product exceeds 2^40 and no BigInt work is
 * done per value for |x| < 2^40 / 1000.
 */
export class MomentsAccumulator {
  private count = 0;
  private sumLo = 0;
  private sumHi = 0n;
  private hh = 0;
  private hl = 0;
  private ll = 0;
  private squaresHi = 0n;

  add(x: number): void {
    const q = quantize(x);
    this.count++;
    this.sumLo += q;
    if (this.sumLo > SPILL || this.sumLo < -SPILL) {
      this.sumHi += BigInt(this.sumLo);
      this.sumLo = 0;
    }
    const m = q < 0 ? -q : q;
    if (m >= SPLIT * SPLIT) {
      this.squaresHi += BigInt(q) * BigInt(q);
      return;
    }
    const h = Math.floor(m / SPLIT);
    const l = m - h * SPLIT;
    this.hh += h * h;
    this.hl += h * l;
    this.ll += l * l;
    if (this.hh > SPILL || this.hl > SPILL || this.ll > SPILL) this.spill();
  }

  private spill(): void {
    this.squaresHi += (BigInt(this.hh) << 40n) + (BigInt(this.hl) << 21n) + BigInt(this.ll);
    this.hh = 0;
    this.hl = 0;
    this.ll = 0;
  }

  toState(): MomentsState {
    this.spill();
    return {
      count: this.count,
      sum: (this.sumHi + BigInt(this.sumLo)).toString(),
      sumSquares: this.squaresHi.toString(),
    };
  }
}
