/**
 * A small seeded PRNG (sfc32) with the few distributions the generator needs. Every stream is
 * derived from (seed, label) alone, so a tenant's or an hour's data does not depend on what was
 * generated before it or in which order tenants run.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string, label = '') {
    // cyrb128: spreads any string into four 32-bit words.
    const str = `${seed}\u0000${label}`;
    let h1 = 1779033703;
    let h2 = 3144134277;
    let h3 = 1013904242;
    let h4 = 2773480762;
    for (let i = 0; i < str.length; i++) {
      const k = str.charCodeAt(i);
      h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
      h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
      h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
      h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
    }
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    this.a = (h1 ^ h2 ^ h3 ^ h4) >>> 0;
    this.b = (h2 ^ h1) >>> 0;
    this.c = (h3 ^ h1) >>> 0;
    this.d = (h4 ^ h1) >>> 0;
    for (let i = 0; i < 12; i++) this.uint32();
  }

  /** A new independent stream for a sub-part (a tenant, an hour, a file). */
  fork(label: string): Rng {
    return new Rng(String(this.uint32()), label);
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Pareto with minimum 1 and shape `alpha`: most values near 1, a few very large (heavy tail). */
  pareto(alpha: number, cap = 1e4): number {
    return Math.min(cap, Math.pow(1 - this.float(), -1 / alpha));
  }

  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.uint32() & 0xff;
    return out;
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A random (version 4 layout) UUID drawn from `rng`. */
export function uuid(rng: Rng): string {
  const a = rng.uint32();
  const b = rng.uint32();
  const c = rng.uint32();
  const d = rng.uint32();
  return (
    HEX[a >>> 24] +
    HEX[(a >>> 16) & 255] +
    HEX[(a >>> 8) & 255] +
    HEX[a & 255] +
    '-' +
    HEX[b >>> 24] +
    HEX[(b >>> 16) & 255] +
    '-4' +
    HEX[(b >>> 8) & 15].slice(1) +
    HEX[b & 255] +
    '-' +
    HEX[((c >>> 24) & 0x3f) | 0x80] +
    HEX[(c >>> 16) & 255] +
    '-' +
    HEX[(c >>> 8) & 255] +
    HEX[c & 255] +
    HEX[d >>> 24] +
    HEX[(d >>> 16) & 255] +
    HEX[(d >>> 8) & 255] +
    HEX[d & 255]
  );
}

/** Cumulative weights for picking an index with probability proportional to its weight. */
export class WeightedPicker {
  private readonly cumulative: Float64Array;
  constructor(weights: ArrayLike<number>) {
    this.cumulative = new Float64Array(weights.length);
    let sum = 0;
    for (let i = 0; i < weights.length; i++) this.cumulative[i] = sum += Math.max(0, weights[i]);
  }

  get total(): number {
    return this.cumulative.length ? this.cumulative[this.cumulative.length - 1] : 0;
  }

  pick(rng: Rng): number {
    const target = rng.float() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
