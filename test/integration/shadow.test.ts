import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneState, requestRun, setLaneVersions } from '../../src/client/lanes';
import { tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';
import { waitUntil } from '../../src/client/wait-until';

const waitFor = (predicate: () => Promise<boolean>) => waitUntil(predicate, { what: 'the runs' });

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('shadow child workflows', () => {
  it('a slow, failing shadow leaves the primary run successful and on time', async () => {
    const base = uniqueName('shadow');
    const tenantId = uniqueName('t');
    const tenant = { timeZone: 'Asia/Kolkata', badDataPolicy: 'quarantine' as const };
    const recorder = recordingActivities({ delayMs: 20, failVersions: ['v2'], slowMs: 4000 });
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const workers = await Promise.all(
      [base, versionTaskQueue(base, 'v1'), versionTaskQueue(base, 'v2')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities: recorder.activities }),
      ),
    );
    const defaults = { taskQueue: base, primaryVersion: 'v1' };
    const [a, b, c] = workers;
    await a.runUntil(
      b.runUntil(
        c.runUntil(async () => {
          await setLaneVersions(stack.client, tenantId, tenant, { primary: 'v1', shadow: 'v2' }, defaults);
          await requestRun(
            stack.client,
            tenantId,
            { day: '2026-11-20', kind: 'daily', requestedBy: 'test', tenant },
            defaults,
          );
          const primary = stack.client.workflow.getHandle(tenantDayWorkflowId(tenantId, '2026-11-20', 'v1', 'primary'));
          const shadow = stack.client.workflow.getHandle(tenantDayWorkflowId(tenantId, '2026-11-20', 'v2', 'shadow'));
          await waitFor(async () => (await laneState(stack.client, tenantId)).finished.length === 1);
          await expect(shadow.result()).rejects.toThrow();
          const [p, s] = await Promise.all([primary.describe(), shadow.describe()]);
          expect(p.status.name).toBe('COMPLETED');
          expect(s.status.name).toBe('FAILED');
          // The primary closed before the slow shadow failed: nothing waited for it.
          expect(p.closeTime!.getTime()).toBeLessThan(s.closeTime!.getTime());
          expect((await laneState(stack.client, tenantId)).finished[0]).toMatchObject({
            status: 'completed',
            attempts: 1,
          });
          const result = (await primary.result()) as { shadow?: { started: boolean } };
          expect(result.shadow?.started).toBe(true);
        }),
      ),
    );
  });
});
