import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { RunMetricTaskInput, PlanPartitionsInput } from '../../src/workflows/tenant-days/pipeline-contracts';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

let stack: Stack;
beforeAll(async () => {
  // Quiet when it passes: the workers' state changes are not what this test is about.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('daybreak status while a run is in trouble', () => {
  it("shows a retrying activity's last failure, a failure's root cause, and clears the failure once the day completes", async () => {
    const queue = uniqueName('status-trouble');
    const tenantId = uniqueName('trouble');
    const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-status-'));
    const tenantsFile = path.join(dir, 'tenants.json');
    const tenant = { id: tenantId, displayName: tenantId, timeZone: 'UTC', runHour: 1, badDataPolicy: 'fail' };
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [tenant] }));
    const env = { ...process.env, DAYBREAK_TENANTS_FILE: tenantsFile, DAYBREAK_TASK_QUEUE: queue };
    const status = async () =>
      (await run(path.join(ROOT, 'bin/daybreak'), ['status', '--tenant', tenantId], { env, cwd: ROOT })).stdout;

    // Planted trouble, switched by the test: corrupt input (a permanent failure) and an S3 outage
    // (a transient one, retried by the activity's retry policy until it ends).
    let corrupt = false;
    let outage = false;
    const outageMessage = `S3 at 127.0.0.1:7070: connect ECONNREFUSED (planted outage for ${tenantId})`;
    const base = recordingActivities({ delayMs: 10 }).activities;
    const activities = {
      ...base,
      planPartitions(input: PlanPartitionsInput) {
        if (corrupt)
          throw ApplicationFailure.nonRetryable(`planted failure for ${tenantId} ${input.day}`, 'CorruptDataError');
        return base.planPartitions(input);
      },
      runMetricTask(input: RunMetricTaskInput) {
        if (outage) throw ApplicationFailure.retryable(outageMessage, 'S3ServiceException');
        return base.runMetricTask(input);
      },
      ...createTemporalLaneActivities({
        temporal: stack.client,
        laneDefaults: { taskQueue: queue, primaryVersion: 'v1' },
        loadTenants: () => Promise.resolve([]),
      }),
    };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const workers = await Promise.all(
      [queue, versionTaskQueue(queue, 'v1')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    const settings = { timeZone: 'UTC', badDataPolicy: 'fail' as const };
    // One attempt per run: a failure is the lane's at once.
    const defaults = { taskQueue: queue, primaryVersion: 'v1', maxAttempts: 1 };
    const rerun = (day: string) =>
      requestRun(stack.client, tenantId, { day, kind: 'rerun', requestedBy: 'test', tenant: settings }, defaults);
    const finished = (day: string, status: 'completed' | 'failed') =>
      waitUntil(
        async () =>
          (await laneState(stack.client, tenantId)).finished.some((f) => f.day === day && f.status === status),
        { what: `${day} ${status}`, timeoutMs: 60_000 },
      );
    try {
      await runWorkersUntil(workers, async () => {
        // A permanent failure: the lane records, and status shows, what caused it.
        corrupt = true;
        await rerun('2026-11-02');
        await finished('2026-11-02', 'failed');
        corrupt = false;
        // The lane's own record names the cause, not the SDK's "Child Workflow execution failed".
        const failure = (await laneState(stack.client, tenantId)).finished.find((f) => f.day === '2026-11-02');
        expect(failure).toMatchObject({
          status: 'failed',
          error: `planted failure for ${tenantId} 2026-11-02`,
          errorType: 'CorruptDataError',
        });
        const failedRun = tenantDayWorkflowId(tenantId, '2026-11-02', 'v1', 'primary');
        const afterFailure = await status();
        expect(afterFailure).toContain('failed: 2026-11-02 ');
        expect(afterFailure).toContain(
          `  failed 2026-11-02 (rerun, v1, 1 attempt, ${failedRun}): CorruptDataError: planted failure for ${tenantId} 2026-11-02`,
        );
        expect(afterFailure).not.toContain('Child Workflow execution failed');

        // An outage during a run: its activity retries, and status says so with the last failure.
        outage = true;
        await rerun('2026-11-03');
        const running = tenantDayWorkflowId(tenantId, '2026-11-03', 'v1', 'primary');
        const retrying = new RegExp(
          `^  ${running} runMetricTask \\(activity \\d+\\) retrying \\(attempt [2-9][^)]*\\): ` +
            `last failure S3ServiceException: S3 at 127\\.0\\.0\\.1:7070: connect ECONNREFUSED \\(planted outage for ${tenantId}\\)$`,
          'm',
        );
        let during = '';
        await waitUntil(
          async () => {
            during = await status();
            return retrying.test(during);
          },
          { what: 'status to show the retrying activity', timeoutMs: 60_000 },
        );
        expect(during).toMatch(/running: 2026-11-03 rerun #1/);
        outage = false;
        await finished('2026-11-03', 'completed');

        // The failed day run again, and done: no longer a failure, and nothing in trouble.
        await rerun('2026-11-02');
        await finished('2026-11-02', 'completed');
        const state = await laneState(stack.client, tenantId);
        expect(state.finished.filter((f) => f.status === 'failed')).toEqual([]);
        const after = await status();
        expect(after).toContain('last completed: 2026-11-02 (rerun)');
        expect(after).toContain('failed: - ');
        expect(after).not.toMatch(/^ {2}failed /m);
        expect(after).not.toContain('retrying (attempt');
      });
    } finally {
      await stack.client.workflow
        .getHandle(laneWorkflowId(tenantId))
        .terminate('test done')
        .catch(() => undefined);
    }
  });
});
