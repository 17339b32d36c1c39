import type { Cascade, CascadeOutcome, LaneState, QueuedRun, RunRequest } from './lane-contracts';
import { enqueue } from './run-queue';
import { nextStaleDay, recordComputed } from './stale-days';

/**
 * The lane's cascades, as pure state transitions: after a rerun or backfill asked with `cascade`
 * completes, the stale days after it are recomputed through the lane one at a time, in day order.
 * Only one day of a cascade is queued at a time, so a day that fails and waits for its retry can
 * never be overtaken by a later one (which would then be stale again), and a day that became stale
 * while the cascade ran (a daily run computed from a stale day) is picked up when its turn comes.
 * One cascade per pipeline version: a second one starting earlier moves the first one back.
 * A day of the cascade that fails (after the lane's retries) stops it; its stale days stay listed.
 */
const OUTCOMES_KEPT = 10;

type CascadeBook = Pick<LaneState, 'cascades' | 'cascadesDone' | 'stale' | 'tenant' | 'queue' | 'retrying'>;

function settle(book: CascadeBook, cascade: Cascade, status: CascadeOutcome['status'], failedDay?: string): void {
  book.cascades = (book.cascades ?? []).filter((c) => c !== cascade);
  const outcome: CascadeOutcome = { ...cascade, status, failedDay };
  delete (outcome as Cascade).pending;
  book.cascadesDone = [...(book.cascadesDone ?? []), outcome].slice(-OUTCOMES_KEPT);
}

/** A run of the lane finished: moves the cascade it belongs to, and starts one if the run asked. */
export function onRunFinished(
  book: CascadeBook,
  run: Pick<QueuedRun, 'day' | 'pipelineVersion' | 'kind' | 'cascade' | 'requestedBy'>,
  status: 'completed' | 'failed',
): void {
  const cascade = (book.cascades ?? []).find((c) => c.pipelineVersion === run.pipelineVersion);
  if (cascade && cascade.pending === run.day) {
    cascade.pending = undefined;
    if (status === 'failed') {
      settle(book, cascade, 'stopped', run.day);
      return;
    }
    cascade.recomputed++;
    if (run.day > cascade.through) cascade.through = run.day;
  }
  if (status !== 'completed' || !run.cascade || run.kind === 'daily') return;
  const current = (book.cascades ?? []).find((c) => c.pipelineVersion === run.pipelineVersion);
  if (!current) {
    book.cascades = [
      ...(book.cascades ?? []),
      {
        pipelineVersion: run.pipelineVersion,
        origin: run.day,
        through: run.day,
        kind: run.kind,
        requestedBy: run.requestedBy,
        recomputed: 0,
      },
    ];
  } else if (run.day < current.through) {
    // Days after this one that the cascade already recomputed are stale again: go back to them.
    current.through = run.day;
    if (run.day < current.origin) current.origin = run.day;
    const dropped = current.pending;
    if (dropped && dropped > run.day) {
      // Its queued day would run before the earlier ones and be stale again: it comes in its turn.
      const orphan = (r: QueuedRun) =>
        r.cascadeOf !== undefined && r.pipelineVersion === run.pipelineVersion && r.day === dropped;
      book.queue = book.queue.filter((r) => !orphan(r));
      book.retrying = book.retrying.filter((r) => !orphan(r));
      current.pending = undefined;
    }
  }
}

/**
 * Everything a finished run changes beyond the queue (which recordFinished updates): the days it
 * made stale or fresh (for its version, and for the shadow version its tenant-day also ran), its
 * cascade, and the cascade's next run, queued through the lane's queue like any request.
 */
export function afterRunFinished(
  state: LaneState,
  run: QueuedRun,
  status: 'completed' | 'failed',
  shadowVersion?: string,
): void {
  if (status === 'completed') {
    recordComputed(state, run);
    if (shadowVersion) recordComputed(state, { day: run.day, pipelineVersion: shadowVersion });
  }
  onRunFinished(state, run, status);
  for (const request of nextCascadeRuns(state)) enqueue(state, request);
}

/**
 * The next run of each cascade that has none queued or running; cascades with no stale day left
 * after the point they reached are done. The caller enqueues the requests through the lane queue.
 */
export function nextCascadeRuns(book: CascadeBook): RunRequest[] {
  const requests: RunRequest[] = [];
  for (const cascade of [...(book.cascades ?? [])]) {
    if (cascade.pending) continue;
    const day = nextStaleDay(book, cascade.pipelineVersion, cascade.through);
    if (!day) {
      settle(book, cascade, 'done');
      continue;
    }
    cascade.pending = day;
    requests.push({
      day,
      kind: cascade.kind,
      pipelineVersion: cascade.pipelineVersion,
      requestedBy: cascade.requestedBy,
      cascadeOf: cascade.origin,
      tenant: book.tenant,
    });
  }
  return requests;
}
