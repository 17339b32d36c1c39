import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { testLogger } from '../../support/logging';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { createMetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { runMetricDayInProcess } from '../../../src/activities/tenant-days/in-process';
import { PartitionThreadPool } from '../../../src/workers/partition-threads';
import { readConfig } from '../../../src/workers/config';
import { describeConnectionFailure } from '../../../src/common/outage';
import { outputKey, outputPrefix, rawHourPrefix } from '../../../src/common/keys';
import type { AggregatePartitionResult, RunRef } from '../../../src/workflows/tenant-days/pipeline-contracts';
import { writeAttributes, writeRawDay } from '../../support/metric-fixtures';

const dirs: string[] = [];
const pools: PartitionThreadPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newRoot(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-threads-'));
  dirs.push(dir);
  return dir;
}

function pool(root: string, threads = 2): PartitionThreadPool {
  const p = new PartitionThreadPool({ threads, store: { kind: 'fs', root } });
  pools.push(p);
  return p;
}

const day = '2026-03-08';
const run: RunRef = { tenantId: 'acme', day, timeZone: 'America/New_York', pipelineVersion: 'v1', runKind: 'primary' };

async function outputs(store: FsObjectStore) {
  const out: Record<string, string> = {};
  for (const name of ['daily-usage.avro', 'rolling.avro', 'accounts.avro']) {
    out[name] = (await store.getBytes(outputKey(run, name))).toString('hex');
  }
  return out;
}

describe('partition threads', () => {
  it('write the same bytes as the activity thread, for 1 and 3 partitions', async () => {
    const roots = [newRoot(), newRoot()];
    for (const root of roots) {
      await writeRawDay(new FsObjectStore(root), 'acme', day, run.timeZone);
      await writeAttributes(new FsObjectStore(root), 'acme', day);
    }
    for (const maxPartitions of [1, 3]) {
      const inline = new FsObjectStore(roots[0]);
      await runMetricDayInProcess({
        activities: createMetricActivities({ store: inline, minPartitionBytes: 0 }),
        ...run,
        maxPartitions,
        badDataPolicy: 'fail',
      });
      const threaded = new FsObjectStore(roots[1]);
      const threads = pool(roots[1]);
      const job = await runMetricDayInProcess({
        activities: createMetricActivities({
          store: threaded,
          minPartitionBytes: 0,
          partitionRunner: threads.runner,
        }),
        ...run,
        maxPartitions,
        badDataPolicy: 'fail',
      });
      expect(job.partitions).toHaveLength(maxPartitions);
      expect(job.partitions.every((p) => p.counts.accepted > 0)).toBe(true);
      expect(await outputs(threaded)).toEqual(await outputs(inline));
    }
  });

  it('run bucket tasks on threads with the same bytes, and keep their error types', async () => {
    const roots = [newRoot(), newRoot()];
    for (const root of roots) {
      await writeRawDay(new FsObjectStore(root), 'acme', day, run.timeZone);
      await writeAttributes(new FsObjectStore(root), 'acme', day);
    }
    const inline = new FsObjectStore(roots[0]);
    await runMetricDayInProcess({
      activities: createMetricActivities({ store: inline, minPartitionBytes: 0 }),
      ...run,
      maxPartitions: 2,
      badDataPolicy: 'fail',
      buckets: 4,
    });
    const threaded = new FsObjectStore(roots[1]);
    const threads = pool(roots[1]);
    let onThreads = 0;
    const activities = createMetricActivities({
      store: threaded,
      minPartitionBytes: 0,
      partitionRunner: threads.runner,
      bucketTaskRunner: (input, signal) => {
        onThreads++;
        return threads.taskRunner(input, signal);
      },
    });
    const job = await runMetricDayInProcess({
      activities,
      ...run,
      maxPartitions: 2,
      badDataPolicy: 'fail',
      buckets: 4,
    });
    // attributes, then 4 each of daily-usage, rolling-windows, distribution and documents, then assemble.
    expect(onThreads).toBe(1 + 4 * 4 + 1);
    expect(job.tasks).toHaveLength(onThreads);
    const bucketFiles = async (store: FsObjectStore) => {
      const out: Record<string, string> = {};
      for await (const o of store.list(outputPrefix(run))) {
        out[o.key] = (await store.getBytes(o.key)).toString('hex');
      }
      return out;
    };
    const expected = await bucketFiles(inline);
    expect(Object.keys(expected).some((k) => k.includes('/rolling/bucket-0004-of-0004'))).toBe(true);
    expect(await bucketFiles(threaded)).toEqual(expected);

    // A task whose input is missing fails on the thread as it does here: not retryable, naming what to run first.
    const error = await activities
      .runMetricTask({ ...run, day: '2026-03-09', task: 'rolling-windows', bucket: { index: 2, count: 4 } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toMatchObject({ type: 'InvalidInputError', nonRetryable: true });
    expect((error as Error).message).toMatch(/bucket 3\/4 of .*acme.*2026-03-09/);
  });

  it('heartbeat progress from the thread up to { done: total, total }', async () => {
    const root = newRoot();
    const store = new FsObjectStore(root);
    await writeRawDay(store, 'acme', day, run.timeZone);
    const activities = createMetricActivities({ store, minPartitionBytes: 0, partitionRunner: pool(root).runner });
    const plan = await activities.planPartitions({ ...run, maxPartitions: 1 });
    const env = new MockActivityEnvironment(undefined, { logger: testLogger });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const input = { ...run, partition: plan.partitions[0], badDataPolicy: 'fail' as const };
    const result: AggregatePartitionResult = await env.run(
      (i: typeof input) => activities.aggregatePartition(i),
      input,
    );
    const total = plan.partitions[0].inputKeys.length;
    expect(result.counts.accepted).toBeGreaterThan(0);
    expect(beats.length).toBeGreaterThan(1);
    expect(beats.at(-1)).toEqual({ done: total, total });
  });

  it('fail permanently with the thread error type, naming the key, on corrupt data', async () => {
    const root = newRoot();
    const store = new FsObjectStore(root);
    const key = rawHourPrefix('acme', { date: day, hour: 12 }) + 'bad.avro';
    await store.put(key, Buffer.from('Obj\x01 definitely not avro'));
    const activities = createMetricActivities({ store, partitionRunner: pool(root).runner });
    const attempt = activities.aggregatePartition({
      ...run,
      partition: { index: 0, count: 1, inputKeys: [key] },
      badDataPolicy: 'fail',
    });
    await expect(attempt).rejects.toMatchObject({
      type: 'CorruptDataError',
      nonRetryable: true,
      message: expect.stringContaining(key) as unknown,
    });
    // The thread is still usable afterwards: quarantine the same file instead.
    const quarantined = await activities.aggregatePartition({
      ...run,
      partition: { index: 0, count: 1, inputKeys: [key] },
      badDataPolicy: 'quarantine',
    });
    expect(quarantined.quarantineKeys).toHaveLength(1);
  });

  it('carry the code and address of a network error out of the thread, so an outage is named, not a bug', async () => {
    // A port nobody listens on: the thread's S3 client gets connection refused.
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const endpoint = `http://127.0.0.1:${port}`;
    const p = new PartitionThreadPool({ threads: 1, store: { kind: 's3', s3: { ...readConfig({}).s3, endpoint } } });
    pools.push(p);
    const attempt = p.runner(
      {
        ...run,
        partition: { index: 0, count: 1, inputKeys: [rawHourPrefix('acme', { date: day, hour: 12 }) + 'a.avro'] },
        badDataPolicy: 'fail',
      },
      () => undefined,
    );
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ECONNREFUSED', address: '127.0.0.1', port });
    expect(describeConnectionFailure(error, { S3: endpoint, Elasticsearch: 'http://127.0.0.1:9200' })?.message).toBe(
      `S3 at 127.0.0.1:${port}: connection refused`,
    );
  });

  it('queue partitions beyond the thread count, and refuse work once closed', async () => {
    const root = newRoot();
    const store = new FsObjectStore(root);
    await writeRawDay(store, 'acme', day, run.timeZone);
    const threads = pool(root, 1);
    const activities = createMetricActivities({ store, minPartitionBytes: 0, partitionRunner: threads.runner });
    const plan = await activities.planPartitions({ ...run, maxPartitions: 3 });
    const results = await Promise.all(
      plan.partitions.map((partition) => activities.aggregatePartition({ ...run, partition, badDataPolicy: 'fail' })),
    );
    expect(results.map((r) => r.partialKey.split('/').pop())).toEqual([
      'part-0001-of-0003.avro',
      'part-0002-of-0003.avro',
      'part-0003-of-0003.avro',
    ]);
    // Cancelling a partition stops its thread; the next partition gets a fresh one.
    const cancel = new AbortController();
    const cancelled = threads.aggregate(
      { ...run, partition: plan.partitions[0], badDataPolicy: 'fail' },
      () => cancel.abort(new Error('activity cancelled')),
      cancel.signal,
    );
    await expect(cancelled).rejects.toThrow(/activity cancelled/);
    const again = await activities.aggregatePartition({ ...run, partition: plan.partitions[1], badDataPolicy: 'fail' });
    expect(again.counts).toEqual(results[1].counts);
    await threads.close();
    await expect(
      activities.aggregatePartition({ ...run, partition: plan.partitions[0], badDataPolicy: 'fail' }),
    ).rejects.toThrow(/closed/);
    expect(() => new PartitionThreadPool({ threads: 0, store: { kind: 'fs', root } })).toThrow(/positive integer/);
  });
});
