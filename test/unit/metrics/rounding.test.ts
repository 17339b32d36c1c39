import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decimalRatio, ratio, roundRatioHalfUp } from '../../../src/metrics/exact';
import { LIFECYCLE_FACTOR, activityPercentiles, billingHealth, trendWoW } from '../../../src/metrics/formulas';
import type { HealthInput } from '../../../src/metrics/pipelines';
import { getPipeline } from '../../../src/metrics/pipelines';

/**
 * Every rounded metric rounds half away from zero on its exact decimal value (issue 12, point 5;
 * docs/metrics.md, "Rounding"). The reference below rounds by long division on decimal digits,
 * sharing nothing with the code under test but BigInt.
 */

/** num/den rounded half away from zero to `decimals` digits, as the shortest decimal string. */
function referenceRound(num: bigint, den: bigint, decimals: number): string {
  const negative = num !== 0n && num < 0n !== den < 0n;
  const a = num < 0n ? -num : num;
  const b = den < 0n ? -den : den;
  let remainder = a % b;
  const digits: number[] = [];
  for (let i = 0; i <= decimals; i++) {
    remainder *= 10n;
    digits.push(Number(remainder / b));
    remainder %= b;
  }
  const next = digits.pop()!;
  let scaled = (a / b).toString() + digits.join('');
  if (next >= 5) scaled = incrementDigits(scaled);
  scaled = scaled.padStart(decimals + 1, '0');
  let text = decimals > 0 ? `${scaled.slice(0, -decimals)}.${scaled.slice(-decimals)}` : scaled;
  if (decimals > 0) text = text.replace(/0+$/, '').replace(/\.$/, '');
  text = text.replace(/^0+(?=\d)/, '');
  return text === '0' ? '0' : negative ? `-${text}` : text;
}

function incrementDigits(digits: string): string {
  const d = digits.split('').map(Number);
  let i = d.length - 1;
  while (i >= 0 && d[i] === 9) d[i--] = 0;
  if (i < 0) d.unshift(1);
  else d[i]++;
  return d.join('');
}

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b) [a, b] = [b, a % b];
  return a;
}

/** The k-th exact tie at the `decimals`-th digit, (2k + 1) / (2 * 10^decimals), as a reduced p/q. */
function tie(k: number, decimals: number, scale = 1n): { p: bigint; q: bigint } {
  const num = BigInt(2 * k + 1);
  const den = 2n * 10n ** BigInt(decimals) * scale;
  const g = gcd(num, den);
  return { p: num / g, q: den / g };
}

/** A tie's exact value has exactly decimals + 1 digits, the last a 5. */
function isTie(num: bigint, den: bigint, decimals: number): boolean {
  const scaled = num * 2n * 10n ** BigInt(decimals);
  return scaled % den === 0n && (scaled / den) % 2n !== 0n;
}

const shown = (x: number | null) => (x === null ? 'null' : Object.is(x, -0) ? '-0' : String(x));

