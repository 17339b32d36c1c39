import type { PipelineVersions } from '../lanes/lane-contracts';
import type {
  AuditEntry,
  DayVerdictSignal,
  EndRolloutAction,
  EndRolloutResult,
  OperatorAction,
  RolloutInput,
  RolloutStage,
  RolloutState,
  TenantRollout,
} from './rollout-contracts';

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

const AUDIT_KEPT = 500;

/** How an operator action (or an automatic promotion) moves a tenant: what it serves, how its lane runs, what is audited. */
export interface TenantMove {
  /** The version whose index the tenant's served alias is swapped to; absent when the alias stays. */
  serve?: string;
  versions: PipelineVersions;
  stage: RolloutStage;
  audited: AuditEntry['action'];
}

export type MoveKind = 'promote' | 'auto-promote' | 'rollback' | 'resume' | 'finish';

export interface RolloutOptions {
  /** Workflow time in ms, for audit timestamps only. */
  now: () => number;
  /** Told of each audit entry as it is recorded (the workflow logs it). */
  onAudit?: (entry: Omit<AuditEntry, 'at'>) => void;
}

/**
 * A rollout's state and its rules, without Temporal: which tenant may move to which stage, what each
 * move serves and runs, and the audit trail. The rollout workflow wires its messages to this and
 * runs the moves' activities (alias swap, lane versions) between `move` and `moved`, under its lock.
 */
export class Rollout {
  readonly state: RolloutState;

  constructor(
    input: RolloutInput,
    private readonly options: RolloutOptions,
  ) {
    // Every tenant starts in shadow: the baseline stays primary, the candidate runs beside it.
    this.state = input.state ?? {
      candidateVersion: input.candidateVersion,
      baselineVersion: input.baselineVersion,
      policy: input.policy,
      tenants: input.tenants.map((t): TenantRollout => ({
        tenantId: t.tenantId,
        tenant: t.tenant,
        stage: 'shadow',
        consecutiveClean: 0,
        verdicts: [],
      })),
      audit: [],
    };
  }

  tenant(tenantId: string): TenantRollout {
    const tenant = this.state.tenants.find((t) => t.tenantId === tenantId);
    if (!tenant) throw new Error(`tenant ${tenantId} is not part of the rollout of ${this.state.candidateVersion}`);
    return tenant;
  }

  /**
   * Records a day's verdict. Returns the tenant to promote automatically: one that just became
   * eligible under a policy that auto-promotes (the promotion itself waits for the operator lock).
   */
  recordVerdict(signal: DayVerdictSignal): string | undefined {
    const eligible = applyVerdict(this.state, signal);
    if (!eligible) return undefined;
    this.audit({
      tenantId: eligible.tenantId,
      action: 'eligible',
      by: 'rollout',
      reason: `${this.state.policy.cleanDaysToEligible} clean days`,
      forced: false,
    });
    return this.state.policy.autoPromote ? eligible.tenantId : undefined;
  }

  /** Why an operator action must be refused now, or undefined. Checked on arrival and again under the lock. */
  refusal(kind: Exclude<MoveKind, 'auto-promote'>, action: OperatorAction): string | undefined {
    switch (kind) {
      case 'promote':
        return promotionRefusal(this.state, action.tenantId, !!action.force);
      case 'rollback':
        return rollbackRefusal(this.state, action.tenantId);
      case 'resume':
        return resumeRefusal(this.state, action.tenantId);
      case 'finish':
        return finishRefusal(this.state, action.tenantId);
    }
  }

  /** An automatic promotion still waiting when an operator promoted or rolled the tenant back has nothing left to do. */
  autoPromotionStillDue(tenantId: string): boolean {
    return promotionRefusal(this.state, tenantId, false) === undefined;
  }

  endRefusal(): string | undefined {
    return endRefusal(this.state);
  }

  /** What a move does to the tenant's alias and lane; nothing changes until `moved`. */
  move(kind: MoveKind, rolloutWorkflowId: string): TenantMove {
    const { candidateVersion, baselineVersion, policy } = this.state;
    switch (kind) {
      // Promoted: the candidate serves and runs as primary; the old version stays in shadow as the rollback path.
      case 'promote':
      case 'auto-promote':
        return {
          serve: candidateVersion,
          versions: {
            primary: candidateVersion,
            shadow: baselineVersion,
            rolloutWorkflowId,
            comparisonPolicy: policy.comparisonPolicy,
          },
          stage: 'promoted',
          audited: kind,
        };
      case 'rollback':
        return { serve: baselineVersion, versions: { primary: baselineVersion }, stage: 'rolled-back', audited: kind };
      // Back to shadow after a rollback: the alias already serves the baseline, only the lane changes.
      case 'resume':
        return { versions: this.shadowLaneVersions(rolloutWorkflowId), stage: 'shadow', audited: kind };
      case 'finish':
        return { versions: { primary: candidateVersion }, stage: 'finished', audited: kind };
    }
  }

  /** The move's activities are done: the tenant takes its new stage, and who and why go into the audit trail. */
  moved(action: OperatorAction, move: TenantMove): TenantRollout {
    let tenant = this.tenant(action.tenantId);
    // A resume also restarts the clean-day count in a new round.
    if (move.audited === 'resume') tenant = applyResume(this.state, tenant.tenantId);
    else tenant.stage = move.stage;
    this.audit({
      tenantId: tenant.tenantId,
      action: move.audited,
      by: action.by,
      reason: action.reason,
      forced: move.audited === 'resume' ? false : !!action.force,
    });
    return tenant;
  }

  /** Ends the rollout: rolled-back tenants stay on the baseline, which they already run and serve alone. */
  end(action: EndRolloutAction): EndRolloutResult {
    const refused = endRefusal(this.state);
    if (refused) throw new Error(refused);
    for (const t of this.state.tenants.filter((x) => x.stage === 'rolled-back'))
      this.audit({ tenantId: t.tenantId, action: 'end', by: action.by, reason: action.reason, forced: false });
    this.state.ended = true;
    return {
      candidateVersion: this.state.candidateVersion,
      tenants: this.state.tenants.map((t) => ({ tenantId: t.tenantId, stage: t.stage })),
    };
  }

  shadowLaneVersions(rolloutWorkflowId: string): PipelineVersions {
    return shadowLaneVersions(this.state, rolloutWorkflowId);
  }

  done(keepRolledBack: boolean): boolean {
    return rolloutDone(this.state, keepRolledBack);
  }

  /** One line per tenant, for the workflow's current details. */
  details(): string {
    return this.state.tenants.map((t) => `${t.tenantId}: ${t.stage} (${t.consecutiveClean} clean)`).join('; ');
  }

  private audit(entry: Omit<AuditEntry, 'at'>): void {
    const at = new Date(this.options.now()).toISOString();
    this.state.audit = [...this.state.audit, { ...entry, at }].slice(-AUDIT_KEPT);
    this.options.onAudit?.(entry);
  }
}
