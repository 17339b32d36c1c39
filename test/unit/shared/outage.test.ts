import * as net from 'node:net';
import { ListBucketsCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { errors } from '@elastic/transport';
import { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { ServiceError } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeConnectionFailure } from '../../../src/common/outage';

/**
 * What a connection failure looks like from each client Daybreak uses, taken from the real clients
 * dialling a port nobody listens on (no server needed), and what must not count as one.
 */

/** A local port with nothing listening on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function refused(port: number): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve) => net.connect({ host: '127.0.0.1', port }).once('error', resolve));
}

let port: number;
let nodeError: NodeJS.ErrnoException;
beforeAll(async () => {
  port = await closedPort();
  nodeError = await refused(port);
});

const endpoints = () => ({
  S3: `http://127.0.0.1:${port}`,
  Elasticsearch: 'http://127.0.0.1:9200',
  Temporal: '127.0.0.1:7233',
});

describe('describeConnectionFailure', () => {
  it('names the dependency of a refused Node connection by its address and port', () => {
    expect(nodeError.code).toBe('ECONNREFUSED');
    expect(describeConnectionFailure(nodeError, endpoints())).toEqual({
      dependency: `S3 at 127.0.0.1:${port}`,
      what: 'connection refused',
      message: `S3 at 127.0.0.1:${port}: connection refused`,
    });
  });

  it('without a known endpoint, names the bare address', () => {
    expect(
      describeConnectionFailure(nodeError, { Elasticsearch: 'http://127.0.0.1:9200', Temporal: 'x:1' })?.message,
    ).toBe(`127.0.0.1:${port}: connection refused`);
  });

  it('reads the members of an AggregateError (Node dialling localhost over IPv6 and IPv4)', () => {
    const v6 = Object.assign(new Error(`connect ECONNREFUSED ::1:${port}`), {
      code: 'ECONNREFUSED',
      errno: -111,
      syscall: 'connect',
      address: '::1',
      port,
    });
    // Node's own shape: an AggregateError with the first member's code and no message.
    const aggregate = Object.assign(new AggregateError([v6, nodeError]), { code: 'ECONNREFUSED' });
    expect(describeConnectionFailure(aggregate, { S3: `http://localhost:${port}` })?.message).toBe(
      `S3 at localhost:${port}: connection refused`,
    );
    const bracketed = describeConnectionFailure(new AggregateError([v6]), { S3: `http://[::1]:${port}` });
    expect(bracketed?.message).toBe(`S3 at [::1]:${port}: connection refused`);
  });

  it('sees through the AWS SDK v3 (the Node error with $metadata, as the client throws it)', async () => {
    const s3 = new S3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const error = await s3.send(new ListBucketsCommand({})).catch((e: unknown) => e);
    s3.destroy();
    expect(error).toHaveProperty('$metadata');
    expect(describeConnectionFailure(error, endpoints())?.message).toBe(`S3 at 127.0.0.1:${port}: connection refused`);
    // Wrapped once more, as a caller's own error with a cause.
    const wrapped = new Error('listing raw/tenant=acme/ failed', { cause: error });
    expect(describeConnectionFailure(wrapped, endpoints())?.message).toBe(
      `S3 at 127.0.0.1:${port}: connection refused`,
    );
  });

  it('reads an @elastic/transport ConnectionError, which keeps only the message', async () => {
    const es = new ElasticsearchClient({ node: `http://127.0.0.1:${port}`, maxRetries: 0 });
    const error = await es.info().catch((e: unknown) => e);
    await es.close();
    expect(error).toBeInstanceOf(errors.ConnectionError);
    const named = { Elasticsearch: `http://127.0.0.1:${port}`, S3: 'http://127.0.0.1:7070' };
    expect(describeConnectionFailure(error, named)?.message).toBe(
      `Elasticsearch at 127.0.0.1:${port}: connection refused`,
    );
    // Built from the installed package: other wordings, and the pool's own error.
    const es1 = { Elasticsearch: 'http://127.0.0.1:9200' };
    expect(describeConnectionFailure(new errors.ConnectionError('getaddrinfo ENOTFOUND es.internal'), es1)).toEqual({
      dependency: 'Elasticsearch at 127.0.0.1:9200',
      what: 'host not found',
      message: 'Elasticsearch at 127.0.0.1:9200: host not found',
    });
    expect(describeConnectionFailure(new errors.ConnectionError('socket hang up'), es1)?.what).toBe(
      'connection closed',
    );
    expect(
      describeConnectionFailure(new errors.NoLivingConnectionsError(undefined as unknown as string, {} as never), es1)
        ?.message,
    ).toBe('Elasticsearch at 127.0.0.1:9200: no connection could be made');
  });

  it('reads a gRPC UNAVAILABLE from the Temporal client (its cause carries the address)', () => {
    const grpc = Object.assign(
      new Error(
        `14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7233. Resolution note: `,
      ),
      { code: 14, details: 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:7233.' },
    );
    const error = new ServiceError('Failed to describe workflow', { cause: grpc });
    expect(describeConnectionFailure(error, endpoints())?.message).toBe(
      'Temporal at 127.0.0.1:7233: connection refused',
    );
    // A server going away mid-call: no errno in the message, still an outage.
    const dropped = new ServiceError('Failed to signal workflow', {
      cause: Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 }),
    });
    expect(describeConnectionFailure(dropped, { Temporal: '127.0.0.1:7233' })?.message).toBe(
      'Temporal at 127.0.0.1:7233: unavailable',
    );
  });

  it('does not count a 404 or any other 4xx, a bad record or a bug', () => {
    const noSuchKey = new NoSuchKey({
      message: 'The specified key does not exist.',
      $metadata: { httpStatusCode: 404 },
    });
    const esNotFound = new errors.ResponseError({
      body: { error: { type: 'index_not_found_exception', reason: 'no such index [daybreak-accounts-v1.acme]' } },
      statusCode: 404,
      headers: {},
      warnings: null,
      meta: {} as never,
    });
    const forbidden = Object.assign(new Error('Access Denied'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    for (const error of [
      noSuchKey,
      esNotFound,
      forbidden,
      new Error('record 12 of raw/tenant=acme/x.avro: tenantId "stark" is not the prefix\'s tenant "acme"'),
      new TypeError("Cannot read properties of undefined (reading 'accounts')"),
      'a string',
      undefined,
    ])
      expect(describeConnectionFailure(error, endpoints()), String(error)).toBeUndefined();
  });

  it('counts a server that is up but says it cannot serve now (429, 502, 503, 504), not a 500', () => {
    const s3Busy = Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
    });
    const s3Slow = Object.assign(new Error('Slow Down'), { name: 'SlowDown', $metadata: { httpStatusCode: 429 } });
    const esRestarting = new errors.ResponseError({
      body: { error: { type: 'cluster_block_exception' } },
      statusCode: 503,
      headers: {},
      warnings: null,
      meta: { connection: { url: new URL('http://127.0.0.1:9200/') } } as never,
    });
    expect(describeConnectionFailure(s3Busy, endpoints())?.message).toBe(
      `S3 at 127.0.0.1:${port}: unavailable (HTTP 503)`,
    );
    expect(describeConnectionFailure(s3Slow, endpoints())?.message).toBe(
      `S3 at 127.0.0.1:${port}: unavailable (HTTP 429)`,
    );
    expect(describeConnectionFailure(esRestarting, endpoints())?.message).toBe(
      'Elasticsearch at 127.0.0.1:9200: unavailable (HTTP 503)',
    );
    const s3Internal = Object.assign(new Error('We encountered an internal error'), {
      name: 'InternalError',
      $metadata: { httpStatusCode: 500 },
    });
    expect(describeConnectionFailure(s3Internal, endpoints())).toBeUndefined();
  });

  it('matches endpoints by host and port, default ports included', () => {
    const at = (address: string, port: number) =>
      Object.assign(new Error(`connect ECONNREFUSED ${address}:${port}`), { code: 'ECONNREFUSED', address, port });
    const many = { S3: 'http://127.0.0.1:7070', Elasticsearch: 'http://127.0.0.1:9200', Web: 'https://10.0.0.5' };
    expect(describeConnectionFailure(at('127.0.0.1', 9200), many)?.dependency).toBe('Elasticsearch at 127.0.0.1:9200');
    expect(describeConnectionFailure(at('127.0.0.1', 7070), many)?.dependency).toBe('S3 at 127.0.0.1:7070');
    expect(describeConnectionFailure(at('10.0.0.5', 443), many)?.dependency).toBe('Web at 10.0.0.5:443');
    // Same host, another port: not that dependency.
    expect(describeConnectionFailure(at('127.0.0.1', 7071), many)?.dependency).toBe('127.0.0.1:7071');
    // No address at all and one dependency configured: it is that one.
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expect(describeConnectionFailure(reset, { S3: 'http://127.0.0.1:7070' })?.message).toBe(
      'S3 at 127.0.0.1:7070: connection reset',
    );
    expect(describeConnectionFailure(reset, many)?.message).toBe('a dependency: connection reset');
  });
});
