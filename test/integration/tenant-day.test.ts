import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import { generate } from '../../src/generator/generate';
import { versionTaskQueue } from '../../src/common/ids';
import type { TenantConfig } from '../../src/workflows/tenants/tenant-config';
import type { TenantDayInput } from '../../src/workflows/tenant-days/tenant-day-contracts';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createS3ObjectStore } from '../../src/workers/clients';
import { tenantDayWorkflow } from '../../src/workflows';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, stackActivityDeps, uniqueName } from '../support/stack';

let stack: Stack;
let store: S3ObjectStore;
let bucket: string;
let tenants: TenantConfig[];
let workflowBundle: { code: string };
const indexPrefix = uniqueName('daybreak-e2e');

beforeAll(async () => {
  stack = await connectStack();
  // A bucket of its own: the generator's tenant ids are fixed, so other test files must not share keys.
  bucket = uniqueName('daybreak-e2e');
  store = await createS3ObjectStore({ ...stack.config.s3, bucket });
  const summary = await generate(
    { tenants: 2, days: 3, eventsPerDay: 4000, seed: 'e2e', startDay: '2026-03-07' },
    store,
  );
  tenants = summary.tenants;
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
}, 180_000);
afterAll(async () => {
  await stack.close();
});

function dayInput(tenant: TenantConfig, day: string): TenantDayInput {
  return {
    tenantId: tenant.id,
    day,
    timeZone: tenant.timeZone,
    badDataPolicy: 'quarantine',
    pipelineVersion: 'v1',
    runKind: 'primary',
    trigger: 'test',
    maxPartitions: 4,
  };
}

describe('tenant-day on the real stack', () => {
  it('computes a DST day in New York from S3 to Elasticsearch, idempotently', async () => {
    const base = uniqueName('e2e');
    const ny = tenants.find((t) => t.timeZone === 'America/New_York')!;
    const worker = await Worker.create({
      connection: stack.connection,
      taskQueue: versionTaskQueue(base, 'v1'),
      workflowBundle,
      // Small test data would be one partition by size; this test is about the fan-out.
      activities: createActivities({
        ...stackActivityDeps(stack, { taskQueue: base, indexPrefix }),
        store,
        minPartitionBytes: 1,
      }),
    });
    const run = (id: string) =>
      stack.client.workflow.execute(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId: id,
        args: [{ ...dayInput(ny, '2026-03-08'), baseTaskQueue: base }],
      });
    const [first, firstBytes, second, secondBytes] = await worker.runUntil(async () => {
      const a = await run(uniqueName('td'));
      const aBytes = await store.getBytes(a.accountsKey);
      const b = await run(uniqueName('td'));
      return [a, aBytes, b, await store.getBytes(b.accountsKey)] as const;
    });
    const c = first.counts;
    expect(c.read).toBeGreaterThan(2000);
    expect(c.read).toBe(c.accepted + c.quarantined + c.duplicates + c.outOfWindow);
    expect(first.partitions).toBeGreaterThan(1);
    expect(first.tasks.map((t) => t.task)).toEqual(
      expect.arrayContaining(['aggregate-partitions', 'account-documents', 'serve']),
    );
    // The 23-hour day: a rerun rewrites the same bytes and the same documents, never more.
    expect(secondBytes.equals(firstBytes)).toBe(true);
    expect(second.served?.indexed).toBe(first.served?.indexed);
    const alias = `${indexPrefix}-accounts-${ny.id}`;
    const count = await stack.es.count({ index: alias });
    expect(count.count).toBe(first.served?.indexed);
  });

  it('finishes a run whose worker was killed with SIGKILL, with output identical to an undisturbed run', async () => {
    const base = uniqueName('kill');
    const tenant = tenants[0];
    const env = {
      ...process.env,
      DAYBREAK_STORE: 's3',
      DAYBREAK_S3_BUCKET: bucket,
      DAYBREAK_TASK_QUEUE: base,
      DAYBREAK_ES_INDEX_PREFIX: indexPrefix,
      DAYBREAK_PIPELINE_VERSIONS: 'v1',
      DAYBREAK_WORKER_COORDINATION: 'false',
      // Small test data would otherwise be one partition, finished before it could be killed.
      DAYBREAK_MIN_PARTITION_BYTES: '1',
      // No /metrics exporter: every worker would bind the default port (test/integration/metrics-endpoint.test.ts has its own).
      DAYBREAK_METRICS_ADDRESS: 'off',
    };
    // detached: its own process group, so a kill reaches the node process tsx starts, not just tsx.
    const startWorker = () =>
      spawn(process.execPath, [require.resolve('tsx/cli'), path.resolve(__dirname, '../../src/workers/main.ts')], {
        env,
        stdio: 'ignore',
        detached: true,
      });
    const killGroup = (child: ChildProcess, signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
    };

    // Undisturbed reference first.
    const reference = startWorker();
    let referenceBytes: Buffer;
    try {
      const result = await stack.client.workflow.execute(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId: uniqueName('ref'),
        args: [{ ...dayInput(tenant, '2026-03-07'), baseTaskQueue: base, partitionConcurrency: 1, maxPartitions: 8 }],
      });
      referenceBytes = await store.getBytes(result.accountsKey);
      await store.delete(result.accountsKey);
    } finally {
      killGroup(reference, 'SIGTERM');
    }

    let worker = startWorker();
    const spawned = [worker];
    try {
      const handle = await stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId: uniqueName('killed'),
        args: [{ ...dayInput(tenant, '2026-03-07'), baseTaskQueue: base, partitionConcurrency: 1, maxPartitions: 8 }],
      });
      // Kill the worker while the run has partition work pending (scheduled or in a worker's hands).
      const deadline = Date.now() + 120_000;
      for (;;) {
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING')
          throw new Error(`the run ${description.status.name} before it could be killed`);
        const pending = description.raw.pendingActivities ?? [];
        if (pending.some((a) => a.activityType?.name === 'aggregatePartition')) break;
        if (Date.now() > deadline) throw new Error('no partition activity pending within 2 minutes');
        await new Promise((r) => setTimeout(r, 20));
      }
      const exited = new Promise((r) => worker.once('exit', r));
      killGroup(worker, 'SIGKILL');
      await exited;
      expect((await handle.describe()).status.name).toBe('RUNNING');
      worker = startWorker();
      spawned.push(worker);
      const result = await handle.result();
      expect((await store.getBytes(result.accountsKey)).equals(referenceBytes)).toBe(true);
    } finally {
      // Whatever happened, no worker of this test outlives it.
      for (const child of spawned) killGroup(child, 'SIGTERM');
    }
  });
});
