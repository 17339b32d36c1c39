import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
import { tenantDayWorkflowId, versionTaskQueue } from '../shared/ids';
import type {
  FinishedRun,
  LaneState,
  PipelineVersions,
  QueuedRun,
  RequestRunResult,
  RunFinishedSignal,
  RunRequest,
  TenantLaneInput,
} from '../shared/lane-contracts';
import {
  emptyLaneState,
  enqueue,
  orderedQueue,
  parkForRetry,
  recordFinished,
  releaseRetry,
  retryBackoffMs,
  takeNext,
} from '../shared/run-queue';
import { afterRunFinished } from '../shared/cascade';
import { runFailedAlert, runRecoveredAlert } from '../shared/alerts';
import type { Alert } from '../shared/alerts';
import { seedComputedDays } from '../shared/stale-days';
import { assertRunRequest } from '../shared/request-validation';
import { ErrorTypes } from '../shared/errors';
import { failureTypeOf } from '../shared/failure-types';
import { rootCauseOf } from '../shared/root-cause';
import { runSearchAttributes } from '../shared/search-attributes';
import type { Trigger } from '../shared/search-attributes';
import { inputsWaitSignal, tenantDayWorkflow } from './tenant-day';
import { alertActivities } from './activity-options';
import { workflowNow } from './workflow-clock';

export const requestRunUpdate = defineUpdate<RequestRunResult, [RunRequest]>('requestRun');
export const setPipelineVersionsSignal = defineSignal<[PipelineVersions]>('setPipelineVersions');
export const laneStateQuery = defineQuery<LaneState>('laneState');
export const runFinishedSignal = defineSignal<[RunFinishedSignal]>('runFinished');

const TRIGGER_OF: Record<QueuedRun['kind'], Trigger> = { daily: 'schedule', rerun: 'rerun', backfill: 'backfill' };
/** Temporal task priority (1 = highest): shadow runs use 5, below every primary kind. */
const PRIORITY_KEY: Record<QueuedRun['kind'], number> = { rerun: 2, daily: 2, backfill: 4 };

/** Patch: a daily request skips a day any completed run of the version computed (not only a daily run). */
const DAILY_SKIPS_COMPUTED_DAYS = 'daily-skips-computed-days';
/** Patch: a run that fails for good raises a run-failed alert, one that clears a failure run-recovered. */
const ALERTS = 'alerts';

/**
 * One per tenant, id `daybreak/lane/<tenant>` (laneWorkflowId): the tenant's mutex and queue.
 * Run requests (daily, rerun, backfill) arrive through update-with-start (`requestRun`); the lane
 * drops duplicates, orders the rest by priority, and runs one tenant-day child at a time under the
 * child's deterministic id, so two runs of a tenant never overlap. A failed tenant-day is retried
 * with backoff up to `maxAttempts`, then reported; other tenants have lanes of their own. It
 * continues-as-new, carrying its state, before its history grows large.
 */
