/**
 * Entry of a partition thread (see PartitionThreadPool): opens its own store and schema registry
 * clients from the settings it was given, then runs one partition or bucket task per message with
 * the activity's own code.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { aggregatePartitionIn } from '../activities/tenant-days/aggregate-partition';
import { createBucketTaskRunner } from '../activities/tenant-days/bucket-tasks';
import { DEFAULT_MEMORY_SHARE_BYTES } from '../activities/tenant-days/metric-activities';
import { SchemaRegistry } from '../schemas/registry';
import { serializeError } from '../common/errors';
import { FsObjectStore } from '../storage/fs-object-store';
import type { ObjectStore } from '../storage/object-store';
import type * as S3Store from '../storage/s3-object-store';
import type * as Clients from './clients';
import type { FromThread, PartitionThreadData, StoreSpec, ToThread } from './partition-threads';

function openStore(spec: StoreSpec): ObjectStore {
  if (spec.kind === 'fs') return new FsObjectStore(spec.root);
  // Loaded only for S3: the AWS SDK takes a while to load, and fs threads should start fast.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3ObjectStore } = require('../storage/s3-object-store') as typeof S3Store;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createS3Client } = require('./clients') as typeof Clients;
  return new S3ObjectStore(createS3Client(spec.s3), spec.s3.bucket);
}

/**
 * A Node network error's code and address, from the error or its cause: the activity names the
 * dependency that is down from them (common/outage.ts), and they do not survive postMessage by themselves.
 */
function connectionFields(error: Error): { code?: string; address?: string; port?: number } {
  for (const e of [error, (error as { cause?: unknown }).cause]) {
    const { code, address, port } = (e ?? {}) as { code?: unknown; address?: unknown; port?: unknown };
    if (typeof code === 'string') {
      return {
        code,
        address: typeof address === 'string' ? address : undefined,
        port: typeof port === 'number' ? port : undefined,
      };
    }
  }
  return {};
}

const port = parentPort!;
const data = workerData as PartitionThreadData;
const store = openStore(data.store);
// Its own registry client over its own store: objects do not cross threads. Never without one,
// so a raw file whose writer schema was never registered is bad data here too.
const registry = new SchemaRegistry(store, data.registryPrefix);
const deps = { store, registry, memoryShareBytes: data.memoryShareBytes };
const runBucketTask = createBucketTaskRunner(store, data.memoryShareBytes ?? DEFAULT_MEMORY_SHARE_BYTES);
const send = (message: FromThread) => port.postMessage(message);

send({ type: 'ready' });

port.on('message', (message: ToThread) => {
  const work =
    message.type === 'task'
      ? runBucketTask(message.input)
      : aggregatePartitionIn(deps, message.input, (progress) => send({ type: 'progress', progress }));
  work.then(
    (result) => send({ type: 'result', result }),
    (error: unknown) => {
      const e = error instanceof Error ? error : new Error(String(error));
      send({ type: 'error', error: { ...serializeError(e), ...connectionFields(e) } });
    },
  );
});
