import { CreateBucketCommand, HeadBucketCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { mkdir } from 'node:fs/promises';
import { FsObjectStore } from '../storage/fs-object-store';
import type { ObjectStore } from '../storage/object-store';
import { S3ObjectStore } from '../storage/s3-object-store';
import type { DaybreakConfig } from './config';
import type { TemporalConnection } from './temporal-connection';
import { connectOptions } from './temporal-connection';

/**
 * How long one S3 request may wait: for a connection (a host that drops packets would otherwise be
 * left to the OS, minutes per attempt) and for the response to begin (a server that accepts but
 * never answers would otherwise hold the activity until its start-to-close). Either failure is a
 * TimeoutError the SDK retries and the activity treats as an outage (common/outage.ts).
 */
export const S3_TIMEOUTS = { connectionTimeoutMs: 5_000, requestTimeoutMs: 60_000 };

/** The S3 client; path-style because versitygw (like MinIO) serves buckets under the endpoint path. */
export function createS3Client(config: DaybreakConfig['s3'], timeouts = S3_TIMEOUTS): S3Client {
  return new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: true,
    maxAttempts: 5,
    requestHandler: {
      connectionTimeout: timeouts.connectionTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
  });
}

/** Creates the bucket unless it is there; safe to call from every process at start-up. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    try {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (error) {
      const name = error instanceof S3ServiceException ? error.name : '';
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
    }
  }
}

export async function createS3ObjectStore(config: DaybreakConfig['s3']): Promise<S3ObjectStore> {
  const s3 = createS3Client(config);
  await ensureBucket(s3, config.bucket);
  return new S3ObjectStore(s3, config.bucket);
}

/** The configured object store: the embedded filesystem store by default, S3 with DAYBREAK_STORE=s3. */
export async function createObjectStore(config: DaybreakConfig): Promise<ObjectStore> {
  if (config.store.kind === 's3') return createS3ObjectStore(config.s3);
  await mkdir(config.store.fsRoot, { recursive: true });
  return new FsObjectStore(config.store.fsRoot);
}

export function createElasticsearchClient(config: DaybreakConfig['elasticsearch']): ElasticsearchClient {
  return new ElasticsearchClient({ node: config.url, maxRetries: 3, requestTimeout: 30_000 });
}

/** A client of the configured connection: its profile's TLS, API key and headers included. */
export async function createTemporalClient(
  config: TemporalConnection,
  options: { connectTimeoutMs?: number } = {},
): Promise<Client> {
  const connection = await Connection.connect({
    ...connectOptions(config),
    ...(options.connectTimeoutMs !== undefined ? { connectTimeout: options.connectTimeoutMs } : {}),
  });
  return new Client({ connection, namespace: config.namespace });
}

/** The worker's connection to the Temporal frontend, configured like the client's. */
export async function createNativeConnection(config: TemporalConnection): Promise<NativeConnection> {
  return NativeConnection.connect(connectOptions(config));
}
