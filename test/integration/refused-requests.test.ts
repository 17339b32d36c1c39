import { WithStartWorkflowOperation, WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneState, requestRerun, requestRun } from '../../src/client/lanes';
import { startRollout } from '../../src/client/rollouts';
import { waitUntil } from '../../src/client/wait-until';
import { InvalidInputError } from '../../src/common/errors';
import { laneWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { LaneState, RunRequest } from '../../src/workflows/lanes/lane-contracts';
import type { TenantDayInput } from '../../src/workflows/tenant-days/tenant-day-contracts';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { rolloutWorkflow, tenantDayWorkflow, tenantLaneWorkflow } from '../../src/workflows';
import { requestRunUpdate } from '../../src/workflows/lanes/tenant-lane-messages';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';

/**
 * Bad requests are refused at the door (the SDK functions and the lane's update validator), and a
 * workflow that still meets bad input fails at once, non-retryable, naming it: never a workflow
 * task that fails forever with the day shown Running and the tenant's lane blocked.
 */
let stack: Stack;
let workflowBundle: { code: string };
const started: WorkflowHandle[] = [];
const tenant = { timeZone: 'America/New_York', badDataPolicy: 'quarantine' as const };

beforeAll(async () => {
  stack = await connectStack();
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});
afterAll(async () => {
  for (const handle of started) await handle.terminate('test done').catch(() => undefined);
  await stack.close();
});

async function workers(base: string, versions: string[] = ['v1']) {
  const recorder = recordingActivities({ delayMs: 5 });
  const queues = [base, ...versions.map((v) => versionTaskQueue(base, v))];
  return Promise.all(
    queues.map((taskQueue) =>
      Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities: recorder.activities }),
    ),
  );
}

