import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../src/activities/alerts/send-alert';
import { supervise } from '../../src/activities/supervised';
import { createSlaMonitorActivities } from '../../src/activities/sla-monitor/sla-monitor';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import type { Alert } from '../../src/workflows/alerts/alerts';
import { laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { SlaMonitorResult } from '../../src/workflows/sla-monitor/sla-monitor-contracts';
import { slaMonitorStateKey } from '../../src/workflows/sla-monitor/sla-monitor-contracts';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { slaMonitorWorkflow } from '../../src/workflows/sla-monitor/sla-monitor';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, testTenant, uniqueName } from '../support/stack';

/** A local webhook receiver that answers 200 and keeps every body. */
const received: (Alert & { text: string })[] = [];
let server: Server;
let webhookUrl = '';

let stack: Stack;
let queue: string;
let workers: () => Promise<Worker[]>;
const monitorId = uniqueName('slamon');
// Berlin, run hour 2, 3 hours: 2026-11-20 (CET, +1) is due 2026-11-21 02:00 = 01:00Z, deadline 04:00Z.
const tenant = testTenant(uniqueName('late'), 'Europe/Berlin', { runHour: 2, slaHours: 3 });

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push(JSON.parse(text) as Alert & { text: string });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/sla`;
  stack = await connectStack();
  queue = uniqueName('sla');
  const laneDefaults = { taskQueue: queue, primaryVersion: 'v1' };
  const loadTenants = () => Promise.resolve([tenant]);
  const activities = {
    ...recordingActivities({ delayMs: 10 }).activities,
    ...createTemporalLaneActivities({ temporal: stack.client, laneDefaults, loadTenants }),
    // As the worker registers them (activities/index.ts): supervised, over the real store and webhook.
    ...supervise(createAlertActivities({ webhookUrl })),
    ...supervise(createSlaMonitorActivities({ temporal: stack.client, laneDefaults, loadTenants, store: stack.store })),
  };
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  workers = () =>
    Promise.all(
      [queue, versionTaskQueue(queue, 'v1')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
});

afterAll(async () => {
  await stack.client.workflow
    .getHandle(laneWorkflowId(tenant.id))
    .terminate('test done')
    .catch(() => undefined);
  await stack.store.delete(slaMonitorStateKey(monitorId)).catch(() => undefined);
  await stack.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let checks = 0;
const check = (asOf: string): Promise<SlaMonitorResult> =>
  stack.client.workflow.execute(slaMonitorWorkflow, {
    taskQueue: queue,
    workflowId: `${monitorId}/check-${++checks}`,
    args: [{ monitorId, asOf }],
  });

async function serve(day: string): Promise<void> {
  await requestRun(
    stack.client,
    tenant.id,
    { day, kind: 'daily', requestedBy: 'test', tenant: { timeZone: tenant.timeZone, badDataPolicy: 'quarantine' } },
    { taskQueue: queue, primaryVersion: 'v1' },
  );
  await waitUntil(
    async () =>
      (await laneState(stack.client, tenant.id)).finished.some((f) => f.day === day && f.status === 'completed'),
    { what: `${tenant.id} ${day} completed`, timeoutMs: 60_000 },
  );
}

describe('the freshness monitor', () => {
  it('alerts a day that does not arrive by its deadline once over several checks, and its recovery once when served', async () => {
    const workflowId = tenantDayWorkflowId(tenant.id, '2026-11-20', 'v1', 'primary');
    await runWorkersUntil(await workers(), async () => {
      await serve('2026-11-19');
      // Before 2026-11-20's deadline: 2026-11-19 is the day that must be served, and it is.
      expect((await check('2026-11-21T03:45:00Z')).alerts).toEqual([]);
      // Past it, three checks a quarter of an hour apart: one alert.
      const late = await check('2026-11-21T04:00:00Z');
      expect(late.open).toEqual([
        { tenantId: tenant.id, day: '2026-11-20', pipelineVersion: 'v1', deadline: '2026-11-21T04:00:00.000Z' },
      ]);
      expect((await check('2026-11-21T04:15:00Z')).alerts).toEqual([]);
      expect((await check('2026-11-21T04:30:00Z')).alerts).toEqual([]);
      expect(received).toEqual([
        {
          id: `${workflowId}/sla-missed/2026-11-21T04:00:00.000Z`,
          kind: 'sla-missed',
          tenantId: tenant.id,
          day: '2026-11-20',
          pipelineVersion: 'v1',
          workflowId,
          reason: 'not served by 2026-11-21T04:00:00.000Z (3 hours after its run hour)',
          raisedAt: '2026-11-21T04:00:00.000Z',
          text:
            `Daybreak sla-missed: ${tenant.id} 2026-11-20 (v1) LATE (freshness SLA missed): ` +
            `not served by 2026-11-21T04:00:00.000Z (3 hours after its run hour). ` +
            `Run ${workflowId}; see \`daybreak status --tenant ${tenant.id}\`.`,
        },
      ]);

      await serve('2026-11-20');
      const recovered = await check('2026-11-21T04:45:00Z');
      expect(recovered.open).toEqual([]);
      expect((await check('2026-11-21T05:00:00Z')).alerts).toEqual([]);
      expect(received.map((a) => `${a.kind} ${a.day}`)).toEqual(['sla-missed 2026-11-20', 'sla-recovered 2026-11-20']);
      expect(received[1]).toMatchObject({
        id: `${workflowId}/sla-recovered/2026-11-21T04:00:00.000Z`,
        reason: 'served after its deadline 2026-11-21T04:00:00.000Z',
        raisedAt: '2026-11-21T04:45:00.000Z',
      });
    });
  });
});
