/**
 * Exact rational arithmetic for the metric formulas. Every rounded metric is a ratio of integers
 * (or a weighted sum of such ratios and already-rounded decimals), so it is computed as one and
 * rounded once, on its exact value: a binary float cannot hold 0.10625 or 4.40625 - 0.00005, and
 * rounding one rounds exact ties either way.
 */
import { InvalidInputError } from '../common/errors';

/** num / den exactly, den > 0. BigInt, so a weighted sum of ratios never loses a digit. */
export interface Ratio {
  num: bigint;
  den: bigint;
}

function toBigInt(x: number | bigint, what: string): bigint {
  if (typeof x === 'bigint') return x;
  if (!Number.isSafeInteger(x)) throw new InvalidInputError(`${what} ${x} is not a safe integer`);
  return BigInt(x);
}

/** The ratio of two integers; the sign is carried by the numerator. */
export function ratio(num: number | bigint, den: number | bigint = 1n): Ratio {
  const n = toBigInt(num, 'numerator');
  const d = toBigInt(den, 'denominator');
  if (d === 0n) throw new InvalidInputError(`ratio ${n}/0 has a zero denominator`);
  return d < 0n ? { num: -n, den: -d } : { num: n, den: d };
}

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const POW10: bigint[] = Array.from({ length: 16 }, (_, i) => 10n ** BigInt(i));

function pow10(decimals: number): bigint {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals >= POW10.length) {
    throw new InvalidInputError(`decimals ${decimals} must be an integer 0-${POW10.length - 1}`);
  }
  return POW10[decimals];
}

/**
 * The exact value of a number that is a decimal with at most `decimals` digits after the point
 * (a metric this module rounded earlier): 0.1063 is 1063/10000, not the binary float nearest it.
 */
export function decimalRatio(x: number, decimals: number): Ratio {
  const f = 10 ** decimals;
  const scaled = Math.round(x * f);
  if (!Number.isSafeInteger(scaled) || scaled / f !== x) {
    throw new InvalidInputError(`${x} is not a decimal with at most ${decimals} digits after the point`);
  }
  return ratio(scaled, pow10(decimals));
}

export function addRatios(...terms: Ratio[]): Ratio {
  let num = 0n;
  let den = 1n;
  for (const t of terms) {
    num = num * t.den + t.num * den;
    den *= t.den;
  }
  return { num, den };
}

export function scaleRatio(r: Ratio, factor: number | bigint): Ratio {
  return { num: r.num * toBigInt(factor, 'factor'), den: r.den };
}

export function compareRatios(a: Ratio, b: Ratio): number {
  const d = a.num * b.den - b.num * a.den;
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

const ZERO: Ratio = { num: 0n, den: 1n };
const ONE: Ratio = { num: 1n, den: 1n };

export function clampRatio01(r: Ratio): Ratio {
  return compareRatios(r, ZERO) < 0 ? ZERO : compareRatios(r, ONE) > 0 ? ONE : r;
}

/**
 * `r` rounded to `decimals` digits, half away from zero: a tie goes up for a positive value
 * (0.10625 -> 0.1063) and down for a negative one (-0.10625 -> -0.1063), so x and -x always round
 * to opposite values. This is HALF_UP of Java's BigDecimal and Python's decimal, and ROUND() of SQL
 * numerics. The result is the double nearest that decimal (it prints as the decimal); never -0.
 */
export function roundRatioHalfUp(r: Ratio, decimals: number): number {
  const f = pow10(decimals);
  const negative = r.num < 0n;
  const magnitude = negative ? -r.num : r.num;
  // floor(|num| / den * 10^d + 1/2), in integers.
  const scaled = (2n * magnitude * f + r.den) / (2n * r.den);
  if (scaled === 0n) return 0;
  if (scaled > MAX_EXACT)
    throw new InvalidInputError(`${r.num}/${r.den} is too large to round to ${decimals} decimals`);
  const value = Number(scaled) / Number(f);
  return negative ? -value : value;
}

/** The double nearest `r`, for display and tests; never for further arithmetic. */
export function ratioToNumber(r: Ratio): number {
  return Number(r.num) / Number(r.den);
}
