import type { PipelineVersions } from './lane-contracts';
import type { DayVerdictSignal, RolloutState, TenantRollout } from './rollout-contracts';

const VERDICTS_KEPT = 30;

/**
 * The end of a refusal that a forced promotion would override. It names the SDK's `force` field;
 * the CLI says `--force` instead (src/cli/commands/rollout-messages.ts), so each caller reads its own words.
 */
export const FORCE_HINT = 'promote with force to override';
/** Precedes a comparison report's object key in refusals; the CLI turns the key into the store's URL. */
export const UNEXPECTED_CSV_LABEL = 'last unexpected differences: ';

/**
 * Records one tenant-day verdict for the candidate and advances the tenant's stage. Pure, so the
 * promotion rules are unit tested without Temporal. Returns the tenant if it just became eligible.
 */
export function applyVerdict(state: RolloutState, signal: DayVerdictSignal): TenantRollout | undefined {
  const tenant = state.tenants.find((t) => t.tenantId === signal.tenantId);
  if (!tenant) return undefined;
  // Only verdicts about this rollout's pair of versions count, in either direction.
  const pair = new Set([signal.primaryVersion, signal.shadowVersion]);
  if (!pair.has(state.candidateVersion) || !pair.has(state.baselineVersion)) return undefined;
  const round = tenant.round ?? 0;
  const repeated = (v: TenantRollout['verdicts'][number]) =>
    v.day === signal.day && v.verdict === signal.verdict && (v.round ?? 0) === round;
  if (tenant.verdicts.some(repeated)) return undefined;
  const entry = { day: signal.day, verdict: signal.verdict, csvKey: signal.csvKey, ...(round ? { round } : {}) };
  tenant.verdicts = [...tenant.verdicts, entry].slice(-VERDICTS_KEPT);
  const acceptable = signal.verdict === 'clean' || signal.verdict === 'expected-differences';
  if (signal.verdict === 'unexpected-differences') tenant.lastUnexpectedCsv = signal.csvKey;
  if (tenant.stage !== 'shadow' && tenant.stage !== 'eligible') return undefined;
  tenant.consecutiveClean = acceptable ? tenant.consecutiveClean + 1 : 0;
  if (tenant.stage === 'shadow' && tenant.consecutiveClean >= state.policy.cleanDaysToEligible) {
    tenant.stage = 'eligible';
    return tenant;
  }
  if (tenant.stage === 'eligible' && !acceptable) tenant.stage = 'shadow';
  return undefined;
}

/** Why a promotion must be refused, or undefined when it may proceed. */
export function promotionRefusal(state: RolloutState, tenantId: string, force: boolean): string | undefined {
  const tenant = state.tenants.find((t) => t.tenantId === tenantId);
  if (!tenant) return `tenant ${tenantId} is not part of the rollout of ${state.candidateVersion}`;
  if (tenant.stage === 'eligible') return undefined;
  if (tenant.stage === 'shadow') {
    if (force) return undefined;
    return (
      `tenant ${tenantId} has ${tenant.consecutiveClean} of ${state.policy.cleanDaysToEligible} consecutive clean days` +
      (tenant.lastUnexpectedCsv ? `; ${UNEXPECTED_CSV_LABEL}${tenant.lastUnexpectedCsv}` : '') +
      `; ${FORCE_HINT}`
    );
  }
  // Not even force promotes a rolled-back tenant: it has no shadow running, so no evidence can come.
  if (tenant.stage === 'rolled-back')
    return `tenant ${tenantId} is rolled-back; resume it (back to shadow) before promoting it again`;
  return `tenant ${tenantId} is ${tenant.stage}, not in shadow or eligible`;
}

export function rollbackRefusal(state: RolloutState, tenantId: string): string | undefined {
  const tenant = state.tenants.find((t) => t.tenantId === tenantId);
  if (!tenant) return `tenant ${tenantId} is not part of the rollout of ${state.candidateVersion}`;
  if (tenant.stage === 'rolled-back') return `tenant ${tenantId} is already rolled back`;
  return undefined;
}

export function finishRefusal(state: RolloutState, tenantId: string): string | undefined {
  const tenant = state.tenants.find((t) => t.tenantId === tenantId);
  if (!tenant) return `tenant ${tenantId} is not part of the rollout of ${state.candidateVersion}`;
  if (tenant.stage !== 'promoted')
    return `tenant ${tenantId} is ${tenant.stage}; only a promoted tenant can retire the old version`;
  return undefined;
}

export function resumeRefusal(state: RolloutState, tenantId: string): string | undefined {
  const tenant = state.tenants.find((t) => t.tenantId === tenantId);
  if (!tenant) return `tenant ${tenantId} is not part of the rollout of ${state.candidateVersion}`;
  if (tenant.stage !== 'rolled-back')
    return `tenant ${tenantId} is ${tenant.stage}; only a rolled-back tenant can be resumed`;
  return undefined;
}

/**
 * A rolled-back tenant goes back to shadow and must earn its clean days again: the count restarts,
 * and a new round begins, so verdicts for days re-run from now on count even if they repeat old ones.
 */
export function applyResume(state: RolloutState, tenantId: string): TenantRollout {
  const refused = resumeRefusal(state, tenantId);
  if (refused) throw new Error(refused);
  const tenant = state.tenants.find((t) => t.tenantId === tenantId)!;
  tenant.stage = 'shadow';
  tenant.consecutiveClean = 0;
  tenant.round = (tenant.round ?? 0) + 1;
  return tenant;
}

/** A tenant in shadow: the baseline primary, the candidate beside it, verdicts to this rollout. */
export function shadowLaneVersions(state: RolloutState, rolloutWorkflowId: string): PipelineVersions {
  return {
    primary: state.baselineVersion,
    shadow: state.candidateVersion,
    rolloutWorkflowId,
    comparisonPolicy: state.policy.comparisonPolicy,
  };
}

/** A rollout may end once no tenant is mid-way: each finished or rolled back. */
export function endRefusal(state: RolloutState): string | undefined {
  if (state.ended) return `the rollout of ${state.candidateVersion} has already ended`;
  const open = state.tenants.filter((t) => t.stage !== 'finished' && t.stage !== 'rolled-back');
  if (open.length === 0) return undefined;
  return (
    `the rollout of ${state.candidateVersion} still has tenants in progress: ` +
    open.map((t) => `${t.tenantId} (${t.stage})`).join(', ') +
    '; finish or roll them back first'
  );
}

/**
 * When the rollout workflow completes. Rollouts before `resume` existed (`keepRolledBack` false)
 * complete once every tenant is finished or rolled back; now a rolled-back tenant keeps it open, so
 * it can be resumed, until every tenant is finished or an operator ends it.
 */
export function rolloutDone(state: RolloutState, keepRolledBack: boolean): boolean {
  if (state.ended) return true;
  if (keepRolledBack) return state.tenants.every((t) => t.stage === 'finished');
  return state.tenants.every((t) => t.stage === 'finished' || t.stage === 'rolled-back');
}
