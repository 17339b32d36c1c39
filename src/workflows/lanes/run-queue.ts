import type { FinishedRun, LaneState, QueuedRun, RequestKind, RunRequest } from './lane-contracts';

/**
 * The lane's queue, as pure state transitions (no Temporal imports) so its ordering rules are unit
 * tested on their own:
 * - an operator rerun goes ahead of a daily run, which goes ahead of a backfill;
 * - a daily run passed over twice goes next, so a stream of reruns cannot starve it;
 * - a request equal to one queued, retrying or running (same day, version and kind) is dropped;
 * - a daily request for a day whose daily run already completed is dropped (double schedule fire),
 *   and, with `skipComputedDays`, one for a day any run of the primary version completed (a
 *   `temporal schedule backfill` over days a backfill or rerun already did) unless that day is stale;
 * - a duplicate that asks for a cascade gives the run already coming its cascade.
 */
const PRIORITY: Record<RequestKind, number> = { rerun: 0, daily: 1, backfill: 2 };
const MAX_PASSED_OVER = 2;
const FINISHED_KEPT = 50;
const DAILY_DAYS_KEPT = 120;

export function runKey(run: { day: string; pipelineVersion: string; kind: RequestKind }): string {
  return `${run.day}|${run.pipelineVersion}|${run.kind}`;
}

export function emptyLaneState(
  tenantId: string,
  tenant: LaneState['tenant'],
  versions: LaneState['versions'],
): LaneState {
  return { tenantId, tenant, versions, queue: [], retrying: [], finished: [], completedDailyDays: [], nextSeq: 0 };
}

export type EnqueueOutcome = { status: 'queued'; position: number } | { status: 'duplicate'; position: number };

export interface EnqueueOptions {
  /** Daily requests also skip days computed by any kind of run (the lane enables it behind a patch). */
  skipComputedDays?: boolean;
}

/** Whether a daily request asks for a day the primary version already has, and not stale. */
function alreadyComputed(state: LaneState, day: string, pipelineVersion: string): boolean {
  if (!(state.computedDays?.[pipelineVersion] ?? []).includes(day)) return false;
  return !(state.stale ?? []).some((s) => s.pipelineVersion === pipelineVersion && s.day === day);
}

export function enqueue(state: LaneState, request: RunRequest, options: EnqueueOptions = {}): EnqueueOutcome {
  const pipelineVersion = request.pipelineVersion ?? state.versions.primary;
  const key = runKey({ ...request, pipelineVersion });
  // A cascade asked of a run that is already coming is kept: the run cascades when it completes.
  const same = [state.running, ...state.queue, ...state.retrying].find((r) => r && runKey(r) === key);
  if (same && request.cascade) same.cascade = true;
  if (state.running && runKey(state.running) === key) return { status: 'duplicate', position: -1 };
  const queuedAt = state.queue.findIndex((r) => runKey(r) === key);
  if (queuedAt >= 0) return { status: 'duplicate', position: orderedQueue(state).findIndex((r) => runKey(r) === key) };
  if (state.retrying.some((r) => runKey(r) === key)) return { status: 'duplicate', position: state.queue.length };
  if (request.kind === 'daily' && state.completedDailyDays.includes(request.day))
    return { status: 'duplicate', position: -1 };
  if (request.kind === 'daily' && options.skipComputedDays && alreadyComputed(state, request.day, pipelineVersion))
    return { status: 'duplicate', position: -1 };
  state.tenant = request.tenant;
  const run: QueuedRun = { ...request, pipelineVersion, seq: state.nextSeq++, attempt: 1, passedOver: 0 };
  state.queue.push(run);
  return { status: 'queued', position: orderedQueue(state).findIndex((r) => r.seq === run.seq) };
}

function compare(a: QueuedRun, b: QueuedRun): number {
  const starvedA = a.kind === 'daily' && a.passedOver >= MAX_PASSED_OVER ? 1 : 0;
  const starvedB = b.kind === 'daily' && b.passedOver >= MAX_PASSED_OVER ? 1 : 0;
  if (starvedA !== starvedB) return starvedB - starvedA;
  return PRIORITY[a.kind] - PRIORITY[b.kind] || a.seq - b.seq;
}

/** The queue in the order it will run. */
export function orderedQueue(state: LaneState): QueuedRun[] {
  return [...state.queue].sort(compare);
}

/** Takes the next run off the queue and marks it running; undefined when the queue is empty. */
export function takeNext(state: LaneState): QueuedRun | undefined {
  const [next] = orderedQueue(state);
  if (!next) return undefined;
  state.queue = state.queue.filter((r) => r.seq !== next.seq);
  for (const waiting of state.queue) {
    if (waiting.kind === 'daily' && PRIORITY[next.kind] < PRIORITY.daily) waiting.passedOver++;
  }
  state.running = next;
  return next;
}

/** A day of a version, whatever kind of run computed it. */
function dayOf(run: { day: string; pipelineVersion: string }): string {
  return `${run.day}|${run.pipelineVersion}`;
}

/**
 * Records a run's outcome. A completed run clears the earlier failures of the same day and version,
 * whatever their kind: a backfill day resumed after it failed, or rerun by an operator, is done, not
 * "completed and failed". Returns the failures it cleared (the lane alerts a recovery for them).
 */
export function recordFinished(state: LaneState, finished: FinishedRun): { cleared: FinishedRun[] } {
  state.running = undefined;
  const clears = (f: FinishedRun) =>
    finished.status === 'completed' && f.status === 'failed' && dayOf(f) === dayOf(finished);
  const cleared = state.finished.filter(clears);
  state.finished = [...state.finished.filter((f) => !clears(f)), finished].slice(-FINISHED_KEPT);
  if (
    finished.status === 'completed' &&
    finished.kind === 'daily' &&
    !state.completedDailyDays.includes(finished.day)
  ) {
    state.completedDailyDays = [...state.completedDailyDays, finished.day].sort().slice(-DAILY_DAYS_KEPT);
  }
  return { cleared };
}

/**
 * The failures no later completion of the same day and version has cleared, oldest first.
 * recordFinished drops them as they are cleared; lanes continued from older code may still carry some.
 */
export function openFailures(finished: readonly FinishedRun[]): FinishedRun[] {
  return finished.filter(
    (f, i) =>
      f.status === 'failed' && !finished.slice(i + 1).some((g) => g.status === 'completed' && dayOf(g) === dayOf(f)),
  );
}

/** Parks a failed run until its backoff timer fires. */
export function parkForRetry(state: LaneState, run: QueuedRun): void {
  state.running = undefined;
  state.retrying.push({ ...run, attempt: run.attempt + 1 });
}

/** Puts a parked run back on the queue when its backoff has elapsed. */
export function releaseRetry(state: LaneState, seq: number): void {
  const run = state.retrying.find((r) => r.seq === seq);
  if (!run) return;
  state.retrying = state.retrying.filter((r) => r.seq !== seq);
  state.queue.push(run);
}

/** Exponential backoff between lane-level attempts: 30 s, 60 s, 120 s, ... capped at 30 minutes. */
export function retryBackoffMs(attempt: number, baseMs = 30_000): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 30 * 60_000);
}
