import { hostname } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultDay, createFaultDay } from '../support/fault-day';
import { type DayOutputs, outputDifferences } from '../support/day-outputs';
import type { Stack } from '../support/stack';
import { connectStack } from '../support/stack';
import { type HoldMarker, type WorkerProcess, activityCompletion, waitForMarker } from '../support/worker-process';

/**
 * A worker process SIGTERMed in the middle of a tenant-day (issue 16, point 5). Its activity is
 * caught running (test/support/holding-worker.ts: composed as the worker process is, so with its
 * shutdown) in partition aggregation, which watches cancellation: on a worker without a grace
 * period it was cancelled at once and run again elsewhere.
 *   - Within the grace period the activity finishes where it runs (attempt 1), the worker stops
 *     polling and exits 0, and a second worker finishes the day.
 *   - Past the grace period it is cancelled, retried on the second worker, and the worker exits 0.
 * Both days' outputs and served documents are byte-identical to an undisturbed run's.
 */

const DAY_BOUND_MS = 240_000;

let stack: Stack;
let day: FaultDay;
let expected: DayOutputs;
const workers: WorkerProcess[] = [];

const worker = (name: string, env: NodeJS.ProcessEnv, holds: Parameters<FaultDay['worker']>[1] = []) => {
  const w = day.worker(name, holds, env);
  workers.push(w);
  return w;
};

beforeAll(async () => {
  stack = await connectStack();
  day = await createFaultDay(stack, 'graceful-shutdown');
  const reference = worker('reference', {});
  const ref = await day.start(stack.client);
  await day.finish(stack.client, ref.workflowId, { withinMs: DAY_BOUND_MS });
  await reference.kill();
  expected = await day.snapshot(stack);
  expect(expected.documents.length).toBeGreaterThan(0);
}, 600_000);
afterAll(async () => {
  for (const w of workers) await w.kill();
  await day?.remove(stack);
  await stack.close();
});

/** Resolves with the exit, or fails naming the worker's log once `withinMs` has passed. */
async function exitOf(w: WorkerProcess, withinMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the worker did not exit within ${withinMs / 1000} s of SIGTERM; log:\n${w.logTail()}`)),
      withinMs,
    );
  });
  try {
    return await Promise.race([w.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The activities scheduled after `sinceMs`, with the identity of the worker that started each. */
async function startedAfter(workflowId: string, sinceMs: number): Promise<{ type: string; identity: string }[]> {
  const events = (await stack.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
  const out: { type: string; identity: string }[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (!scheduled || ms(e.eventTime) <= sinceMs) continue;
    const started = events.find(
      (s) => Number(s.activityTaskStartedEventAttributes?.scheduledEventId) === Number(e.eventId),
    );
    out.push({
      type: scheduled.activityType?.name ?? '',
      identity: started?.activityTaskStartedEventAttributes?.identity ?? '',
    });
  }
  return out;
}

async function sigtermDuringAggregation(name: string, graceSeconds: number, releaseMs: number) {
  await day.clearOutputs(stack);
  const marker = path.join(day.dir, `${name}.json`);
  const first = worker(`${name}-first`, { DAYBREAK_SHUTDOWN_GRACE_SECONDS: String(graceSeconds) }, [
    { activity: 'aggregatePartition', pipelineVersion: 'v1', marker, releaseMs },
  ]);
  const { workflowId } = await day.start(stack.client);
  const handle = stack.client.workflow.getHandle(workflowId);
  const held: HoldMarker = await waitForMarker(marker, {
    worker: first,
    what: 'aggregatePartition',
    timeoutMs: DAY_BOUND_MS,
    stillRunning: async () => (await handle.describe()).status.name === 'RUNNING',
  });
  const second = worker(`${name}-second`, {});
  // The worker itself, not its tsx wrapper: one SIGTERM, as Kubernetes sends it to PID 1.
  const terminatedAt = Date.now();
  process.kill(held.pid, 'SIGTERM');
  const exit = await exitOf(first, graceSeconds * 1000 + 30_000);
  const exitedAfterMs = Date.now() - terminatedAt;
  await day.finish(stack.client, workflowId, { withinMs: DAY_BOUND_MS });
  const completion = await activityCompletion(stack.client, held);
  const later = await startedAfter(workflowId, terminatedAt);
  const actual = await day.snapshot(stack);
  await second.kill();
  console.log(
    `[graceful-shutdown] ${name}: exit ${exit.code ?? exit.signal} ${Math.round(exitedAfterMs / 100) / 10} s after SIGTERM; ` +
      `held aggregatePartition completed on attempt ${completion.attempt}; ${later.length} activities scheduled after it`,
  );
  return { exit, held, completion, later, actual, firstIdentity: `${held.pid}@${hostname()}` };
}

describe('a worker that gets SIGTERM stops polling, finishes or hands back its activities, and exits 0', () => {
  it('lets a running activity finish within the grace period; a second worker finishes the day', async () => {
    const r = await sigtermDuringAggregation('within-grace', 60, 8_000);
    expect(r.exit).toEqual({ code: 0, signal: null });
    // Finished where it ran, once: attempt 1, never retried elsewhere.
    expect(r.completion.attempt).toBe(1);
    // No activity scheduled after the SIGTERM went to the terminating worker.
    expect(r.later.length).toBeGreaterThan(0);
    expect(r.later.filter((a) => a.identity === r.firstIdentity)).toEqual([]);
    expect(outputDifferences(r.actual, expected)).toEqual([]);
    expect(r.actual).toEqual(expected);
  }, 900_000);

  it('cancels an activity that outlasts the grace period; it is retried on the other worker', async () => {
    const r = await sigtermDuringAggregation('past-grace', 3, 120_000);
    expect(r.exit).toEqual({ code: 0, signal: null });
    expect(r.completion.attempt).toBe(r.held.attempt + 1);
    expect(r.later.filter((a) => a.identity === r.firstIdentity)).toEqual([]);
    expect(outputDifferences(r.actual, expected)).toEqual([]);
    expect(r.actual).toEqual(expected);
  }, 900_000);
});
