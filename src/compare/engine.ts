import type { AccountChange, CheckResult, CheckState, DistributionView } from './checks';
import { quantileLabel } from './checks';
import type { Comparator, FieldPair } from './comparators';
import type { ResolvedPolicy } from './policy';
import type { AccountRecord, FieldValue } from './values';
import { IDENTITY_FIELDS, isNested, numericDelta, sameValue, toFieldValue } from './values';
import { QuantileSketchAccumulator, sketchQuantiles } from '../metrics/monoids/quantile-sketch';

/** One unexpected difference: a CSV row without the tenant and day columns. */
export interface DifferenceRow {
  account: string;
  field: string;
  primary: FieldValue;
  shadow: FieldValue;
  delta?: number;
  rule: string;
}

export type ComparisonVerdict = 'clean' | 'expected-differences' | 'unexpected-differences';

export interface QuantileShiftSummary {
  primary: number;
  shadow: number;
  shift: number;
}

/** Per-field statistics of the summary. */
export interface FieldSummary {
  field: string;
  /** Accounts present on both sides where the field was compared. */
  compared: number;
  /** Accounts whose values differ at all. */
  differing: number;
  /** Differences the comparator judged equal (within tolerance, ignored). */
  tolerated: number;
  expected: number;
  unexpected: number;
  /** Unexpected by the policy, but the field also differs between two runs of the primary version. */
  noise: number;
  comparator: string;
  /** Largest |shadow - primary| over accounts where both are numbers; 0 when none differ. */
  maxAbsDelta: number;
  /** Mean of shadow - primary over accounts where both are numbers (equal ones count as 0). */
  meanDelta: number;
  /** p10/p50/p90 of each side over all its accounts, and shadow - primary; numeric fields only. */
  quantiles?: Record<string, QuantileShiftSummary>;
}

export interface ComparisonOutcome {
  verdict: ComparisonVerdict;
  policy: string;
  accounts: {
    primary: number;
    shadow: number;
    /** Present on both sides. */
    compared: number;
    missingInPrimary: number;
    missingInShadow: number;
    /** Accounts with at least one expected or unexpected difference, missing ones included. */
    changed: number;
  };
  /** Unexpected = rows of the CSV (field differences, missing accounts, failed checks). */
  counts: { unexpected: number; expected: number; noise: number };
  noiseFields: string[];
  checks: CheckResult[];
  fields: FieldSummary[];
}

export interface ComparisonRunOptions {
  policy: ResolvedPolicy;
  /** Fields that differ between two runs of the primary version: their unexpected differences are noise. */
  noiseFields?: ReadonlySet<string>;
  /** Called for each unexpected difference as soon as it is found. */
  onUnexpected?: (row: DifferenceRow) => void;
  /** Keep quantile sketches per numeric field (default true). */
  distributions?: boolean;
  /** Quantiles reported per field in the summary. */
  summaryQuantiles?: readonly number[];
}

interface FieldState {
  field: string;
  comparator: Comparator;
  compared: number;
  differing: number;
  tolerated: number;
  expected: number;
  unexpected: number;
  noise: number;
  numericPairs: number;
  sumDelta: number;
  maxAbsDelta: number;
  /** Values both sides agree on are counted once, here; the rest in the side's own sketch. */
  common: QuantileSketchAccumulator | undefined;
  primaryOnly: QuantileSketchAccumulator | undefined;
  shadowOnly: QuantileSketchAccumulator | undefined;
}

/** Adds a value to a field's sketch; NaN and infinities have no quantile and stay out of it. */
function sketched(sketch: QuantileSketchAccumulator | undefined, value: number): QuantileSketchAccumulator {
  const out = sketch ?? new QuantileSketchAccumulator();
  if (Number.isFinite(value)) out.add(value);
  return out;
}

interface Shape {
  primaryProto: unknown;
  shadowProto: unknown;
  /** The primary class's comparable fields, in order, and their states once seen as scalars. */
  keys: string[];
  states: Array<FieldState | undefined>;
  /** Comparable fields only the shadow class has. */
  shadowOnly: string[];
}

