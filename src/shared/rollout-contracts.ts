import type { TenantSettings } from './lane-contracts';

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
  action: 'promote' | 'rollback' | 'finish' | 'eligible' | 'auto-promote';
  by: string;
  reason: string;
  forced: boolean;
}

export interface TenantRollout {
  tenantId: string;
  tenant: TenantSettings;
  stage: RolloutStage;
  consecutiveClean: number;
  /** Most recent last (bounded). */
  verdicts: { day: string; verdict: Verdict; csvKey?: string }[];
  lastUnexpectedCsv?: string;
}

export interface RolloutState {
  candidateVersion: string;
  baselineVersion: string;
  policy: RolloutPolicy;
  tenants: TenantRollout[];
  audit: AuditEntry[];
}

export interface OperatorAction {
  tenantId: string;
  /** Who asked (an operator name or service), recorded in the audit trail. */
  by: string;
  reason: string;
  /** Promote without the required clean days. */
  force?: boolean;
}

export interface OperatorActionResult {
  tenantId: string;
  stage: RolloutStage;
  servedIndex?: string;
}
