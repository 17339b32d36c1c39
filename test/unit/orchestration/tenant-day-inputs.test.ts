import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3InputActivities } from '../../../src/activities/tenant-days/inputs';
import { createMetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { waitUntil } from '../../../src/client/wait-until';
import { generate } from '../../../src/generator/generate';
import { versionTaskQueue } from '../../../src/common/ids';
import { attributesKey } from '../../../src/common/keys';
import { localDayWindow } from '../../../src/common/local-day';
import type { TenantConfig } from '../../../src/workflows/tenants/tenant-config';
import type { TenantDayInput, TenantDayResult } from '../../../src/workflows/tenant-days/tenant-day-contracts';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { silentLogger } from '../../../src/workers/run-workers';
import { tenantDayWorkflow } from '../../../src/workflows';
import { installTestLogger } from '../../support/logging';
import { recordingActivities } from '../../support/recording-activities';

// Worker and workflow logs are held and printed only for a failing test.
installTestLogger();

/**
 * A tenant-day whose inputs have not arrived waits for them (a timer loop around a short check,
 * with backoff) until its deadline, on Temporal's time-skipping test server: hours of waiting take
 * seconds, and the real input and metric activities run over a filesystem store. Serving is
 * stood in for (it has tests of its own against Elasticsearch).
 */
const WORKFLOWS_PATH = path.resolve(__dirname, '../../../src/workflows/index.ts');
const HOUR = 3_600_000;

function testServerPath(): string {
  // Installed beside the temporal CLI by `npm run tools:install` (deploy/local/install-tools.sh).
  const cli = execFileSync('bash', [path.resolve(__dirname, '../../../deploy/local/stack.sh'), 'temporal-path'], {
    encoding: 'utf8',
  }).trim();
  const server = path.join(path.dirname(cli), 'temporal-test-server');
  if (!existsSync(server)) throw new Error(`no Temporal test server at ${server}: run \`npm run tools:install\``);
  return server;
}

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
let root: string;
let store: FsObjectStore;
let tenant: TenantConfig;
const base = 'inputs';
const day = '2026-03-07';

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  root = mkdtempSync(path.join(tmpdir(), 'daybreak-inputs-'));
  store = new FsObjectStore(root);
  tenant = (await generate({ tenants: 1, days: 1, eventsPerDay: 300, seed: 'inputs', startDay: day }, store))
    .tenants[0];
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: versionTaskQueue(base, 'v1'),
    workflowBundle: await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: silentLogger }),
    activities: {
      ...recordingActivities({ delayMs: 0 }).activities,
      ...createMetricActivities({ store, minPartitionBytes: 0 }),
      ...createS3InputActivities({ store }),
    },
  });
  running = worker.run();
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  if (root) rmSync(root, { recursive: true, force: true });
});

function input(extra: Partial<TenantDayInput>): TenantDayInput {
  return {
    tenantId: tenant.id,
    day,
    timeZone: tenant.timeZone,
    badDataPolicy: 'quarantine',
    pipelineVersion: 'v1',
    runKind: 'primary',
    trigger: 'test',
    baseTaskQueue: base,
    maxPartitions: 2,
    ...extra,
  };
}

async function details(handle: WorkflowHandle): Promise<string> {
  return (await handle.query(workflowMetadataQuery)).currentDetails ?? '';
}

async function checksOf(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'checkTenantDayInputs',
  ).length;
}

describe('a tenant-day waits for inputs that have not arrived', () => {
  it('waits while the attribute snapshot is missing, says so, and completes once it is written', async () => {
    const key = attributesKey(tenant.id, day);
    const snapshot = await store.getBytes(key);
    await store.delete(key);
    // The wait ends by arrival here; the deadline is out of the way.
    const handle = await env.client.workflow.start(tenantDayWorkflow, {
      taskQueue: versionTaskQueue(base, 'v1'),
      workflowId: 'waits-then-completes',
      args: [input({ inputWait: { deadlineHours: 24 * 3650 } })],
    });
    // Queries do not skip time: the run sits in its first backoff timer while this looks.
    await waitUntil(async () => (await details(handle)).startsWith('Waiting for inputs'), {
      what: 'the run to wait for inputs',
      timeoutMs: 30_000,
    });
    const waiting = await details(handle);
    expect(waiting).toContain(`Waiting for inputs of ${day} (${tenant.timeZone})`);
    expect(waiting).toContain(`missing attribute snapshot ${key}`);
    expect(waiting).not.toContain('raw events');
    expect((await handle.describe()).status.name).toBe('RUNNING');

    await store.put(key, snapshot);
    // Awaiting the result lets the server skip to the next check, which finds the snapshot.
    const result: TenantDayResult = await handle.result();
    expect(result.counts.accepted).toBeGreaterThan(0);
    expect(result.tasks.map((t) => t.task)).toContain('attributes');
    expect(await checksOf(handle)).toBe(2);
    expect(await details(handle)).toMatch(/^Done: /);
  });

  it('fails once, after its deadline, naming every missing input, when they never arrive', async () => {
    const nodata = 'no-such-data';
    const window = localDayWindow(day, tenant.timeZone);
    // A deadline about 12 hours ahead of the test server's clock (skipped ahead by earlier tests).
    const deadlineHours = Math.ceil((Number(await env.currentTimeMs()) - window.endMs) / HOUR) + 12;
    const deadlineMs = window.endMs + deadlineHours * HOUR;
    const handle = await env.client.workflow.start(tenantDayWorkflow, {
      taskQueue: versionTaskQueue(base, 'v1'),
      workflowId: 'never-arrives',
      args: [input({ tenantId: nodata, inputWait: { deadlineHours } })],
    });
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.type).toBe('InputsNotArrivedError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`inputs of tenant ${nodata} day ${day} (${tenant.timeZone}) did not arrive`);
    expect(failure.message).toContain(`deadline ${new Date(deadlineMs).toISOString()}`);
    expect(failure.message).toContain(`attribute snapshot ${attributesKey(nodata, day)}`);
    expect(failure.message).toContain(`raw events: no objects in any of the day's ${window.utcHours.length} UTC hours`);
    // It waited the whole time, on backoff: 1, 2, 4, 8, 16 and then every 30 minutes (about 30 checks in 12 h).
    const described = await handle.describe();
    expect(described.closeTime!.getTime()).toBeGreaterThanOrEqual(deadlineMs);
    const checks = await checksOf(handle);
    expect(checks).toBeGreaterThan(20);
    expect(checks).toBeLessThan(40);
  });
});
