import { AsyncLocalStorage } from 'node:async_hooks';
import { writeFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import type { PartitionRunner } from '../../src/activities/tenant-days/aggregate-partition';
import type { BucketTaskRunner } from '../../src/activities/tenant-days/bucket-tasks';
import type { ObjectStore } from '../../src/storage/object-store';
import { composeWorkers } from '../../src/workers/compose';
import { readConfig } from '../../src/workers/config';
import { installLogger } from '../../src/workers/logging';
import { HOLDS_ENV, type HoldMarker, type HoldSpec } from './worker-process';

/**
 * A worker process for fault tests: composed as the worker process is (composeWorkers(): the
 * production activities under the production keep-alive and outage rules, over the production
 * clients, on the configured queues, with the same shutdown on SIGTERM), except that the first run of
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
 *   DAYBREAK_WORKFLOW_BUNDLE       the worker's own: a prebuilt bundle (saves a bundling per restart)
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

function holdingTaskRunner(runner: BucketTaskRunner): BucketTaskRunner {
  return async (input, signal) => (await holdIfPending(), runner(input, signal));
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
  // Composed as the worker process is, with the holds between the activities and their clients.
  const composition = await composeWorkers({
    config,
    loadTenants: () => Promise.resolve([]),
    wrap: {
      store: holdingStore,
      es: holdingClient,
      partitionRunner: holdingRunner,
      bucketTaskRunner: holdingTaskRunner,
    },
    adaptActivities: (production) => catching(production as unknown as Record<string, AnyFunction>),
  });
  process.stdout.write('ready\n');
  await composition.run();
  // As the worker process does (src/workers/main.ts): a hold still waiting must not keep it alive.
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `holding worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
