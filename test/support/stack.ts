import * as path from 'node:path';
import type { TenantConfig } from '../../src/workflows/tenants/tenant-config';
import { randomBytes } from 'node:crypto';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { NativeConnection } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { createElasticsearchClient, createS3ObjectStore, createTemporalClient } from '../../src/workers/clients';
import type { DaybreakConfig } from '../../src/workers/config';
import { readConfig } from '../../src/workers/config';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';

export const START_THE_STACK = 'Start the local stack first: `npm run stack:up` (or run everything with `npm test`).';

export interface Stack {
  config: DaybreakConfig;
  client: Client;
  connection: NativeConnection;
  store: S3ObjectStore;
  es: ElasticsearchClient;
  close(): Promise<void>;
}

/** Connects to the running stack (never starts one: the test command does that once per run). */
export async function connectStack(): Promise<Stack> {
  const config = readConfig();
  const client = await createTemporalClient(config.temporal);
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  const store = await createS3ObjectStore(config.s3);
  const es = createElasticsearchClient(config.elasticsearch);
  return {
    config,
    client,
    connection,
    store,
    es,
    async close() {
      await client.connection.close();
      await connection.close();
      await es.close();
    },
  };
}

// Outside an integration run (no globalSetup), names still carry one id per process.
const PROCESS_RUN_ID = randomBytes(3).toString('hex');

/**
 * A name no other test (or earlier run) uses: task queues, tenant ids, key prefixes, buckets,
 * index prefixes. `<prefix>-<run id><6 hex>`: the run id (DAYBREAK_TEST_RUN_ID, set by the
 * integration globalSetup) is how the run's teardown finds what to remove (test/support/test-run.ts).
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${process.env.DAYBREAK_TEST_RUN_ID ?? PROCESS_RUN_ID}${randomBytes(3).toString('hex')}`;
}

/** The workflows entry point, as a file path (vitest does not resolve .ts through require.resolve). */
export const WORKFLOWS_PATH = path.resolve(__dirname, '../../src/workflows/index.ts');

/** Everything createActivities needs, over the running stack; lanes start on `taskQueue`. */
export function stackActivityDeps(
  stack: Stack,
  options: { taskQueue: string; indexPrefix?: string; tenants?: TenantConfig[] },
) {
  return {
    store: stack.store,
    es: stack.es,
    indexPrefix: options.indexPrefix ?? 'daybreak-test',
    temporal: stack.client,
    laneDefaults: { taskQueue: options.taskQueue, primaryVersion: 'v1' },
    loadTenants: () => Promise.resolve(options.tenants ?? []),
  };
}

export { silentLogger as quietLogger } from '../../src/workers/run-workers';

/** A valid tenant for tests: defaults a demanding test rarely cares about, zone and id chosen by the test. */
export function testTenant(id: string, timeZone = 'America/New_York', extra: Partial<TenantConfig> = {}): TenantConfig {
  return {
    id,
    displayName: id,
    timeZone,
    runHour: 0,
    enabled: true,
    planTier: 'standard',
    badDataPolicy: 'quarantine',
    ...extra,
  };
}
