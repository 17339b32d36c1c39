import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { requestRun } from '../../src/client/lanes';
import { backfillWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { backfillWorkflow } from '../../src/workflows/backfills/backfill';
import { backfillProgressQuery, resumeBackfillSignal } from '../../src/workflows/backfills/backfill-messages';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, testTenant, uniqueName } from '../support/stack';
import { waitUntil } from '../../src/client/wait-until';

const waitFor = (predicate: () => Promise<boolean>) => waitUntil(predicate, { what: 'the backfill' });

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('backfills', () => {
  it('run days in order on the backfill queue, pause on a failed day, and resume where they stopped', async () => {
    const base = uniqueName('backfill');
    const tenant = testTenant(uniqueName('bf'), 'Europe/Berlin');
    const settings = { timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy };
    // 2026-11-03 fails until the "fix" below empties the list.
    const failDays = ['2026-11-03'];
    const recorder = recordingActivities({ delayMs: 20, failDays });
    const laneDefaults = { taskQueue: base, primaryVersion: 'v1', maxAttempts: 1 };
    const activities = {
      ...recorder.activities,
      ...createTemporalLaneActivities({
        temporal: stack.client,
        laneDefaults,
        loadTenants: () => Promise.resolve([tenant]),
      }),
    };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    // Only the coordination queue and v1's backfill queue: backfill days must not need the live queue.
    const [coordination, backfillQueue] = await Promise.all(
      [base, versionTaskQueue(base, 'v1', 'backfill')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    await coordination.runUntil(
      backfillQueue.runUntil(async () => {
        // The lane must exist with the test's retry settings before the backfill asks it for days.
        await requestRun(
          stack.client,
          tenant.id,
          { day: '2026-10-31', kind: 'backfill', requestedBy: 'test', tenant: settings },
          laneDefaults,
        );
        const handle = await stack.client.workflow.start(backfillWorkflow, {
          taskQueue: base,
          workflowId: backfillWorkflowId(tenant.id, '2026-11-01', '2026-11-05'),
          args: [{ tenantId: tenant.id, fromDay: '2026-11-01', toDay: '2026-11-05', tenant: settings }],
        });
        await waitFor(async () => (await handle.query(backfillProgressQuery)).paused);
        const paused = await handle.query(backfillProgressQuery);
        expect(paused).toMatchObject({
          completed: ['2026-11-01', '2026-11-02'],
          failed: ['2026-11-03'],
          current: '2026-11-03',
        });

        failDays.length = 0; // the operator fixes the input
        await handle.signal(resumeBackfillSignal);
        const done = await handle.result();
        expect(done.completed).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05']);
        expect(done.paused).toBe(false);
      }),
    );
    // In order, one at a time: each day started after the previous one ended.
    const runs = recorder.runs(tenant.id).filter((r) => r.day >= '2026-11-01');
    expect(runs.map((r) => r.day)).toEqual(['2026-11-01', '2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05']);
    for (let i = 1; i < runs.length; i++) expect(runs[i].start).toBeGreaterThanOrEqual(runs[i - 1].end);
  });
});
