import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as avro from 'avsc';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { laneState, requestRerun, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { decodeContainer, encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import { RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT, RAW_EVENT_VERSIONS } from '../../src/schemas/raw-event-schemas';
import { SchemaRegistry } from '../../src/schemas/registry';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import { addDays } from '../../src/common/days';
import type { RawEvent } from '../../src/common/events';
import { backfillWorkflowId, laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { outputKey, rawEventsKey } from '../../src/common/keys';
import type { LaneState } from '../../src/workflows/lanes/lane-contracts';
import { emptyLaneState } from '../../src/workflows/lanes/run-queue';
import { readAll } from '../../src/storage/object-store';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { backfillWorkflow } from '../../src/workflows/backfills/backfill';
import { tenantLaneWorkflow } from '../../src/workflows/lanes/tenant-lane';
import { writeAttributes } from '../support/metric-fixtures';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, stackActivityDeps, testTenant, uniqueName } from '../support/stack';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const rawType = avro.Type.forSchema(loadSchema('raw-event.v3.avsc'));
const documentType = avro.Type.forSchema(loadSchema('account-document.avsc'));
const waitFor = (predicate: () => Promise<boolean>, what: string) => waitUntil(predicate, { what, timeoutMs: 180_000 });

let stack: Stack;
let workflowBundle: { code: string };
// Everything the tests create, removed in afterAll whether they passed or not.
const lanes: string[] = [];
const workflows: string[] = [];
const keyPrefixes: string[] = [];
const indexPrefixes: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  stack = await connectStack();
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
}, 120_000);
afterAll(async () => {
  for (const id of [...workflows, ...lanes]) {
    await stack.client.workflow
      .getHandle(id)
      .terminate('test done')
      .catch(() => undefined);
  }
  for (const prefix of keyPrefixes) {
    for await (const object of stack.store.list(prefix)) await stack.store.delete(object.key);
  }
  // Every index under the test's prefix (the served one and any migration copy), by name: wildcard deletes are refused.
  const rows = await stack.es.cat.indices({ format: 'json', h: 'index', expand_wildcards: 'all' });
  const indices = rows.map((r) => r.index ?? '').filter((name) => indexPrefixes.some((p) => name.startsWith(`${p}-`)));
  if (indices.length) await stack.es.indices.delete({ index: indices, ignore_unavailable: true });
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stack.close();
}, 120_000);

const D = '2026-10-05';
const day = (n: number) => addDays(D, n);

/** `count` events of one account at 12:00 UTC plus i seconds on `date`, in their own raw file. */
function eventsOf(tenantId: string, date: string, accountId: string, count: number, tag: string): RawEvent[] {
  const noon = Date.parse(`${date}T12:00:00Z`);
  return Array.from({ length: count }, (_, i) => ({
    eventId: `${tenantId}-${date}-${accountId}-${tag}-${i}`,
    tenantId,
    accountId,
    userId: `user-${i % 2}`,
    type: 'login',
    occurredAt: noon + i * 1000,
    value: 1,
    properties: {},
    sessionId: null,
  }));
}

async function putRaw(tenantId: string, date: string, file: string, events: RawEvent[]): Promise<void> {
  const key = rawEventsKey(tenantId, { date, hour: 12 }, file);
  await stack.store.put(key, await readAll(encodeContainer(rawType, events, 'deflate')));
}

async function documents(tenantId: string, d: string): Promise<Map<string, AccountDocument>> {
  const key = outputKey({ tenantId, day: d, pipelineVersion: 'v1', runKind: 'primary' }, 'accounts.avro');
  const docs = new Map<string, AccountDocument>();
  for await (const doc of decodeContainer<AccountDocument>(await stack.store.get(key), documentType))
    docs.set(doc.accountId, doc);
  return docs;
}

const completed = (s: LaneState) => s.finished.filter((f) => f.status === 'completed');