export async function tenantLaneWorkflow(input: TenantLaneInput): Promise<void> {
  const state: LaneState = input.state ?? emptyLaneState(input.tenantId, input.tenant, input.versions);
  const maxAttempts = input.maxAttempts ?? 3;
  const maxHistoryEvents = input.maxHistoryEvents ?? 2000;
  const baseTaskQueue = workflowInfo().taskQueue;
  const alerts = alertActivities();
  // Alerts still being delivered: the lane does not continue-as-new under them (that would drop them).
  let alertsInFlight = 0;
  // Lanes continued from code without staleness tracking know their computed days only from these.
  state.computedDays ??= seedComputedDays(state);

  // patched: lanes that took daily requests for such days under older code replay as they ran.
  setHandler(
    requestRunUpdate,
    (request) => enqueue(state, request, { skipComputedDays: patched(DAILY_SKIPS_COMPUTED_DAYS) }),
    {
      validator: (request: RunRequest) => {
        // The same rules as the SDK's: a request accepted here can run (known version, task, day).
        assertRunRequest({ tenantId: state.tenantId, request, primaryVersion: state.versions.primary });
        if (request.cascade && request.kind === 'daily')
          throw new Error(`cascade is for reruns and backfills, not the daily run of ${request.day}`);
        if (request.cascadeOf !== undefined) throw new Error('cascadeOf is set by the lane, not by requesters');
      },
    },
  );
  setHandler(setPipelineVersionsSignal, (versions) => {
    state.versions = versions;
  });
  setHandler(laneStateQuery, () => ({ ...state, queue: orderedQueue(state) }));
  setHandler(inputsWaitSignal, (signal) => {
    const running = state.running;
    if (!running || running.day !== signal.day || running.pipelineVersion !== signal.pipelineVersion) return;
    if (signal.waiting) {
      running.waitingForInputs = {
        missing: signal.missing ?? [],
        since: signal.since ?? '',
        deadline: signal.deadline ?? '',
      };
    } else delete running.waitingForInputs;
    describe(state);
  });

  const retryLater = async (run: QueuedRun): Promise<void> => {
    parkForRetry(state, run);
    await sleep(retryBackoffMs(run.attempt, input.retryBackoffBaseMs));
    releaseRetry(state, run.seq);
  };

  for (;;) {
    describe(state);
    await condition(
      () =>
        state.queue.length > 0 ||
        ((workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents) &&
          state.retrying.length === 0 &&
          alertsInFlight === 0),
    );
    if (state.queue.length === 0) {
      // Idle and long: start a fresh history with the same state. Handlers must finish first so
      // no accepted request is lost between runs.
      await condition(allHandlersFinished);
      await continueAsNew<typeof tenantLaneWorkflow>({ ...input, state });
    }
    const run = takeNext(state);
    if (!run) continue;
    // An earlier attempt's wait is over; this attempt's run tells its own.
    delete run.waitingForInputs;
    const refused = refusalOf(state, run);
    // patched: a lane that started such a run under older code replays as it ran.
    if (refused && patched('refuse-invalid-runs')) {
      // Accepted before these checks existed, or carried over by continue-as-new: a child could
      // never run it (an unknown version's queue has no worker). It fails here; the lane goes on.
      log.warn('run refused: invalid request', { day: run.day, reason: refused });
      finish(run, '', 'failed', refused, undefined, ErrorTypes.InvalidInput);
      continue;
    }
    describe(state);
    const workflowId = tenantDayWorkflowId(state.tenantId, run.day, run.pipelineVersion, 'primary');
    const shadowVersion = run.pipelineVersion === state.versions.primary ? state.versions.shadow : undefined;
    try {
      await executeChild(tenantDayWorkflow, {
        workflowId,
        // Each version has its own queue; backfill days go to the version's backfill queue, whose
        // worker slots cap backfill work across all tenants.
        taskQueue: versionTaskQueue(baseTaskQueue, run.pipelineVersion, run.kind === 'backfill' ? 'backfill' : 'live'),
        priority: { priorityKey: PRIORITY_KEY[run.kind] },
        // A rerun reuses the id of the day's earlier run; only one can be open at a time.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        typedSearchAttributes: searchAttributesOf(state, run),
        staticSummary:
          `${state.tenantId} ${run.day} ${run.pipelineVersion} (${run.kind}, attempt ${run.attempt})` +
          (run.cascadeOf ? `, cascade after ${run.cascadeOf}` : ''),
        args: [
          {
            tenantId: state.tenantId,
            day: run.day,
            timeZone: state.tenant.timeZone,
            badDataPolicy: state.tenant.badDataPolicy,
            pipelineVersion: run.pipelineVersion,
            runKind: 'primary',
            trigger: triggerOf(run),
            requestedBy: run.requestedBy,
            fromTask: run.fromTask,
            maxPartitions: input.maxPartitions,
            baseTaskQueue,
            partitionConcurrency: input.partitionConcurrency,
            inputWait: input.inputWait,
            outageRideOutMinutes: input.outageRideOutMinutes,
            shadow: shadowVersion
              ? {
                  pipelineVersion: shadowVersion,
                  rolloutWorkflowId: state.versions.rolloutWorkflowId,
                  comparisonPolicy: state.versions.comparisonPolicy,
                }
              : undefined,
          },
        ],
      });
      finish(run, workflowId, 'completed', undefined, shadowVersion);
    } catch (error) {
      if (isCancellation(error)) throw error;
      // The child's own failure says only "Child Workflow execution failed": record what caused it.
      const reason = rootCauseOf(error).message;
      if (run.attempt < maxAttempts) {
        log.warn('tenant-day failed; the lane will retry it', { workflowId, attempt: run.attempt, cause: reason });
        void retryLater(run);
      } else {
        finish(run, workflowId, 'failed', reason, undefined, failureTypeOf(error));
      }
    }
  }

  function finish(
    run: QueuedRun,
    workflowId: string,
    status: 'completed' | 'failed',
    error?: string,
    shadowVersion?: string,
    errorType?: string,
  ): void {
    const finished = {
      day: run.day,
      kind: run.kind,
      pipelineVersion: run.pipelineVersion,
      workflowId,
      status,
      attempts: run.attempt,
      error: error?.slice(0, 300),
      errorType,
      cascadeOf: run.cascadeOf,
    };
    const { cleared } = recordFinished(state, finished);
    raiseAlert(run, finished, cleared);
    // The shadow child recomputed the day for its version too: its later days may be its history.
    afterRunFinished(state, run, status, shadowVersion);
    if (run.notifyWorkflowId) {
      // The requester (a backfill) may be gone; the run's outcome is in the lane's state anyway.
      getExternalWorkflowHandle(run.notifyWorkflowId)
        .signal(runFinishedSignal, { tenantId: state.tenantId, ...finished })
        .catch(() => log.warn('could not notify requester', { notify: run.notifyWorkflowId }));
    }
  }

  /**
   * A run that failed for good raises run-failed; a completed run that cleared an open failure of
   * its day and version, run-recovered. The delivery is started, not awaited: the lane goes on with
   * its queue while the alert is retried, and an alert that is never delivered fails nothing.
   */
  function raiseAlert(run: QueuedRun, finished: FinishedRun, cleared: FinishedRun[]): void {
    const about = {
      tenantId: state.tenantId,
      day: run.day,
      pipelineVersion: run.pipelineVersion,
      // A refused run has no child: the alert names the id its run would have had.
      workflowId: finished.workflowId || tenantDayWorkflowId(state.tenantId, run.day, run.pipelineVersion, 'primary'),
      seq: run.seq,
      attempts: run.attempt,
      runKind: run.kind,
      raisedAt: new Date(workflowNow()).toISOString(),
    };
    let alert: Alert | undefined;
    if (finished.status === 'failed') alert = runFailedAlert({ ...about, errorType: finished.errorType });
    else if (cleared.length > 0) alert = runRecoveredAlert({ ...about, clearedErrorType: cleared.at(-1)?.errorType });
    // patched: lanes that finished such runs under older code replay without the alert's activity.
    if (!alert || !patched(ALERTS)) return;
    const { id } = alert;
    alertsInFlight++;
    void alerts
      .sendAlert(alert)
      .catch((error: unknown) =>
        log.warn('alert not delivered; given up', { alertId: id, cause: rootCauseOf(error).message }),
      )
      .finally(() => alertsInFlight--);
  }
}

