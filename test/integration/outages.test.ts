import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { temporal } from '@temporalio/proto';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import type { LaneDefaults } from '../../src/client/lanes';
import { laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { addDays } from '../../src/common/days';
import { backfillWorkflowId, laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { Endpoints } from '../../src/common/outage';
import { historyIndexName, servingIndexName } from '../../src/workflows/serving/serving-contracts';
import type { TenantConfig } from '../../src/workflows/tenants/tenant-config';
import type { ObjectStore } from '../../src/storage/object-store';
import { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createElasticsearchClient, createS3Client, ensureBucket } from '../../src/workers/clients';
import { PartitionThreadPool } from '../../src/workers/partition-threads';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { backfillWorkflow } from '../../src/workflows/backfills/backfill';
import { backfillProgressQuery } from '../../src/workflows/backfills/backfill-messages';
import { writeAttributes, writeRawDay } from '../support/metric-fixtures';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, stackActivityDeps, testTenant, uniqueName } from '../support/stack';
import type { TcpProxy } from '../support/tcp-proxy';
import { startTcpProxy, targetOf } from '../support/tcp-proxy';

/**
 * Issue 18, point 2: a dependency outage of minutes is ridden out by the activities' retry policy
 * (workflows/activity-options.ts, activities/supervised.ts), not turned into failed tenant-days,
 * spent lane attempts or paused backfills. The outage is made at the network: the worker under
 * test reaches versitygw or Elasticsearch through a TCP proxy the test owns and takes down (the
 * shared servers keep running for everybody else). Outputs are compared with an undisturbed run of
 * the same data in a bucket and index prefix of its own.
 */

const OUTAGE_MS = 180_000;
const TEST_TIMEOUT_MS = 330_000;
const D1 = '2026-09-14';
const DAYS = [D1, addDays(D1, 1), addDays(D1, 2)];
const EVENTS_PER_DAY = 1500;

let stack: Stack;
let workflowBundle: { code: string };
let s3Proxy: TcpProxy;
let esProxy: TcpProxy;
const buckets: { name: string; store: S3ObjectStore; close(): void }[] = [];
const indexPrefixes: string[] = [];
const lanes: string[] = [];
const pools: PartitionThreadPool[] = [];

beforeAll(async () => {
  stack = await connectStack();
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  s3Proxy = await startTcpProxy(targetOf(stack.config.s3.endpoint));
  esProxy = await startTcpProxy(targetOf(stack.config.elasticsearch.url));
}, 120_000);

afterAll(async () => {
  // Whatever happened, the proxies are up again so that clean-up through them cannot hang.
  await s3Proxy?.close();
  await esProxy?.close();
  for (const pool of pools) await pool.close();
  for (const id of lanes) {
    await stack.client.workflow
      .getHandle(id)
      .terminate('test done')
      .catch(() => undefined);
  }
  for (const bucket of buckets) {
    const keys: string[] = [];
    for await (const object of bucket.store.list('')) keys.push(object.key);
    for (const key of keys) await bucket.store.delete(key);
    await createS3Client(stack.config.s3)
      .send(new DeleteBucketCommand({ Bucket: bucket.name }))
      .catch(() => undefined);
    bucket.close();
  }
  const rows = await stack.es.cat.indices({ format: 'json', h: 'index', expand_wildcards: 'all' });
  const indices = rows.map((r) => r.index ?? '').filter((name) => indexPrefixes.some((p) => name.startsWith(`${p}-`)));
  if (indices.length) await stack.es.indices.delete({ index: indices, ignore_unavailable: true });
  await stack.close();
}, 120_000);

/** A bucket of the test's own, reached directly or through `endpoint` (a proxy). */
async function newBucket(prefix: string, endpoint = stack.config.s3.endpoint): Promise<S3ObjectStore> {
  const name = uniqueName(prefix);
  await ensureBucket(createS3Client(stack.config.s3), name);
  const s3 = createS3Client({ ...stack.config.s3, endpoint });
  const store = new S3ObjectStore(s3, name);
  buckets.push({ name, store: new S3ObjectStore(createS3Client(stack.config.s3), name), close: () => s3.destroy() });
  return store;
}

/** The same raw events and attribute snapshots for every tenant and day, in every store given. */
async function writeInputs(stores: ObjectStore[], tenants: TenantConfig[]): Promise<void> {
  for (const store of stores) {
    for (const tenant of tenants) {
      for (const day of DAYS) {
        await writeRawDay(store, tenant.id, day, tenant.timeZone, EVENTS_PER_DAY, 7);
        await writeAttributes(store, tenant.id, day);
      }
    }
  }
}

const settingsOf = (tenant: TenantConfig) => ({ timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy });

interface Deployment {
  base: string;
  defaults: LaneDefaults;
  workers: Worker[];
}

/** In-process workers of one deployment: coordination, live and backfill queues of v1. */
async function deploy(options: {
  base: string;
  store: ObjectStore;
  es: ElasticsearchClient;
  indexPrefix: string;
  tenants: TenantConfig[];
  endpoints: Endpoints;
  /** Partition aggregation in a thread (as a worker does by default), its own S3 client at this endpoint. */
  threadsS3Endpoint?: string;
}): Promise<Deployment> {
  const bucket = options.store.description.replace(/^s3:\/\//, '');
  const threads = options.threadsS3Endpoint
    ? new PartitionThreadPool({
        threads: 1,
        store: { kind: 's3', s3: { ...stack.config.s3, endpoint: options.threadsS3Endpoint, bucket } },
      })
    : undefined;
  if (threads) pools.push(threads);
  const activities = createActivities({
    ...stackActivityDeps(stack, {
      taskQueue: options.base,
      indexPrefix: options.indexPrefix,
      tenants: options.tenants,
    }),
    store: options.store,
    es: options.es,
    endpoints: options.endpoints,
    // Several partitions per day even on small data: more activities in flight when the outage starts.
    minPartitionBytes: 1,
    partitionRunner: threads?.runner,
  });
  const queues = [options.base, versionTaskQueue(options.base, 'v1'), versionTaskQueue(options.base, 'v1', 'backfill')];
  const workers = await Promise.all(
    queues.map((taskQueue) => Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities })),
  );
  return { base: options.base, defaults: { taskQueue: options.base, primaryVersion: 'v1' }, workers };
}

