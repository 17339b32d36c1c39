import * as net from 'node:net';
import { readConfig } from '../../src/workers/config';
import { TEST_RUN_ID_ENV, cleanupTestRun, createTestNamespace, newTestRunId, testNamespaceName } from './test-run';

function reachable(url: URL): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/**
 * Integration tests need the real servers. When one is down the whole run fails here, loudly and
 * once, with the command that starts them; nothing is skipped.
 *
 * The run then gets a namespace of its own (`daybreak-test-<run id>`, with Daybreak's search
 * attributes), exported as DAYBREAK_TEMPORAL_NAMESPACE so readConfig(), connectStack() and every
 * process a test spawns use it, and the run id as DAYBREAK_TEST_RUN_ID so uniqueName() marks every
 * name. The returned teardown (run by vitest after the last test, pass or fail) deletes the
 * namespace with its schedules and workflows, and the run's buckets, keys and indices: the
 * operator's `default` namespace never sees a test's lane, and the next run starts clean.
 */
export default async function requireStack(): Promise<(() => Promise<void>) | void> {
  const config = readConfig();
  const servers: [string, URL][] = [
    ['Temporal', new URL(`http://${config.temporal.address}`)],
    ['S3 (versitygw)', new URL(config.s3.endpoint)],
    ['Elasticsearch', new URL(config.elasticsearch.url)],
  ];
  const down: string[] = [];
  for (const [name, url] of servers) if (!(await reachable(url))) down.push(`${name} at ${url.host}`);
  if (down.length) {
    throw new Error(
      `Integration tests need the local stack, but these servers are not reachable: ${down.join(', ')}.\n` +
        'Start the local stack first: `npm run stack:up` (or run everything with `npm test`).',
    );
  }
  const runId = newTestRunId();
  const namespace = testNamespaceName(runId);
  await createTestNamespace(config, namespace);
  process.env.DAYBREAK_TEMPORAL_NAMESPACE = namespace;
  process.env[TEST_RUN_ID_ENV] = runId;
  return async () => {
    const report = await cleanupTestRun(config, runId);
    const removed =
      `namespace ${report.namespaces.join(', ') || '(none)'}: ${report.schedulesDeleted} schedules deleted, ` +
      `${report.workflowsTerminated} workflows terminated; ${report.indicesDeleted.length} indices, ` +
      `${report.bucketsDeleted.length} buckets and ${report.keysDeleted} keys removed`;
    console.log(`[integration] test run ${runId} cleaned up: ${removed}`);
    if (report.problems.length > 0) {
      throw new Error(`the integration run ${runId} left things behind:\n  ${report.problems.join('\n  ')}`);
    }
  };
}
