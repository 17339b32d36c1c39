import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
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
import type { QueuedRun, TenantLaneInput } from './lane-contracts';
import { Lane } from './lane';
import type { RunOutcome } from './lane';
import { ErrorTypes, failureTypeOf } from '../../common/errors';
import { rootCauseOf } from '../alerts/root-cause';
import { tenantDayWorkflow } from '../tenant-days/tenant-day';
import { inputsWaitSignal } from '../tenant-days/tenant-day-messages';
import {
  laneStateQuery,
  requestRunUpdate,
  runFinishedSignal,
  runRequestValidator,
  setPipelineVersionsSignal,
} from './tenant-lane-messages';
import { alertActivities } from '../activity-options';
import { workflowNow } from '../workflow-clock';

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
  const lane = new Lane(input, workflowNow);
  const { state } = lane;
  const maxHistoryEvents = input.maxHistoryEvents ?? 2000;
  const baseTaskQueue = workflowInfo().taskQueue;
  const alerts = alertActivities();
  // Alerts still being delivered: the lane does not continue-as-new under them (that would drop them).
  let alertsInFlight = 0;
  const describe = () => setCurrentDetails(lane.details());

  // patched: lanes that took daily requests for such days under older code replay as they ran.
  setHandler(
    requestRunUpdate,
    (request) => lane.request(request, { skipComputedDays: patched(DAILY_SKIPS_COMPUTED_DAYS) }),
    { validator: runRequestValidator(() => ({ tenantId: state.tenantId, primaryVersion: state.versions.primary })) },
  );
  setHandler(setPipelineVersionsSignal, (versions) => lane.setVersions(versions));
  setHandler(laneStateQuery, () => lane.snapshot());
  setHandler(inputsWaitSignal, (signal) => {
    if (lane.inputsWait(signal)) describe();
  });

  const retryLater = async (run: QueuedRun): Promise<void> => {
    await sleep(lane.park(run, input.retryBackoffBaseMs));
    lane.release(run.seq);
  };

  for (;;) {
    describe();
    await condition(
      () =>
        lane.queued > 0 ||
        ((workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > maxHistoryEvents) &&
          lane.retrying === 0 &&
          alertsInFlight === 0),
    );
    if (lane.queued === 0) {
      // Idle and long: start a fresh history with the same state. Handlers must finish first so
      // no accepted request is lost between runs.
      await condition(allHandlersFinished);
      await continueAsNew<typeof tenantLaneWorkflow>({ ...input, state });
    }
    const run = lane.next();
    if (!run) continue;
    const refused = lane.refusalOf(run);
    // patched: a lane that started such a run under older code replays as it ran.
    if (refused && patched('refuse-invalid-runs')) {
      // A child could never run it (an unknown version's queue has no worker). It fails here; the lane goes on.
      log.warn('run refused: invalid request', { day: run.day, reason: refused });
      finish(run, { workflowId: '', status: 'failed', error: refused, errorType: ErrorTypes.InvalidInput });
      continue;
    }
    describe();
    const child = lane.childRun(run, { ...input, baseTaskQueue });
    try {
      await executeChild(tenantDayWorkflow, {
        workflowId: child.workflowId,
        taskQueue: child.taskQueue,
        priority: { priorityKey: child.priorityKey },
        // A rerun reuses the id of the day's earlier run; only one can be open at a time.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        typedSearchAttributes: child.searchAttributes,
        staticSummary: child.summary,
        args: [child.input],
      });
      finish(run, { workflowId: child.workflowId, status: 'completed', shadowVersion: child.shadowVersion });
    } catch (error) {
      if (isCancellation(error)) throw error;
      // The child's own failure says only "Child Workflow execution failed": record what caused it.
      const reason = rootCauseOf(error).message;
      if (lane.retries(run)) {
        log.warn('tenant-day failed; the lane will retry it', {
          workflowId: child.workflowId,
          attempt: run.attempt,
          cause: reason,
        });
        void retryLater(run);
      } else {
        finish(run, { workflowId: child.workflowId, status: 'failed', error: reason, errorType: failureTypeOf(error) });
      }
    }
  }

  /**
   * Records the run's end. Its alert's delivery is started, not awaited: the lane goes on with its
   * queue while the alert is retried, and an alert that is never delivered fails nothing.
   */
  function finish(run: QueuedRun, outcome: RunOutcome): void {
    const { alert, notify } = lane.finish(run, outcome);
    // patched: lanes that finished such runs under older code replay without the alert's activity.
    if (alert && patched(ALERTS)) {
      const { id } = alert;
      alertsInFlight++;
      void alerts
        .sendAlert(alert)
        .catch((error: unknown) =>
          log.warn('alert not delivered; given up', { alertId: id, cause: rootCauseOf(error).message }),
        )
        .finally(() => alertsInFlight--);
    }
    if (notify) {
      // The requester (a backfill) may be gone; the run's outcome is in the lane's state anyway.
      getExternalWorkflowHandle(notify.workflowId)
        .signal(runFinishedSignal, notify.signal)
        .catch(() => log.warn('could not notify requester', { notify: notify.workflowId }));
    }
  }
}
