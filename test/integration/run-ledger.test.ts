import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { outputPrefix, rawEventsKey } from '../../src/common/keys';
import { localDayWindow } from '../../src/common/local-day';
import type { RunLedgerEntry } from '../../src/workflows/run-ledger/run-ledger-contracts';
import { runLedgerKey, runsIndexName } from '../../src/workflows/run-ledger/run-ledger-contracts';
import { tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { TenantDayInput } from '../../src/workflows/tenant-days/tenant-day-contracts';
import { tenantDayWorkflow } from '../../src/workflows';
import { ACCOUNTS, writeAttributes, writeRawDay } from '../support/metric-fixtures';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, stackActivityDeps, uniqueName } from '../support/stack';

const exec = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const DAY = '2026-03-08'; // 23 hours in New York
const ZONE = 'America/New_York';
const EVENTS = 300;

let stack: Stack;
const tenantId = uniqueName('ledger');
const indexPrefix = uniqueName('daybreak-ledger');
const base = uniqueName('ledger-q');
const loc = { tenantId, day: DAY, pipelineVersion: 'v1', runKind: 'primary' as const };
const workflowId = tenantDayWorkflowId(tenantId, DAY, 'v1', 'primary');
const shadowLoc = { ...loc, pipelineVersion: 'v2', runKind: 'shadow' as const };
const shadowWorkflowId = tenantDayWorkflowId(tenantId, DAY, 'v2', 'shadow');

beforeAll(async () => {
  stack = await connectStack();
  await writeRawDay(stack.store, tenantId, DAY, ZONE, EVENTS);
  await writeAttributes(stack.store, tenantId, DAY);
}, 60_000);

afterAll(async () => {
  // The shared bucket: only this tenant's keys; the index prefix's indices; the workflow.
  for (const prefix of [
    `raw/tenant=${tenantId}/`,
    `attributes/tenant=${tenantId}/`,
    outputPrefix(loc),
    outputPrefix(shadowLoc),
    `reports/compare-v1-vs-v2/tenant=${tenantId}/`,
  ])
    for await (const o of stack.store.list(prefix)) await stack.store.delete(o.key);
  // By name: wildcard deletes are refused.
  const rows = await stack.es.cat.indices({ format: 'json', h: 'index', expand_wildcards: 'all' });
  const indices = rows.map((r) => r.index ?? '').filter((name) => name.startsWith(`${indexPrefix}-`));
  if (indices.length) await stack.es.indices.delete({ index: indices, ignore_unavailable: true });
  for (const id of [workflowId, shadowWorkflowId])
    await stack.client.workflow
      .getHandle(id)
      .terminate('test done')
      .catch(() => undefined);
  await stack.close();
});

const input = (extra: Partial<TenantDayInput> = {}): TenantDayInput => ({
  tenantId,
  day: DAY,
  timeZone: ZONE,
  badDataPolicy: 'fail',
  pipelineVersion: 'v1',
  runKind: 'primary',
  trigger: 'rerun',
  requestedBy: 'ledger-test',
  baseTaskQueue: base,
  ...extra,
});

async function storedEntry(): Promise<RunLedgerEntry> {
  return JSON.parse((await stack.store.getBytes(runLedgerKey(loc))).toString('utf8')) as RunLedgerEntry;
}

async function indexedEntry(): Promise<RunLedgerEntry> {
  return (await stack.es.get<RunLedgerEntry>({ index: runsIndexName(indexPrefix), id: workflowId }))._source!;
}

const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