/** Settles within `ms`, or rejects saying it hung (today's code would wait forever). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms)),
  ]);
}

function failureOf(error: unknown): ApplicationFailure {
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('bad requests are refused at the door', () => {
  it('refuses a rerun from an unknown task in the lane update validator, naming the task and the known ones', async () => {
    const base = uniqueName('refuse');
    const tenantId = uniqueName('t');
    const defaults = { taskQueue: base, primaryVersion: 'v1' };
    const bad: RunRequest = { day: '2026-11-20', kind: 'rerun', fromTask: 'nosuchtask', requestedBy: 'test', tenant };

    // The SDK refuses it before it reaches the server.
    await expect(
      requestRerun(stack.client, {
        tenantId,
        day: bad.day,
        tenant,
        fromTask: 'nosuchtask',
        requestedBy: 'test',
        defaults,
      }),
    ).rejects.toThrow(InvalidInputError);

    // Past the SDK (an older client, another language), the lane's validator refuses it.
    const [laneWorker] = await workers(base, []);
    started.push(stack.client.workflow.getHandle(laneWorkflowId(tenantId)));
    const [refusal, state] = await laneWorker.runUntil(async () => {
      const outcome = await within(
        stack.client.workflow
          .executeUpdateWithStart(requestRunUpdate, {
            args: [bad],
            startWorkflowOperation: new WithStartWorkflowOperation(tenantLaneWorkflow, {
              workflowId: laneWorkflowId(tenantId),
              taskQueue: base,
              workflowIdConflictPolicy: 'USE_EXISTING',
              args: [{ tenantId, tenant, versions: { primary: 'v1' } }],
            }),
          })
          .then(
            (accepted) => ({ accepted }),
            (error: unknown) => ({ error }),
          ),
        60_000,
        'the update',
      );
      return [outcome, await laneState(stack.client, tenantId)] as const;
    });
    expect(refusal).toHaveProperty('error');
    const error = (refusal as { error: unknown }).error;
    expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
    const message = String((error as WorkflowUpdateFailedError).cause?.message);
    expect(message).toContain('"nosuchtask"');
    expect(message).toContain('aggregate-partitions, attributes, daily-usage, rolling-windows, account-documents');
    expect(state.queue).toHaveLength(0);
    expect(state.running).toBeUndefined();
  });

  it('fails a tenant-day started with an unknown task or version at once, non-retryable, naming it', async () => {
    const base = uniqueName('bad-day');
    const ws = await workers(base, ['v1', 'v3']);
    const input: TenantDayInput = {
      tenantId: uniqueName('t'),
      day: '2026-11-20',
      timeZone: 'America/New_York',
      badDataPolicy: 'quarantine',
      pipelineVersion: 'v1',
      runKind: 'primary',
      trigger: 'test',
      baseTaskQueue: base,
    };
    await runWorkersUntil(ws, async () => {
      for (const [version, bad, named] of [
        ['v1', { fromTask: 'nosuchtask' }, '"nosuchtask"'],
        ['v3', { pipelineVersion: 'v3' }, '"v3" does not exist; known: v1, v2'],
      ] as const) {
        const handle = await stack.client.workflow.start(tenantDayWorkflow, {
          taskQueue: versionTaskQueue(base, version),
          workflowId: uniqueName('bad-day'),
          args: [{ ...input, ...bad }],
        });
        started.push(handle);
        const error = await within(handle.result(), 30_000, `the tenant-day with ${named}`).then(
          () => undefined,
          (e: unknown) => e,
        );
        const failure = failureOf(error);
        expect(failure.type).toBe('InvalidInputError');
        expect(failure.nonRetryable).toBe(true);
        expect(failure.message).toContain(named);
        expect(failure.message).toContain(input.tenantId);
      }
    });
  });

  it('fails a run the lane can never start and goes on with its next request', async () => {
    const base = uniqueName('lane-bad');
    const tenantId = uniqueName('t');
    const defaults = { taskQueue: base, primaryVersion: 'v1' };
    // A run accepted before the validator existed, carried over by continue-as-new.
    const carried: LaneState = {
      tenantId,
      tenant,
      versions: { primary: 'v1' },
      queue: [
        {
          day: '2026-11-19',
          kind: 'rerun',
          fromTask: 'nosuchtask',
          requestedBy: 'test',
          tenant,
          pipelineVersion: 'v1',
          seq: 0,
          attempt: 1,
          passedOver: 0,
        },
      ],
      retrying: [],
      finished: [],
      completedDailyDays: [],
      nextSeq: 1,
    };
    const ws = await workers(base);
    await runWorkersUntil(ws, async () => {
      const lane = await stack.client.workflow.start(tenantLaneWorkflow, {
        workflowId: laneWorkflowId(tenantId),
        taskQueue: base,
        args: [{ tenantId, tenant, versions: { primary: 'v1' }, state: carried, maxAttempts: 1 }],
      });
      started.push(lane);
      await requestRun(
        stack.client,
        tenantId,
        { day: '2026-11-20', kind: 'daily', requestedBy: 'test', tenant },
        defaults,
      );
      await waitUntil(async () => (await laneState(stack.client, tenantId)).finished.length === 2, {
        what: 'both runs finished',
        timeoutMs: 60_000,
      });
      const { finished } = await laneState(stack.client, tenantId);
      expect(finished.find((f) => f.day === '2026-11-19')).toMatchObject({
        status: 'failed',
        errorType: 'InvalidInputError',
      });
      expect(finished.find((f) => f.day === '2026-11-19')?.error).toContain('"nosuchtask"');
      expect(finished.find((f) => f.day === '2026-11-20')?.status).toBe('completed');
    });
  });

  it('refuses a rollout of a version that does not exist, in the SDK and in the workflow', async () => {
    const base = uniqueName('rollout-bad');
    const tenantId = uniqueName('t');
    const rollout = {
      candidateVersion: 'v3',
      baselineVersion: 'v1',
      tenants: [{ tenantId, tenant }],
      policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
    };
    await expect(startRollout(stack.client, { ...rollout, taskQueue: base })).rejects.toThrow(
      /rollout candidate version "v3" does not exist; known: v1, v2/,
    );
    await expect(
      startRollout(stack.client, {
        ...rollout,
        candidateVersion: 'v2',
        policy: { ...rollout.policy, comparisonPolicy: 'nope' },
        taskQueue: base,
      }),
    ).rejects.toThrow(/comparison policy "nope" does not exist/);

    // Started past the SDK, the workflow fails at once and points no lane at the unknown version.
    const ws = await workers(base);
    await runWorkersUntil(ws, async () => {
      const handle = await stack.client.workflow.start(rolloutWorkflow, {
        workflowId: uniqueName('rollout-bad'),
        taskQueue: base,
        args: [rollout],
      });
      started.push(handle);
      const error = await within(handle.result(), 30_000, 'the rollout of v3').then(
        () => undefined,
        (e: unknown) => e,
      );
      const failure = failureOf(error);
      expect(failure.type).toBe('InvalidInputError');
      expect(failure.message).toContain('"v3" does not exist');
    });
    await expect(stack.client.workflow.getHandle(laneWorkflowId(tenantId)).describe()).rejects.toThrow();
  });
});