/**
 * A run's record of itself (its workflow ids, times and attempts), written next to its outputs:
 * different in every run by design, so not part of what must be identical.
 */
const RUN_RECORDS = new Set(['run-ledger.json']);

/** Every data object under the outputs and quarantine prefixes of `tenants`, keyed by key. */
async function outputsOf(store: ObjectStore, tenants: TenantConfig[]): Promise<Map<string, Buffer>> {
  const objects = new Map<string, Buffer>();
  for (const tenant of tenants) {
    for (const prefix of [`outputs/version=v1/kind=primary/tenant=${tenant.id}/`, `quarantine/tenant=${tenant.id}/`]) {
      for await (const object of store.list(prefix)) {
        if (RUN_RECORDS.has(object.key.slice(object.key.lastIndexOf('/') + 1))) continue;
        objects.set(object.key, await store.getBytes(object.key));
      }
    }
  }
  return objects;
}

function expectSameObjects(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  const differing = [...expected].filter(([key, bytes]) => !actual.get(key)?.equals(bytes)).map(([key]) => key);
  expect(differing).toEqual([]);
}

/** The served documents of a tenant (latest view and history), by index kind and id. */
async function servedDocuments(es: ElasticsearchClient, indexPrefix: string, tenant: TenantConfig) {
  const documents: Record<string, [string, unknown][]> = {};
  for (const [kind, index] of [
    ['latest', servingIndexName(indexPrefix, tenant.id, 'v1')],
    ['history', historyIndexName(indexPrefix, tenant.id, 'v1')],
  ] as const) {
    const response = await es.search({ index, size: 10_000, query: { match_all: {} } });
    documents[kind] = response.hits.hits
      .map((hit): [string, unknown] => [hit._id!, hit._source])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
  return documents;
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

async function pendingActivities(workflowId: string): Promise<PendingActivity[]> {
  const description = await stack.client.workflow.getHandle(workflowId).describe();
  return description.raw.pendingActivities ?? [];
}

/**
 * Waits until a pending activity of `workflowId` is past its first attempt and its last failure
 * names the dependency that is down; returns it.
 */
async function retryingOn(workflowId: string, message: string, timeoutMs: number): Promise<PendingActivity> {
  let found: PendingActivity | undefined;
  await waitUntil(
    async () => {
      found = (await pendingActivities(workflowId)).find(
        (a) => (a.attempt ?? 0) > 1 && (a.lastFailure?.message ?? '').includes(message),
      );
      return found !== undefined;
    },
    { what: `an activity of ${workflowId} retrying on "${message}"`, timeoutMs, intervalMs: 1000 },
  );
  return found!;
}

async function isRunning(workflowId: string): Promise<boolean> {
  try {
    return (await stack.client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch {
    return false; // not started yet
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Lanes are per tenant id: the reference run's must end before the disturbed run starts its own. */
async function endLanes(tenants: TenantConfig[]): Promise<void> {
  for (const tenant of tenants) {
    await stack.client.workflow
      .getHandle(laneWorkflowId(tenant.id))
      .terminate('reference run done')
      .catch(() => undefined);
  }
}

function expectOneCleanAttemptPerDay(state: Awaited<ReturnType<typeof laneState>>, kind: string, days: string[]): void {
  expect(state.finished.filter((f) => f.status === 'failed')).toEqual([]);
  expect(state.retrying).toEqual([]);
  expect(state.finished.map((f) => ({ day: f.day, kind: f.kind, status: f.status, attempts: f.attempts }))).toEqual(
    days.map((day) => ({ day, kind, status: 'completed', attempts: 1 })),
  );
}

describe('dependency outages are ridden out', () => {
  it(
    'S3 down for 3 minutes during a lane run and a backfill: every day completes once, byte-identical, nothing paused',
    async () => {
      const daily = testTenant(uniqueName('outage-daily'), 'Europe/Berlin');
      const backfilled = testTenant(uniqueName('outage-bf'), 'UTC');
      const tenants = [daily, backfilled];
      lanes.push(...tenants.map((t) => laneWorkflowId(t.id)));
      const proxied = `http://${s3Proxy.address}`;
      const referenceStore = await newBucket('daybreak-outage-ref');
      const store = await newBucket('daybreak-outage', proxied);
      const directStore = buckets.at(-1)!.store;
      await writeInputs([referenceStore, directStore], tenants);
      const indexPrefix = uniqueName('daybreak-outage');
      indexPrefixes.push(indexPrefix);

      const dailyRunId = tenantDayWorkflowId(daily.id, DAYS[2], 'v1', 'primary');
      const backfillId = backfillWorkflowId(backfilled.id, DAYS[0], DAYS[2]);
      // The same two runs in both deployments: tenant `daily`'s last day through its lane (as its
      // schedule would request it), and a backfill of tenant `backfilled`'s three days, side by side.
      const runBoth = async (deployment: Deployment) => {
        await requestRun(
          stack.client,
          daily.id,
          { day: DAYS[2], kind: 'daily', requestedBy: 'test', tenant: settingsOf(daily) },
          deployment.defaults,
        );
        return stack.client.workflow.start(backfillWorkflow, {
          taskQueue: deployment.base,
          workflowId: backfillId,
          args: [{ tenantId: backfilled.id, fromDay: DAYS[0], toDay: DAYS[2], tenant: settingsOf(backfilled) }],
        });
      };
      const dailyDone = async () => (await laneState(stack.client, daily.id)).finished.some((f) => f.day === DAYS[2]);

      // Undisturbed reference.
      const referencePrefix = uniqueName('daybreak-outage-ref');
      indexPrefixes.push(referencePrefix);
      const reference = await deploy({
        base: uniqueName('outage-ref'),
        store: referenceStore,
        es: stack.es,
        indexPrefix: referencePrefix,
        tenants,
        endpoints: { S3: stack.config.s3.endpoint },
        threadsS3Endpoint: stack.config.s3.endpoint,
      });
      await runWorkersUntil(reference.workers, async () => {
        const backfill = await runBoth(reference);
        await backfill.result();
        await waitUntil(dailyDone, { what: 'the reference daily run', timeoutMs: 120_000 });
      });
      await endLanes(tenants);
      const expected = await outputsOf(referenceStore, tenants);
      expect(expected.size).toBeGreaterThan(0);

      const deployment = await deploy({
        base: uniqueName('outage'),
        store,
        es: stack.es,
        indexPrefix,
        tenants,
        endpoints: { S3: proxied, Elasticsearch: stack.config.elasticsearch.url },
        threadsS3Endpoint: proxied,
      });
      const outageMessage = `S3 at ${s3Proxy.address}: connection refused`;
      const seen = await runWorkersUntil(deployment.workers, async () => {
        const backfill = await runBoth(deployment);
        let downDuring = '';
        // Down in the middle of the daily run, its inputs found and its data work in flight (in
        // the proxy's hands, so requests are cut as well as refused).
        await waitUntil(
          async () =>
            (await isRunning(dailyRunId)) &&
            (await pendingActivities(dailyRunId)).some((a) => a.activityType?.name !== 'checkTenantDayInputs'),
          { what: 'the daily tenant-day past its input check', timeoutMs: 60_000, intervalMs: 50 },
        );
        await s3Proxy.down();
        const downAt = Date.now();
        downDuring = (await pendingActivities(dailyRunId)).map((a) => a.activityType?.name).join(', ');
        let during;
        try {
          // What an operator sees meanwhile (Web UI, `temporal workflow describe`): the activity is
          // retrying, and its last failure says what it waits for.
          const dailyActivity = await retryingOn(dailyRunId, outageMessage, 90_000);
          // ... and the run's own current details say it too (Web UI "Current details").
          let dailyDetails = '';
          await waitUntil(
            async () => {
              dailyDetails =
                (await stack.client.workflow.getHandle(dailyRunId).query(workflowMetadataQuery)).currentDetails ?? '';
              return dailyDetails.includes(`waiting for ${outageMessage}, attempt`);
            },
            { what: "the daily run's current details naming the outage", timeoutMs: 60_000, intervalMs: 1000 },
          );
          const current = (await backfill.query(backfillProgressQuery)).current!;
          const backfillActivity = await retryingOn(
            tenantDayWorkflowId(backfilled.id, current, 'v1', 'primary'),
            outageMessage,
            90_000,
          );
          await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
          during = {
            dailyActivity,
            dailyDetails,
            backfillActivity,
            outageMs: Date.now() - downAt,
            dailyRunning: await isRunning(dailyRunId),
            backfill: await backfill.query(backfillProgressQuery),
            dailyLane: await laneState(stack.client, daily.id),
            backfilledLane: await laneState(stack.client, backfilled.id),
          };
        } finally {
          await s3Proxy.up();
        }
        const upAt = Date.now();
        const done = await backfill.result();
        await waitUntil(dailyDone, { what: 'the daily run', timeoutMs: 120_000 });
        const recoveryMs = Date.now() - upAt;
        // Lanes answer queries through a worker: ask before the workers stop.
        const after = {
          daily: await laneState(stack.client, daily.id),
          backfilled: await laneState(stack.client, backfilled.id),
        };
        return { during, done, recoveryMs, after, downDuring };
      });
      console.log(
        `[outages] S3 down ${seen.during.outageMs} ms (from ${seen.downDuring}); daily run's activity ${seen.during.dailyActivity.activityType?.name} ` +
          `at attempt ${seen.during.dailyActivity.attempt}; everything done ${seen.recoveryMs} ms after S3 was back`,
      );

      // During the outage: retrying, named, and nothing given up on.
      for (const activity of [seen.during.dailyActivity, seen.during.backfillActivity]) {
        expect(activity.attempt).toBeGreaterThan(1);
        expect(activity.lastFailure?.message).toContain(outageMessage);
        expect(activity.lastFailure?.applicationFailureInfo?.type).toBe('DependencyUnavailableError');
      }
      expect(seen.during.dailyDetails).toMatch(new RegExp(`waiting for ${outageMessage}, attempt \\d+`));
      expect(seen.during.outageMs).toBeGreaterThanOrEqual(OUTAGE_MS);
      expect(seen.during.dailyRunning).toBe(true);
      expect(seen.during.backfill.paused).toBe(false);
      expect(seen.during.backfill.failed).toEqual([]);
      for (const state of [seen.during.dailyLane, seen.during.backfilledLane]) {
        expect(state.retrying).toEqual([]);
        expect(state.running?.attempt).toBe(1);
      }

      // After it: every day completed at its first lane attempt, the backfill never paused.
      expect(seen.done).toMatchObject({ completed: DAYS, failed: [], paused: false });
      expectOneCleanAttemptPerDay(seen.after.daily, 'daily', [DAYS[2]]);
      expectOneCleanAttemptPerDay(seen.after.backfilled, 'backfill', DAYS);
      expectSameObjects(await outputsOf(directStore, tenants), expected);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'Elasticsearch down for 3 minutes while a day is served: it completes at its first attempt with the same documents',
    async () => {
      const tenant = testTenant(uniqueName('outage-es'), 'America/New_York');
      lanes.push(laneWorkflowId(tenant.id));
      const day = DAYS[1];
      const referenceStore = await newBucket('daybreak-outage-esref');
      const store = await newBucket('daybreak-outage-es');
      await writeInputs([referenceStore, store], [tenant]);
      const runId = tenantDayWorkflowId(tenant.id, day, 'v1', 'primary');
      const request = { day, kind: 'daily' as const, requestedBy: 'test', tenant: settingsOf(tenant) };
      const done = async () => (await laneState(stack.client, tenant.id)).finished.some((f) => f.day === day);

      const referencePrefix = uniqueName('daybreak-outage-esref');
      indexPrefixes.push(referencePrefix);
      const reference = await deploy({
        base: uniqueName('outage-esref'),
        store: referenceStore,
        es: stack.es,
        indexPrefix: referencePrefix,
        tenants: [tenant],
        endpoints: { Elasticsearch: stack.config.elasticsearch.url },
      });
      await runWorkersUntil(reference.workers, async () => {
        await requestRun(stack.client, tenant.id, request, reference.defaults);
        await waitUntil(done, { what: 'the reference run', timeoutMs: 120_000 });
      });
      await endLanes([tenant]);
      const expected = await servedDocuments(stack.es, referencePrefix, tenant);
      expect(expected.latest.length).toBeGreaterThan(0);

      const proxied = `http://${esProxy.address}`;
      const es = createElasticsearchClient({ ...stack.config.elasticsearch, url: proxied });
      const indexPrefix = uniqueName('daybreak-outage-es');
      indexPrefixes.push(indexPrefix);
      const outageMessage = `Elasticsearch at ${esProxy.address}: connection refused`;
      try {
        const deployment = await deploy({
          base: uniqueName('outage-es'),
          store,
          es,
          indexPrefix,
          tenants: [tenant],
          endpoints: { S3: stack.config.s3.endpoint, Elasticsearch: proxied },
        });
        const seen = await runWorkersUntil(deployment.workers, async () => {
          await requestRun(stack.client, tenant.id, request, deployment.defaults);
          // Down before the run gets to Elasticsearch (only its last steps serve), so the serving
          // activities meet the outage.
          await waitUntil(() => isRunning(runId), { what: 'the tenant-day', timeoutMs: 60_000, intervalMs: 50 });
          await esProxy.down();
          const downAt = Date.now();
          let during;
          try {
            const activity = await retryingOn(runId, outageMessage, 120_000);
            await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
            during = {
              activity,
              outageMs: Date.now() - downAt,
              running: await isRunning(runId),
              lane: await laneState(stack.client, tenant.id),
            };
          } finally {
            await esProxy.up();
          }
          const upAt = Date.now();
          await waitUntil(done, { what: 'the run', timeoutMs: 120_000 });
          return { during, recoveryMs: Date.now() - upAt, after: await laneState(stack.client, tenant.id) };
        });
        console.log(
          `[outages] Elasticsearch down ${seen.during.outageMs} ms; ${seen.during.activity.activityType?.name} ` +
            `at attempt ${seen.during.activity.attempt}; done ${seen.recoveryMs} ms after it was back`,
        );

        expect(['ensureServingIndex', 'ensureServedAlias', 'indexAccountDocuments']).toContain(
          seen.during.activity.activityType?.name,
        );
        expect(seen.during.activity.attempt).toBeGreaterThan(1);
        expect(seen.during.activity.lastFailure?.message).toContain(outageMessage);
        expect(seen.during.activity.lastFailure?.applicationFailureInfo?.type).toBe('DependencyUnavailableError');
        expect(seen.during.outageMs).toBeGreaterThanOrEqual(OUTAGE_MS);
        expect(seen.during.running).toBe(true);
        expect(seen.during.lane.retrying).toEqual([]);
        expect(seen.during.lane.running?.attempt).toBe(1);

        expectOneCleanAttemptPerDay(seen.after, 'daily', [day]);
        expect(await servedDocuments(stack.es, indexPrefix, tenant)).toEqual(expected);
        expectSameObjects(await outputsOf(store, [tenant]), await outputsOf(referenceStore, [tenant]));
      } finally {
        await es.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
