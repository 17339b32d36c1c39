import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Client } from '@temporalio/client';
import type { Logger } from '@temporalio/common';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { NativeConnection, WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { PartitionRunner } from '../activities/tenant-days/aggregate-partition';
import type { BucketTaskRunner } from '../activities/tenant-days/bucket-tasks';
import { SchemaRegistry } from '../schemas/registry';
import type { TenantConfig } from '../workflows/tenants/tenant-config';
import type { ObjectStore } from '../storage/object-store';
import { createElasticsearchClient, createNativeConnection, createObjectStore, createTemporalClient } from './clients';
import { memoryShareBytes } from '../metrics/spill-policy';
import { type DaybreakConfig, dependencyEndpoints, laneDefaultsOf } from './config';
import { PartitionThreadPool } from './partition-threads';
import { type QueueLayoutInput, type WorkerQueue, workerQueues } from './queues';
import { runWorkersUntil } from './run-workers';
import { loadTenantsFile } from './tenants';

/** After the grace period, how long cancelled activities have to report before the worker gives up on them. */
export const SHUTDOWN_FORCE_MARGIN_MS = 10_000;

/** The workflows' entry folder (src/workflows, or dist/workflows built): the bundler finds its index. */
export const WORKFLOWS_DIR = path.join(__dirname, '..', 'workflows');

/** The queues a worker of this configuration polls (queues.ts spells the layout). */
export function queueLayoutOf(config: DaybreakConfig): QueueLayoutInput {
  return {
    taskQueue: config.temporal.taskQueue,
    versions: config.pipeline.versions,
    coordination: config.worker.coordination,
    queueKinds: config.worker.queueKinds,
    maxConcurrentActivities: config.worker.maxConcurrentActivities,
    maxConcurrentBackfillActivities: config.worker.maxConcurrentBackfillActivities,
  };
}

/**
 * One metric task's memory share on a worker of this configuration (DAYBREAK_MEMORY_BUDGET_MB, see
 * spill-policy.ts): every partition thread and every activity slot of the version queues it polls
 * (where metric activities run) may hold one task at once.
 */
export function memoryShareOf(config: DaybreakConfig, layout?: Partial<QueueLayoutInput>): number {
  const queues = workerQueues({ ...queueLayoutOf(config), ...layout });
  const activitySlots = queues.filter((q) => q.kind !== 'coordination').reduce((n, q) => n + q.maxActivities, 0);
  return memoryShareBytes({
    budgetMb: config.worker.memoryBudgetMb,
    partitionThreads: config.worker.partitionThreads,
    activitySlots,
  });
}

/** Activities by name, as a worker registers them. */
export type ActivityFunctions = Record<string, (...args: never[]) => Promise<unknown>>;

/** Clients built by someone else (the demo's, a test's stack): used as they are, and left open by close(). */
export interface SharedClients {
  temporal?: Client;
  connection?: NativeConnection;
  store?: ObjectStore;
  es?: ElasticsearchClient;
}

export interface ComposeOptions {
  config: DaybreakConfig;
  /** Replaces parts of the configured queue layout (a test's own base queue and versions, say). */
  layout?: Partial<QueueLayoutInput>;
  /** Default: config.temporal.namespace. */
  namespace?: string;
  /** The bundler's logger; default the runtime's. */
  logger?: Logger;
  /** The workers' identity, one for all queues or one per queue; default the SDK's (pid@host). */
  identity?: string | ((queue: WorkerQueue) => string);
  shared?: SharedClients;
  /**
   * Stand-ins the workers register instead of the production activities (orchestration tests, the
   * history recorder); with them no store, Elasticsearch client or partition threads are built.
   */
  activities?: object;
  /** Gets the production activities and returns what the workers register (wrapped, say). */
  adaptActivities?: (production: ActivityFunctions) => object;
  /** Where the production activities read tenants; default the configured tenants file. */
  loadTenants?: () => Promise<TenantConfig[]>;
  /** Put between the activities and their clients (fault tests catch activities there). */
  wrap?: {
    store?: (store: ObjectStore) => ObjectStore;
    es?: (es: ElasticsearchClient) => ElasticsearchClient;
    partitionRunner?: (runner: PartitionRunner) => PartitionRunner;
    /** Bucket tasks run on the partition threads, with the threads' own clients: wrapped here instead. */
    bucketTaskRunner?: (runner: BucketTaskRunner) => BucketTaskRunner;
  };
  /** A bundle already built (tests that start many workers bundle once). */
  workflowBundle?: WorkflowBundleOption;
}

/** Daybreak's workers, built from configuration: what the worker process, the demo, the tests and the recorder run. */
export interface Composition {
  queues: WorkerQueue[];
  /** One per queue, in the order of `queues`. */
  workers: Worker[];
  activities: object;
  /** The store and schema registry the production activities use; absent with stand-ins. */
  store?: ObjectStore;
  schemaRegistry?: SchemaRegistry;
  /**
   * Runs every worker until they are shut down (the SDK's runtime does that on SIGTERM or SIGINT),
   * then closes. One worker failing shuts the others down, and the failure is thrown.
   */
  run(): Promise<void>;
  /** Runs the workers while `fn` runs, shuts them down, closes, and returns what `fn` returned. */
  runUntil<T>(fn: () => Promise<T>): Promise<T>;
  /** Closes what the composition built (threads, connections, clients); shared clients stay open. */
  close(): Promise<void>;
}

/**
 * Daybreak's composition root: the clients, the activities over them, the partition-thread pool,
 * the workflow bundle, and one worker per queue of the layout, all from one DaybreakConfig. Anything
 * built here is closed by close(), in reverse order, also when building fails halfway.
 */
export async function composeWorkers(options: ComposeOptions): Promise<Composition> {
  const { config } = options;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const connection = options.shared?.connection ?? (await createNativeConnection(config.temporal));
    if (!options.shared?.connection) closers.push(() => connection.close());
    const built: Built = options.activities
      ? { activities: options.activities }
      : await productionActivities(options, closers);
    const activities = options.adaptActivities
      ? options.adaptActivities(built.activities as ActivityFunctions)
      : built.activities;
    const workflowBundle = options.workflowBundle ?? (await workflowBundleOf(config, options.logger));
    const queues = workerQueues({ ...queueLayoutOf(config), ...options.layout });
    const namespace = options.namespace ?? config.temporal.namespace;
    const workers = await Promise.all(
      queues.map((q) =>
        Worker.create({
          connection,
          namespace,
          taskQueue: q.taskQueue,
          workflowBundle,
          activities,
          maxConcurrentActivityTaskExecutions: q.maxActivities,
          maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
          // On SIGTERM (the runtime's shutdownSignals) polling stops at once; running activities get the
          // grace period, then a WORKER_SHUTDOWN cancellation (supervise() ends them on it), and the
          // force time bounds a worker that still does not stop.
          shutdownGraceTime: config.worker.shutdownGraceSeconds * 1000,
          shutdownForceTime: config.worker.shutdownGraceSeconds * 1000 + SHUTDOWN_FORCE_MARGIN_MS,
          ...(options.identity ? { identity: identityOf(options.identity, q) } : {}),
        }),
      ),
    );
    return {
      queues,
      workers,
      activities,
      store: built.store,
      schemaRegistry: built.schemaRegistry,
      close,
      async run() {
        try {
          await runAll(workers);
        } finally {
          await close();
        }
      },
      async runUntil(fn) {
        try {
          return await runWorkersUntil(workers, fn);
        } finally {
          await close();
        }
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * The workflow code: the bundle built ahead when DAYBREAK_WORKFLOW_BUNDLE names one (an image built
 * once starts in seconds and runs exactly the code it was built with), else bundled now.
 */
export async function workflowBundleOf(config: DaybreakConfig, logger?: Logger): Promise<WorkflowBundleOption> {
  const file = config.worker.workflowBundle;
  if (file === undefined) return bundleWorkflowCode({ workflowsPath: WORKFLOWS_DIR, logger });
  if (!existsSync(file))
    throw new Error(
      `DAYBREAK_WORKFLOW_BUNDLE=${file}: no such file; build it with \`npm run build:workflows\` ` +
        `(writes dist/workflow-bundle.js), or unset the variable to bundle at start`,
    );
  return { codePath: file };
}

const identityOf = (identity: string | ((q: WorkerQueue) => string), queue: WorkerQueue) =>
  typeof identity === 'string' ? identity : identity(queue);

interface Built {
  activities: object;
  store?: ObjectStore;
  schemaRegistry?: SchemaRegistry;
}

async function productionActivities(options: ComposeOptions, closers: (() => Promise<void>)[]): Promise<Built> {
  const { config, shared = {}, wrap = {} } = options;
  const store = (wrap.store ?? ((s) => s))(shared.store ?? (await createObjectStore(config)));
  const rawEs = shared.es ?? createElasticsearchClient(config.elasticsearch);
  if (!shared.es) closers.push(() => rawEs.close());
  const es = (wrap.es ?? ((e) => e))(rawEs);
  const temporal = shared.temporal ?? (await createTemporalClient(config.temporal));
  if (!shared.temporal) closers.push(() => temporal.connection.close());
  const schemaRegistry = new SchemaRegistry(store);
  const threads = config.worker.partitionThreads;
  const shareBytes = memoryShareOf(config, options.layout);
  const pool =
    threads > 0
      ? new PartitionThreadPool({
          threads,
          store: config.store.kind === 's3' ? { kind: 's3', s3: config.s3 } : { kind: 'fs', root: config.store.fsRoot },
          registryPrefix: schemaRegistry.prefix,
          memoryShareBytes: shareBytes,
        })
      : undefined;
  if (pool) {
    closers.push(() => pool.close());
    // Started with the worker, so the first tenant-day does not wait for threads to load.
    await pool.start();
  }
  const activities = createActivities({
    store,
    es,
    indexPrefix: config.elasticsearch.indexPrefix,
    temporal,
    schemaRegistry,
    laneDefaults: laneDefaultsOf(config),
    endpoints: dependencyEndpoints(config),
    loadTenants: options.loadTenants ?? (async () => (await loadTenantsFile(config.pipeline.tenantsFile)).tenants),
    minPartitionBytes: config.worker.minPartitionBytes,
    partitionRunner: pool ? (wrap.partitionRunner ?? ((r) => r))(pool.runner) : undefined,
    bucketTaskRunner: pool ? (wrap.bucketTaskRunner ?? ((r) => r))(pool.taskRunner) : undefined,
    memoryShareBytes: shareBytes,
    inputDeadlineHours: config.pipeline.inputDeadlineHours,
    alerts: { webhookUrl: config.alerts.webhookUrl },
  });
  return { activities, store, schemaRegistry };
}

/** Runs the workers to their end; when one fails, the others are shut down before its error is thrown. */
async function runAll(workers: Worker[]): Promise<void> {
  const runs = workers.map((w) => w.run());
  try {
    await Promise.all(runs);
  } catch (error) {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    await Promise.allSettled(runs);
    throw error;
  }
}
