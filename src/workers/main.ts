import { RAW_EVENT_SUBJECT } from '../schemas/raw-event-schemas';
import { composeWorkers } from './compose';
import { readConfig } from './config';
import { installLogger } from './logging';
import { prometheusExporter, withMetricsAddress } from './metrics-exporter';

/**
 * The worker process: it reads the environment and runs what composeWorkers() (compose.ts, the
 * composition root) builds from it, with one bundle of workflow code, polling:
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
  const composition = await composeWorkers({ config, logger });
  const { store, schemaRegistry } = composition;
  if (store && schemaRegistry && !(await schemaRegistry.latest(RAW_EVENT_SUBJECT))) {
    // Not fatal: the worker may start before anything was generated or registered.
    process.stderr.write(
      `daybreak worker: no schema of ${RAW_EVENT_SUBJECT} is registered under ${schemaRegistry.prefix}/ in ${store.description}; ` +
        `raw files are bad data (quarantined or failing the run, by tenant policy) until their writer schemas are registered\n`,
    );
  }
  try {
    await composition.run();
  } finally {
    // The counts of repeated errors not yet summarized go out before the process does.
    logger.flush();
  }
}

main().then(
  // Shut down (SIGTERM): what a cancelled activity left running is abandoned on purpose (its retry
  // runs elsewhere), and must not keep the process alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `daybreak worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