describe('the run ledger on the real stack', () => {
  it('records a failed run, then a completed rerun with its inputs, counts, outputs and tasks, replacing its entry and keeping the earlier runs', async () => {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const worker = await Worker.create({
      connection: stack.connection,
      taskQueue: versionTaskQueue(base, 'v1'),
      workflowBundle,
      activities: createActivities(stackActivityDeps(stack, { taskQueue: base, indexPrefix })),
    });
    // A file no Avro reader takes, under the tenant's badDataPolicy 'fail': the first run fails in its partitions.
    const w = localDayWindow(DAY, ZONE);
    const noon = new Date(w.startMs + 12 * 3_600_000).toISOString();
    const corruptKey = rawEventsKey(tenantId, { date: noon.slice(0, 10), hour: Number(noon.slice(11, 13)) }, 'zz.avro');
    await stack.store.put(corruptKey, Buffer.from('not an avro file'));

    const start = () =>
      stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId,
        args: [input()],
      });
    const [failedRunId, failed, firstRunId, first, secondRunId, second] = await worker.runUntil(async () => {
      const a = await start();
      await expect(a.result()).rejects.toThrow();
      const afterFailure = await storedEntry();
      await stack.store.delete(corruptKey);
      const b = await start();
      await b.result();
      const afterFirst = await storedEntry();
      const c = await start();
      await c.result();
      return [
        a.firstExecutionRunId,
        afterFailure,
        b.firstExecutionRunId,
        afterFirst,
        c.firstExecutionRunId,
        await storedEntry(),
      ] as const;
    });

    // The failed run: its state, the reason naming the corrupt key, the task it stopped in.
    expect(failed).toMatchObject({ workflowId, runId: failedRunId, state: 'failed', attempts: [] });
    expect(failed.error).toContain(corruptKey);
    const stoppedIn = failed.tasks.find((t) => t.task === 'aggregate-partitions');
    expect(stoppedIn?.state).toBe('failed');
    expect(failed.inputs.keys.map((k) => k.key)).toContain(corruptKey);

    // What the completed run read: every raw object of the tenant (the day's hours and the trailing
    // hours hold them all), with the sizes and the MD5 ETags of their bytes.
    const raw: { key: string; size: number; etag: string }[] = [];
    for await (const o of stack.store.list(`raw/tenant=${tenantId}/`)) {
      const bytes = await stack.store.getBytes(o.key);
      raw.push({ key: o.key, size: bytes.length, etag: md5(bytes) });
    }
    expect(raw.length).toBeGreaterThan(20);
    expect(first.inputs).toEqual({ objects: raw.length, bytes: raw.reduce((n, o) => n + o.size, 0), keys: raw });
    // writeRawDay: EVENTS events of the day (1 in 50 filed late, still read) and 20 of the next day.
    expect(first.counts).toEqual({
      read: EVENTS + 20,
      accepted: EVENTS,
      quarantined: 0,
      duplicates: 0,
      outOfWindow: 20,
    });

    // What it wrote: one partial (small day) and the datasets, each with its accounts and bytes.
    const out = outputPrefix(loc);
    const accounts = ACCOUNTS.length;
    const expectedOutputs = [
      [`${out}partials/part-0001-of-0001.avro`, accounts],
      [`${out}attributes.avro`, accounts],
      [`${out}daily-usage.avro`, accounts],
      [`${out}rolling.avro`, accounts],
      [`${out}accounts.avro`, accounts],
    ] as const;
    const outputs = [];
    for (const [key, records] of expectedOutputs) {
      const bytes = await stack.store.getBytes(key);
      outputs.push({ key, records, bytes: bytes.length, etag: md5(bytes) });
    }
    expect([...first.outputs.keys].sort((a, b) => a.key.localeCompare(b.key))).toEqual(
      outputs.sort((a, b) => a.key.localeCompare(b.key)),
    );
    expect(first.served).toEqual({
      index: `${indexPrefix}-accounts-v1.${tenantId}`,
      indexed: accounts,
      skippedStale: 0,
    });

    // Each task: started, ended within the run, first attempt; `serve` last.
    expect(first.tasks.map((t) => t.task).sort()).toEqual(
      ['account-documents', 'aggregate-partitions', 'attributes', 'daily-usage', 'rolling-windows', 'serve'].sort(),
    );
    expect(first.tasks.at(-1)!.task).toBe('serve');
    for (const t of first.tasks) {
      expect(t).toMatchObject({ state: 'completed', attempt: 1 });
      expect(Date.parse(t.startedAt)).toBeGreaterThanOrEqual(Date.parse(first.startedAt));
      expect(Date.parse(t.endedAt)).toBeLessThanOrEqual(Date.parse(first.endedAt));
      expect(t.durationMs).toBe(Date.parse(t.endedAt) - Date.parse(t.startedAt));
    }
    expect(first.tasks.find((t) => t.task === 'daily-usage')?.bytes).toBe(
      outputs.find((o) => o.key.endsWith('daily-usage.avro'))!.bytes,
    );
    expect(first).toMatchObject({
      trigger: 'rerun',
      requestedBy: 'ledger-test',
      pipelineVersion: 'v1',
      runKind: 'primary',
    });

    // Reruns replace the entry and keep the earlier runs, oldest first.
    expect(first.runId).toBe(firstRunId);
    expect(first.attempts.map((a) => [a.runId, a.state])).toEqual([[failedRunId, 'failed']]);
    expect(second.runId).toBe(secondRunId);
    expect(second.attempts.map((a) => [a.runId, a.state])).toEqual([
      [failedRunId, 'failed'],
      [firstRunId, 'completed'],
    ]);
    expect(second.counts).toEqual(first.counts);

    // The runs index holds the same entry, one document for the workflow id.
    expect(await indexedEntry()).toEqual(second);
    const count = await stack.es.count({ index: runsIndexName(indexPrefix), query: { term: { tenantId } } });
    expect(count.count).toBe(1);

    // `daybreak runs`: the entries for scripts, and the grid.
    const env = { ...process.env, DAYBREAK_ES_INDEX_PREFIX: indexPrefix };
    const daybreak = async (...args: string[]) =>
      (await exec(path.join(ROOT, 'bin/daybreak'), args, { env, cwd: ROOT })).stdout;
    const json = JSON.parse(await daybreak('runs', '--tenant', tenantId, '--json')) as RunLedgerEntry[];
    expect(json).toEqual([second]);
    expect(JSON.parse(await daybreak('runs', '--tenant', tenantId, '--from', '2026-03-09', '--json'))).toEqual([]);
    const grid = (await daybreak('runs', '--tenant', tenantId, '--from', DAY, '--to', DAY)).trimEnd().split('\n');
    expect(grid[1].split(/\s+/)).toEqual(
      expect.arrayContaining(['day', 'aggregate-partitions', 'serve', 'state', 'runs']),
    );
    const row = grid[2].split(/\s{2,}/);
    expect(row.slice(0, 3)).toEqual([DAY, 'v1', 'primary']);
    expect(row.slice(-3)).toEqual([expect.stringMatching(/^\d/), '3', 'rerun/ledger-test']);
    expect(row).toContain('completed');
  }, 180_000);

  it('records a shadow run beside its primary, under its own key and workflow id', async () => {
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const activities = createActivities(stackActivityDeps(stack, { taskQueue: base, indexPrefix }));
    const make = (version: string) =>
      Worker.create({
        connection: stack.connection,
        taskQueue: versionTaskQueue(base, version),
        workflowBundle,
        activities,
      });
    const workers = [await make('v1'), await make('v2')];
    const primary = await stack.client.workflow.start(tenantDayWorkflow, {
      taskQueue: versionTaskQueue(base, 'v1'),
      workflowId,
      args: [input({ shadow: { pipelineVersion: 'v2' } })],
    });
    const shadowEntry = await workers[0].runUntil(() =>
      workers[1].runUntil(async () => {
        await primary.result();
        await stack.client.workflow.getHandle(shadowWorkflowId).result();
        return JSON.parse((await stack.store.getBytes(runLedgerKey(shadowLoc))).toString('utf8')) as RunLedgerEntry;
      }),
    );
    expect(shadowEntry).toMatchObject({
      workflowId: shadowWorkflowId,
      pipelineVersion: 'v2',
      runKind: 'shadow',
      state: 'completed',
      trigger: 'rerun',
      requestedBy: 'ledger-test',
      attempts: [],
    });
    // The same inputs as the primary's, hand-derived in the first test.
    expect(shadowEntry.counts).toEqual({
      read: EVENTS + 20,
      accepted: EVENTS,
      quarantined: 0,
      duplicates: 0,
      outOfWindow: 20,
    });
    expect(shadowEntry.outputs.keys.map((k) => k.key)).toContain(`${outputPrefix(shadowLoc)}accounts.avro`);
    expect(shadowEntry.served?.index).toBe(`${indexPrefix}-accounts-v2.${tenantId}`);
    const indexed = await stack.es.get<RunLedgerEntry>({ index: runsIndexName(indexPrefix), id: shadowWorkflowId });
    expect(indexed._source).toEqual(shadowEntry);
    // The primary's entry now counts this as its fourth run.
    expect((await indexedEntry()).attempts).toHaveLength(3);
  }, 180_000);
});