describe('the rounding rule: half away from zero on the exact value', () => {
  it('roundRatioHalfUp equals the decimal-digit reference for any integers (property)', () => {
    fc.assert(
      fc.property(
        // |num| * 10^6 stays below 2^53, so every result is an exact double.
        fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }),
        fc.bigInt({ min: 1n, max: 10n ** 7n }),
        fc.integer({ min: 0, max: 6 }),
        (num, den, decimals) => {
          expect(shown(roundRatioHalfUp(ratio(num, den), decimals))).toBe(referenceRound(num, den, decimals));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses a result too large to be an exact double rather than round it twice', () => {
    expect(() => roundRatioHalfUp(ratio(2n ** 60n, 3n), 4)).toThrow(/too large to round to 4 decimals/);
  });

  it('a decimal field is read back as its exact decimal, and anything else is refused', () => {
    expect(decimalRatio(0.1063, 4)).toEqual({ num: 1063n, den: 10_000n });
    expect(decimalRatio(-0.6667, 4)).toEqual({ num: -6667n, den: 10_000n });
    expect(decimalRatio(33.33, 2)).toEqual({ num: 3333n, den: 100n });
    expect(() => decimalRatio(0.1 + 0.2, 1)).toThrow(/not a decimal with at most 1 digits/);
    expect(() => decimalRatio(1 / 3, 4)).toThrow(/not a decimal/);
  });
});

describe('trendWoW (4 decimals)', () => {
  it.each([
    // [events7d, eventsPrevious7d, expected, exact value]
    [177, 160, 0.1063, '17/160 = 0.10625, a tie: up'],
    [173, 32, 4.4063, '141/32 = 4.40625, a tie: up'],
    [143, 160, -0.1063, '-17/160 = -0.10625, a tie: away from zero'],
    [151, 160, -0.0563, '-9/160 = -0.05625, a tie: away from zero'],
    [20001, 20000, 0.0001, '1/20000 = 0.00005, a tie: up'],
    [19999, 20000, -0.0001, '-1/20000 = -0.00005, a tie: away from zero, not 0'],
    [5, 4, 0.25, '1/4'],
    [0, 4, -1, 'no events this week'],
    [1, 3, -0.6667, '-2/3 = -0.66666…'],
    [2, 3, -0.3333, '-1/3 = -0.33333…'],
    [4, 4, 0, 'flat, and never -0'],
  ])('trendWoW(%i, %i) = %d (%s)', (events7d, previous, expected) => {
    expect(shown(trendWoW(events7d, previous))).toBe(shown(expected));
  });

  it('is null without a previous week', () => {
    expect(trendWoW(7, 0)).toBeNull();
  });

  it('rounds every exact tie away from zero, as the decimal reference does (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10_000, max: 2_000_000 }), fc.integer({ min: 1, max: 40 }), (k, s) => {
        // events7d / previous - 1 = p/q exactly: previous = q * s, events7d = previous + p * s.
        const { p, q } = tie(k, 4);
        const previous = q * BigInt(s);
        const events7d = previous + p * BigInt(s);
        expect(isTie(events7d - previous, previous, 4)).toBe(true);
        const expected = referenceRound(events7d - previous, previous, 4);
        expect(shown(trendWoW(Number(events7d), Number(previous)))).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('equals the reference on any counts (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 5_000_000 }), fc.integer({ min: 1, max: 5_000_000 }), (events7d, previous) => {
        expect(shown(trendWoW(events7d, previous))).toBe(
          referenceRound(BigInt(events7d - previous), BigInt(previous), 4),
        );
      }),
      { numRuns: 3000 },
    );
  });
});

describe('billingHealth (4 decimals)', () => {
  it.each([
    // [paid, overdue, failed, expected, exact value]
    [57, 743, 0, 0.0713, '57/800 = 0.07125, a tie: up'],
    [17, 3, 70, 0.1063, '17/(17 + 3 + 140) = 17/160 = 0.10625, a tie: up'],
    [1, 19999, 0, 0.0001, '1/20000 = 0.00005, a tie: up'],
    [1, 31, 0, 0.0313, '1/32 = 0.03125, a tie: up'],
    [3, 1, 1, 0.5, '3/6'],
    [2, 1, 0, 0.6667, '2/3'],
    [0, 0, 0, 1, 'no billing events'],
  ])('billingHealth(%i, %i, %i) = %d (%s)', (paid, overdue, failed, expected) => {
    expect(billingHealth(paid, overdue, failed)).toBe(expected);
  });

  it('rounds every exact tie up, as the decimal reference does (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (k, s, split) => {
        // paid / (paid + overdue + 2 * failed) = p/q: the denominator is q * s, paid p * s.
        const { p, q } = tie(k, 4);
        const denominator = Number(q) * s;
        const paid = Number(p) * s;
        const rest = denominator - paid;
        const failed = split % (Math.floor(rest / 2) + 1);
        const overdue = rest - 2 * failed;
        expect(isTie(BigInt(paid), BigInt(denominator), 4)).toBe(true);
        expect(shown(billingHealth(paid, overdue, failed))).toBe(referenceRound(BigInt(paid), BigInt(denominator), 4));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('activityPercentile (2 decimals)', () => {
  /** `lower` accounts with 1 event and `others` with 2: each of the latter has exactly `lower` below it. */
  const percentileOf = (lower: number, others: number) => {
    const p = activityPercentiles([...Array<number>(lower).fill(1), ...Array<number>(others).fill(2)]);
    return { lowest: p[0], highest: p[p.length - 1] };
  };

  it.each([
    // [accounts below, accounts - 1, expected, exact value]
    [201, 20000, 1.01, '100 * 201 / 20000 = 1.005, a tie: up'],
    [1, 32, 3.13, '100/32 = 3.125, a tie: up'],
    [17, 160, 10.63, '1700/160 = 10.625, a tie: up'],
    [3, 4000, 0.08, '300/4000 = 0.075, a tie: up'],
    [1, 3, 33.33, '100/3'],
    [2, 3, 66.67, '200/3'],
  ])('%i of %i other accounts below = %d (%s)', (lower, others, expected) => {
    const { lowest, highest } = percentileOf(lower, others + 1 - lower);
    expect(highest).toBe(expected);
    expect(lowest).toBe(0);
  });

  it('rounds every exact tie up, as the decimal reference does (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 1, max: 2 }), (k, s) => {
        // 100 * lower / (n - 1) = (2k + 1) / 200, so lower / (n - 1) = (2k + 1) / 20000, reduced.
        const { p, q } = tie(k, 2, 100n);
        const others = Number(q) * s;
        const lower = Number(p) * s;
        expect(isTie(100n * BigInt(lower), BigInt(others), 2)).toBe(true);
        const { highest } = percentileOf(lower, others + 1 - lower);
        expect(shown(highest)).toBe(referenceRound(100n * BigInt(lower), BigInt(others), 2));
      }),
      { numRuns: 200 },
    );
  });
});

