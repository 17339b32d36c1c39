import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as avro from 'avsc';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeContainerBytes, encodeContainer } from '../../src/schemas/avro-container';
import { RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT, RAW_EVENT_VERSIONS } from '../../src/schemas/raw-event-schemas';
import { SchemaRegistry, schemaFingerprint } from '../../src/schemas/registry';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import { versionTaskQueue } from '../../src/common/ids';
import { rawEventsKey } from '../../src/common/keys';
import type { BadDataPolicy } from '../../src/workflows/tenants/tenant-config';
import type { TenantDayInput, TenantDayResult } from '../../src/workflows/tenant-days/tenant-day-contracts';
import { readAll } from '../../src/storage/object-store';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createS3Client, createS3ObjectStore } from '../../src/workers/clients';
import { tenantDayWorkflow } from '../../src/workflows';
import { accountDocumentType } from '../support/account-documents';
import { writeAttributes } from '../support/metric-fixtures';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';

/**
 * Issue 12, point 4: the worker process (src/workers/main.ts, as `npm run worker` starts it) checks
 * every raw file's writer schema against the registry in its store, on the activity's thread and in
 * partition threads alike. Each tenant's day has two files of registered producer schemas (v3, v2)
 * and one of a schema nobody registered (v3 plus a field); every count below is derived by hand
 * from the events written here, never from the code under test.
 */

const DAY = '2026-03-10';
// Berlin is UTC+1 on that day: its local day is [03-09T23:00Z, 03-10T23:00Z).
const TIME_ZONE = 'Europe/Berlin';
const ACCOUNTS = ['acc-a', 'acc-b', 'acc-c'];

let stack: Stack;
let store: S3ObjectStore;
let bucket: string;
const indexPrefix = uniqueName('daybreak-schemas');
const workers: ChildProcess[] = [];
const workflowIds: string[] = [];
const workerLogs = new Map<string, string>();

interface Planted {
  tenantId: string;
  registeredKeys: string[];
  unregisteredKey: string;
  unregisteredFingerprint: string;
}

function at(hour: number, minute: number): number {
  return Date.parse(`${DAY}T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00Z`);
}

async function putFile(key: string, type: avro.Type, records: object[]): Promise<void> {
  await store.put(key, await readAll(encodeContainer(type, records, 'deflate')));
}

/**
 * acc-a: 5 events (v3 file) + 4 in the unregistered file; acc-b: 3 (v3) + 2 (v2 file);
 * acc-c: 6 in the unregistered file only. Registered: 10 events; unregistered: 10.
 */
async function plantTenantDay(tenantId: string): Promise<Planted> {
  const v3 = (accountId: string, i: number, ms: number) => ({
    eventId: `${tenantId}-${accountId}-${i}`,
    tenantId,
    accountId,
    userId: `user-${i % 2}`,
    type: 'login',
    occurredAt: ms,
    value: 1,
    properties: { plan: 'pro' },
    sessionId: `s-${i}`,
  });
  const v3Key = rawEventsKey(tenantId, { date: DAY, hour: 8 }, 'events-v3.avro');
  await putFile(v3Key, avro.Type.forSchema(RAW_EVENT_SCHEMAS[3]), [
    ...[0, 1, 2, 3, 4].map((i) => v3('acc-a', i, at(8, i))),
    ...[5, 6, 7].map((i) => v3('acc-b', i, at(8, 10 + i))),
  ]);
  const v2Key = rawEventsKey(tenantId, { date: DAY, hour: 9 }, 'events-v2.avro');
  await putFile(
    v2Key,
    avro.Type.forSchema(RAW_EVENT_SCHEMAS[2]),
    [8, 9].map((i) => {
      const { userId, ...rest } = v3('acc-b', i, at(9, i));
      return { ...rest, user: userId };
    }),
  );
  // The generator's --corrupt file: readable as v3, but its writer schema was never registered.
  const base = RAW_EVENT_SCHEMAS[3] as { fields: object[] };
  const unregistered = avro.Type.forSchema({
    ...(RAW_EVENT_SCHEMAS[3] as object),
    doc: 'A producer build that was never registered.',
    fields: [...base.fields, { name: 'experiment', type: 'string', default: 'control' }],
  } as avro.Schema);
  const unregisteredKey = rawEventsKey(tenantId, { date: DAY, hour: 10 }, 'experiment.avro');
  await putFile(unregisteredKey, unregistered, [
    ...[10, 11, 12, 13].map((i) => ({ ...v3('acc-a', i, at(10, i)), experiment: 'variant-b' })),
    ...[14, 15, 16, 17, 18, 19].map((i) => ({ ...v3('acc-c', i, at(10, i)), experiment: 'variant-b' })),
  ]);
  await writeAttributes(store, tenantId, DAY, ACCOUNTS);
  return {
    tenantId,
    registeredKeys: [v3Key, v2Key],
    unregisteredKey,
    unregisteredFingerprint: schemaFingerprint(unregistered),
  };
}

