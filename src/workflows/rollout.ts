import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { ApplicationFailure } from '@temporalio/common';
import { Mutex } from 'async-mutex';
import { ErrorTypes } from '../shared/errors';
import { assertRolloutInput } from '../shared/request-validation';
import type { PipelineVersions } from '../shared/lane-contracts';
import type {
  AuditEntry,
  EndRolloutAction,
  RolloutStage,
  OperatorAction,
  OperatorActionResult,
  RolloutInput,
  RolloutState,
  TenantRollout,
} from '../shared/rollout-contracts';
import {
  applyResume,
  applyVerdict,
  endRefusal,
  finishRefusal,
  promotionRefusal,
  resumeRefusal,
  rollbackRefusal,
  rolloutDone,
  shadowLaneVersions,
} from '../shared/rollout-state';
import { coordinationActivities } from './activity-options';
import { workflowNow } from './workflow-clock';
import {
  dayVerdictSignal,
  endUpdate,
  finishUpdate,
  promoteUpdate,
  resumeUpdate,
  rollbackUpdate,
  rolloutStateQuery,
} from './rollout-signals';

const { lanes, serving } = coordinationActivities();

const AUDIT_KEPT = 500;
/** The patch id of the lifecycle in which a rolled-back tenant keeps the rollout open. */
const ROLLED_BACK_KEEPS_ROLLOUT_OPEN = 'rollout-open-while-rolled-back';
/** Patch: the initial lane set-up runs under the operator lock (rollouts started before it did not). */
const SETUP_UNDER_LOCK = 'rollout-setup-under-lock';

