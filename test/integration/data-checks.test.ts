import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as avro from 'avsc';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { waitUntil } from '../../src/client/wait-until';
import { encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import type { Alert } from '../../src/workflows/alerts/alerts';
import { tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { rawEventsKey } from '../../src/common/keys';
import type { RunLedgerEntry } from '../../src/workflows/run-ledger/run-ledger-contracts';
import { runLedgerKey } from '../../src/workflows/run-ledger/run-ledger-contracts';
import { servedAliasName } from '../../src/workflows/serving/serving-contracts';
import type { TenantDayInput, TenantDayResult } from '../../src/workflows/tenant-days/tenant-day-contracts';
import type { ObjectStore } from '../../src/storage/object-store';
import { readAll } from '../../src/storage/object-store';
import { createS3ObjectStore } from '../../src/workers/clients';
import { tenantDayWorkflow } from '../../src/workflows';
import { checksStateQuery } from '../../src/workflows/data-checks/data-checks-messages';
import { removeBucket } from '../support/day-outputs';
import { writeAttributes, writeRawDay } from '../support/metric-fixtures';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, testTenant, uniqueName } from '../support/stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const rawType = avro.Type.forSchema(loadSchema('raw-event.v3.avsc'));

let stack: Stack;
const stores: { bucket: string; store: ObjectStore }[] = [];
const indexPrefixes: string[] = [];
const workflowIds: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await connectStack();
});

afterAll(async () => {
  const namespace = stack.client.options.namespace;
  for (const workflowId of workflowIds) {
    await stack.client.workflow
      .getHandle(workflowId)
      .terminate('test done')
      .catch(() => undefined);
    await stack.client.workflowService
      .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId } })
      .catch(() => undefined);
  }
  for (const prefix of indexPrefixes) {
    const indices = await stack.es.cat.indices({ index: `${prefix}-*`, format: 'json' }).catch(() => []);
    for (const { index } of indices) if (index) await stack.es.indices.delete({ index, ignore_unavailable: true });
  }
  for (const { bucket, store } of stores)
    await removeBucket({ ...stack.config.s3, bucket }, store).catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stack.close();
}, 120_000);

/** `n` records of another tenant filed under this tenant's raw prefix: each is quarantined, one by one. */
async function plantForeignRecords(store: ObjectStore, tenantId: string, day: string, n: number): Promise<void> {
  const at = Date.parse(`${day}T12:00:00.000Z`);
  const records = Array.from({ length: n }, (_, i) => ({
    eventId: `foreign-${day}-${i}`,
    tenantId: 'someone-else',
    accountId: `x-${i % 7}`,
    userId: 'x-user',
    type: 'login',
    occurredAt: at + i,
    value: 1,
    properties: {},
    sessionId: null,
  }));
  const key = rawEventsKey(tenantId, { date: day, hour: 12 }, 'foreign.avro');
  await store.put(key, await readAll(encodeContainer(rawType, records, 'deflate')));
}

