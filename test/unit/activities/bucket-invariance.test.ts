import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as avro from 'avsc';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { createMetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { runMetricDayInProcess } from '../../../src/activities/tenant-days/in-process';
import { PartitionThreadPool } from '../../../src/workers/partition-threads';
import { encodeContainerBytes, loadSchema } from '../../../src/schemas/avro-container';
import { outputKey } from '../../../src/common/keys';
import { bucketPath } from '../../../src/metrics/buckets';
import type { BucketDataset } from '../../../src/metrics/buckets';
import { ACCOUNT_DAY_STATE_SCHEMA } from '../../../src/metrics/account-state';
import { ROLLING_STATE_SCHEMA } from '../../../src/metrics/rolling';
import { DAY_STATE_SYNC, syncMarker } from '../../../src/activities/tenant-days/datasets';
import { blocksOf } from '../../../src/schemas/ocf-block-source';
import { GOLDEN_DATASETS, sha256, writeGoldenInputs } from '../../support/golden-days';
import type { GoldenRun } from '../../support/golden-days';

/**
 * Issue 15, point 5: whatever the number of buckets, partitions and partition threads, every
 * dataset of the golden days has the bytes the engine wrote before buckets existed
 * (test/fixtures/bucket-invariance-golden.json, recorded from that release). A bucketed internal
 * dataset is compared through its canonical form: its bucket files merged in accountId order and
 * written as the single file (same schema, marker and block rule); accounts.avro is always one file.
 */
const golden = JSON.parse(
  readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'bucket-invariance-golden.json'), 'utf8'),
) as Record<string, string>;

const types: Record<BucketDataset, { type: avro.Type; sync: Buffer }> = {
  'daily-usage': { type: avro.Type.forSchema(ACCOUNT_DAY_STATE_SCHEMA as avro.Schema), sync: DAY_STATE_SYNC },
  rolling: { type: avro.Type.forSchema(ROLLING_STATE_SCHEMA as avro.Schema), sync: syncMarker('rolling.avro') },
  attributes: { type: avro.Type.forSchema(loadSchema('account-attributes.avsc')), sync: syncMarker('attributes.avro') },
  accounts: { type: avro.Type.forSchema(loadSchema('account-document.avsc')), sync: syncMarker('accounts.avro') },
  'activity-histogram': { type: avro.Type.forSchema(ACCOUNT_DAY_STATE_SCHEMA as avro.Schema), sync: DAY_STATE_SYNC },
};

/** The single-file bytes of a dataset stored in `buckets` files: rows merged in accountId order, written as one file. */
async function canonicalBytes(store: FsObjectStore, run: GoldenRun, name: string, buckets: number): Promise<Buffer> {
  const dataset = name.replace(/\.avro$/, '') as BucketDataset;
  if (buckets === 1 || dataset === 'accounts') return store.getBytes(outputKey(run, name));
  const { type, sync } = types[dataset];
  const rows: { accountId: string }[] = [];
  for (let b = 0; b < buckets; b++) {
    const key = outputKey(run, bucketPath(dataset, b, buckets));
    for await (const block of blocksOf<{ accountId: string }>(await store.getBytes(key), type, key))
      rows.push(...block);
  }
  rows.sort((x, y) => (x.accountId < y.accountId ? -1 : x.accountId > y.accountId ? 1 : 0));
  return encodeContainerBytes(type, rows, { sync });
}

const roots: string[] = [];
const pools: PartitionThreadPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
  for (const root of roots) rmSync(root, { recursive: true, force: true });
}, 60_000);

async function runGoldenDays(layout: { buckets: number; partitions: number; threads: number; shareBytes?: number }) {
  const root = mkdtempSync(path.join(tmpdir(), 'daybreak-invariance-'));
  roots.push(root);
  const store = new FsObjectStore(root);
  const runs = await writeGoldenInputs(store);
  const pool =
    layout.threads > 0
      ? new PartitionThreadPool({
          threads: layout.threads,
          store: { kind: 'fs', root },
          ...(layout.shareBytes ? { memoryShareBytes: layout.shareBytes } : {}),
        })
      : undefined;
  if (pool) pools.push(pool);
  const activities = createMetricActivities({
    store,
    minPartitionBytes: 0,
    partitionRunner: pool?.runner,
    bucketTaskRunner: pool?.taskRunner,
    ...(layout.shareBytes ? { memoryShareBytes: layout.shareBytes } : {}),
  });
  const digests: Record<string, string> = {};
  let spills = 0;
  let attributeRuns = 0;
  for (const run of runs) {
    const { label, ...ref } = run;
    const job = await runMetricDayInProcess({
      ...ref,
      activities,
      maxPartitions: layout.partitions,
      badDataPolicy: 'quarantine',
      buckets: layout.buckets,
    });
    expect(job.layout.buckets).toBe(layout.buckets);
    spills += job.partitions.reduce((n, p) => n + (p.runs ?? 1) - 1, 0);
    attributeRuns += job.tasks.reduce((n, t) => n + (t.task === 'attributes' ? (t.runs ?? 0) : 0), 0);
    for (const name of GOLDEN_DATASETS)
      digests[`${label}/${name}`] = sha256(await canonicalBytes(store, run, name, layout.buckets));
  }
  return { store, runs, digests, activities, spills, attributeRuns };
}

describe('bucket, partition and thread invariance (issue 15)', () => {
  it('the golden fixture covers every dataset of every golden run', () => {
    expect(Object.keys(golden)).toHaveLength(7 * GOLDEN_DATASETS.length);
  });

  for (const layout of [
    { buckets: 1, partitions: 1, threads: 0 },
    { buckets: 4, partitions: 3, threads: 2 },
    { buckets: 64, partitions: 5, threads: 0 },
    { buckets: 16, partitions: 1, threads: 0 },
  ]) {
    it(`${layout.buckets} buckets, ${layout.partitions} partitions, ${layout.threads} threads: the bytes of the release before`, async () => {
      const { digests } = await runGoldenDays(layout);
      expect(digests).toEqual(golden);
    }, 240_000);
  }

  it('bounded memory: a tiny share spills the aggregation and the attribute split, and changes no byte', async () => {
    // 256 KiB per task: every partition of the golden days passes it and writes several runs.
    for (const threads of [2]) {
      const { digests, spills, attributeRuns } = await runGoldenDays({
        buckets: 8,
        partitions: 2,
        threads,
        shareBytes: 256 * 1024,
      });
      expect(spills, `threads ${threads}`).toBeGreaterThan(0);
      expect(attributeRuns, `threads ${threads}`).toBeGreaterThan(1);
      expect(digests).toEqual(golden);
    }
  }, 240_000);

  it('a rerun with another bucket count leaves one layout and the same bytes', async () => {
    const { store, runs, activities } = await runGoldenDays({ buckets: 4, partitions: 2, threads: 0 });
    const { label, ...ref } = runs[0];
    await runMetricDayInProcess({ ...ref, activities, maxPartitions: 2, badDataPolicy: 'quarantine', buckets: 8 });
    for (const name of GOLDEN_DATASETS)
      expect(sha256(await canonicalBytes(store, runs[0], name, 8)), name).toBe(golden[`${label}/${name}`]);
    const listed: string[] = [];
    for await (const o of store.list(`${outputKey(ref, 'daily-usage.avro').replace(/\.avro$/, '')}/`))
      listed.push(o.key);
    expect(listed.every((k) => k.includes('-of-0008'))).toBe(true);
    expect(await store.exists(outputKey(ref, 'daily-usage.avro'))).toBe(false);
  }, 240_000);
});
