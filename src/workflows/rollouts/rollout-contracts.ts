import type { TenantSettings } from '../lanes/lane-contracts';

/** Where a tenant is in a candidate version's rollout. */
export type RolloutStage = 'shadow' | 'eligible' | 'promoted' | 'finished' | 'rolled-back';

/** The comparison's verdict for one tenant-day. */
export type Verdict = 'clean' | 'expected-differences' | 'unexpected-differences' | 'shadow-failed';

export interface RolloutPolicy {
  /** The registered comparison policy written for this change (src/compare). */
  comparisonPolicy: string;
  /** Consecutive days with a clean or expected-only verdict that make a tenant eligible. */
  cleanDaysToEligible: number;
  /** Promote eligible tenants without an operator. */
  autoPromote: boolean;
}

export interface RolloutTenant {
  tenantId: string;
  tenant: TenantSettings;
}

export interface RolloutInput {
  candidateVersion: string;
  baselineVersion: string;
  tenants: RolloutTenant[];
  policy: RolloutPolicy;
  /** Carried over by continue-as-new. */
  state?: RolloutState;
}

export interface DayVerdictSignal {
  tenantId: string;
  day: string;
  primaryVersion: string;
  shadowVersion: string;
  verdict: Verdict;
  csvKey?: string;
  summaryKey?: string;
  reason?: string;
}

export interface AuditEntry {
  /** Workflow time of the action, ISO. */
  at: string;
  tenantId: string;
  action: 'promote' | 'rollback' | 'finish' | 'eligible' | 'auto-promote' | 'resume' | 'end';
  by: string;
  reason: string;
  forced: boolean;
}

export interface TenantRollout {
  tenantId: string;
  tenant: TenantSettings;
  stage: RolloutStage;
  consecutiveClean: number;
  /** Most recent last (bounded). `round` is the tenant's `round` when the verdict came. */
  verdicts: { day: string; verdict: Verdict; csvKey?: string; round?: number }[];
  lastUnexpectedCsv?: string;
  /**
   * How many times the tenant was resumed after a rollback (absent: never). A repeated verdict for
   * a day counts again in a later round, so days re-run after a resume are evidence again.
   */
  round?: number;
}

export interface RolloutState {
  candidateVersion: string;
  baselineVersion: string;
  policy: RolloutPolicy;
  tenants: TenantRollout[];
  audit: AuditEntry[];
  /** Set by the `end` update: the workflow completes with the tenants where they are. */
  ended?: boolean;
}

export interface OperatorAction {
  tenantId: string;
  /** Who asked (an operator name or service), recorded in the audit trail. */
  by: string;
  reason: string;
  /** Promote without the required clean days. */
  force?: boolean;
}

/** Closes a rollout whose tenants are all finished or rolled back (the `end` update). */
export interface EndRolloutAction {
  by: string;
  reason: string;
}

export interface EndRolloutResult {
  candidateVersion: string;
  tenants: { tenantId: string; stage: RolloutStage }[];
}

export interface OperatorActionResult {
  tenantId: string;
  stage: RolloutStage;
  servedIndex?: string;
}
