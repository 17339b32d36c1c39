import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createElasticsearchClient, createObjectStore } from './clients';
import { readConfig } from './config';

/**
 * The worker process, Daybreak's composition root: it reads the environment, builds the clients and
 * serves every workflow and activity on the configured task queue until SIGINT or SIGTERM.
 */
async function main(): Promise<void> {
  const config = readConfig();
  const store = await createObjectStore(config);
  const es = createElasticsearchClient(config.elasticsearch);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      workflowsPath: require.resolve('../workflows'),
      activities: createActivities({ store, es, indexPrefix: config.elasticsearch.indexPrefix }),
      maxConcurrentActivityTaskExecutions: config.worker.maxConcurrentActivities,
      maxConcurrentWorkflowTaskExecutions: config.worker.maxConcurrentWorkflowTasks,
    });
    await worker.run();
  } finally {
    await connection.close();
    await es.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `daybreak worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
