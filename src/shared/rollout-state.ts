import type { DayVerdictSignal, RolloutState, TenantRollout } from './rollout-contracts';

const VERDICTS_KEPT = 30;

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
  if (tenant.verdicts.some((v) => v.day === signal.day && v.verdict === signal.verdict)) return undefined;
  tenant.verdicts = [...tenant.verdicts, { day: signal.day, verdict: signal.verdict, csvKey: signal.csvKey }].slice(
    -VERDICTS_KEPT,
  );
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
      (tenant.lastUnexpectedCsv ? `; last unexpected differences: ${tenant.lastUnexpectedCsv}` : '') +
      '; promote with force to override'
    );
  }
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
