import type { QuantileSketchState } from '../../metrics/monoids/quantile-sketch';
import type { Alert } from '../alerts/alerts';
import { alertId } from '../alerts/alerts';
import type { RecordCounts } from '../tenant-days/pipeline-contracts';

/**
 * Data checks (issue 17): what a tenant's day of account documents is compared with before it is
 * served, and what a failure does. Pure data, shared by the tenants file, the checkDayOutputs
 * activity and the tenant-day workflow; the rules are in src/metrics/data-checks.ts.
 */
export type CheckSeverity = 'warn' | 'block';

export interface DataCheckThresholds {
  /** Baseline days (of the trailing BASELINE_DAYS with a summary) below which every check passes. */
  minBaselineDays: number;
  /** Largest relative change of the number of accounts from the baseline median (0.3 = 30%). */
  accountsChange: number;
  /** Largest relative change of accepted events from the baseline median. */
  acceptedEventsChange: number;
  /** Largest rise of the quarantined share (quarantined / read) above the baseline median, absolute (0.05 = 5 points). */
  quarantinedShareIncrease: number;
  /** Largest change of the share of accounts without events from the baseline median, absolute. */
  noEventsShareChange: number;
  /** Largest health-score distance (max difference over the deciles, in score points) from the baseline. */
  healthScoreDistance: number;
}

export interface DataChecksConfig {
  /** What a failed check does: `warn` serves and alerts, `block` keeps serving the previous state until released. */
  severity: CheckSeverity;
  thresholds: DataCheckThresholds;
}

/** Days before the checked day whose summaries form the baseline. */
export const BASELINE_DAYS = 14;

export const DEFAULT_DATA_CHECKS: DataChecksConfig = {
  severity: 'warn',
  thresholds: {
    minBaselineDays: 3,
    accountsChange: 0.3,
    acceptedEventsChange: 0.5,
    quarantinedShareIncrease: 0.05,
    noEventsShareChange: 0.2,
    healthScoreDistance: 15,
  },
};

/** The keys of `checks` in a tenant entry, and of its `thresholds`. */
export const DATA_CHECKS_KEYS = ['severity', 'thresholds'] as const;
export const THRESHOLD_KEYS = Object.keys(DEFAULT_DATA_CHECKS.thresholds) as (keyof DataCheckThresholds)[];

/**
 * A day's check summary, stored next to its outputs (check-summary.json): what the checks of later
 * days read instead of the whole documents. Counts are absent when the run did not read the raw
 * events (a rerun from a later task) and no earlier summary of the day had them.
 */
export interface DayCheckSummary {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  accounts: number;
  accountsWithoutEvents: number;
  counts?: Pick<RecordCounts, 'read' | 'accepted' | 'quarantined'>;
  healthScores: QuantileSketchState;
}

export const CHECK_NAMES = [
  'accounts',
  'acceptedEvents',
  'quarantinedShare',
  'noEventsShare',
  'healthScoreDistance',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  check: CheckName;
  passed: boolean;
  /** The day's value (for the distance: the distance), and the baseline's; null when not measured. */
  value: number | null;
  baseline: number | null;
  threshold: number;
  /** One data-free line: the check, the numbers, the threshold. */
  detail: string;
}

/** pass: every check passed (or too little history); warn / block: a check failed, under the tenant's severity. */
export type ChecksVerdict = 'pass' | 'warn' | 'block';

export interface DataChecksOutcome {
  verdict: ChecksVerdict;
  /** Summaries found among the trailing BASELINE_DAYS days. */
  baselineDays: number;
  /** True when fewer than minBaselineDays were found: nothing was compared. */
  insufficientHistory: boolean;
  severity: CheckSeverity;
  results: CheckResult[];
}

export interface CheckDayOutputsInput {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  runKind: 'primary' | 'shadow';
  /** The run's record counts; absent when it did not read the raw events. */
  counts?: RecordCounts;
}

export interface CheckDayOutputsResult extends DataChecksOutcome {
  summaryKey: string;
}

