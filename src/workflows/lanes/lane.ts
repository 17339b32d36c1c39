import type { Alert } from '../alerts/alerts';
import { runFailedAlert, runRecoveredAlert } from '../alerts/alerts';
import { afterRunFinished } from './cascade';
import { tenantDayWorkflowId, versionTaskQueue } from '../../common/ids';
import type {
  FinishedRun,
  LaneState,
  PipelineVersions,
  QueuedRun,
  RunFinishedSignal,
  RunRequest,
  TenantLaneInput,
} from './lane-contracts';
import { assertRunRequest } from '../request-validation';
import {
  emptyLaneState,
  enqueue,
  orderedQueue,
  parkForRetry,
  recordFinished,
  releaseRetry,
  retryBackoffMs,
  takeNext,
} from './run-queue';
import type { EnqueueOptions, EnqueueOutcome } from './run-queue';
import { runSearchAttributes } from '../../common/search-attributes';
import type { Trigger } from '../../common/search-attributes';
import { seedComputedDays } from './stale-days';
import type { InputsWaitSignal, TenantDayInput } from '../tenant-days/tenant-day-contracts';

const TRIGGER_OF: Record<QueuedRun['kind'], Trigger> = { daily: 'schedule', rerun: 'rerun', backfill: 'backfill' };
/** Temporal task priority (1 = highest): shadow runs use 5, below every primary kind. */
const PRIORITY_KEY: Record<QueuedRun['kind'], number> = { rerun: 2, daily: 2, backfill: 4 };

/** Everything the lane needs to start a run's tenant-day child, decided from its state. */
export interface ChildRun {
  workflowId: string;
  taskQueue: string;
  priorityKey: number;
  summary: string;
  searchAttributes: ReturnType<typeof runSearchAttributes>;
  input: TenantDayInput;
  /** The shadow version the child also runs, if any (its days count as computed for that version too). */
  shadowVersion?: string;
}

export interface RunOutcome {
  /** The tenant-day's id; empty for a run refused before it had a child. */
  workflowId: string;
  status: 'completed' | 'failed';
  error?: string;
  errorType?: string;
  shadowVersion?: string;
}

export interface FinishEffects {
  finished: FinishedRun;
  /** The alert to raise: run-failed, or run-recovered when a completion cleared an open failure. */
  alert?: Alert;
  /** The requester to tell (a backfill), and what. */
  notify?: { workflowId: string; signal: RunFinishedSignal };
}

/**
 * A tenant lane's state and rules, without Temporal: its queue (src/workflows/lanes/run-queue.ts), what a
 * finished run changes (staleness, cascades, alerts), and how each run's tenant-day is started. The
 * lane workflow wires its messages to this and runs the children, timers and alerts it asks for.
 */
export class Lane {
  readonly state: LaneState;
  readonly maxAttempts: number;

  constructor(
    input: TenantLaneInput,
    /** Workflow time in ms, for alert timestamps only. */
    private readonly now: () => number,
  ) {
    this.state = input.state ?? emptyLaneState(input.tenantId, input.tenant, input.versions);
    this.maxAttempts = input.maxAttempts ?? 3;
    // Lanes continued from code without staleness tracking know their computed days only from these.
    this.state.computedDays ??= seedComputedDays(this.state);
  }

  request(request: RunRequest, options: EnqueueOptions): EnqueueOutcome {
    return enqueue(this.state, request, options);
  }

  setVersions(versions: PipelineVersions): void {
    this.state.versions = versions;
  }

  /** The state as the laneState query shows it: the queue in the order it will run. */
  snapshot(): LaneState {
    return { ...this.state, queue: orderedQueue(this.state) };
  }

  /** A running primary's wait for inputs; false when the signal is about another run (it is dropped). */
  inputsWait(signal: InputsWaitSignal): boolean {
    const running = this.state.running;
    if (!running || running.day !== signal.day || running.pipelineVersion !== signal.pipelineVersion) return false;
    if (signal.waiting) {
      running.waitingForInputs = {
        missing: signal.missing ?? [],
        since: signal.since ?? '',
        deadline: signal.deadline ?? '',
      };
    } else delete running.waitingForInputs;
    return true;
  }

  get queued(): number {
    return this.state.queue.length;
  }

  get retrying(): number {
    return this.state.retrying.length;
  }

  /** Takes the next run and marks it running; an earlier attempt's wait is over, this attempt's run tells its own. */
  next(): QueuedRun | undefined {
    const run = takeNext(this.state);
    if (run) delete run.waitingForInputs;
    return run;
  }

