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
import { ErrorTypes } from '../../common/errors';
import { assertRolloutInput } from '../request-validation';
import type { OperatorAction, OperatorActionResult, RolloutInput, RolloutState } from './rollout-contracts';
import { Rollout } from './rollout-state';
import type { MoveKind } from './rollout-state';
import { coordinationActivities } from '../activity-options';
import { workflowNow } from '../workflow-clock';
import {
  dayVerdictSignal,
  endUpdate,
  endValidator,
  finishUpdate,
  operatorActionValidator,
  promoteUpdate,
  resumeUpdate,
  rollbackUpdate,
  rolloutStateQuery,
} from './rollout-signals';

const { lanes, serving } = coordinationActivities();

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
  const rollout = new Rollout(input, {
    now: workflowNow,
    onAudit: (entry) => log.info('rollout action', { ...entry }),
  });
  const state = rollout.state;
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

  /** Moves a tenant: swaps its served alias (when the move serves another version), repoints its lane, records who and why. */
  const moveTenant = async (action: OperatorAction, kind: MoveKind): Promise<OperatorActionResult> => {
    const { tenantId, tenant } = rollout.tenant(action.tenantId);
    const move = rollout.move(kind, rolloutWorkflowId);
    const swapped = move.serve ? await serving.swapServedAlias({ tenantId, toPipelineVersion: move.serve }) : undefined;
    await lanes.setLaneVersions({ tenantId, tenant, versions: move.versions });
    const moved = rollout.moved(action, move);
    return { tenantId, stage: moved.stage, servedIndex: swapped?.toIndex };
  };

  setHandler(rolloutStateQuery, () => state);
  setHandler(dayVerdictSignal, (signal) => {
    const autoPromote = rollout.recordVerdict(signal);
    if (autoPromote === undefined) return;
    pending.push(() =>
      mutex.runExclusive(async () => {
        if (!rollout.autoPromotionStillDue(autoPromote)) return;
        await moveTenant(
          { tenantId: autoPromote, by: 'rollout', reason: 'auto-promote after clean days' },
          'auto-promote',
        );
      }),
    );
  });
  // Each operator action: validated on arrival, then checked again and run inside the lock.
  for (const [update, kind] of [
    [promoteUpdate, 'promote'],
    [rollbackUpdate, 'rollback'],
    [finishUpdate, 'finish'],
    [resumeUpdate, 'resume'],
  ] as const) {
    const refusalOf = (action: OperatorAction) => rollout.refusal(kind, action);
    setHandler(
      update,
      (action) =>
        exclusive(
          () => refusalOf(action),
          () => moveTenant(action, kind),
        ),
      { validator: operatorActionValidator(kind, refusalOf) },
    );
  }
  // Ending touches no alias or lane: a rolled-back tenant already runs and serves the baseline alone.
  setHandler(
    endUpdate,
    (action) =>
      exclusive(
        () => rollout.endRefusal(),
        () => Promise.resolve(rollout.end(action)),
      ),
    { validator: endValidator(() => rollout.endRefusal()) },
  );

  if (!input.state) {
    // Every tenant starts in shadow: the baseline stays primary, the candidate runs beside it.
    const setUpLanes = async () => {
      for (const { tenantId, tenant } of state.tenants) {
        await lanes.setLaneVersions({ tenantId, tenant, versions: rollout.shadowLaneVersions(rolloutWorkflowId) });
      }
    };
    // Under the operator lock, so an action that arrives during the set-up waits for it instead of
    // having its lane versions overwritten by a set-up that reaches its tenant later.
    if (patched(SETUP_UNDER_LOCK)) await mutex.runExclusive(setUpLanes);
    else await setUpLanes();
  }

  const done = () => rollout.done(keepRolledBack);
  for (;;) {
    setCurrentDetails(rollout.details());
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
