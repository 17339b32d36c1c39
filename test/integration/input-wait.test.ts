import type { WorkflowHandle } from '@temporalio/client';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { describeRunning, laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { LaneState } from '../../src/workflows/lanes/lane-contracts';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { tenantLaneWorkflow } from '../../src/workflows';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, testTenant, uniqueName } from '../support/stack';

/**
 * A day waiting for its inputs, as its lane and the reconciler see it (the wait itself, with real
 * activities and the deadline, is tested on the time-skipping server in
 * test/unit/orchestration/tenant-day-inputs.test.ts).
 */
let stack: Stack;
let workflowBundle: { code: string };
const started: WorkflowHandle[] = [];
const tenant = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };

beforeAll(async () => {
  stack = await connectStack();
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});
afterAll(async () => {
  for (const handle of started) await handle.terminate('test done').catch(() => undefined);
  await stack.close();
});

async function workers(base: string, inputsMissingChecks: number) {
  const recorder = recordingActivities({ delayMs: 5, inputsMissingChecks });
  return Promise.all(
    [base, versionTaskQueue(base, 'v1')].map((taskQueue) =>
      Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities: recorder.activities }),
    ),
  );
}

const details = async (handle: WorkflowHandle) => (await handle.query(workflowMetadataQuery)).currentDetails ?? '';

describe('a tenant-day waiting for its inputs', () => {
  it('shows in its lane and in its own details, and runs when they arrive', async () => {
    const base = uniqueName('wait');
    const tenantId = uniqueName('t');
    const day = '2026-11-20';
    const ws = await workers(base, 3);
    const lane = stack.client.workflow.getHandle(laneWorkflowId(tenantId));
    const child = stack.client.workflow.getHandle(tenantDayWorkflowId(tenantId, day, 'v1', 'primary'));
    started.push(lane, child);
    await runWorkersUntil(ws, async () => {
      await stack.client.workflow.start(tenantLaneWorkflow, {
        workflowId: laneWorkflowId(tenantId),
        taskQueue: base,
        args: [{ tenantId, tenant, versions: { primary: 'v1' }, inputWait: { initialIntervalMs: 1500 } }],
      });
      await requestRun(
        stack.client,
        tenantId,
        { day, kind: 'daily', requestedBy: 'test', tenant },
        { taskQueue: base, primaryVersion: 'v1' },
      );
      let state: LaneState | undefined;
      await waitUntil(
        async () => {
          state = await laneState(stack.client, tenantId);
          return state.running?.waitingForInputs !== undefined;
        },
        { what: 'the lane to show the wait', timeoutMs: 30_000 },
      );
      expect(state!.running).toMatchObject({
        day,
        waitingForInputs: { missing: [`attribute snapshot of ${day} (planted)`] },
      });
      expect(Date.parse(state!.running!.waitingForInputs!.deadline)).toBeGreaterThan(Date.parse(`${day}T00:00:00Z`));
      expect(await details(lane)).toContain(`running ${day} (daily, waiting for inputs)`);
      // The line `daybreak status` prints for the running run.
      expect(describeRunning(state!)).toMatch(
        new RegExp(
          `^${day} daily #1 waiting for inputs since \\S+ \\(deadline \\S+\\): missing attribute snapshot of ${day}`,
        ),
      );
      expect(await details(child)).toContain(`Waiting for inputs of ${day} (UTC)`);
      expect(await details(child)).toContain(`missing attribute snapshot of ${day} (planted)`);

      await waitUntil(async () => (await laneState(stack.client, tenantId)).finished.length === 1, {
        what: 'the day to run',
        timeoutMs: 60_000,
      });
      const after = await laneState(stack.client, tenantId);
      expect(after.finished[0]).toMatchObject({ day, status: 'completed' });
      expect(after.running).toBeUndefined();
      expect(describeRunning(after)).toBe('-');
      expect(await details(lane)).not.toContain('waiting for inputs');
    });
  });

  it('is not asked for again by the reconciler, nor is a day that failed for good; a missed day is', async () => {
    const base = uniqueName('reconcile');
    const tenantId = uniqueName('t');
    // Inputs that never arrive while the test looks: the day stays waiting.
    const ws = await workers(base, 1_000_000);
    const carried: LaneState = {
      tenantId,
      tenant,
      versions: { primary: 'v1' },
      queue: [
        {
          day: '2026-11-23',
          kind: 'daily',
          requestedBy: 'schedule',
          tenant,
          pipelineVersion: 'v1',
          seq: 0,
          attempt: 1,
          passedOver: 0,
        },
      ],
      retrying: [],
      finished: [
        {
          day: '2026-11-22',
          kind: 'daily',
          pipelineVersion: 'v1',
          workflowId: tenantDayWorkflowId(tenantId, '2026-11-22', 'v1', 'primary'),
          status: 'failed',
          attempts: 1,
          error: 'inputs of ... did not arrive by the deadline',
          errorType: 'InputsNotArrivedError',
        },
      ],
      completedDailyDays: [],
      nextSeq: 1,
    };
    started.push(
      stack.client.workflow.getHandle(laneWorkflowId(tenantId)),
      stack.client.workflow.getHandle(tenantDayWorkflowId(tenantId, '2026-11-23', 'v1', 'primary')),
      stack.client.workflow.getHandle(tenantDayWorkflowId(tenantId, '2026-11-21', 'v1', 'primary')),
    );
    const reconciler = createTemporalLaneActivities({
      temporal: stack.client,
      laneDefaults: { taskQueue: base, primaryVersion: 'v1' },
      loadTenants: () => Promise.resolve([testTenant(tenantId, 'UTC', { runHour: 0 })]),
    });
    await runWorkersUntil(ws, async () => {
      await stack.client.workflow.start(tenantLaneWorkflow, {
        workflowId: laneWorkflowId(tenantId),
        taskQueue: base,
        args: [{ tenantId, tenant, versions: { primary: 'v1' }, state: carried }],
      });
      await waitUntil(async () => (await laneState(stack.client, tenantId)).running?.waitingForInputs !== undefined, {
        what: '2026-11-23 to wait for inputs',
        timeoutMs: 30_000,
      });
      // As of 2026-11-24 12:00 UTC with a run hour of 0, the last three days are due: 21, 22 and 23.
      const result = await reconciler.requestMissedDays({
        asOfMs: Date.parse('2026-11-24T12:00:00Z'),
        lookbackDays: 3,
      });
      expect(result.requested).toEqual([{ tenantId, day: '2026-11-21' }]);
    });
  });
});