/** Runs of a cascade say so in their Trigger search attribute, whatever queue class they use. */
function triggerOf(run: QueuedRun): Trigger {
  return run.cascadeOf ? 'cascade' : TRIGGER_OF[run.kind];
}

/** Why a queued run can never run, or undefined. */
function refusalOf(state: LaneState, run: QueuedRun): string | undefined {
  try {
    assertRunRequest({ tenantId: state.tenantId, request: run, primaryVersion: run.pipelineVersion });
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

function searchAttributesOf(state: LaneState, run: QueuedRun): SearchAttributePair[] {
  return runSearchAttributes({
    tenantId: state.tenantId,
    day: run.day,
    pipelineVersion: run.pipelineVersion,
    runKind: 'primary',
    trigger: triggerOf(run),
  });
}

function describe(state: LaneState): void {
  const running = state.running
    ? `running ${state.running.day} (${state.running.kind}${state.running.waitingForInputs ? ', waiting for inputs' : ''})`
    : 'idle';
  const last = state.finished.at(-1);
  const stale = state.stale?.length ?? 0;
  setCurrentDetails(
    `${running}; ${state.queue.length} queued, ${state.retrying.length} waiting to retry` +
      (last ? `; last: ${last.day} ${last.status}` : '') +
      (stale ? `; ${stale} stale days` : '') +
      (state.cascades?.length ? `; cascading ${state.cascades.map((c) => `after ${c.origin}`).join(', ')}` : '') +
      `; versions: primary ${state.versions.primary}${state.versions.shadow ? `, shadow ${state.versions.shadow}` : ''}`,
  );
}
