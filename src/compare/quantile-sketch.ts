/**
 * A small quantile sketch with bounded memory, so distribution checks run on a stream of any length.
 * Integers in [0, EXACT_LIMIT) (counts, scores) are counted exactly; other values fall into
 * logarithmic buckets with RELATIVE_ACCURACY relative error (the DDSketch scheme). Sketches are
 * mergeable: a quantile can be read over several sketches at once, which lets the engine count the
 * values both sides agree on once, in a shared sketch.
 */
export const RELATIVE_ACCURACY = 0.005;
const EXACT_LIMIT = 4096;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Magnitudes below MIN_MAGNITUDE count as zero; above MAX_MAGNITUDE they are clamped. */
const MIN_MAGNITUDE = 1e-9;
const MAX_MAGNITUDE = 1e16;
const MIN_INDEX = Math.floor(Math.log(MIN_MAGNITUDE) / LOG_GAMMA);
const MAX_INDEX = Math.ceil(Math.log(MAX_MAGNITUDE) / LOG_GAMMA);
const BUCKETS = MAX_INDEX - MIN_INDEX + 1;

export class QuantileSketch {
  count = 0;
  private zeros = 0;
  private exact: Float64Array | undefined;
  private positive: Float64Array | undefined;
  private negative: Float64Array | undefined;

  add(value: number): void {
    if (Number.isNaN(value)) return;
    this.count++;
    if (value >= 0 && value < EXACT_LIMIT && Number.isInteger(value)) {
      (this.exact ??= new Float64Array(EXACT_LIMIT))[value]++;
      return;
    }
    const magnitude = Math.abs(value);
    if (magnitude < MIN_MAGNITUDE) {
      this.zeros++;
      return;
    }
    const index = Math.min(MAX_INDEX, Math.ceil(Math.log(magnitude) / LOG_GAMMA)) - MIN_INDEX;
    if (value > 0) (this.positive ??= new Float64Array(BUCKETS))[index]++;
    else (this.negative ??= new Float64Array(BUCKETS))[index]++;
  }

  /** Every non-empty bucket as [representative value, count]. */
  entries(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (this.zeros) out.push([0, this.zeros]);
    if (this.exact) this.exact.forEach((n, v) => n && out.push([v, n]));
    const represent = (i: number) => (2 * Math.pow(GAMMA, i + MIN_INDEX)) / (GAMMA + 1);
    if (this.positive) this.positive.forEach((n, i) => n && out.push([represent(i), n]));
    if (this.negative) this.negative.forEach((n, i) => n && out.push([-represent(i), n]));
    return out;
  }
}

/**
 * The q-quantiles (0 <= q <= 1, nearest rank) of the union of the sketches, or undefined when they
 * hold no values.
 */
export function quantiles(sketches: readonly QuantileSketch[], qs: readonly number[]): number[] | undefined {
  const entries = sketches.flatMap((s) => s.entries()).sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return undefined;
  return qs.map((q) => {
    const rank = Math.min(total - 1, Math.max(0, Math.floor(q * (total - 1))));
    let seen = 0;
    for (const [value, n] of entries) {
      seen += n;
      if (seen > rank) return value;
    }
    return entries[entries.length - 1][0];
  });
}