describe('data checks before serving, on the real stack', () => {
  it('serves normal days, blocks a spike of quarantined records with an alert, and serves it once released by the operator command', async () => {
    const tenantId = uniqueName('checks');
    const base = uniqueName('checks');
    const indexPrefix = uniqueName('daybreak-checks');
    indexPrefixes.push(indexPrefix);
    const bucket = uniqueName('daybreak-checks');
    const store = await createS3ObjectStore({ ...stack.config.s3, bucket });
    stores.push({ bucket, store });
    const tenant = testTenant(tenantId, 'UTC', { checks: { severity: 'block', thresholds: defaultsWith() } });
    const days = ['2026-05-01', '2026-05-02', '2026-05-03', '2026-05-04', '2026-05-05', '2026-05-06'];
    const anomaly = days[5];
    for (const day of days) {
      await writeRawDay(store, tenantId, day, 'UTC', 300, 1);
      await writeAttributes(store, tenantId, day);
    }
    await plantForeignRecords(store, tenantId, anomaly, 300);

    // The alert sink: a local webhook receiver (the worker log gets the same line).
    const received: Alert[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push(JSON.parse(body) as Alert);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;

    const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-checks-'));
    dirs.push(dir);
    const tenantsFile = path.join(dir, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [tenant] }));
    const daybreak = async (...args: string[]) =>
      (
        await run(path.join(ROOT, 'bin/daybreak'), args, {
          env: { ...process.env, DAYBREAK_TENANTS_FILE: tenantsFile },
          cwd: ROOT,
        })
      ).stdout;

    const activities = createActivities({
      store,
      es: stack.es,
      indexPrefix,
      temporal: stack.client,
      laneDefaults: { taskQueue: base, primaryVersion: 'v1' },
      loadTenants: () => Promise.resolve([tenant]),
      alerts: { webhookUrl: `http://127.0.0.1:${port}/hook` },
    });
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const worker = await Worker.create({
      connection: stack.connection,
      taskQueue: versionTaskQueue(base, 'v1'),
      workflowBundle,
      activities,
    });
    const alias = servedAliasName(indexPrefix, tenantId);
    const servedOf = async (day: string) => {
      await stack.es.indices.refresh({ index: alias });
      return (await stack.es.count({ index: alias, query: { term: { day } } })).count;
    };
    const input = (day: string): TenantDayInput => ({
      tenantId,
      day,
      timeZone: 'UTC',
      badDataPolicy: 'quarantine',
      pipelineVersion: 'v1',
      runKind: 'primary',
      trigger: 'test',
      baseTaskQueue: base,
    });
    const start = (day: string) => {
      const workflowId = tenantDayWorkflowId(tenantId, day, 'v1', 'primary');
      workflowIds.push(workflowId);
      return stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId,
        args: [input(day)],
      });
    };

    try {
      await worker.runUntil(async () => {
        const results: TenantDayResult[] = [];
        for (const day of days.slice(0, 5)) results.push(await (await start(day)).result());
        // Days 1-3 have 0, 1, 2 summaries before them: fewer than 3, nothing compared.
        expect(
          results.slice(0, 3).map((r) => [r.checks?.verdict, r.checks?.baselineDays, r.checks?.insufficientHistory]),
        ).toEqual([
          ['pass', 0, true],
          ['pass', 1, true],
          ['pass', 2, true],
        ]);
        // Day 5, a normal day against 4 baseline days: every check compared and passed; served.
        const normal = results[4].checks!;
        expect(normal).toMatchObject({ verdict: 'pass', baselineDays: 4, insufficientHistory: false });
        expect(normal.results.map((r) => [r.check, r.passed])).toEqual([
          ['accounts', true],
          ['acceptedEvents', true],
          ['quarantinedShare', true],
          ['noEventsShare', true],
          ['healthScoreDistance', true],
        ]);
        // The same 13 accounts every day, and 300 events planted a day less the 6 late arrivals
        // (1 in 50, filed in the next day's first hour) that the next day's planted files replace: 294.
        expect(normal.results[0]).toMatchObject({ value: 13, baseline: 13 });
        expect(normal.results[1]).toMatchObject({ value: 294, baseline: 294 });
        expect(normal.results[2]).toMatchObject({ value: 0, baseline: 0 });
        expect(await servedOf(days[4])).toBe(13);
        expect(received).toEqual([]);

        // Day 6: 300 foreign records quarantined.
        const handle = await start(anomaly);
        await waitUntil(async () => (await handle.query(checksStateQuery)).state === 'blocked', {
          what: 'the anomalous day blocked',
          timeoutMs: 120_000,
        });
        const blocked = (await handle.query(checksStateQuery)).checks!;
        const quarantined = blocked.results.find((r) => r.check === 'quarantinedShare')!;
        // read = 300 accepted + 20 next-day (out of window) + 300 quarantined = 620; 300 / 620 = 0.4839.
        expect(quarantined).toMatchObject({ passed: false, value: 0.4839, baseline: 0 });
        expect(blocked.verdict).toBe('block');
        expect((await handle.describe()).status.name).toBe('RUNNING');
        // The Web UI's current details say why and how to release.
        const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
        expect(metadata.currentDetails).toContain('Blocked by data checks (quarantinedShare)');
        expect(metadata.currentDetails).toContain(
          `daybreak checks release --tenant ${tenantId} --day ${anomaly} --version v1`,
        );
        // Not served: the alias still has day 5's documents and none of day 6's.
        expect(await servedOf(anomaly)).toBe(0);
        expect(await servedOf(days[4])).toBe(13);
        await waitUntil(() => Promise.resolve(received.length > 0), { what: 'the alert', timeoutMs: 60_000 });
        expect(received[0]).toMatchObject({ kind: 'check-blocked', tenantId, day: anomaly, pipelineVersion: 'v1' });
        expect(received[0].reason).toContain('quarantinedShare');

        // A release of a day that is not blocked is refused.
        await expect(
          daybreak('checks', 'release', '--tenant', tenantId, '--day', days[4], '--by', 'ci', '--reason', 'x'),
        ).rejects.toThrow(/no primary run .* is blocked by its data checks/);

        const out = await daybreak(
          'checks',
          'release',
          '--tenant',
          tenantId,
          '--day',
          anomaly,
          '--by',
          'ci',
          '--reason',
          'known replay of foreign data',
        );
        expect(out).toContain(`released ${tenantId} ${anomaly} (v1); failed checks quarantinedShare`);
        const released = await handle.result();
        expect(released.checks).toMatchObject({
          verdict: 'block',
          released: { by: 'ci', reason: 'known replay of foreign data' },
        });
        expect(released.counts.quarantined).toBe(300);
        expect(released.served?.indexed).toBe(13);
        expect(await servedOf(anomaly)).toBe(13);
        // The run ledger keeps the checks and the release too.
        await waitUntil(
          () => store.exists(runLedgerKey({ tenantId, day: anomaly, pipelineVersion: 'v1', runKind: 'primary' })),
          {
            what: 'the ledger entry',
            timeoutMs: 30_000,
          },
        );
        const entry = JSON.parse(
          (
            await store.getBytes(runLedgerKey({ tenantId, day: anomaly, pipelineVersion: 'v1', runKind: 'primary' }))
          ).toString('utf8'),
        ) as RunLedgerEntry;
        expect(entry.checks).toEqual(released.checks);
      });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  }, 600_000);
});

function defaultsWith() {
  return {
    minBaselineDays: 3,
    accountsChange: 0.3,
    acceptedEventsChange: 0.5,
    quarantinedShareIncrease: 0.05,
    noEventsShareChange: 0.2,
    healthScoreDistance: 15,
  };
}