/** Sent by an operator (`daybreak checks release`) to a tenant-day blocked by its checks. */
export interface ReleaseChecksRequest {
  by: string;
  reason: string;
}

/** The data checks of a tenant-day, in its result (and the run ledger). */
export interface TenantDayChecks extends DataChecksOutcome {
  /** The day's check summary (check-summary.json next to its outputs). */
  summaryKey?: string;
  /** A blocked day: who released it, why, when (workflow time, ISO). */
  released?: ReleaseChecksRequest & { at: string };
}

/** What the checksState query answers. */
export interface ChecksState {
  state: 'not-checked' | 'checked' | 'blocked' | 'released';
  checks?: TenantDayChecks;
}

/**
 * A tenant entry's `checks`: `severity` and any of the thresholds; what is left out takes the
 * default. Each problem goes to `fail` with its field (`checks.thresholds.accountsChange`), so the
 * tenants file reports them all at once. Undefined when there were problems.
 */
export function parseDataChecks(
  raw: unknown,
  fail: (field: string, message: string) => void,
): DataChecksConfig | undefined {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(raw)) {
    fail('checks', `checks must be an object with "severity" and/or "thresholds", got ${JSON.stringify(raw)}`);
    return undefined;
  }
  let ok = true;
  const problem = (field: string, message: string) => {
    ok = false;
    fail(field, message);
  };
  for (const key of Object.keys(raw)) {
    if (!(DATA_CHECKS_KEYS as readonly string[]).includes(key))
      problem(`checks.${key}`, `unknown key checks.${key}; allowed: ${DATA_CHECKS_KEYS.join(', ')}`);
  }
  const severity = raw.severity ?? DEFAULT_DATA_CHECKS.severity;
  if (severity !== 'warn' && severity !== 'block')
    problem('checks.severity', `checks.severity ${JSON.stringify(severity)} must be "warn" or "block"`);
  const thresholds = { ...DEFAULT_DATA_CHECKS.thresholds };
  if (raw.thresholds !== undefined) {
    if (!isObject(raw.thresholds)) problem('checks.thresholds', `checks.thresholds must be an object`);
    else {
      for (const [key, value] of Object.entries(raw.thresholds)) {
        const field = `checks.thresholds.${key}`;
        if (!(THRESHOLD_KEYS as string[]).includes(key)) {
          problem(field, `unknown key ${field}; allowed: ${THRESHOLD_KEYS.join(', ')}`);
          continue;
        }
        const name = key as keyof DataCheckThresholds;
        const integer = name === 'minBaselineDays';
        const valid =
          typeof value === 'number' &&
          Number.isFinite(value) &&
          value >= 0 &&
          (!integer || (Number.isInteger(value) && value <= BASELINE_DAYS));
        if (!valid) {
          problem(
            field,
            `${field} ${JSON.stringify(value)} must be ${integer ? `an integer 0-${BASELINE_DAYS}` : 'a number >= 0'}`,
          );
        } else thresholds[name] = value;
      }
    }
  }
  return ok ? { severity: severity as CheckSeverity, thresholds } : undefined;
}

/**
 * The alert of a day whose checks failed: check-blocked (not served until released) or
 * check-warned (served). The reason names the failed checks only, never their values.
 */
export function dataCheckAlert(input: {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  workflowId: string;
  runId: string;
  outcome: DataChecksOutcome;
  raisedAt: string;
}): Alert {
  const kind = input.outcome.verdict === 'block' ? 'check-blocked' : 'check-warned';
  const failed = input.outcome.results.filter((r) => !r.passed).map((r) => r.check);
  return {
    id: alertId({ workflowId: input.workflowId, kind, occurrence: input.runId }),
    kind,
    tenantId: input.tenantId,
    day: input.day,
    pipelineVersion: input.pipelineVersion,
    workflowId: input.workflowId,
    reason:
      `failed ${failed.join(', ')} against ${input.outcome.baselineDays} baseline days` +
      (kind === 'check-blocked' ? `; release with daybreak checks release` : ''),
    raisedAt: input.raisedAt,
  };
}
