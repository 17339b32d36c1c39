import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { laneWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

let stack: Stack;
const queue = uniqueName('status-sla');
const tenantId = uniqueName('sla-status');
const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-status-sla-'));

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  stack = await connectStack();
});
afterAll(async () => {
  await stack.client.workflow
    .getHandle(laneWorkflowId(tenantId))
    .terminate('test done')
    .catch(() => undefined);
  await stack.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('daybreak status and the freshness SLA', () => {
  it('shows the last served day, LATE while the day past its deadline is not served, and on time once it is', async () => {
    // UTC, run hour 0, a 1-hour SLA: day D is due at D+1 00:00Z and late from D+1 01:00Z. `status`
    // checks as of now, so the expected day is derived here from the clock: yesterday from 01:00Z.
    const tenantsFile = path.join(dir, 'tenants.json');
    const tenant = { id: tenantId, displayName: tenantId, timeZone: 'UTC', runHour: 0, slaHours: 1 };
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [tenant] }));
    const now = Date.now();
    const expected = utcDay(now - DAY_MS - (new Date(now).getUTCHours() >= 1 ? 0 : DAY_MS));
    const before = utcDay(Date.parse(expected) - DAY_MS);
    const deadline = `${utcDay(Date.parse(expected) + DAY_MS)}T01:00:00.000Z`;

    const env = { ...process.env, DAYBREAK_TENANTS_FILE: tenantsFile, DAYBREAK_TASK_QUEUE: queue };
    const status = async () =>
      (await run(path.join(ROOT, 'bin/daybreak'), ['status', '--tenant', tenantId], { env, cwd: ROOT })).stdout;
    const activities = {
      ...recordingActivities({ delayMs: 10 }).activities,
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
    const serve = async (day: string) => {
      await requestRun(
        stack.client,
        tenantId,
        { day, kind: 'daily', requestedBy: 'test', tenant: { timeZone: 'UTC', badDataPolicy: 'quarantine' } },
        { taskQueue: queue, primaryVersion: 'v1' },
      );
      await waitUntil(
        async () =>
          (await laneState(stack.client, tenantId)).finished.some((f) => f.day === day && f.status === 'completed'),
        { what: `${day} completed`, timeoutMs: 60_000 },
      );
    };
    await runWorkersUntil(workers, async () => {
      await serve(before);
      expect(await status()).toContain(`last served: ${before}  sla: LATE (${expected} due by ${deadline}, 1 h SLA)`);
      await serve(expected);
      const after = await status();
      expect(after).toContain(`last served: ${expected}  sla: on time (1 h SLA)`);
      // The last completed run's data checks, from its result (the stand-in checks pass).
      expect(after).toContain(`\n  checks ${expected}: pass\n`);
    });
  });
});