describe('what a rerun makes stale, and --cascade', () => {
  it('lists D+1..D+3 as stale after a rerun of D; a cascade recomputes them in order, with D in their windows', async () => {
    const base = uniqueName('stale');
    const tenant = testTenant(uniqueName('stale'), 'UTC');
    const indexPrefix = uniqueName('daybreak-stale');
    lanes.push(laneWorkflowId(tenant.id));
    keyPrefixes.push(
      `raw/tenant=${tenant.id}/`,
      `attributes/tenant=${tenant.id}/`,
      `outputs/version=v1/kind=primary/tenant=${tenant.id}/`,
    );
    indexPrefixes.push(indexPrefix);
    const settings = { timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy };
    const defaults = { taskQueue: base, primaryVersion: 'v1' };

    // Each day: 5 events of acc-a and 3 of acc-b. Raw files of writer schemas nobody registered are bad data.
    const registry = new SchemaRegistry(stack.store);
    for (const v of RAW_EVENT_VERSIONS) await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[v]);
    for (let n = 0; n <= 3; n++) {
      await putRaw(tenant.id, day(n), 'events.avro', [
        ...eventsOf(tenant.id, day(n), 'acc-a', 5, 'base'),
        ...eventsOf(tenant.id, day(n), 'acc-b', 3, 'base'),
      ]);
      await writeAttributes(stack.store, tenant.id, day(n), ['acc-a', 'acc-b']);
    }

    const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-stale-'));
    dirs.push(dir);
    const tenantsFile = path.join(dir, 'tenants.json');
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [tenant] }));
    const env = { ...process.env, DAYBREAK_TENANTS_FILE: tenantsFile, DAYBREAK_TASK_QUEUE: base };
    const daybreak = async (...args: string[]) =>
      (await exec(path.join(ROOT, 'bin/daybreak'), args, { env, cwd: ROOT })).stdout;

    const activities = createActivities(stackActivityDeps(stack, { taskQueue: base, indexPrefix }));
    const workers = await Promise.all(
      [base, versionTaskQueue(base, 'v1')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    await runWorkersUntil(workers, async () => {
      for (let n = 0; n <= 3; n++) {
        await requestRun(
          stack.client,
          tenant.id,
          { day: day(n), kind: 'daily', requestedBy: 'test', tenant: settings },
          defaults,
        );
      }
      await waitFor(async () => completed(await laneState(stack.client, tenant.id)).length === 4, 'days D..D+3');
      // By hand: acc-a has 5 events a day, so D+1's 7-day window holds 5 + 5.
      expect((await documents(tenant.id, day(1))).get('acc-a')?.events7d).toBe(10);
      expect((await laneState(stack.client, tenant.id)).stale).toEqual([]);

      // D's raw data changes (7 late events of acc-a), then D is rerun without --cascade.
      await putRaw(tenant.id, D, 'late.avro', eventsOf(tenant.id, D, 'acc-a', 7, 'late'));
      await requestRerun(stack.client, {
        tenantId: tenant.id,
        day: D,
        tenant: settings,
        requestedBy: 'test',
        defaults,
      });
      await waitFor(async () => completed(await laneState(stack.client, tenant.id)).length === 5, 'the rerun of D');
      expect((await documents(tenant.id, D)).get('acc-a')?.eventsTotal).toBe(12);
      // D+1 was computed without D's change and says so.
      expect((await documents(tenant.id, day(1))).get('acc-a')?.events7d).toBe(10);
      const stale = await laneState(stack.client, tenant.id);
      expect(stale.stale).toEqual(
        [1, 2, 3].map((n) => ({ day: day(n), pipelineVersion: 'v1', because: D, via: 'window' })),
      );
      expect(stale.queue).toEqual([]);
      expect(await daybreak('status', '--tenant', tenant.id)).toContain(`stale: ${day(1)}..${day(3)} (v1 after ${D})`);

      // The operator reruns D with --cascade from the command line.
      expect(await daybreak('rerun', '--tenant', tenant.id, '--day', D, '--cascade', '--by', 'ci')).toContain(
        'recomputed in order',
      );
      await waitFor(
        async () => (await laneState(stack.client, tenant.id)).cascadesDone?.some((c) => c.status === 'done') ?? false,
        'the cascade',
      );
      const after = await laneState(stack.client, tenant.id);
      expect(after.stale).toEqual([]);
      expect(after.cascades).toEqual([]);
      expect(after.cascadesDone).toMatchObject([{ origin: D, through: day(3), recomputed: 3, status: 'done' }]);
      expect(
        completed(after)
          .slice(-4)
          .map((f) => [f.day, f.kind, f.cascadeOf]),
      ).toEqual([
        [D, 'rerun', undefined],
        [day(1), 'rerun', D],
        [day(2), 'rerun', D],
        [day(3), 'rerun', D],
      ]);
      expect(await daybreak('status', '--tenant', tenant.id)).toContain('stale: none');
    });

    // In order, one at a time, after D: each day's run started after the one before it closed.
    const runs = await Promise.all(
      [0, 1, 2, 3].map((n) =>
        stack.client.workflow.getHandle(tenantDayWorkflowId(tenant.id, day(n), 'v1', 'primary')).describe(),
      ),
    );
    for (let n = 1; n <= 3; n++) {
      expect(runs[n].startTime.getTime()).toBeGreaterThanOrEqual(runs[n - 1].closeTime!.getTime());
      expect(runs[n].typedSearchAttributes.getAll().find((p) => p.key.name === 'Trigger')?.value).toBe('cascade');
    }
    // By hand, with D's 12 events of acc-a: D+1 = 12 + 5, D+2 = 12 + 5 + 5, D+3 = 12 + 5 + 5 + 5; acc-b unchanged.
    const expected = { 1: [17, 6], 2: [22, 9], 3: [27, 12] } as const;
    for (const n of [1, 2, 3] as const) {
      const docs = await documents(tenant.id, day(n));
      expect([docs.get('acc-a')?.events7d, docs.get('acc-b')?.events7d]).toEqual(expected[n]);
      expect(docs.get('acc-a')?.events30d).toBe(expected[n][0]);
      expect(docs.get('acc-a')?.firstActivityAt).toBe(Date.parse(`${D}T12:00:00Z`));
    }
  }, 300_000);

  it('carries stale days across continue-as-new, and backfill --cascade recomputes the stale days after the range', async () => {
    const base = uniqueName('stale-bf');
    const tenant = testTenant(uniqueName('stalebf'), 'Europe/Berlin');
    const settings = { timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy };
    const defaults = { taskQueue: base, primaryVersion: 'v1' };
    const laneId = laneWorkflowId(tenant.id);
    const backfillId = backfillWorkflowId(tenant.id, day(1), day(2));
    lanes.push(laneId);
    workflows.push(backfillId);
    const recorder = recordingActivities({ delayMs: 10 });
    const activities = {
      ...recorder.activities,
      ...createTemporalLaneActivities({
        temporal: stack.client,
        laneDefaults: defaults,
        loadTenants: () => Promise.resolve([tenant]),
      }),
    };
    const workers = await Promise.all(
      [base, versionTaskQueue(base, 'v1'), versionTaskQueue(base, 'v1', 'backfill')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    await runWorkersUntil(workers, async () => {
      // A small history budget: the lane continues-as-new whenever it is idle.
      await stack.client.workflow.start(tenantLaneWorkflow, {
        taskQueue: base,
        workflowId: laneId,
        args: [{ tenantId: tenant.id, tenant: settings, versions: { primary: 'v1' }, maxHistoryEvents: 40 }],
      });
      for (let n = 0; n <= 4; n++) {
        await requestRun(
          stack.client,
          tenant.id,
          { day: day(n), kind: 'daily', requestedBy: 'test', tenant: settings },
          defaults,
        );
      }
      await waitFor(async () => completed(await laneState(stack.client, tenant.id)).length === 5, 'D..D+4');
      await requestRerun(stack.client, {
        tenantId: tenant.id,
        day: D,
        tenant: settings,
        requestedBy: 'test',
        defaults,
      });
      await waitFor(async () => completed(await laneState(stack.client, tenant.id)).length === 6, 'the rerun of D');
      // The run of the lane that finished the rerun, then a later one: the stale set went along.
      // Duplicate requests (dropped, but each an update in the history) grow the history past its budget.
      const rerunBy = (
        await stack.client.workflow.getHandle(tenantDayWorkflowId(tenant.id, D, 'v1', 'primary')).describe()
      ).parentExecution!.runId;
      await waitFor(async () => {
        await requestRun(
          stack.client,
          tenant.id,
          { day: day(4), kind: 'daily', requestedBy: 'test', tenant: settings },
          defaults,
        );
        return (await stack.client.workflow.getHandle(laneId).describe()).runId !== rerunBy;
      }, 'continue-as-new');
      expect((await laneState(stack.client, tenant.id)).stale?.map((s) => s.day)).toEqual([1, 2, 3, 4].map(day));

      const backfill = await stack.client.workflow.start(backfillWorkflow, {
        taskQueue: base,
        workflowId: backfillId,
        args: [{ tenantId: tenant.id, fromDay: day(1), toDay: day(2), tenant: settings, cascade: true }],
      });
      await backfill.result();
      await waitFor(
        async () => (await laneState(stack.client, tenant.id)).cascadesDone?.some((c) => c.status === 'done') ?? false,
        'the cascade after the backfill',
      );
      const after = await laneState(stack.client, tenant.id);
      expect(after.stale).toEqual([]);
      expect(after.cascadesDone).toMatchObject([{ origin: day(2), recomputed: 2, kind: 'backfill', status: 'done' }]);
    });
    const order = recorder.runs(tenant.id).slice(-4);
    expect(order.map((r) => r.day)).toEqual([1, 2, 3, 4].map(day));
    for (let i = 1; i < order.length; i++) expect(order[i].start).toBeGreaterThanOrEqual(order[i - 1].end);
  }, 240_000);

  it('a lane continued from code without stale tracking (no computedDays) still finds what a rerun makes stale', async () => {
    const base = uniqueName('stale-old');
    const tenantId = uniqueName('staleold');
    const settings = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };
    const laneId = laneWorkflowId(tenantId);
    lanes.push(laneId);
    const recorder = recordingActivities({ delayMs: 10 });
    const workers = await Promise.all(
      [base, versionTaskQueue(base, 'v1')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities: recorder.activities }),
      ),
    );
    // The state an older lane carried into continue-as-new: its daily days, none of the new fields.
    const old = { ...emptyLaneState(tenantId, settings, { primary: 'v1' }), completedDailyDays: [0, 1, 2].map(day) };
    await runWorkersUntil(workers, async () => {
      await stack.client.workflow.start(tenantLaneWorkflow, {
        taskQueue: base,
        workflowId: laneId,
        args: [{ tenantId, tenant: settings, versions: { primary: 'v1' }, state: old }],
      });
      await requestRerun(stack.client, {
        tenantId,
        day: D,
        tenant: settings,
        requestedBy: 'test',
        defaults: { taskQueue: base, primaryVersion: 'v1' },
      });
      await waitFor(async () => completed(await laneState(stack.client, tenantId)).length === 1, 'the rerun');
      expect((await laneState(stack.client, tenantId)).stale?.map((s) => s.day)).toEqual([day(1), day(2)]);
    });
  }, 120_000);
});