describe('health score (integer)', () => {
  const STAGES = Object.keys(LIFECYCLE_FACTOR);
  const input = (over: Partial<HealthInput>): HealthInput => ({
    activityPercentile: 0,
    trendWoW: null,
    events7d: 1,
    activeUsers7d: 0,
    seats: 0,
    lifecycleStage: 'unknown',
    billingHealth: 1,
    billing30d: { paid: 0, overdue: 0, failed: 0 },
    billingToday: { paid: 0, overdue: 0, failed: 0 },
    ...over,
  });

  /** v1 points as one fraction over 20000 * seats, straight from the documented table. */
  function referenceV1(h: HealthInput): string {
    const seats = BigInt(h.seats > 0 ? h.seats : 10);
    const activity = BigInt(Math.round(h.activityPercentile * 100)); // / 10000
    const trend =
      h.trendWoW === null
        ? h.events7d > 0
          ? 10_000n
          : 0n
        : BigInt(Math.min(20_000, Math.max(0, 10_000 + Math.round(h.trendWoW * 10_000)))); // / 20000
    const users = BigInt(h.activeUsers7d) < seats ? BigInt(h.activeUsers7d) : seats; // / seats
    const lifecycle = BigInt(Math.round((LIFECYCLE_FACTOR[h.lifecycleStage] ?? 0.5) * 10)); // / 10
    const billing = BigInt(Math.round(h.billingHealth * 10_000)); // / 10000
    const points =
      30n * activity * 2n * seats +
      20n * trend * seats +
      20n * users * 20_000n +
      15n * lifecycle * 2_000n * seats +
      15n * billing * 2n * seats;
    return referenceRound(points, 20_000n * seats, 0);
  }

  it.each([
    [
      '30 * 0.5 + 20 * 0.5 + 20 * 1/8 + 15 * 0.6 + 15 * 1 = 51.5, a tie: up',
      'v1',
      input({ activityPercentile: 50, activeUsers7d: 1, seats: 8, lifecycleStage: 'trial' }),
      52,
    ],
    [
      // 30 * 0.6667 + 20 * 0.5 + 20 * 2549/2999 + 15 * 0.7 + 15 * 1 = 72.49999966…: the float sum,
      // rounded to 6 decimals first, said 72.5 and scored 73.
      '30 * 0.6667 + 10 + 20 * 2549/2999 + 10.5 + 15 = 72.4999996…, just below the tie',
      'v1',
      input({ activityPercentile: 66.67, activeUsers7d: 2549, seats: 2999, lifecycleStage: 'onboarding' }),
      72,
    ],
    [
      '30 * 0.5 + 20 * 0.5 + 20 * 1 + 15 * 1 + 15 * 7/8 = 73.125',
      'v1',
      input({
        activityPercentile: 50,
        activeUsers7d: 3,
        seats: 3,
        lifecycleStage: 'mature',
        billingHealth: 0.875,
        billing30d: { paid: 7, overdue: 1, failed: 0 },
        billingToday: { paid: 1, overdue: 0, failed: 0 },
      }),
      73,
    ],
    [
      // v2, billing today: billing factor = billingHealth(7 + 2, 1, 0) = 0.9.
      '25 * 0.5 + 15 * 0.5 + 15 * 1 + 10 * 1 + 35 * 0.9 = 76.5, a tie: up',
      'v2',
      input({
        activityPercentile: 50,
        activeUsers7d: 3,
        seats: 3,
        lifecycleStage: 'mature',
        billingHealth: 0.875,
        billing30d: { paid: 7, overdue: 1, failed: 0 },
        billingToday: { paid: 1, overdue: 0, failed: 0 },
      }),
      77,
    ],
  ] as const)('%s', (_what, version, h, expected) => {
    expect(getPipeline(version).healthScore(h)).toBe(expected);
  });

  // Seat counts dividing 20000 keep every v1 term a multiple of 1/2000 point, so a billing health
  // can be solved for that makes the sum exactly n + 1/2.
  const SEATS = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 40, 50, 80, 100, 125, 160, 200, 250, 400, 500, 1000];

  it('rounds every exact half-point tie up, as the decimal reference does (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.option(fc.integer({ min: -10_000, max: 10_000 }), { nil: null }),
        fc.constantFrom(...SEATS),
        fc.nat(),
        fc.constantFrom(...STAGES, 'unknown'),
        fc.integer({ min: 0, max: 4 }),
        (activity, trend, seats, users, stage, j) => {
          const activeUsers7d = users % (seats + 1);
          const lifecycle = Math.round((LIFECYCLE_FACTOR[stage] ?? 0.5) * 10);
          // Points in units of 1/20000, every term but billing.
          const rest =
            60 * activity +
            20 * (trend === null ? 10_000 : 10_000 + trend) +
            20 * activeUsers7d * (20_000 / seats) +
            30_000 * lifecycle;
          // Billing adds 30 * b units; 3 * 667 = 2001, so b = 667 * c (mod 2000) solves 3b = c (mod 2000).
          const c = (((10_000 - rest) / 10) % 2_000) + 2_000;
          const b = ((667 * c) % 2_000) + 2_000 * j;
          expect((rest + 30 * b) % 20_000).toBe(10_000);
          const h = input({
            activityPercentile: activity / 100,
            trendWoW: trend === null ? null : trend / 10_000,
            events7d: 5,
            activeUsers7d,
            seats,
            lifecycleStage: stage,
            billingHealth: b / 10_000,
          });
          const expected = (rest + 30 * b + 10_000) / 20_000;
          expect(referenceV1(h)).toBe(String(expected));
          expect(getPipeline('v1').healthScore(h)).toBe(expected);
          // Without billing events today v2 scores exactly as v1.
          expect(getPipeline('v2').healthScore(h)).toBe(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('equals the reference on any inputs, large seat counts included (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.option(fc.integer({ min: -10_000, max: 40_000 }), { nil: null }),
        fc.nat({ max: 3 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.nat({ max: 25_000 }),
        fc.constantFrom(...STAGES, 'unknown', 'something-new'),
        fc.integer({ min: 0, max: 10_000 }),
        (activity, trend, events7d, seats, activeUsers7d, stage, billing) => {
          const h = input({
            activityPercentile: activity / 100,
            trendWoW: trend === null ? null : trend / 10_000,
            events7d,
            activeUsers7d,
            seats,
            lifecycleStage: stage,
            billingHealth: billing / 10_000,
          });
          expect(String(getPipeline('v1').healthScore(h))).toBe(referenceV1(h));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