/**
 * One per candidate version, id `daybreak/rollout/<candidate>`: holds each tenant's stage
 * (shadow -> eligible -> promoted -> finished, or rolled back). Tenant-day shadow runs signal
 * each day's comparison verdict; the policy's number of consecutive clean days makes a tenant
 * eligible, and eligible tenants are promoted automatically or by an operator. Promotion swaps the
 * tenant's served Elasticsearch alias to the candidate's index in one atomic alias update and makes
 * the old version the shadow (the rollback path); rollback swaps it back without recomputing.
 * Operator updates are validated (no promotion without evidence unless forced) and recorded with
 * who and why; the workflow history is the audit trail. A rolled-back tenant can be resumed (back
 * to shadow, clean days from zero), so the rollout stays open until every tenant is finished or an
 * operator ends it.
 */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutState> {
  // Rollouts recorded before `resume` completed once every tenant was finished or rolled back; they
  // must replay that way. Asked once, first thing: the answer is fixed for this run.
  const keepRolledBack = patched(ROLLED_BACK_KEEPS_ROLLOUT_OPEN);
  // An unknown candidate would make every tenant's shadow wait forever on a queue no worker polls:
  // refused before any lane is touched (checks only, no commands, so recorded histories replay).
  try {
    assertRolloutInput(input);
  } catch (error) {
    throw ApplicationFailure.nonRetryable(
      error instanceof Error ? error.message : String(error),
      ErrorTypes.InvalidInput,
    );
  }
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
  // Operator updates and automatic promotions mutate aliases and lanes one at a time, in arrival
  // order. A `condition(() => !busy)` gate is not a lock: the SDK releases every satisfied condition
  // in one activation, so two waiting actions would both enter. The stage rule is checked again
  // inside the lock, because the validator ran before the action ahead of this one changed the stage.
  // A plain Mutex: withTimeout() would arm a setTimeout, which in a workflow is a timer in history.
  const mutex = new Mutex();
  const exclusive = <T>(refusal: () => string | undefined, fn: () => Promise<T>): Promise<T> =>
    mutex.runExclusive(() => {
      const refused = refusal();
      if (refused) throw ApplicationFailure.nonRetryable(refused, ErrorTypes.InvalidInput);
      return fn();
    });

  const tenantOf = (tenantId: string) => state.tenants.find((t) => t.tenantId === tenantId)!;
  const audit = (entry: Omit<AuditEntry, 'at'>) => {
    state.audit = [...state.audit, { ...entry, at: new Date(workflowNow()).toISOString() }].slice(-AUDIT_KEPT);
    log.info('rollout action', { ...entry });
  };

  /** Moves a tenant to a stage: swaps its served alias (when `serve` is given), repoints its lane, records who and why. */
  const moveTenant = async (
    action: OperatorAction,
    move: { serve?: string; versions: PipelineVersions; stage: RolloutStage; audited: AuditEntry['action'] },
  ): Promise<OperatorActionResult> => {
    const tenant = tenantOf(action.tenantId);
    const swapped = move.serve
      ? await serving.swapServedAlias({ tenantId: tenant.tenantId, toPipelineVersion: move.serve })
      : undefined;
    await lanes.setLaneVersions({ tenantId: tenant.tenantId, tenant: tenant.tenant, versions: move.versions });
    tenant.stage = move.stage;
    audit({
      tenantId: tenant.tenantId,
      action: move.audited,
      by: action.by,
      reason: action.reason,
      forced: !!action.force,
    });
    return { tenantId: tenant.tenantId, stage: tenant.stage, servedIndex: swapped?.toIndex };
  };
  // Promoted: the candidate serves and runs as primary; the old version stays in shadow as the rollback path.
  const promote = (action: OperatorAction, auto: boolean) =>
    moveTenant(action, {
      serve: state.candidateVersion,
      versions: {
        primary: state.candidateVersion,
        shadow: state.baselineVersion,
        rolloutWorkflowId,
        comparisonPolicy: state.policy.comparisonPolicy,
      },
      stage: 'promoted',
      audited: auto ? 'auto-promote' : 'promote',
    });

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
          mutex.runExclusive(async () => {
            // An operator may have promoted or rolled the tenant back while this waited: nothing left to do.
            if (promotionRefusal(state, eligible.tenantId, false)) return;
            await promote(
              { tenantId: eligible.tenantId, by: 'rollout', reason: 'auto-promote after clean days' },
              true,
            );
          }),
        );
      }
    }
  });
  // Each operator action: validated on arrival, then checked again and run inside the lock.
  const operatorAction = (
    name: string,
    refusalOf: (action: OperatorAction) => string | undefined,
    run: (action: OperatorAction) => Promise<OperatorActionResult>,
  ) => ({
    handler: (action: OperatorAction) =>
      exclusive(
        () => refusalOf(action),
        () => run(action),
      ),
    options: { validator: operatorValidator(name, refusalOf) },
  });
  const promoteAction = operatorAction(
    'promote',
    (action) => promotionRefusal(state, action.tenantId, !!action.force),
    (action) => promote(action, false),
  );
  const rollbackAction = operatorAction(
    'rollback',
    (action) => rollbackRefusal(state, action.tenantId),
    (action) =>
      moveTenant(action, {
        serve: state.baselineVersion,
        versions: { primary: state.baselineVersion },
        stage: 'rolled-back',
        audited: 'rollback',
      }),
  );
  // Back to shadow after a rollback: the alias already serves the baseline, only the lane changes.
  const resumeAction = operatorAction(
    'resume',
    (action) => resumeRefusal(state, action.tenantId),
    async (action) => {
      const tenant = tenantOf(action.tenantId);
      await lanes.setLaneVersions({
        tenantId: tenant.tenantId,
        tenant: tenant.tenant,
        versions: shadowLaneVersions(state, rolloutWorkflowId),
      });
      applyResume(state, tenant.tenantId);
      audit({ tenantId: tenant.tenantId, action: 'resume', by: action.by, reason: action.reason, forced: false });
      return { tenantId: tenant.tenantId, stage: tenant.stage };
    },
  );
  const finishAction = operatorAction(
    'finish',
    (action) => finishRefusal(state, action.tenantId),
    (action) =>
      moveTenant(action, { versions: { primary: state.candidateVersion }, stage: 'finished', audited: 'finish' }),
  );
  setHandler(promoteUpdate, promoteAction.handler, promoteAction.options);
  setHandler(rollbackUpdate, rollbackAction.handler, rollbackAction.options);
  setHandler(finishUpdate, finishAction.handler, finishAction.options);
  setHandler(resumeUpdate, resumeAction.handler, resumeAction.options);
  // Ending touches no alias or lane: a rolled-back tenant already runs and serves the baseline alone.
  setHandler(
    endUpdate,
    (action: EndRolloutAction) =>
      exclusive(
        () => endRefusal(state),
        () => {
          for (const t of state.tenants.filter((x) => x.stage === 'rolled-back'))
            audit({ tenantId: t.tenantId, action: 'end', by: action.by, reason: action.reason, forced: false });
          state.ended = true;
          return Promise.resolve({
            candidateVersion: state.candidateVersion,
            tenants: state.tenants.map((t) => ({ tenantId: t.tenantId, stage: t.stage })),
          });
        },
      ),
    {
      validator: (action: EndRolloutAction) => {
        if (!action?.by || !action.reason) throw new Error('end needs who (by) and why (reason)');
        const refusal = endRefusal(state);
        if (refusal) throw new Error(refusal);
      },
    },
  );

  if (!input.state) {
    // Every tenant starts in shadow: the baseline stays primary, the candidate runs beside it.
    const setUpLanes = async () => {
      for (const tenant of state.tenants) {
        await lanes.setLaneVersions({
          tenantId: tenant.tenantId,
          tenant: tenant.tenant,
          versions: shadowLaneVersions(state, rolloutWorkflowId),
        });
      }
    };
    // Under the operator lock, so an action that arrives during the set-up waits for it instead of
    // having its lane versions overwritten by a set-up that reaches its tenant later.
    if (patched(SETUP_UNDER_LOCK)) await mutex.runExclusive(setUpLanes);
    else await setUpLanes();
  }

  const done = () => rolloutDone(state, keepRolledBack);
  for (;;) {
    setCurrentDetails(state.tenants.map((t) => `${t.tenantId}: ${t.stage} (${t.consecutiveClean} clean)`).join('; '));
    await condition(() => pending.length > 0 || done() || workflowInfo().continueAsNewSuggested);
    while (pending.length) await pending.shift()!();
    if (done()) {
      await condition(allHandlersFinished);
      return state;
    }
    if (workflowInfo().continueAsNewSuggested && !mutex.isLocked()) {
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
