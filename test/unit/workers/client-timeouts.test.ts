import * as net from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { afterEach, describe, expect, it } from 'vitest';
import { describeConnectionFailure } from '../../../src/common/outage';
import { createS3Client } from '../../../src/workers/clients';
import { readConfig } from '../../../src/workers/config';

/**
 * A dependency that accepts connections and never answers (hung, overloaded) is an outage too: the
 * S3 and Elasticsearch clients give up on a request in bounded time, and the error is recognized and
 * named like a refused connection, so the activity rides it out instead of hanging until its
 * start-to-close or ending at its 6th attempt.
 */

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A server that accepts and reads, and never writes a byte back. */
async function silentServer(): Promise<string> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.resume();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

const OTHER = 'http://127.0.0.1:1';

describe('a dependency that never answers', () => {
  it('S3: each request gives up after its request timeout and the failure names S3', async () => {
    const endpoint = await silentServer();
    const s3 = createS3Client(
      { ...readConfig({}).s3, endpoint },
      { connectionTimeoutMs: 1_000, requestTimeoutMs: 300 },
    );
    const started = Date.now();
    const error = await s3.send(new HeadObjectCommand({ Bucket: 'b', Key: 'k' })).then(
      () => undefined,
      (e: unknown) => e,
    );
    s3.destroy();
    // 5 attempts of 300 ms plus the SDK's backoff between them: seconds, not the OS's minutes.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(describeConnectionFailure(error, { S3: endpoint, Elasticsearch: OTHER })?.message).toBe(
      `S3 at ${endpoint.slice('http://'.length)}: connection timed out`,
    );
  });

  it('Elasticsearch: a request timeout is recognized and names Elasticsearch', async () => {
    const url = await silentServer();
    const es = new ElasticsearchClient({ node: url, maxRetries: 1, requestTimeout: 300 });
    const error = await es.indices.exists({ index: 'x' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await es.close();
    expect((error as Error).name).toBe('TimeoutError');
    expect(describeConnectionFailure(error, { S3: OTHER, Elasticsearch: url })?.message).toBe(
      `Elasticsearch at ${url.slice('http://'.length)}: no answer in time`,
    );
  });
});