  /**
   * Why a queued run can never run, or undefined: accepted before the request checks existed, or
   * carried over by continue-as-new (a child on an unknown version's queue would have no worker).
   */
  refusalOf(run: QueuedRun): string | undefined {
    try {
      assertRunRequest({ tenantId: this.state.tenantId, request: run, primaryVersion: run.pipelineVersion });
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  childRun(
    run: QueuedRun,
    options: Pick<
      TenantLaneInput,
      'maxPartitions' | 'partitionConcurrency' | 'buckets' | 'bucketConcurrency' | 'inputWait' | 'outageRideOutMinutes'
    > & {
      baseTaskQueue: string;
    },
  ): ChildRun {
    const { state } = this;
    const workflowId = tenantDayWorkflowId(state.tenantId, run.day, run.pipelineVersion, 'primary');
    const shadowVersion = run.pipelineVersion === state.versions.primary ? state.versions.shadow : undefined;
    const trigger = triggerOf(run);
    return {
      workflowId,
      // Each version has its own queue; backfill days go to the version's backfill queue, whose
      // worker slots cap backfill work across all tenants.
      taskQueue: versionTaskQueue(
        options.baseTaskQueue,
        run.pipelineVersion,
        run.kind === 'backfill' ? 'backfill' : 'live',
      ),
      priorityKey: PRIORITY_KEY[run.kind],
      summary:
        `${state.tenantId} ${run.day} ${run.pipelineVersion} (${run.kind}, attempt ${run.attempt})` +
        (run.cascadeOf ? `, cascade after ${run.cascadeOf}` : ''),
      searchAttributes: runSearchAttributes({
        tenantId: state.tenantId,
        day: run.day,
        pipelineVersion: run.pipelineVersion,
        runKind: 'primary',
        trigger,
      }),
      input: {
        tenantId: state.tenantId,
        day: run.day,
        timeZone: state.tenant.timeZone,
        badDataPolicy: state.tenant.badDataPolicy,
        pipelineVersion: run.pipelineVersion,
        runKind: 'primary',
        trigger,
        requestedBy: run.requestedBy,
        fromTask: run.fromTask,
        maxPartitions: options.maxPartitions,
        baseTaskQueue: options.baseTaskQueue,
        partitionConcurrency: options.partitionConcurrency,
        buckets: options.buckets,
        bucketConcurrency: options.bucketConcurrency,
        inputWait: options.inputWait,
        outageRideOutMinutes: options.outageRideOutMinutes,
        shadow: shadowVersion
          ? {
              pipelineVersion: shadowVersion,
              rolloutWorkflowId: state.versions.rolloutWorkflowId,
              comparisonPolicy: state.versions.comparisonPolicy,
            }
          : undefined,
      },
      shadowVersion,
    };
  }

  /** A failed tenant-day is retried by the lane until it has had maxAttempts. */
  retries(run: QueuedRun): boolean {
    return run.attempt < this.maxAttempts;
  }

  /** Parks a failed run for its next attempt; returns how long it waits (then `release`). */
  park(run: QueuedRun, backoffBaseMs?: number): number {
    parkForRetry(this.state, run);
    return retryBackoffMs(run.attempt, backoffBaseMs);
  }

  release(seq: number): void {
    releaseRetry(this.state, seq);
  }

  /**
   * Records a run's end: the queue's record, the alert it raises, the days it made stale or fresh
   * and its cascade (whose next run is queued), and the requester to tell.
   */
  finish(run: QueuedRun, outcome: RunOutcome): FinishEffects {
    const { state } = this;
    const finished: FinishedRun = {
      day: run.day,
      kind: run.kind,
      pipelineVersion: run.pipelineVersion,
      workflowId: outcome.workflowId,
      status: outcome.status,
      attempts: run.attempt,
      error: outcome.error?.slice(0, 300),
      errorType: outcome.errorType,
      cascadeOf: run.cascadeOf,
    };
    const { cleared } = recordFinished(state, finished);
    const alert = this.alertOf(run, finished, cleared);
    // The shadow child recomputed the day for its version too: its later days may be its history.
    afterRunFinished(state, run, outcome.status, outcome.shadowVersion);
    const notify = run.notifyWorkflowId
      ? { workflowId: run.notifyWorkflowId, signal: { tenantId: state.tenantId, ...finished } }
      : undefined;
    return { finished, alert, notify };
  }

  /** One line for the workflow's current details. */
  details(): string {
    const { state } = this;
    const running = state.running
      ? `running ${state.running.day} (${state.running.kind}${state.running.waitingForInputs ? ', waiting for inputs' : ''})`
      : 'idle';
    const last = state.finished.at(-1);
    const stale = state.stale?.length ?? 0;
    return (
      `${running}; ${state.queue.length} queued, ${state.retrying.length} waiting to retry` +
      (last ? `; last: ${last.day} ${last.status}` : '') +
      (stale ? `; ${stale} stale days` : '') +
      (state.cascades?.length ? `; cascading ${state.cascades.map((c) => `after ${c.origin}`).join(', ')}` : '') +
      `; versions: primary ${state.versions.primary}${state.versions.shadow ? `, shadow ${state.versions.shadow}` : ''}`
    );
  }

  /** A run that failed for good raises run-failed; a completed run that cleared an open failure of its day and version, run-recovered. */
  private alertOf(run: QueuedRun, finished: FinishedRun, cleared: FinishedRun[]): Alert | undefined {
    const about = {
      tenantId: this.state.tenantId,
      day: run.day,
      pipelineVersion: run.pipelineVersion,
      // A refused run has no child: the alert names the id its run would have had.
      workflowId:
        finished.workflowId || tenantDayWorkflowId(this.state.tenantId, run.day, run.pipelineVersion, 'primary'),
      seq: run.seq,
      attempts: run.attempt,
      runKind: run.kind,
      raisedAt: new Date(this.now()).toISOString(),
    };
    if (finished.status === 'failed') return runFailedAlert({ ...about, errorType: finished.errorType });
    if (cleared.length > 0) return runRecoveredAlert({ ...about, clearedErrorType: cleared.at(-1)?.errorType });
    return undefined;
  }
}

/** Runs of a cascade say so in their Trigger search attribute, whatever queue class they use. */
function triggerOf(run: QueuedRun): Trigger {
  return run.cascadeOf ? 'cascade' : TRIGGER_OF[run.kind];
}
