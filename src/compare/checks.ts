import { InvalidInputError } from '../common/errors';
import { matchesField } from './fields';

/**
 * Aggregate checks judge the run as a whole once every account has been seen: how many accounts
 * changed, how far a field's distribution moved. A failed check is an unexpected difference and
 * becomes one CSV row with account `*`.
 */

/** What the engine tells a check about each account. */
export interface AccountChange {
  accountId: string;
  /** Fields judged expected or unexpected (not equal, not noise); `*` for an account missing on one side. */
  changedFields: readonly string[];
}

/** Read access to the per-field distributions, from the engine's sketches. */
export interface DistributionView {
  /** The q-quantiles of a numeric field on each side, or undefined when the field has no numeric values. */
  quantiles(field: string, qs: readonly number[]): { primary: number[]; shadow: number[] } | undefined;
  /** Number of distinct accounts seen on either side. */
  readonly accounts: number;
}

export interface CheckViolation {
  field: string;
  primary?: number | string;
  shadow?: number | string;
  delta?: number;
  detail: string;
}

export interface CheckResult {
  rule: string;
  passed: boolean;
  detail: string;
  violations: CheckViolation[];
}

export interface CheckState {
  account(change: AccountChange): void;
  finish(view: DistributionView): CheckResult;
}

export interface AggregateCheck {
  readonly name: string;
  start(): CheckState;
}

/**
 * "At most N% of accounts may change": counts accounts with at least one changed field (among
 * `fields`, patterns as in field rules; all fields by default), missing accounts included, over the
 * accounts seen on either side.
 */
export function maxChangedAccounts(options: { percent: number; fields?: readonly string[] }): AggregateCheck {
  const { percent } = options;
  if (!Number.isFinite(percent) || percent < 0 || percent > 100)
    throw new InvalidInputError(`maxChangedAccounts percent ${percent} must be within 0-100`);
  const patterns = options.fields;
  const scope = patterns ? patterns.join('|') : '*';
  const name = `max-changed-accounts(${percent}%${patterns ? `,${scope}` : ''})`;
  return {
    name,
    start() {
      let changed = 0;
      return {
        account({ changedFields }) {
          if (changedFields.length === 0) return;
          if (!patterns || changedFields.some((f) => f === '*' || patterns.some((p) => matchesField(p, f)))) changed++;
        },
        finish(view) {
          const share = view.accounts ? (100 * changed) / view.accounts : 0;
          const detail = `${changed} of ${view.accounts} accounts changed (${round(share)}%), at most ${percent}% allowed`;
          const passed = share <= percent;
          return {
            rule: name,
            passed,
            detail,
            violations: passed ? [] : [{ field: scope, delta: round(share - percent), detail }],
          };
        },
      };
    },
  };
}

/**
 * Distribution check: the shift of a numeric field's quantiles (default p10, p50, p90) between the
 * primary and the shadow run stays within `maxAbsShift` and/or `maxRelShift` (relative to the
 * primary quantile's magnitude). Quantiles come from the metrics' quantile sketch
 * (metrics/monoids/quantile-sketch.ts): each within 1% relative error of the value at its rank.
 */
export function quantileShift(options: {
  field: string;
  quantiles?: readonly number[];
  maxAbsShift?: number;
  maxRelShift?: number;
}): AggregateCheck {
  const qs = options.quantiles ?? [0.1, 0.5, 0.9];
  const { field, maxAbsShift, maxRelShift } = options;
  if (maxAbsShift === undefined && maxRelShift === undefined)
    throw new InvalidInputError(`quantileShift on ${field} needs maxAbsShift or maxRelShift`);
  if (qs.some((q) => !(q >= 0 && q <= 1))) throw new InvalidInputError(`quantiles ${qs.join(',')} must be within 0-1`);
  const bounds = [
    maxAbsShift !== undefined ? `abs<=${maxAbsShift}` : '',
    maxRelShift !== undefined ? `rel<=${maxRelShift}` : '',
  ].filter(Boolean);
  const name = `quantile-shift(${field},${qs.map(quantileLabel).join('/')},${bounds.join(',')})`;
  return {
    name,
    start() {
      return {
        account() {},
        finish(view) {
          const q = view.quantiles(field, qs);
          if (!q) return { rule: name, passed: true, detail: `${field} has no numeric values`, violations: [] };
          const violations: CheckViolation[] = [];
          const parts: string[] = [];
          qs.forEach((quantile, i) => {
            const primary = q.primary[i];
            const shadow = q.shadow[i];
            const shift = shadow - primary;
            const relative = primary === 0 ? (shift === 0 ? 0 : Infinity) : Math.abs(shift) / Math.abs(primary);
            const label = quantileLabel(quantile);
            parts.push(`${label} ${round(primary)} -> ${round(shadow)}`);
            const tooFar =
              (maxAbsShift !== undefined && Math.abs(shift) > maxAbsShift) ||
              (maxRelShift !== undefined && relative > maxRelShift);
            if (tooFar) {
              violations.push({
                field: `${field}.${label}`,
                primary: round(primary),
                shadow: round(shadow),
                delta: round(shift),
                detail: `${field} ${label} moved ${round(shift)}`,
              });
            }
          });
          return { rule: name, passed: violations.length === 0, detail: parts.join(', '), violations };
        },
      };
    },
  };
}

export function quantileLabel(q: number): string {
  return `p${round(q * 100)}`;
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}
