import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import { NativeConnection, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../../src/activities';
import type { PartitionRunner } from '../../src/activities/s3/metrics';
import { SchemaRegistry } from '../../src/schemas/registry';
import { versionTaskQueue } from '../../src/shared/ids';
import type { ObjectStore } from '../../src/storage/object-store';
import { createElasticsearchClient, createObjectStore, createTemporalClient } from '../../src/workers/clients';
import { dependencyEndpoints, laneDefaultsOf, readConfig } from '../../src/workers/config';
import { installLogger } from '../../src/workers/logging';
import { PartitionThreadPool } from '../../src/workers/partition-threads';
import { WORKFLOWS_PATH } from './stack';
import { HOLDS_ENV, WORKFLOW_BUNDLE_ENV, type HoldMarker, type HoldSpec } from './worker-process';

/**
 * A worker process for fault tests: the production activities (createActivities(), so under the
 * production keep-alive and outage rules) over the production clients, except that the first run of
 * each activity named in DAYBREAK_TEST_HOLDS is caught in the middle: its first call to S3,
 * Elasticsearch or a partition thread writes a marker file and then waits, so a test can kill the
 * process (or the server) while that activity is known to be running, however short it is.
 *
 * The hold sits inside the activity's own code, under its supervision: the keep-alive heartbeats
 * go on during it, as they would during a long read. A hold ends when the process is killed, or
 * after `releaseMs` (the activity then finishes normally).
 *
 * Environment (besides the worker's own DAYBREAK_* settings):
 *   DAYBREAK_TEST_HOLDS            JSON array of HoldSpec; none: a normal worker
 *   DAYBREAK_TEST_WORKFLOW_BUNDLE  a prebuilt workflow bundle (saves a bundling per restart)
 * Started by startWorkerProcess() (worker-process.ts).
 */
const holds: HoldSpec[] = JSON.parse(process.env[HOLDS_ENV] ?? '[]') as HoldSpec[];
const started = new Set<HoldSpec>();
/** The hold the current activity is to be caught by (set around the activity, read by the clients). */
const pending = new AsyncLocalStorage<HoldSpec>();

function holdFor(activity: string, input: unknown): HoldSpec | undefined {
  const fields = (input ?? {}) as { task?: unknown; pipelineVersion?: unknown };
  return holds.find(
    (h) =>
      h.activity === activity &&
      !started.has(h) &&
      (h.task === undefined || h.task === fields.task) &&
      (h.pipelineVersion === undefined || h.pipelineVersion === fields.pipelineVersion),
  );
}

async function holdIfPending(): Promise<void> {
  const hold = pending.getStore();
  if (!hold || started.has(hold)) return;
  started.add(hold);
  const info = Context.current().info;
  const marker: HoldMarker = {
    activityType: info.activityType,
    activityId: info.activityId,
    workflowId: info.workflowExecution?.workflowId ?? '',
    attempt: info.attempt,
    heartbeatTimeoutMs: info.heartbeatTimeoutMs,
    pid: process.pid,
    heldAt: Date.now(),
  };
  writeFileSync(hold.marker, JSON.stringify(marker));
  await new Promise((resolve) => {
    if (hold.releaseMs !== undefined) setTimeout(resolve, hold.releaseMs);
  });
}

type AnyFunction = (...args: unknown[]) => unknown;

/** The store, each call held first when the current activity is to be caught. */
function holdingStore(store: ObjectStore): ObjectStore {
  return {
    description: store.description,
    get: async (key) => (await holdIfPending(), store.get(key)),
    getBytes: async (key) => (await holdIfPending(), store.getBytes(key)),
    put: async (key, body, options) => (await holdIfPending(), store.put(key, body, options)),
    list: (prefix) =>
      (async function* () {
        await holdIfPending();
        yield* store.list(prefix);
      })(),
    delete: async (key) => (await holdIfPending(), store.delete(key)),
    exists: async (key) => (await holdIfPending(), store.exists(key)),
  };
}

/** The Elasticsearch client, each API call (top level or `indices.*`) held first likewise. */
function holdingClient<T extends object>(client: T): T {
  return new Proxy(client, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'indices' && value && typeof value === 'object') return holdingClient(value);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const call = () => (value as AnyFunction).apply(target, args);
        return pending.getStore() ? holdIfPending().then(call) : call();
      };
    },
  });
}

function holdingRunner(runner: PartitionRunner): PartitionRunner {
  return async (input, progress, signal) => (await holdIfPending(), runner(input, progress, signal));
}

/** Each activity runs with its hold (if any) in reach of the clients above. */
function catching<T extends Record<string, AnyFunction>>(activities: T): T {
  const out: Record<string, AnyFunction> = {};
  for (const [name, fn] of Object.entries(activities)) {
    out[name] = (...args: unknown[]) => {
      const hold = holdFor(name, args[0]);
      return hold ? pending.run(hold, () => fn(...args)) : fn(...args);
    };
  }
  return out as T;
}

async function main(): Promise<void> {
  const config = readConfig();
  installLogger({ format: config.log.format ?? 'json', level: config.log.level ?? 'WARN' });
  const store = holdingStore(await createObjectStore(config));
  const es = holdingClient(createElasticsearchClient(config.elasticsearch));
  const temporal = await createTemporalClient(config.temporal);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const schemaRegistry = new SchemaRegistry(store);
  const threads = config.worker.partitionThreads;
  const pool =
    threads > 0 && config.store.kind === 's3'
      ? new PartitionThreadPool({
          threads,
          store: { kind: 's3', s3: config.s3 },
          registryPrefix: schemaRegistry.prefix,
        })
      : undefined;
  await pool?.start();
  const activities = catching(
    createActivities({
      store,
      es,
      indexPrefix: config.elasticsearch.indexPrefix,
      temporal,
      schemaRegistry,
      laneDefaults: laneDefaultsOf(config),
      endpoints: dependencyEndpoints(config),
      loadTenants: () => Promise.resolve([]),
      minPartitionBytes: config.worker.minPartitionBytes,
      partitionRunner: pool ? holdingRunner(pool.runner) : undefined,
      inputDeadlineHours: config.pipeline.inputDeadlineHours,
    }) as unknown as Record<string, AnyFunction>,
  );
  const bundlePath = process.env[WORKFLOW_BUNDLE_ENV];
  const workflowBundle = bundlePath
    ? { codePath: bundlePath }
    : await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  const queues = config.pipeline.versions.flatMap((v) => [
    versionTaskQueue(config.temporal.taskQueue, v),
    versionTaskQueue(config.temporal.taskQueue, v, 'backfill'),
  ]);
  if (config.worker.coordination) queues.push(config.temporal.taskQueue);
  const workers = await Promise.all(
    queues.map((taskQueue) =>
      Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue,
        workflowBundle,
        activities,
        maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      }),
    ),
  );
  process.stdout.write('ready\n');
  await Promise.all(workers.map((w) => w.run()));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `holding worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
