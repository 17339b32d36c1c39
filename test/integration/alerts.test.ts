import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import type { LogEntry } from '@temporalio/worker';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../src/activities/alerts/send-alert';
import { supervise } from '../../src/activities/supervised';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import type { Alert } from '../../src/workflows/alerts/alerts';
import { laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { PlanPartitionsInput } from '../../src/workflows/tenant-days/pipeline-contracts';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';

type Delivery = Alert & { text: string };

/**
 * A local webhook receiver: every request's body is kept, and each tenant's requests are answered
 * as its test says (an HTTP status, or never: the response is left hanging).
 */
class Receiver {
  /** Every request, with the status it was answered with ('hang': none, the response left open). */
  readonly requests: { body: Delivery; status: number | 'hang' }[] = [];
  private readonly answers = new Map<string, (n: number) => number | 'hang'>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as Delivery;
        const n = this.requests.filter((r) => r.body.tenantId === body.tenantId).length + 1;
        const status = this.answers.get(body.tenantId)?.(n) ?? 200;
        this.requests.push({ body, status });
        if (status === 'hang') return;
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/test-secret`;
  }

  /** How the n-th request (1-based) about a tenant is answered. */
  answer(tenantId: string, how: (n: number) => number | 'hang'): void {
    this.answers.set(tenantId, how);
  }

  of(tenantId: string) {
    return this.requests.filter((r) => r.body.tenantId === tenantId);
  }

  /** Ends the hanging responses (their deliveries fail at once), so workers shut down without waiting for them. */
  dropConnections(): void {
    this.server.closeAllConnections();
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// Customer data a failing run's error may quote: no alert, body or log line may carry it.
const PLANTED_DATA = 'account acct-7731 email jane.doe@example.com';

const receiver = new Receiver();
const logLines: LogEntry[] = [];
let stack: Stack;
let queue: string;
/** Days whose planning fails with a non-retryable error naming customer data (switched by the tests). */
const failing = new Set<string>();
const lanes: string[] = [];
let makeWorkers: () => Promise<Worker[]>;

beforeAll(async () => {
  // The worker log, captured: what the alert's log sink writes is part of what is tested.
  Runtime.install({ logger: new DefaultLogger('WARN', (entry) => logLines.push(entry)) });
  stack = await connectStack();
  await receiver.start();
  queue = uniqueName('alerts');
  const base = recordingActivities({ delayMs: 10 }).activities;
  const activities = {
    ...base,
    planPartitions(input: PlanPartitionsInput) {
      if (failing.has(`${input.tenantId}|${input.day}`))
        throw ApplicationFailure.nonRetryable(
          `planted failure for ${input.tenantId}: ${PLANTED_DATA}`,
          'CorruptDataError',
        );
      return base.planPartitions(input);
    },
    ...createTemporalLaneActivities({
      temporal: stack.client,
      laneDefaults: { taskQueue: queue, primaryVersion: 'v1' },
      loadTenants: () => Promise.resolve([]),
    }),
    // As the worker registers it (activities/index.ts): supervised, over the configured webhook.
    ...supervise(createAlertActivities({ webhookUrl: receiver.url })),
  };
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  // A worker runs once (runUntil shuts it down): each test gets its own, over one bundle.
  makeWorkers = () =>
    Promise.all(
      [queue, versionTaskQueue(queue, 'v1')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
});
afterAll(async () => {
  for (const lane of lanes)
    await stack.client.workflow
      .getHandle(lane)
      .terminate('test done')
      .catch(() => undefined);
  await receiver.close();
  await stack.close();
});

const settings = { timeZone: 'UTC', badDataPolicy: 'fail' as const };

function laneOf(tenantId: string, maxAttempts: number) {
  lanes.push(laneWorkflowId(tenantId));
  const defaults = { taskQueue: queue, primaryVersion: 'v1', maxAttempts, retryBackoffBaseMs: 200 };
  return {
    rerun: (day: string) =>
      requestRun(stack.client, tenantId, { day, kind: 'rerun', requestedBy: 'test', tenant: settings }, defaults),
    finished: (day: string, status: 'completed' | 'failed') =>
      waitUntil(
        async () =>
          (await laneState(stack.client, tenantId)).finished.some((f) => f.day === day && f.status === status),
        { what: `${tenantId} ${day} ${status}`, timeoutMs: 60_000 },
      ),
  };
}

const waitFor = (what: string, predicate: () => boolean, timeoutMs = 60_000) =>
  waitUntil(() => Promise.resolve(predicate()), { what, timeoutMs });

describe('alerts to a webhook and the worker log', () => {
  it('a day that fails for good alerts run-failed once (delivered through two 500s), and run-recovered once it is rerun and done', async () => {
    const tenantId = uniqueName('alerted');
    const day = '2026-11-02';
    const workflowId = tenantDayWorkflowId(tenantId, day, 'v1', 'primary');
    const lane = laneOf(tenantId, 2);
    receiver.answer(tenantId, (n) => (n <= 2 ? 500 : 200));
    await runWorkersUntil(await makeWorkers(), async () => {
      failing.add(`${tenantId}|${day}`);
      await lane.rerun(day);
      await lane.finished(day, 'failed');
      failing.delete(`${tenantId}|${day}`);
      await waitFor('the run-failed alert, delivered', () => receiver.of(tenantId).some((r) => r.status === 200));

      const failed = receiver.of(tenantId);
      // Two 500s, then delivered: three deliveries of one alert, the same body each time.
      expect(failed.map((r) => r.status)).toEqual([500, 500, 200]);
      expect(new Set(failed.map((r) => JSON.stringify(r.body))).size).toBe(1);
      const alert = failed[0].body;
      expect(alert).toEqual({
        id: `${workflowId}/run-failed/0`,
        kind: 'run-failed',
        tenantId,
        day,
        pipelineVersion: 'v1',
        workflowId,
        // Raised after the lane's second attempt, not after the first (which the lane retried).
        reason: 'rerun run failed with CorruptDataError after 2 lane attempts',
        raisedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as string,
        text:
          `Daybreak run-failed: ${tenantId} ${day} (v1) FAILED: rerun run failed with CorruptDataError after 2 lane attempts. ` +
          `Run ${workflowId}; see \`daybreak status --tenant ${tenantId}\`.`,
      });

      // The day rerun and done: its failure is cleared, and that is alerted.
      await lane.rerun(day);
      await lane.finished(day, 'completed');
      await waitFor('the run-recovered alert', () => receiver.of(tenantId).length === 4);
      expect(receiver.of(tenantId)[3]).toMatchObject({
        status: 200,
        body: {
          id: `${workflowId}/run-recovered/1`,
          kind: 'run-recovered',
          tenantId,
          day,
          pipelineVersion: 'v1',
          workflowId,
          reason: 'rerun run completed after 1 lane attempt; earlier failure (CorruptDataError) cleared',
        },
      });
    });

    // Each alert is one WARN line in the worker log, however often its delivery was retried.
    const alertLines = logLines.filter(
      (l) => l.level === 'WARN' && l.message.startsWith('alert ') && l.meta?.tenantId === tenantId,
    );
    expect(alertLines.map((l) => l.message)).toEqual([
      `alert run-failed: ${tenantId} ${day} v1: rerun run failed with CorruptDataError after 2 lane attempts`,
      `alert run-recovered: ${tenantId} ${day} v1: rerun run completed after 1 lane attempt; earlier failure (CorruptDataError) cleared`,
    ]);
    // The run's error quoted customer data; no alert, in either sink, does.
    const json = (value: unknown) => JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const sent = json([receiver.of(tenantId), alertLines]);
    expect(sent).not.toContain('jane.doe@example.com');
    expect(sent).not.toContain('acct-7731');
    // Nor does the webhook's secret path show in what the worker logged about the failed deliveries.
    expect(json(logLines)).not.toContain('test-secret');
  });

  it("a receiver that hangs does not delay the lane's next queued day", async () => {
    const tenantId = uniqueName('hung');
    const lane = laneOf(tenantId, 1);
    receiver.answer(tenantId, () => 'hang');
    await runWorkersUntil(await makeWorkers(), async () => {
      failing.add(`${tenantId}|2026-11-05`);
      await lane.rerun('2026-11-05');
      await lane.rerun('2026-11-06');
      await lane.finished('2026-11-05', 'failed');
      await lane.finished('2026-11-06', 'completed');
      const state = await laneState(stack.client, tenantId);
      expect(state.finished.map((f) => `${f.day} ${f.status}`)).toEqual(['2026-11-05 failed', '2026-11-06 completed']);
      // The next day completed while the failed day's alert was still waiting on the receiver.
      await waitFor('the hanging alert request', () => receiver.of(tenantId).length >= 1);
      const requests = receiver.of(tenantId);
      expect(requests.every((r) => r.status === 'hang')).toBe(true);
      expect(requests[0].body).toMatchObject({ kind: 'run-failed', day: '2026-11-05' });
      // Still pending in the lane (retried after each 10 s attempt timeout), not failed.
      const lanePending = await stack.client.workflow.getHandle(laneWorkflowId(tenantId)).describe();
      expect((lanePending.raw.pendingActivities ?? []).map((a) => a.activityType?.name)).toEqual(['sendAlert']);
      receiver.dropConnections();
    });
  });
});