function startWorker(name: string, partitionThreads: number): string {
  const base = uniqueName(`schemas-${name}`);
  const env = {
    ...process.env,
    DAYBREAK_STORE: 's3',
    DAYBREAK_S3_BUCKET: bucket,
    DAYBREAK_TASK_QUEUE: base,
    DAYBREAK_ES_INDEX_PREFIX: indexPrefix,
    DAYBREAK_PIPELINE_VERSIONS: 'v1',
    DAYBREAK_WORKER_COORDINATION: 'false',
    DAYBREAK_PARTITION_THREADS: String(partitionThreads),
    // One partition per file: the unregistered file is a partition of its own, next to good ones.
    DAYBREAK_MIN_PARTITION_BYTES: '1',
    // No /metrics exporter: every worker would bind the default port (test/integration/metrics-endpoint.test.ts has its own).
    DAYBREAK_METRICS_ADDRESS: 'off',
  };
  // detached: its own process group, so the SIGTERM in afterAll reaches the node process tsx starts.
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), path.resolve(__dirname, '../../src/workers/main.ts')],
    { env, stdio: ['ignore', 'ignore', 'pipe'], detached: true },
  );
  workerLogs.set(name, '');
  child.stderr.on('data', (chunk: Buffer) => workerLogs.set(name, workerLogs.get(name)! + chunk.toString('utf8')));
  workers.push(child);
  return base;
}

function runDay(base: string, tenantId: string, badDataPolicy: BadDataPolicy): Promise<TenantDayResult> {
  const workflowId = uniqueName('schemas-td');
  workflowIds.push(workflowId);
  const input: TenantDayInput = {
    tenantId,
    day: DAY,
    timeZone: TIME_ZONE,
    badDataPolicy,
    pipelineVersion: 'v1',
    runKind: 'primary',
    trigger: 'test',
    maxPartitions: 3,
    partitionConcurrency: 3,
    baseTaskQueue: base,
  };
  return stack.client.workflow.execute(tenantDayWorkflow, {
    taskQueue: versionTaskQueue(base, 'v1'),
    workflowId,
    args: [input],
  });
}

async function eventsTotals(accountsKey: string): Promise<Record<string, number>> {
  const docs = decodeContainerBytes<AccountDocument>(
    await store.getBytes(accountsKey),
    accountDocumentType,
    accountsKey,
  );
  return Object.fromEntries(docs.map((d) => [d.accountId, d.eventsTotal]));
}

async function expectQuarantined(base: string, planted: Planted): Promise<void> {
  const result = await runDay(base, planted.tenantId, 'quarantine');
  expect(result.partitions).toBe(3);
  expect(result.counts).toEqual({ read: 20, accepted: 10, quarantined: 10, duplicates: 0, outOfWindow: 0 });
  // The whole file, under the run day, its source key flattened (the README's key layout).
  const quarantined = `quarantine/tenant=${planted.tenantId}/date=${DAY}/raw_tenant=${planted.tenantId}_date=${DAY}_hour=10_experiment.avro/whole-file.avro`;
  expect(result.quarantineKeys).toEqual([quarantined]);
  // The quarantined object is the refused file, byte for byte.
  expect((await store.getBytes(quarantined)).equals(await store.getBytes(planted.unregisteredKey))).toBe(true);
  // Only the registered files' events: acc-a 5 (not 9), acc-b 3 + 2, acc-c none (not 6).
  expect(await eventsTotals(result.accountsKey)).toEqual({ 'acc-a': 5, 'acc-b': 5, 'acc-c': 0 });
}

async function expectRefused(base: string, planted: Planted): Promise<void> {
  const error = await runDay(base, planted.tenantId, 'fail').then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const activity = (error as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  expect((activity as ActivityFailure).activityType).toBe('aggregatePartition');
  const failure = (activity as ActivityFailure).cause;
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'CorruptDataError', nonRetryable: true });
  expect((failure as ApplicationFailure).message).toBe(
    `tenant ${planted.tenantId}: object ${planted.unregisteredKey} at byte 0: unknown schema fingerprint ${planted.unregisteredFingerprint}`,
  );
}

beforeAll(async () => {
  stack = await connectStack();
  bucket = uniqueName('daybreak-schemas');
  store = await createS3ObjectStore({ ...stack.config.s3, bucket });
  // The producers' schemas, registered the way the generator does (all versions, in order).
  const registry = new SchemaRegistry(store);
  for (const version of RAW_EVENT_VERSIONS) await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[version]);
});

afterAll(async () => {
  try {
    for (const child of workers) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    for (const workflowId of workflowIds) {
      await stack.client.workflow
        .getHandle(workflowId)
        .terminate('test done')
        .catch(() => undefined);
      await stack.client.workflowService
        .deleteWorkflowExecution({ namespace: stack.config.temporal.namespace, workflowExecution: { workflowId } })
        .catch(() => undefined);
    }
    await stack.es.indices.delete({ index: `${indexPrefix}-*`, ignore_unavailable: true, allow_no_indices: true });
    if (store) {
      for await (const o of store.list('')) await store.delete(o.key);
      const s3 = createS3Client(stack.config.s3);
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      s3.destroy();
    }
  } finally {
    await stack.close();
  }
});

describe('the worker process checks raw files against the schema registry', () => {
  it('on the activity thread: quarantines an unregistered writer schema, or fails the run naming tenant and key', async () => {
    const base = startWorker('inline', 0);
    const planted = await plantTenantDay(uniqueName('schemas-inline'));
    try {
      await expectQuarantined(base, planted);
      await expectRefused(base, planted);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nworker stderr:\n${workerLogs.get('inline')}`, { cause: error });
    }
  });

  it('in partition threads (DAYBREAK_PARTITION_THREADS=2): the same quarantine and the same refusal', async () => {
    const base = startWorker('threads', 2);
    const planted = await plantTenantDay(uniqueName('schemas-threads'));
    try {
      await expectQuarantined(base, planted);
      await expectRefused(base, planted);
    } catch (error) {
      throw new Error(`${(error as Error).message}\nworker stderr:\n${workerLogs.get('threads')}`, { cause: error });
    }
  });
});
