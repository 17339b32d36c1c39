import { Worker } from '@temporalio/worker';

/**
 * Integration setup file: a Worker created without a namespace polls the run's namespace
 * (DAYBREAK_TEMPORAL_NAMESPACE, set by the globalSetup) instead of the SDK's `default`, so every
 * test's worker meets the workflows its client (connectStack()) starts there. A test that names a
 * namespace keeps it.
 */
const namespace = process.env.DAYBREAK_TEMPORAL_NAMESPACE;
const create = Worker.create.bind(Worker);
if (namespace) {
  Worker.create = (options) => create({ ...options, namespace: options.namespace ?? namespace });
}
