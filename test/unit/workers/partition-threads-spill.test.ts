import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { createMetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { aggregatePartitionIn } from '../../../src/activities/tenant-days/aggregate-partition';
import { runMetricDayInProcess } from '../../../src/activities/tenant-days/in-process';
import { PartitionThreadPool } from '../../../src/workers/partition-threads';
import { outputKey, outputPrefix } from '../../../src/common/keys';
import type { RunRef } from '../../../src/workflows/tenant-days/pipeline-contracts';
import { writeAttributes, writeRawDay } from '../../support/metric-fixtures';

const roots: string[] = [];
const pools: PartitionThreadPool[] = [];
afterAll(async () => {
  for (const p of pools) await p.close();
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const day = '2026-03-08';
const run: RunRef = { tenantId: 'acme', day, timeZone: 'America/New_York', pipelineVersion: 'v1', runKind: 'primary' };

async function newDay(): Promise<{ root: string; store: FsObjectStore }> {
  const root = mkdtempSync(path.join(tmpdir(), 'daybreak-thread-spill-'));
  roots.push(root);
  const store = new FsObjectStore(root);
  await writeRawDay(store, 'acme', day, run.timeZone);
  await writeAttributes(store, 'acme', day);
  return { root, store };
}

/** Every object of the run's outputs under `sub`, by key relative to the output prefix. */
async function filesUnder(store: FsObjectStore, sub = ''): Promise<Map<string, string>> {
  const prefix = outputPrefix(run);
  const out = new Map<string, string>();
  for await (const o of store.list(prefix + sub)) {
    out.set(o.key.slice(prefix.length), (await store.getBytes(o.key)).toString('hex'));
  }
  return out;
}

describe('partition threads with buckets and a tiny memory share', () => {
  it('write exactly the run files the activity thread writes, many spills of 8 buckets', async () => {
    const inline = await newDay();
    const threaded = await newDay();
    const plan = await createMetricActivities({ store: inline.store, minPartitionBytes: 0 }).planPartitions({
      ...run,
      maxPartitions: 3,
    });
    expect(plan.partitions).toHaveLength(3);
    const threads = new PartitionThreadPool({
      threads: 2,
      store: { kind: 'fs', root: threaded.root },
      memoryShareBytes: 1,
    });
    pools.push(threads);
    for (const partition of plan.partitions) {
      const input = { ...run, partition, badDataPolicy: 'fail' as const, buckets: 8 };
      const a = await aggregatePartitionIn({ store: inline.store, memoryShareBytes: 1 }, input, () => {});
      const b = await threads.aggregate(input, () => {});
      expect(b).toEqual(a);
      expect(a.runs).toBeGreaterThan(5);
    }
    const files = await filesUnder(inline.store, 'partials/');
    expect(files.size).toBe(8 * [...files.keys()].filter((k) => k.includes('bucket-0001-of-0008')).length);
    expect(files.size).toBeGreaterThan(8 * 3 * 5);
    expect(await filesUnder(threaded.store, 'partials/')).toEqual(files);
  });

  it('give a whole day the outputs of an unconstrained run, when every partition spills', async () => {
    const free = await newDay();
    await runMetricDayInProcess({
      activities: createMetricActivities({ store: free.store, minPartitionBytes: 0 }),
      ...run,
      maxPartitions: 3,
      badDataPolicy: 'fail',
      buckets: 8,
    });
    const tight = await newDay();
    const threads = new PartitionThreadPool({
      threads: 2,
      store: { kind: 'fs', root: tight.root },
      memoryShareBytes: 1,
    });
    pools.push(threads);
    const job = await runMetricDayInProcess({
      activities: createMetricActivities({
        store: tight.store,
        minPartitionBytes: 0,
        partitionRunner: threads.runner,
        memoryShareBytes: 1,
      }),
      ...run,
      maxPartitions: 3,
      badDataPolicy: 'fail',
      buckets: 8,
    });
    expect(job.partitions.every((p) => (p.runs ?? 1) > 5)).toBe(true);
    const datasets = async (store: FsObjectStore) =>
      new Map([...(await filesUnder(store))].filter(([key]) => !key.startsWith('partials/')));
    const expected = await datasets(free.store);
    expect(expected.has('accounts.avro')).toBe(true);
    expect(await datasets(tight.store)).toEqual(expected);
    expect((await tight.store.getBytes(outputKey(run, 'accounts.avro'))).length).toBeGreaterThan(0);
  });
});
