import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/common/search-attributes';
import { laneWorkflowId } from '../../src/common/ids';
import { createS3Client, createS3ObjectStore } from '../../src/workers/clients';
import { readConfig } from '../../src/workers/config';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import {
  TEST_RUN_ID_ENV,
  cleanupTestRun,
  createTestNamespace,
  newTestRunId,
  testNamespaceName,
} from '../support/test-run';

const ROOT = path.resolve(__dirname, '../..');
const runId = process.env[TEST_RUN_ID_ENV]!;
// A second, fake run for the teardown test: cleaning it must not touch this run's namespace.
const fakeRun = newTestRunId();

let stack: Stack;
let defaultClient: Client;
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await connectStack();
  defaultClient = new Client({ connection: stack.client.connection, namespace: 'default' });
});
afterAll(async () => {
  await cleanupTestRun(stack.config, fakeRun).catch(() => undefined);
  await stack.close();
});

async function existsIn(client: Client, workflowId: string): Promise<boolean> {
  try {
    await client.workflow.getHandle(workflowId).describe();
    return true;
  } catch (error) {
    if ((error as Error).name === 'WorkflowNotFoundError') return false;
    throw error;
  }
}

describe('integration runs leave the operator namespace clean', () => {
  it("run in a namespace of the run's own, with Daybreak's search attributes", async () => {
    expect(runId).toMatch(/^[0-9a-f]{6}$/);
    const namespace = readConfig().temporal.namespace;
    expect(namespace).toBe(testNamespaceName(runId));
    expect(stack.client.options.namespace).toBe(namespace);
    const listed = await stack.client.connection.operatorService.listSearchAttributes({ namespace });
    for (const key of ALL_SEARCH_ATTRIBUTE_KEYS) expect(Object.keys(listed.customAttributes ?? {})).toContain(key.name);
    // Names carry the run id, which is how the teardown finds them.
    expect(uniqueName('t')).toMatch(new RegExp(`^t-${runId}[0-9a-f]{6}$`));
  });

  it("a test's worker (no namespace given) serves the run's namespace, and default never sees the workflow", async () => {
    const taskQueue = uniqueName('isolation');
    const worker = await Worker.create({
      connection: stack.connection,
      taskQueue,
      workflowsPath: path.join(ROOT, 'test/support/isolation/workflows.ts'),
      activities: { ping: () => Promise.resolve('pong') },
    });
    expect(worker.options.namespace).toBe(testNamespaceName(runId));
    const workflowId = uniqueName('isolation');
    const result: string = await worker.runUntil(
      stack.client.workflow.execute<() => Promise<string>>('pingWorkflow', {
        workflowId,
        taskQueue,
        workflowExecutionTimeout: '1 minute',
      }),
    );
    expect(result).toBe('pong');
    expect(await existsIn(stack.client, workflowId)).toBe(true);
    expect(await existsIn(defaultClient, workflowId)).toBe(false);
  });

  it("the teardown removes the run's namespace, schedules, workflows, buckets, keys and indices, and nothing else", async () => {
    const config = stack.config;
    const namespace = testNamespaceName(fakeRun);
    await createTestNamespace(config, namespace);
    const client = new Client({ connection: stack.client.connection, namespace });
    await client.workflow.start('nobodyRunsThis', { workflowId: 'left-running', taskQueue: 'nobody-polls' });
    await client.schedule.create({
      scheduleId: 'left-scheduled',
      spec: { intervals: [{ every: '1 hour' }] },
      action: { type: 'startWorkflow', workflowType: 'nobodyRunsThis', taskQueue: 'nobody-polls' },
    });
    const owned = `${fakeRun}abcdef`;
    const bucket = `daybreak-cleanup-${owned}`;
    const s3 = createS3Client(config.s3);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'raw/a.avro', Body: 'x' }));
    const shared = await createS3ObjectStore(config.s3);
    const ownKey = `raw/tenant=t-${owned}/date=2026-03-05/hour=00/a.avro`;
    // Another run's name (8 hex digits, as uniqueName made them before run ids) that starts with the same digits.
    const neighbourKey = `raw/tenant=t-${fakeRun}ab/date=2026-03-05/hour=00/a.avro`;
    await shared.put(ownKey, Buffer.from('x'));
    await shared.put(neighbourKey, Buffer.from('x'));
    const index = `daybreak-cleanup-${owned}-accounts-v1.t`;
    await stack.es.indices.create({ index });

    try {
      const report = await cleanupTestRun(config, fakeRun);
      expect(report.problems).toEqual([]);
      expect(report.namespaces).toEqual([namespace]);
      expect(report.schedulesDeleted).toBe(1);
      expect(report.workflowsTerminated).toBeGreaterThanOrEqual(1);
      expect(report.bucketsDeleted).toEqual([bucket]);
      expect(report.indicesDeleted).toEqual([index]);
      await expect(stack.client.connection.workflowService.describeNamespace({ namespace })).rejects.toThrow(
        /not found/i,
      );
      await expect(s3.send(new HeadBucketCommand({ Bucket: bucket }))).rejects.toThrow();
      expect(await stack.es.indices.exists({ index })).toBe(false);
      expect(await shared.exists(ownKey)).toBe(false);
      expect(await shared.exists(neighbourKey)).toBe(true);
      // This run's own namespace is untouched by another run's teardown.
      await stack.client.connection.workflowService.describeNamespace({ namespace: testNamespaceName(runId) });
    } finally {
      await shared.delete(neighbourKey).catch(() => undefined);
      s3.destroy();
    }
  });

  it('the demo runs in the namespace it is given, creates it with the search attributes, and names it', async () => {
    const namespace = `${testNamespaceName(runId)}-demo`;
    const client = new Client({ connection: stack.client.connection, namespace });
    const store = await createS3ObjectStore({ ...stack.config.s3, bucket: uniqueName('daybreak-demo') });
    const taskQueue = uniqueName('demo');
    const lines: string[] = [];
    const result = await runDemo({
      client,
      temporalAddress: stack.config.temporal.address,
      store,
      es: stack.es,
      indexPrefix: uniqueName('daybreak-demo'),
      taskQueue,
      tenants: 1,
      eventsPerDay: 200,
      seed: 'isolation-test',
      startDay: '2026-03-12',
      baselineDays: 1,
      shadowDays: 0,
      log: (line) => lines.push(line),
      rolloutId: uniqueName('demo-rollout'),
    });
    expect(lines[0]).toBe(`namespace ${namespace} (created, with Daybreak search attributes)`);
    const listed = await client.connection.operatorService.listSearchAttributes({ namespace });
    for (const key of ALL_SEARCH_ATTRIBUTE_KEYS) expect(Object.keys(listed.customAttributes ?? {})).toContain(key.name);
    const lane = laneWorkflowId(result.tenants[0].id);
    expect((await client.workflow.getHandle(lane).describe()).taskQueue).toBe(taskQueue);
    // The demo's tenant ids are real-looking (acme, ...): a lane of that id in default is never the demo's.
    if (await existsIn(defaultClient, lane))
      expect((await defaultClient.workflow.getHandle(lane).describe()).taskQueue).not.toBe(taskQueue);
    // `npm start` runs the demo in daybreak-demo, and the README's walkthrough points there.
    expect(readFileSync(path.join(ROOT, 'scripts/demo.sh'), 'utf8')).toMatch(
      /demo_namespace="\$\{DAYBREAK_DEMO_NAMESPACE:-daybreak-demo\}"\nDAYBREAK_TEMPORAL_NAMESPACE="\$demo_namespace" bin\/daybreak demo/,
    );
    expect(readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toContain(
      'http://127.0.0.1:8233/namespaces/daybreak-demo/workflows',
    );
  });
});
