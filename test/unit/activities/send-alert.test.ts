import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogLevel, LogMetadata } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAlertActivities } from '../../../src/activities/alerts/send-alert';
import { supervise } from '../../../src/activities/supervised';
import { alertText, runFailedAlert } from '../../../src/workflows/alerts/alerts';
import type { Alert } from '../../../src/workflows/alerts/alerts';
import { ErrorTypes } from '../../../src/common/errors';
import { readConfig } from '../../../src/workers/config';

const alert = runFailedAlert({
  tenantId: 'acme',
  day: '2026-11-02',
  pipelineVersion: 'v1',
  workflowId: 'daybreak/tenant-day/acme/2026-11-02/v1/primary',
  seq: 3,
  attempts: 3,
  runKind: 'daily',
  errorType: 'CorruptDataError',
  raisedAt: '2026-11-03T06:00:00.000Z',
});

/** What the receiver does with the next request. */
let answer: (res: ServerResponse) => void = (res) => res.end();
const received: { path: string; contentType: string | undefined; body: unknown }[] = [];
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: JSON.parse(text) });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
  answer = (res) => res.end();
});

/** Runs sendAlert as the worker registers it (supervised), at an attempt, recording its log lines. */
function send(sinks: Parameters<typeof createAlertActivities>[0], attempt = 1) {
  const lines: { level: LogLevel; message: string; meta?: LogMetadata }[] = [];
  const logger = new DefaultLogger('TRACE', (entry) => lines.push(entry));
  const env = new MockActivityEnvironment({ attempt }, { logger });
  const activities = supervise(createAlertActivities(sinks));
  const run = env.run((input: Alert) => activities.sendAlert(input), alert);
  return { run, lines };
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationFailure);
  return error as ApplicationFailure;
}

describe('sendAlert', () => {
  it('POSTs the alert as JSON with Slack-compatible text to the configured webhook, and logs one WARN line', async () => {
    const { run, lines } = send({ webhookUrl: `${base}/hooks/secret-token` });
    expect(await run).toEqual({ sinks: ['log', 'webhook'] });
    expect(received).toEqual([
      { path: '/hooks/secret-token', contentType: 'application/json', body: { ...alert, text: alertText(alert) } },
    ]);
    const warns = lines.filter((l) => l.level === 'WARN');
    expect(warns).toHaveLength(1);
    expect(warns[0].message).toBe(`alert run-failed: acme 2026-11-02 v1: ${alert.reason}`);
    expect(warns[0].meta).toMatchObject({ alertId: alert.id, kind: 'run-failed', tenantId: 'acme', day: '2026-11-02' });
  });

  it('without a webhook, the worker log is the sink', async () => {
    const { run, lines } = send({});
    expect(await run).toEqual({ sinks: ['log'] });
    expect(received).toEqual([]);
    expect(lines.filter((l) => l.level === 'WARN').map((l) => l.meta?.alertId as unknown)).toEqual([alert.id]);
  });

  it('a retried delivery is not logged again', async () => {
    const { run, lines } = send({ webhookUrl: `${base}/hook` }, 2);
    await run;
    expect(received).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'WARN')).toEqual([]);
  });

  it.each([500, 503, 429])(
    'an HTTP %i is retried (DependencyUnavailable, past the 6-attempt cap of other failures), naming only the origin',
    async (status) => {
      answer = (res) => {
        res.statusCode = status;
        res.end('receiver trouble');
      };
      for (const attempt of [1, 7]) {
        const failure = await failureOf(send({ webhookUrl: `${base}/hooks/secret-token` }, attempt).run);
        expect(failure.type).toBe(ErrorTypes.DependencyUnavailable);
        expect(failure.nonRetryable).toBe(false);
        expect(failure.message).toBe(`alert webhook at ${base} answered HTTP ${status}; alert ${alert.id}`);
        expect(failure.message).not.toContain('secret-token');
      }
    },
  );

  it('another 4xx is the receiver refusing the alert: not retried', async () => {
    answer = (res) => {
      res.statusCode = 404;
      res.end();
    };
    const failure = await failureOf(send({ webhookUrl: `${base}/hook` }).run);
    expect(failure.type).toBe('AlertRejectedError');
    expect(failure.nonRetryable).toBe(true);
  });

  it('a receiver that does not answer fails the attempt at the timeout, retryably', async () => {
    answer = () => undefined;
    const started = Date.now();
    const failure = await failureOf(send({ webhookUrl: `${base}/hook`, webhookTimeoutMs: 300 }).run);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(failure.type).toBe(ErrorTypes.DependencyUnavailable);
    expect(failure.message).toBe(`alert webhook at ${base}: no answer within 300 ms; alert ${alert.id}`);
  });

  it('a receiver that is down fails the attempt retryably', async () => {
    const down = createServer();
    await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(down.address() as AddressInfo).port}/hook`;
    await new Promise((resolve) => down.close(resolve));
    const failure = await failureOf(send({ webhookUrl: url }).run);
    expect(failure.type).toBe(ErrorTypes.DependencyUnavailable);
    expect(failure.message).toMatch(/could not be reached \(ECONNREFUSED\)/);
  });
});

describe('DAYBREAK_ALERT_WEBHOOK_URL', () => {
  it('is optional, and an http(s) URL when set', () => {
    expect(readConfig({}).alerts.webhookUrl).toBeUndefined();
    expect(readConfig({ DAYBREAK_ALERT_WEBHOOK_URL: 'https://hooks.example.com/T0/B0/x' }).alerts.webhookUrl).toBe(
      'https://hooks.example.com/T0/B0/x',
    );
  });

  it('refuses anything else without quoting it (its path may be a secret)', () => {
    for (const value of ['hooks.example.com/secret', 'ftp://example.com/secret', 'file:///etc/secret'])
      expect(() => readConfig({ DAYBREAK_ALERT_WEBHOOK_URL: value })).toThrow(
        /^DAYBREAK_ALERT_WEBHOOK_URL must be an http:\/\/ or https:\/\/ URL$/,
      );
  });
});
