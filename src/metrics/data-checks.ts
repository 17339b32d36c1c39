import type {
  CheckName,
  CheckResult,
  DataChecksConfig,
  DataChecksOutcome,
  DayCheckSummary,
} from '../workflows/data-checks/data-check-contracts';
import type { QuantileSketchState } from './monoids/quantile-sketch';
import { quantileSketchMonoid, sketchCount, sketchQuantile } from './monoids/quantile-sketch';

/** The deciles the health-score distance compares: 0.1 .. 0.9. */
export const DECILES = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/**
 * Health-score distance between two distributions: the largest absolute difference, in score
 * points, between their deciles read from the quantile sketches. Each decile is within the sketch's
 * 1% relative accuracy, so the distance is within 1% of the larger score of the exact one. Null
 * when either side is empty.
 */
export function healthScoreDistance(a: QuantileSketchState, b: QuantileSketchState): number | null {
  if (sketchCount(a) === 0 || sketchCount(b) === 0) return null;
  let max = 0;
  for (const q of DECILES) max = Math.max(max, Math.abs(sketchQuantile(a, q)! - sketchQuantile(b, q)!));
  return max;
}

/** The median (the mean of the middle two for an even count); null for no values. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

/** A summary's measures, each null when the summary does not have it. */
function measures(s: DayCheckSummary) {
  return {
    accounts: s.accounts,
    acceptedEvents: s.counts ? s.counts.accepted : null,
    quarantinedShare: s.counts ? share(s.counts.quarantined, s.counts.read) : null,
    noEventsShare: share(s.accountsWithoutEvents, s.accounts),
  };
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Compares a day with its baseline (the summaries of earlier days found; a median per measure, so
 * one odd day in the baseline does not move it, and the merged health-score sketch):
 * accounts and accepted events by relative change from the median, the quarantined share by its
 * rise above the median, the share of accounts without events by its absolute change, the health
 * scores by healthScoreDistance. A measure either side lacks is not compared (passes, value null).
 * Fewer than minBaselineDays summaries: everything passes, insufficientHistory.
 */
export function evaluateDataChecks(input: {
  today: DayCheckSummary;
  baseline: DayCheckSummary[];
  config: DataChecksConfig;
}): DataChecksOutcome {
  const { today, baseline, config } = input;
  const t = config.thresholds;
  if (baseline.length < t.minBaselineDays) {
    return {
      verdict: 'pass',
      baselineDays: baseline.length,
      insufficientHistory: true,
      severity: config.severity,
      results: [],
    };
  }
  const now = measures(today);
  const past = baseline.map(measures);
  const medianOf = (pick: (m: ReturnType<typeof measures>) => number | null) =>
    median(past.map(pick).filter((v): v is number => v !== null));
  const results: CheckResult[] = [];
  const add = (check: CheckName, value: number | null, base: number | null, threshold: number, deviation: number) => {
    const measured = value !== null && base !== null;
    const passed = !measured || deviation <= threshold;
    results.push({
      check,
      passed,
      value: value === null ? null : round(value),
      baseline: base === null ? null : round(base),
      threshold,
      detail: measured
        ? `${check} ${round(value)} vs baseline ${round(base)}: deviation ${round(deviation)} ${passed ? '<=' : '>'} ${threshold}`
        : `${check} not measured`,
    });
  };
  const relative = (v: number | null, b: number | null) =>
    v === null || b === null ? 0 : Math.abs(v - b) / Math.max(b, 1);
  const absolute = (v: number | null, b: number | null) => (v === null || b === null ? 0 : Math.abs(v - b));

  const accounts = medianOf((m) => m.accounts);
  add('accounts', now.accounts, accounts, t.accountsChange, relative(now.accounts, accounts));
  const accepted = medianOf((m) => m.acceptedEvents);
  add('acceptedEvents', now.acceptedEvents, accepted, t.acceptedEventsChange, relative(now.acceptedEvents, accepted));
  const quarantined = medianOf((m) => m.quarantinedShare);
  const rise = now.quarantinedShare === null || quarantined === null ? 0 : now.quarantinedShare - quarantined;
  add('quarantinedShare', now.quarantinedShare, quarantined, t.quarantinedShareIncrease, rise);
  const noEvents = medianOf((m) => m.noEventsShare);
  add('noEventsShare', now.noEventsShare, noEvents, t.noEventsShareChange, absolute(now.noEventsShare, noEvents));
  const merged = baseline
    .map((s) => s.healthScores)
    .reduce((a, b) => quantileSketchMonoid.merge(a, b), quantileSketchMonoid.empty());
  const distance = healthScoreDistance(today.healthScores, merged);
  add('healthScoreDistance', distance, distance === null ? null : 0, t.healthScoreDistance, distance ?? 0);

  const failed = results.some((r) => !r.passed);
  return {
    verdict: failed ? config.severity : 'pass',
    baselineDays: baseline.length,
    insufficientHistory: false,
    severity: config.severity,
    results,
  };
}

/** The failed checks' names, for an alert's data-free reason. */
export function failedChecks(outcome: DataChecksOutcome): string[] {
  return outcome.results.filter((r) => !r.passed).map((r) => r.check);
}
