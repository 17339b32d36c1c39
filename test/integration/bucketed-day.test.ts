import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { laneState } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { outputKey, outputPrefix } from '../../src/common/keys';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createS3ObjectStore } from '../../src/workers/clients';
import { tenantDayWorkflow } from '../../src/workflows';
import type { TenantDayInput, TenantDayResult } from '../../src/workflows/tenant-days/tenant-day-contracts';
import { deleteDayOutputs, removeBucket } from '../support/day-outputs';
import { writeAttributes, writeRawDay } from '../support/metric-fixtures';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, stackActivityDeps, uniqueName } from '../support/stack';

/**
 * The tenant-day workflow over account buckets on the real stack (issue 15, points 3 and 5): a day
 * forced to 4 buckets and 2 partitions writes the accounts.avro of 1 bucket, byte for byte, and
 * `daybreak rerun --from-task` through the lane keeps the stored bucket count.
 */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const ZONE = 'America/New_York';
const PREVIOUS = '2026-06-09';
const DAY = '2026-06-10';

let stack: Stack;
let store: S3ObjectStore;
let activities: ReturnType<typeof createActivities>;
let workflowBundle: { code: string };
const bucket = uniqueName('daybreak-bucketed');
const tenantId = uniqueName('bucketed');
const base = uniqueName('bucketed-q');
const indexPrefix = uniqueName('daybreak-bucketed');
const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-bucketed-'));
const ref = { tenantId, day: DAY, pipelineVersion: 'v1', runKind: 'primary' as const };

beforeAll(async () => {
  stack = await connectStack();
  store = await createS3ObjectStore({ ...stack.config.s3, bucket });
  for (const [day, seed] of [
    [PREVIOUS, 1],
    [DAY, 2],
  ] as const) {
    await writeRawDay(store, tenantId, day, ZONE, 3000, seed);
    await writeAttributes(store, tenantId, day);
  }
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  // Small test data would be one partition by size; these runs are about the fan-out.
  activities = createActivities({
    ...stackActivityDeps(stack, { taskQueue: base, indexPrefix }),
    store,
    minPartitionBytes: 1,
  });
}, 180_000);

afterAll(async () => {
  await stack.client.workflow
    .getHandle(laneWorkflowId(tenantId))
    .terminate('test done')
    .catch(() => undefined);
  await deleteDayOutputs(store, stack.es, indexPrefix).catch(() => undefined);
  // The runs index of the ledger too, and any other index under the prefix.
  const left = await stack.es.cat.indices({ index: `${indexPrefix}*`, format: 'json' }).catch(() => []);
  const names = left.flatMap((i) => (i.index ? [i.index] : []));
  if (names.length > 0) await stack.es.indices.delete({ index: names, ignore_unavailable: true });
  await removeBucket({ ...stack.config.s3, bucket }, store).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  await stack.close();
});

function input(day: string, extra: Partial<TenantDayInput> = {}): TenantDayInput {
  return {
    tenantId,
    day,
    timeZone: ZONE,
    badDataPolicy: 'quarantine',
    pipelineVersion: 'v1',
    runKind: 'primary',
    trigger: 'test',
    baseTaskQueue: base,
    ...extra,
  };
}

/** Runs while workers poll the lane's queue and the version's (a worker runs once: new ones each time). */
async function withWorkers<T>(fn: () => Promise<T>): Promise<T> {
  const [lanes, days] = await Promise.all(
    [base, versionTaskQueue(base, 'v1')].map((taskQueue) =>
      Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
    ),
  );
  return lanes.runUntil(days.runUntil(fn));
}

const execute = (args: TenantDayInput): Promise<TenantDayResult> =>
  stack.client.workflow.execute(tenantDayWorkflow, {
    taskQueue: versionTaskQueue(base, 'v1'),
    workflowId: uniqueName('bucketed-day'),
    args: [args],
  });

async function listed(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(outputKey(ref, prefix))) keys.push(o.key.slice(outputPrefix(ref).length));
  return keys.sort();
}

const bucketFiles = (dataset: string) => [1, 2, 3, 4].map((b) => `${dataset}/bucket-000${b}-of-0004.avro`);

describe('a tenant-day over account buckets on the real stack', () => {
  let single: Buffer;

  it('4 buckets over 2 partitions write the accounts.avro of 1 bucket, byte for byte', async () => {
    const [one, oneBytes, four, fourBytes] = await withWorkers(async () => {
      await execute(input(PREVIOUS, { buckets: 1 }));
      const a = await execute(input(DAY, { buckets: 1, maxPartitions: 2 }));
      const aBytes = await store.getBytes(a.accountsKey);
      const b = await execute(input(DAY, { buckets: 4, maxPartitions: 2, bucketConcurrency: 2 }));
      return [a, aBytes, b, await store.getBytes(b.accountsKey)] as const;
    });
    single = oneBytes;
    expect(four.partitions).toBe(2);
    expect(four.accountsKey).toBe(one.accountsKey);
    expect(fourBytes.equals(oneBytes)).toBe(true);
    expect(four.counts).toEqual(one.counts);
    expect(four.served?.indexed).toBe(one.served?.indexed);
    // The 4-bucket run wrote bucket sets and left no single file of before beside them.
    expect(await listed('daily-usage')).toEqual(bucketFiles('daily-usage'));
    expect(await listed('rolling')).toEqual(bucketFiles('rolling'));
    expect(four.tasks.find((t) => t.task === 'daily-usage')?.outputKey).toBe(outputKey(ref, 'daily-usage'));
    expect(one.tasks.find((t) => t.task === 'daily-usage')?.outputKey).toBe(outputKey(ref, 'daily-usage.avro'));
  }, 300_000);

  it('daybreak rerun --from-task rolling-windows, through the lane, keeps the 4 stored buckets and the bytes', async () => {
    const tenantsFile = path.join(dir, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify({ tenants: [{ id: tenantId, displayName: tenantId, timeZone: ZONE, runHour: 1 }] }),
    );
    const env = { ...process.env, DAYBREAK_TENANTS_FILE: tenantsFile, DAYBREAK_TASK_QUEUE: base };
    const finished = await withWorkers(async () => {
      const { stdout } = await run(
        path.join(ROOT, 'bin/daybreak'),
        ['rerun', '--tenant', tenantId, '--day', DAY, '--from-task', 'rolling-windows', '--by', 'ci'],
        { env, cwd: ROOT },
      );
      expect(stdout).toContain(`queued rerun of ${tenantId} ${DAY}`);
      await waitUntil(async () => (await laneState(stack.client, tenantId)).finished.some((f) => f.day === DAY), {
        what: 'the rerun',
        timeoutMs: 240_000,
      });
      return (await laneState(stack.client, tenantId)).finished.find((f) => f.day === DAY)!;
    });
    expect(finished).toMatchObject({ kind: 'rerun', status: 'completed' });
    const result = (await stack.client.workflow
      .getHandle(tenantDayWorkflowId(tenantId, DAY, 'v1', 'primary'))
      .result()) as TenantDayResult;
    expect(result.tasks.map((t) => t.task)).toEqual(['rolling-windows', 'account-documents', 'serve']);
    expect(result.tasks[0].outputKey).toBe(outputKey(ref, 'rolling'));
    expect((await store.getBytes(result.accountsKey)).equals(single)).toBe(true);
    expect(await listed('rolling')).toEqual(bucketFiles('rolling'));
    expect(await listed('daily-usage')).toEqual(bucketFiles('daily-usage'));
  }, 300_000);
});
