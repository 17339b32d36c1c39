import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MetricTasks } from '../../src/metrics/pipelines';
import { type FaultDay, createFaultDay } from '../support/fault-day';
import { outputDifferences } from '../support/day-outputs';
import type { Stack } from '../support/stack';
import { connectStack } from '../support/stack';
import {
  type HoldMarker,
  type HoldSpec,
  type WorkerProcess,
  activityCompletion,
  waitForMarker,
} from '../support/worker-process';

/**
 * A worker process SIGKILLed while each activity type of a tenant-day runs (issue 18, point 1):
 * every activity heartbeats under a 20 s heartbeat timeout (workflows/activity-options.ts), so an
 * attempt lost with its worker is retried within about that long, not after its 30-minute
 * start-to-close timeout. One run, a primary v1 with v2 in shadow (the shadow compares), is walked
 * through the kills in order: each worker process catches the next activity running (see
 * test/support/holding-worker.ts), is killed, and a fresh one takes over.
 */

/** Generous: the heartbeat timeout (20 s) plus retry backoff and a worker start on 2 busy cores. */
const RECOVERY_BOUND_MS = 120_000;

let stack: Stack;
let day: FaultDay;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  stack = await connectStack();
  day = await createFaultDay(stack, 'worker-loss');
}, 180_000);
afterAll(async () => {
  for (const w of workers) await w.kill();
  await day?.remove(stack);
  await stack.close();
});

const v1 = { pipelineVersion: 'v1' };
/** The activities of the run, in the order they first run; each phase's worker catches its holds. */
const PHASES: { name: string; holds: Omit<HoldSpec, 'marker'>[] }[] = [
  // The graph's two roots start together: planning and the attributes task are caught at once.
  {
    name: 'planning + attributes',
    holds: [
      { activity: 'planPartitions', ...v1 },
      { activity: 'runMetricTask', task: MetricTasks.Attributes, ...v1 },
    ],
  },
  { name: 'partition aggregation', holds: [{ activity: 'aggregatePartition', ...v1 }] },
  { name: MetricTasks.DailyUsage, holds: [{ activity: 'runMetricTask', task: MetricTasks.DailyUsage, ...v1 }] },
  { name: MetricTasks.RollingWindows, holds: [{ activity: 'runMetricTask', task: MetricTasks.RollingWindows, ...v1 }] },
  {
    name: MetricTasks.AccountDocuments,
    holds: [{ activity: 'runMetricTask', task: MetricTasks.AccountDocuments, ...v1 }],
  },
  { name: 'serving index', holds: [{ activity: 'ensureServingIndex', ...v1 }] },
  { name: 'served alias', holds: [{ activity: 'ensureServedAlias', ...v1 }] },
  { name: 'indexing', holds: [{ activity: 'indexAccountDocuments', ...v1 }] },
  // Only the shadow compares, once the primary has finished.
  { name: 'comparison', holds: [{ activity: 'compareRunOutputs' }] },
];

describe('a lost worker costs seconds, not the start-to-close timeout', () => {
  it('a tenant-day whose worker is SIGKILLed during each activity type finishes with identical outputs', async () => {
    const reference = day.worker('reference');
    workers.push(reference);
    const ref = await day.start(stack.client, { shadow: true });
    const referenceResult = await day.finish(stack.client, ref.workflowId, { shadow: true });
    await reference.kill();
    const expected = await day.snapshot(stack);
    expect(Object.keys(expected.objects).some((k) => k.startsWith('reports/'))).toBe(true);
    expect(expected.documents.length).toBeGreaterThan(0);
    await day.clearOutputs(stack);

    const phases = PHASES.map((p, i) => ({
      ...p,
      holds: p.holds.map((h, j) => ({ ...h, marker: path.join(day.dir, `hold-${i}-${j}.json`) })),
    }));
    let worker = day.worker('phase-0', phases[0].holds);
    workers.push(worker);
    const { workflowId } = await day.start(stack.client, { shadow: true });
    const handle = stack.client.workflow.getHandle(workflowId);
    const running = async () => (await handle.describe()).status.name === 'RUNNING';
    const kills: { phase: string; markers: HoldMarker[]; killedAt: number }[] = [];
    for (const [i, phase] of phases.entries()) {
      const markers = await Promise.all(
        phase.holds.map((h) =>
          waitForMarker(h.marker, {
            worker,
            what: `${h.activity}${h.task ? ` ${h.task}` : ''}`,
            timeoutMs: RECOVERY_BOUND_MS + 60_000,
            // The comparison runs in the shadow, after the primary has closed.
            stillRunning: phase.name === 'comparison' ? undefined : running,
          }),
        ),
      );
      const killedAt = await worker.kill('SIGKILL');
      kills.push({ phase: phase.name, markers, killedAt });
      worker = day.worker(`phase-${i + 1}`, phases[i + 1]?.holds ?? []);
      workers.push(worker);
    }
    const result = await day.finish(stack.client, workflowId, { shadow: true, withinMs: RECOVERY_BOUND_MS });
    const doneAt = Date.now();

    const rows: { activity: string; killedOnAttempt: number; completedOnAttempt: number; recoverySeconds: number }[] =
      [];
    for (const kill of kills) {
      for (const marker of kill.markers) {
        const completion = await activityCompletion(stack.client, marker);
        rows.push({
          activity: `${marker.activityType} (${kill.phase})`,
          killedOnAttempt: marker.attempt,
          completedOnAttempt: completion.attempt,
          recoverySeconds: Math.round((completion.completedAtMs - kill.killedAt) / 100) / 10,
        });
        // Caught under the 20 s heartbeat timeout, and retried once its worker was gone.
        expect(marker.heartbeatTimeoutMs, marker.activityType).toBe(20_000);
        expect(completion.attempt, marker.activityType).toBeGreaterThan(marker.attempt);
      }
    }
    console.log(
      `[worker-loss] recovery after SIGKILL (kill -> the killed activity completed on a fresh worker):\n` +
        rows.map((r) => `  ${r.activity}: ${r.recoverySeconds} s (attempt ${r.completedOnAttempt})`).join('\n') +
        `\n  last kill -> day and shadow complete: ${Math.round((doneAt - kills.at(-1)!.killedAt) / 1000)} s`,
    );
    for (const r of rows) expect(r.recoverySeconds * 1000, r.activity).toBeLessThan(RECOVERY_BOUND_MS);

    expect(result.counts).toEqual(referenceResult.counts);
    const actual = await day.snapshot(stack);
    expect(outputDifferences(actual, expected)).toEqual([]);
    expect(actual).toEqual(expected);
  }, 1_200_000);
});
