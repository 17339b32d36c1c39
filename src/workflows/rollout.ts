import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ElasticsearchServingActivities } from '../activities/elasticsearch/serving';
import type { TemporalLaneActivities } from '../activities/temporal/lanes';
import type {
  AuditEntry,
  OperatorAction,
  OperatorActionResult,
  RolloutInput,
  RolloutState,
  TenantRollout,
} from '../shared/rollout-contracts';
import { applyVerdict, finishRefusal, promotionRefusal, rollbackRefusal } from '../shared/rollout-state';
import { activityRetry } from './activity-options';
import { workflowNow } from './workflow-clock';
import { dayVerdictSignal, finishUpdate, promoteUpdate, rollbackUpdate, rolloutStateQuery } from './rollout-signals';

const lanes = proxyActivities<TemporalLaneActivities>({ startToCloseTimeout: '1 minute', retry: activityRetry });
const serving = proxyActivities<ElasticsearchServingActivities>({
  startToCloseTimeout: '1 minute',
  retry: activityRetry,
});

const AUDIT_KEPT = 500;

/**
 * One per candidate version, id `daybreak/rollout/<candidate>`: holds each tenant's stage
 * (shadow -> eligible -> promoted -> finished, or rolled back). Tenant-day shadow runs signal
 * each day's comparison verdict; the policy's number of consecutive clean days makes a tenant
 * eligible, and eligible tenants are promoted automatically or by an operator. Promotion swaps the
 * tenant's served Elasticsearch alias to the candidate's index in one atomic alias update and makes
 * the old version the shadow (the rollback path); rollback swaps it back without recomputing.
 * Operator updates are validated (no promotion without evidence unless forced) and recorded with
 * who and why; the workflow history is the audit trail.
 */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutState> {
  const state: RolloutState = input.state ?? {
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
  const rolloutWorkflowId = workflowInfo().workflowId;
  const pending: (() => Promise<void>)[] = [];
  // Operator updates and automatic promotions mutate aliases and lanes one at a time.
  let busy = false;
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
    }
  };

  const tenantOf = (tenantId: string) => state.tenants.find((t) => t.tenantId === tenantId)!;
  const audit = (entry: Omit<AuditEntry, 'at'>) => {
    state.audit = [...state.audit, { ...entry, at: new Date(workflowNow()).toISOString() }].slice(-AUDIT_KEPT);
    log.info('rollout action', { ...entry });
  };

  const promote = async (action: OperatorAction, auto: boolean): Promise<OperatorActionResult> => {
    const tenant = tenantOf(action.tenantId);
    const swapped = await serving.swapServedAlias({
      tenantId: tenant.tenantId,
      toPipelineVersion: state.candidateVersion,
    });
    await lanes.setLaneVersions({
      tenantId: tenant.tenantId,
      tenant: tenant.tenant,
      versions: {
        primary: state.candidateVersion,
        shadow: state.baselineVersion,
        rolloutWorkflowId,
        comparisonPolicy: state.policy.comparisonPolicy,
      },
    });
    tenant.stage = 'promoted';
    audit({
      tenantId: tenant.tenantId,
      action: auto ? 'auto-promote' : 'promote',
      by: action.by,
      reason: action.reason,
      forced: !!action.force,
    });
    return { tenantId: tenant.tenantId, stage: tenant.stage, servedIndex: swapped.toIndex };
  };

  setHandler(rolloutStateQuery, () => state);
  setHandler(dayVerdictSignal, (signal) => {
    const eligible = applyVerdict(state, signal);
    if (eligible) {
      audit({
        tenantId: eligible.tenantId,
        action: 'eligible',
        by: 'rollout',
        reason: `${state.policy.cleanDaysToEligible} clean days`,
        forced: false,
      });
      if (state.policy.autoPromote) {
        pending.push(() =>
          exclusive(() =>
            promote({ tenantId: eligible.tenantId, by: 'rollout', reason: 'auto-promote after clean days' }, true),
          ).then(() => undefined),
        );
      }
    }
  });
  setHandler(promoteUpdate, (action) => exclusive(() => promote(action, false)), {
    validator: operatorValidator('promote', (action) => promotionRefusal(state, action.tenantId, !!action.force)),
  });
  setHandler(
    rollbackUpdate,
    (action) =>
      exclusive(async () => {
        const tenant = tenantOf(action.tenantId);
        const swapped = await serving.swapServedAlias({
          tenantId: tenant.tenantId,
          toPipelineVersion: state.baselineVersion,
        });
        await lanes.setLaneVersions({
          tenantId: tenant.tenantId,
          tenant: tenant.tenant,
          versions: { primary: state.baselineVersion },
        });
        tenant.stage = 'rolled-back';
        audit({ tenantId: tenant.tenantId, action: 'rollback', by: action.by, reason: action.reason, forced: false });
        return { tenantId: tenant.tenantId, stage: tenant.stage, servedIndex: swapped.toIndex };
      }),
    {
      validator: operatorValidator('rollback', (action) => rollbackRefusal(state, action.tenantId)),
    },
  );
  setHandler(
    finishUpdate,
    (action) =>
      exclusive(async () => {
        const tenant = tenantOf(action.tenantId);
        await lanes.setLaneVersions({
          tenantId: tenant.tenantId,
          tenant: tenant.tenant,
          versions: { primary: state.candidateVersion },
        });
        tenant.stage = 'finished';
        audit({ tenantId: tenant.tenantId, action: 'finish', by: action.by, reason: action.reason, forced: false });
        return { tenantId: tenant.tenantId, stage: tenant.stage };
      }),
    {
      validator: operatorValidator('finish', (action) => finishRefusal(state, action.tenantId)),
    },
  );

  if (!input.state) {
    // Every tenant starts in shadow: the baseline stays primary, the candidate runs beside it.
    for (const tenant of state.tenants) {
      await lanes.setLaneVersions({
        tenantId: tenant.tenantId,
        tenant: tenant.tenant,
        versions: {
          primary: state.baselineVersion,
          shadow: state.candidateVersion,
          rolloutWorkflowId,
          comparisonPolicy: state.policy.comparisonPolicy,
        },
      });
    }
  }

  const done = () => state.tenants.every((t) => t.stage === 'finished' || t.stage === 'rolled-back');
  for (;;) {
    setCurrentDetails(state.tenants.map((t) => `${t.tenantId}: ${t.stage} (${t.consecutiveClean} clean)`).join('; '));
    await condition(() => pending.length > 0 || done() || workflowInfo().continueAsNewSuggested);
    while (pending.length) await pending.shift()!();
    if (done()) {
      await condition(allHandlersFinished);
      return state;
    }
    if (workflowInfo().continueAsNewSuggested && !busy) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof rolloutWorkflow>({ ...input, state });
    }
  }
}

/**
 * Validators run before an update is accepted, so a refused action leaves no trace in history but
 * the caller's error: every operator action must say who and why, and pass its stage rule.
 */
function operatorValidator(
  name: string,
  refusalOf: (action: OperatorAction) => string | undefined,
): (action: OperatorAction) => void {
  return (action) => {
    if (!action.by || !action.reason) throw new Error(`${name} needs who (by) and why (reason)`);
    const refusal = refusalOf(action);
    if (refusal) throw new Error(refusal);
  };
}
