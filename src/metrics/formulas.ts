/**
 * The metric formulas, one function each, documented in plain words in docs/metrics.md. All take
 * integers or already-rounded numbers and round their results to fixed decimals, so documents are
 * byte-identical on every rerun.
 */

export function round(x: number, decimals: number): number {
  const f = 10 ** decimals;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** This week against last week: events7d / eventsPrevious7d - 1, 4 decimals; null when last week had no events. */
export function trendWoW(events7d: number, eventsPrevious7d: number): number | null {
  return eventsPrevious7d > 0 ? round(events7d / eventsPrevious7d - 1, 4) : null;
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
    return round((100 * lo) / (n - 1), 2);
  });
}

/**
 * Billing health over the last 30 days, 0-1 with 4 decimals: paid / (paid + overdue + 2 * failed).
 * 1 when the account had no billing events (nothing says it is unhealthy).
 */
export function billingHealth(paid: number, overdue: number, failed: number): number {
  const denominator = paid + overdue + 2 * failed;
  return denominator === 0 ? 1 : round(paid / denominator, 4);
}

/** How much a lifecycle stage says about health, 0-1; an unknown stage (no attributes) is 0.5. */
export const LIFECYCLE_FACTOR: Readonly<Record<string, number>> = {
  trial: 0.6,
  onboarding: 0.7,
  adopting: 0.8,
  mature: 1,
  at_risk: 0.3,
  churned: 0,
};

export function lifecycleFactor(stage: string): number {
  return LIFECYCLE_FACTOR[stage] ?? 0.5;
}

/** Trend factor 0-1: 0.5 + trend / 2, clamped; without a previous week 0.5 if active this week, else 0. */
export function trendFactor(trend: number | null, events7d: number): number {
  if (trend === null) return events7d > 0 ? 0.5 : 0;
  return clamp01(0.5 + trend / 2);
}

/** User breadth 0-1: activeUsers7d / seats, capped at 1; without a seat count, 10 users count as full breadth. */
export function breadthFactor(activeUsers7d: number, seats: number): number {
  return clamp01(activeUsers7d / (seats > 0 ? seats : 10));
}

/** The inputs of a health score, each a factor 0-1. */
export interface HealthFactors {
  activity: number;
  trend: number;
  breadth: number;
  lifecycle: number;
  billing: number;
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

/** Weighted sum of the factors, rounded to an integer 0-100. */
export function weightedHealth(f: HealthFactors, w: HealthWeights): number {
  const points =
    w.activity * clamp01(f.activity) +
    w.trend * clamp01(f.trend) +
    w.breadth * clamp01(f.breadth) +
    w.lifecycle * clamp01(f.lifecycle) +
    w.billing * clamp01(f.billing);
  return Math.max(0, Math.min(100, Math.round(round(points, 6))));
}

/** Change in health since the previous day; null when the previous day has no score for the account. */
export function healthDelta(today: number, previous: number | null | undefined): number | null {
  return previous === null || previous === undefined ? null : today - previous;
}
