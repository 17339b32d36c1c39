import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../activities';
import { RAW_EVENT_SUBJECT } from '../schemas/raw-event-schemas';
import { SchemaRegistry } from '../schemas/registry';
import { createElasticsearchClient, createNativeConnection, createObjectStore, createTemporalClient } from './clients';
import { dependencyEndpoints, laneDefaultsOf, readConfig } from './config';
import { PartitionThreadPool } from './partition-threads';
import { installLogger } from './logging';
import { prometheusExporter, withMetricsAddress } from './metrics-exporter';
import { workerQueues } from './queues';
import { loadTenantsFile } from './tenants';

/**
 * The worker process, Daybreak's composition root: it reads the environment, builds the clients and
 * polls, with one bundle of workflow code:
 *   - the base task queue (lanes, triggers, the reconciler, rollouts, backfills), unless
 *     DAYBREAK_WORKER_COORDINATION=false;
 *   - for every pipeline version it serves (DAYBREAK_PIPELINE_VERSIONS), that version's queue and
 *     its backfill queue, whose smaller activity limit caps backfill work across tenants.
 * A release candidate can thus run in a worker process of its own next to the live one.
 * Raw files are checked against the schema registry kept in the same store, by the activities and
 * by every partition thread, so an unregistered writer schema is bad data wherever a partition runs.
 */
async function main(): Promise<void> {
  const config = readConfig();
  // First: every later SDK, workflow, activity and core log line goes through it.
  const logger = withMetricsAddress(config.metrics.address, () =>
    installLogger(
      { format: config.log.format ?? 'json', level: config.log.level ?? 'INFO' },
      config.metrics.address ? prometheusExporter(config.metrics.address) : undefined,
    ),
  );
  if (config.metrics.address)
    logger.info('metrics for Prometheus', { url: `http://${config.metrics.address}/metrics` });
  const store = await createObjectStore(config);
  const es = createElasticsearchClient(config.elasticsearch);
  const temporal = await createTemporalClient(config.temporal);
  const connection = await createNativeConnection(config.temporal);
  const schemaRegistry = new SchemaRegistry(store);
  if (!(await schemaRegistry.latest(RAW_EVENT_SUBJECT))) {
    // Not fatal: the worker may start before anything was generated or registered.
    process.stderr.write(
      `daybreak worker: no schema of ${RAW_EVENT_SUBJECT} is registered under ${schemaRegistry.prefix}/ in ${store.description}; ` +
        `raw files are bad data (quarantined or failing the run, by tenant policy) until their writer schemas are registered\n`,
    );
  }
  const threads = config.worker.partitionThreads;
  const partitionThreads =
    threads > 0
      ? new PartitionThreadPool({
          threads,
          store: config.store.kind === 's3' ? { kind: 's3', s3: config.s3 } : { kind: 'fs', root: config.store.fsRoot },
          registryPrefix: schemaRegistry.prefix,
        })
      : undefined;
  // Started with the worker, so the first tenant-day does not wait for threads to load.
  await partitionThreads?.start();
  const activities = createActivities({
    store,
    es,
    indexPrefix: config.elasticsearch.indexPrefix,
    temporal,
    schemaRegistry,
    laneDefaults: laneDefaultsOf(config),
    endpoints: dependencyEndpoints(config),
    loadTenants: async () => (await loadTenantsFile(config.pipeline.tenantsFile)).tenants,
    minPartitionBytes: config.worker.minPartitionBytes,
    partitionRunner: partitionThreads?.runner,
    inputDeadlineHours: config.pipeline.inputDeadlineHours,
    alerts: { webhookUrl: config.alerts.webhookUrl },
  });
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../workflows'), logger });
  const queues = workerQueues({
    taskQueue: config.temporal.taskQueue,
    versions: config.pipeline.versions,
    coordination: config.worker.coordination,
    queueKinds: config.worker.queueKinds,
    maxConcurrentActivities: config.worker.maxConcurrentActivities,
    maxConcurrentBackfillActivities: config.worker.maxConcurrentBackfillActivities,
  });
  try {
    const workers = await Promise.all(
      queues.map((q) =>
        Worker.create({
          connection,
          namespace: config.temporal.namespace,
          taskQueue: q.taskQueue,
          workflowBundle,
          activities,
          maxConcurrentActivityTaskExecutions: q.maxActivities,
          maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
        }),
      ),
    );
    await Promise.all(workers.map((w) => w.run()));
  } finally {
    await partitionThreads?.close();
    await connection.close();
    await temporal.connection.close();
    await es.close();
    // The counts of repeated errors not yet summarized go out before the process does.
    logger.flush();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `daybreak worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