/**
 * The diff engine: fed one account at a time (by mergeJoin), it applies the policy's comparators
 * field by field, reports unexpected differences through `onUnexpected` as it finds them, and keeps
 * only per-field counters and bounded sketches, so its memory does not grow with the accounts.
 */
export class ComparisonRun {
  private readonly policy: ResolvedPolicy;
  private readonly noiseFields: ReadonlySet<string>;
  private readonly onUnexpected: (row: DifferenceRow) => void;
  private readonly distributions: boolean;
  private readonly summaryQuantiles: readonly number[];
  private readonly fields = new Map<string, FieldState>();
  private readonly nestedNames = new Map<string, Map<string, string>>();
  private readonly checkStates: CheckState[];
  private readonly changedFields: string[] = [];
  private shape: Shape | undefined;
  private readonly change: AccountChange = { accountId: '', changedFields: this.changedFields };
  private primaryRecord: AccountRecord = {};
  private shadowRecord: AccountRecord = {};
  private accountId = '';
  private matched = 0;
  private missingInPrimary = 0;
  private missingInShadow = 0;
  private changedAccounts = 0;
  private expected = 0;
  private unexpected = 0;
  private noise = 0;

  constructor(options: ComparisonRunOptions) {
    this.policy = options.policy;
    this.noiseFields = options.noiseFields ?? new Set();
    this.onUnexpected = options.onUnexpected ?? (() => {});
    this.distributions = options.distributions ?? true;
    this.summaryQuantiles = options.summaryQuantiles ?? [0.1, 0.5, 0.9];
    this.checkStates = this.policy.checks.map((check) => check.start());
  }

  get accounts(): number {
    return this.matched + this.missingInPrimary + this.missingInShadow;
  }

  get unexpectedCount(): number {
    return this.unexpected;
  }

