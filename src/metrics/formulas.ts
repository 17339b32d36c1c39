/**
 * The metric formulas, one function each, documented in plain words in docs/metrics.md. All take
 * integers or already-rounded decimals, compute their result exactly (src/metrics/exact.ts) and
 * round it once, half away from zero, to fixed decimals, so documents are byte-identical on every
 * rerun and a tie always rounds the same way.
 */
import type { Ratio } from './exact';
import { addRatios, clampRatio01, decimalRatio, ratio, roundRatioHalfUp, scaleRatio } from './exact';

/** num / den (integers) rounded half away from zero to `decimals` digits, on the exact value. */
export function roundRatio(num: number, den: number, decimals: number): number {
  return roundRatioHalfUp(ratio(num, den), decimals);
}

/** This week against last week: events7d / eventsPrevious7d - 1, 4 decimals; null when last week had no events. */
export function trendWoW(events7d: number, eventsPrevious7d: number): number | null {
  // events7d / eventsPrevious7d - 1 is exactly (events7d - eventsPrevious7d) / eventsPrevious7d.
  return eventsPrevious7d > 0 ? roundRatio(events7d - eventsPrevious7d, eventsPrevious7d, 4) : null;
}

/**
 * Activity percentile within the tenant: the share of the tenant's other accounts with strictly
 * fewer events in the last 7 days, 0-100 with 2 decimals. A tenant's only account scores 100 when
 * it had events and 0 otherwise; an account without events always scores 0.
 */
export function activityPercentiles(events7d: readonly number[]): number[] {
  const n = events7d.length;
  const sorted = [...events7d].sort((a, b) => a - b);
  return events7d.map((e) => {
    if (n === 1) return e > 0 ? 100 : 0;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (sorted[mid] < e) lo = mid + 1;
      else hi = mid;
    }
    return roundRatio(100 * lo, n - 1, 2);
  });
}

/**
 * Billing health over the last 30 days, 0-1 with 4 decimals: paid / (paid + overdue + 2 * failed).
 * 1 when the account had no billing events (nothing says it is unhealthy).
 */
export function billingHealth(paid: number, overdue: number, failed: number): number {
  const denominator = paid + overdue + 2 * failed;
  return denominator === 0 ? 1 : roundRatio(paid, denominator, 4);
}

/** How much a lifecycle stage says about health, 0-1 in tenths; an unknown stage (no attributes) is 0.5. */
export const LIFECYCLE_FACTOR: Readonly<Record<string, number>> = {
  trial: 0.6,
  onboarding: 0.7,
  adopting: 0.8,
  mature: 1,
  at_risk: 0.3,
  churned: 0,
};

// The factors are exact ratios: each is the documented formula on the document's rounded fields,
// with no binary rounding of its own, so the weighted sum below is the exact decimal it says.

export function lifecycleFactor(stage: string): Ratio {
  return decimalRatio(LIFECYCLE_FACTOR[stage] ?? 0.5, 1);
}

/** Activity factor 0-1: activityPercentile (2 decimals) / 100. */
export function activityFactor(activityPercentile: number): Ratio {
  // activityPercentile has 2 decimals: (100 * p) / 10^4.
  return clampRatio01(ratio(decimalRatio(activityPercentile, 2).num, 10_000));
}

/** Trend factor 0-1: 0.5 + trend / 2, clamped; without a previous week 0.5 if active this week, else 0. */
export function trendFactor(trend: number | null, events7d: number): Ratio {
  if (trend === null) return events7d > 0 ? ratio(1, 2) : ratio(0);
  // trend has 4 decimals: 0.5 + (t / 10^4) / 2 = (10^4 + t) / (2 * 10^4).
  return clampRatio01(ratio(10_000n + decimalRatio(trend, 4).num, 20_000n));
}

/** User breadth 0-1: activeUsers7d / seats, capped at 1; without a seat count, 10 users count as full breadth. */
export function breadthFactor(activeUsers7d: number, seats: number): Ratio {
  return clampRatio01(ratio(activeUsers7d, seats > 0 ? seats : 10));
}

/** Billing factor 0-1: a billing health (4 decimals) as it is. */
export function billingFactor(billingHealth: number): Ratio {
  return clampRatio01(decimalRatio(billingHealth, 4));
}

/** The inputs of a health score, each an exact factor 0-1. */
export interface HealthFactors {
  activity: Ratio;
  trend: Ratio;
  breadth: Ratio;
  lifecycle: Ratio;
  billing: Ratio;
}

export interface HealthWeights {
  activity: number;
  trend: number;
  breadth: number;
  lifecycle: number;
  billing: number;
}

/** v1 weights, in points out of 100. */
export const HEALTH_WEIGHTS_V1: HealthWeights = { activity: 30, trend: 20, breadth: 20, lifecycle: 15, billing: 15 };
/** v2 weights for accounts with billing events today. */
export const HEALTH_WEIGHTS_V2_BILLING: HealthWeights = {
  activity: 25,
  trend: 15,
  breadth: 15,
  lifecycle: 10,
  billing: 35,
};

/** Weighted sum of the factors, computed exactly and rounded half up to an integer 0-100. */
export function weightedHealth(f: HealthFactors, w: HealthWeights): number {
  const points = addRatios(
    scaleRatio(clampRatio01(f.activity), w.activity),
    scaleRatio(clampRatio01(f.trend), w.trend),
    scaleRatio(clampRatio01(f.breadth), w.breadth),
    scaleRatio(clampRatio01(f.lifecycle), w.lifecycle),
    scaleRatio(clampRatio01(f.billing), w.billing),
  );
  return Math.max(0, Math.min(100, roundRatioHalfUp(points, 0)));
}

/** Change in health since the previous day; null when the previous day has no score for the account. */
export function healthDelta(today: number, previous: number | null | undefined): number | null {
  return previous === null || previous === undefined ? null : today - previous;
}