  /** An account present on both sides. */
  compare(primary: AccountRecord, shadow: AccountRecord): void {
    this.matched++;
    this.primaryRecord = primary;
    this.shadowRecord = shadow;
    this.accountId = String(primary.accountId);
    this.changedFields.length = 0;
    const shape = this.shapeOf(primary, shadow);
    if (shape) {
      const { keys, states, shadowOnly } = shape;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i];
        states[i] = this.compareField(key, primary[key], shadow[key], states[i]);
      }
      for (const key of shadowOnly) this.compareField(key, undefined, shadow[key]);
    } else {
      for (const key of Object.keys(primary)) {
        if (!IDENTITY_FIELDS.has(key)) this.compareField(key, primary[key], shadow[key]);
      }
      for (const key of Object.keys(shadow)) {
        if (!(key in primary) && !IDENTITY_FIELDS.has(key)) this.compareField(key, undefined, shadow[key]);
      }
    }
    this.endAccount();
  }

  /**
   * Records decoded by avsc are instances of one class per file schema, with the same fields in the
   * same order, so the field list (and each field's state) is worked out once per pair of classes
   * instead of once per account. Plain objects get no shape: their fields may vary record by record.
   */
  private shapeOf(primary: AccountRecord, shadow: AccountRecord): Shape | undefined {
    const pp: unknown = Object.getPrototypeOf(primary);
    const sp: unknown = Object.getPrototypeOf(shadow);
    if (pp === Object.prototype || sp === Object.prototype || pp === null || sp === null) return undefined;
    if (this.shape && this.shape.primaryProto === pp && this.shape.shadowProto === sp) return this.shape;
    const keys = Object.keys(primary).filter((k) => !IDENTITY_FIELDS.has(k));
    this.shape = {
      primaryProto: pp,
      shadowProto: sp,
      keys,
      states: new Array<FieldState | undefined>(keys.length),
      shadowOnly: Object.keys(shadow).filter((k) => !(k in primary) && !IDENTITY_FIELDS.has(k)),
    };
    return this.shape;
  }

  /** An account only the primary run has. */
  primaryOnly(primary: AccountRecord): void {
    this.missingInShadow++;
    this.missingAccount(primary, 'primary');
  }

  /** An account only the shadow run has. */
  shadowOnly(shadow: AccountRecord): void {
    this.missingInPrimary++;
    this.missingAccount(shadow, 'shadow');
  }

  /** Runs the aggregate checks (their violations are reported too) and returns the outcome. */
  finish(): ComparisonOutcome {
    const view: DistributionView = {
      accounts: this.accounts,
      quantiles: (field, qs) => this.fieldQuantiles(field, qs),
    };
    const checks = this.checkStates.map((state) => state.finish(view));
    for (const check of checks) {
      for (const v of check.violations) {
        this.unexpected++;
        this.onUnexpected({
          account: '*',
          field: v.field,
          primary: v.primary,
          shadow: v.shadow,
          delta: v.delta,
          rule: check.rule,
        });
      }
    }
    const fields = [...this.fields.values()]
      .sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0))
      .map((s) => this.fieldSummary(s));
    const verdict: ComparisonVerdict =
      this.unexpected > 0 ? 'unexpected-differences' : this.expected > 0 ? 'expected-differences' : 'clean';
    return {
      verdict,
      policy: this.policy.name,
      accounts: {
        primary: this.matched + this.missingInShadow,
        shadow: this.matched + this.missingInPrimary,
        compared: this.matched,
        missingInPrimary: this.missingInPrimary,
        missingInShadow: this.missingInShadow,
        changed: this.changedAccounts,
      },
      counts: { unexpected: this.unexpected, expected: this.expected, noise: this.noise },
      noiseFields: [...this.noiseFields].sort(),
      checks,
      fields,
    };
  }

  /** Compares one field (recursing into maps); returns the field's state when it is a scalar, for the shape cache. */
  private compareField(field: string, primary: unknown, shadow: unknown, known?: FieldState): FieldState | undefined {
    if (isNested(primary) || isNested(shadow)) {
      const p = isNested(primary) ? primary : undefined;
      const s = isNested(shadow) ? shadow : undefined;
      if (p) for (const key of Object.keys(p)) this.compareField(this.nestedName(field, key), p[key], s?.[key]);
      if (s) {
        for (const key of Object.keys(s)) {
          if (!p || !(key in p)) this.compareField(this.nestedName(field, key), undefined, s[key]);
        }
      }
      return undefined;
    }
    const pv = typeof primary === 'number' ? primary : toFieldValue(primary);
    const sv = typeof shadow === 'number' ? shadow : toFieldValue(shadow);
    const state = known ?? this.state(field);
    state.compared++;
    if (pv === sv || sameValue(pv, sv)) {
      if (typeof pv === 'number') {
        state.numericPairs++;
        if (this.distributions) state.common = sketched(state.common, pv);
      }
      return state;
    }
    state.differing++;
    const delta = numericDelta(pv, sv);
    if (delta !== undefined) {
      state.numericPairs++;
      state.sumDelta += delta;
      const abs = Math.abs(delta);
      if (abs > state.maxAbsDelta) state.maxAbsDelta = abs;
    }
    if (this.distributions) {
      if (typeof pv === 'number') state.primaryOnly = sketched(state.primaryOnly, pv);
      if (typeof sv === 'number') state.shadowOnly = sketched(state.shadowOnly, sv);
    }
    const pair: FieldPair = {
      accountId: this.accountId,
      field,
      primary: pv,
      shadow: sv,
      primaryRecord: this.primaryRecord,
      shadowRecord: this.shadowRecord,
    };
    const outcome = state.comparator.compare(pair);
    if (outcome === 'equal') {
      state.tolerated++;
    } else if (outcome === 'unexpected' && this.noiseFields.has(field)) {
      state.noise++;
      this.noise++;
    } else if (outcome === 'expected') {
      state.expected++;
      this.expected++;
      this.changedFields.push(field);
    } else {
      state.unexpected++;
      this.unexpected++;
      this.changedFields.push(field);
      this.onUnexpected({
        account: this.accountId,
        field,
        primary: pv,
        shadow: sv,
        delta,
        rule: state.comparator.name,
      });
    }
  }

  private missingAccount(record: AccountRecord, side: 'primary' | 'shadow'): void {
    const accountId = String(record.accountId);
    if (this.distributions) this.addDistribution(record, side, '');
    this.changedFields.length = 0;
    this.changedFields.push('*');
    if (this.policy.missingAccounts === 'expected') {
      this.expected++;
    } else {
      this.unexpected++;
      this.onUnexpected({
        account: accountId,
        field: '*',
        primary: side === 'primary' ? 'present' : 'missing',
        shadow: side === 'shadow' ? 'present' : 'missing',
        rule: side === 'primary' ? 'missing-in-shadow' : 'missing-in-primary',
      });
    }
    this.accountId = accountId;
    this.endAccount();
  }

  private addDistribution(record: Readonly<Record<string, unknown>>, side: 'primary' | 'shadow', prefix: string): void {
    for (const key of Object.keys(record)) {
      if (!prefix && IDENTITY_FIELDS.has(key)) continue;
      const field = prefix ? this.nestedName(prefix, key) : key;
      const value = record[key];
      if (isNested(value)) {
        this.addDistribution(value, side, field);
      } else if (typeof value === 'number') {
        const state = this.state(field);
        if (side === 'primary') state.primaryOnly = sketched(state.primaryOnly, value);
        else state.shadowOnly = sketched(state.shadowOnly, value);
      }
    }
  }

  private endAccount(): void {
    if (this.changedFields.length > 0) this.changedAccounts++;
    if (this.checkStates.length === 0) return;
    this.change.accountId = this.accountId;
    for (const state of this.checkStates) state.account(this.change);
  }

  private state(field: string): FieldState {
    let state = this.fields.get(field);
    if (!state) {
      state = {
        field,
        comparator: this.policy.comparatorFor(field),
        compared: 0,
        differing: 0,
        tolerated: 0,
        expected: 0,
        unexpected: 0,
        noise: 0,
        numericPairs: 0,
        sumDelta: 0,
        maxAbsDelta: 0,
        common: undefined,
        primaryOnly: undefined,
        shadowOnly: undefined,
      };
      this.fields.set(field, state);
    }
    return state;
  }

  private nestedName(field: string, key: string): string {
    let names = this.nestedNames.get(field);
    if (!names) this.nestedNames.set(field, (names = new Map<string, string>()));
    let name = names.get(key);
    if (name === undefined) names.set(key, (name = `${field}.${key}`));
    return name;
  }

  private fieldQuantiles(field: string, qs: readonly number[]): { primary: number[]; shadow: number[] } | undefined {
    const state = this.fields.get(field);
    if (!state) return undefined;
    const states = (...sketches: (QuantileSketchAccumulator | undefined)[]) =>
      sketches.flatMap((sketch) => (sketch ? [sketch.toState()] : []));
    const primary = sketchQuantiles(states(state.common, state.primaryOnly), qs);
    const shadow = sketchQuantiles(states(state.common, state.shadowOnly), qs);
    return primary && shadow ? { primary, shadow } : undefined;
  }

  private fieldSummary(s: FieldState): FieldSummary {
    const summary: FieldSummary = {
      field: s.field,
      compared: s.compared,
      differing: s.differing,
      tolerated: s.tolerated,
      expected: s.expected,
      unexpected: s.unexpected,
      noise: s.noise,
      comparator: s.comparator.name,
      maxAbsDelta: s.maxAbsDelta,
      meanDelta: s.numericPairs ? s.sumDelta / s.numericPairs : 0,
    };
    const q = this.distributions ? this.fieldQuantiles(s.field, this.summaryQuantiles) : undefined;
    if (q) {
      summary.quantiles = {};
      this.summaryQuantiles.forEach((quantile, i) => {
        summary.quantiles![quantileLabel(quantile)] = {
          primary: q.primary[i],
          shadow: q.shadow[i],
          shift: q.shadow[i] - q.primary[i],
        };
      });
    }
    return summary;
  }
}
