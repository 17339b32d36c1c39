import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createActivities } from '../../../src/activities';
import { runMetricDayInProcess } from '../../../src/activities/tenant-days/in-process';
import type { GenerateSummary } from '../../../src/generator/generate';
import { generate } from '../../../src/generator/generate';
import { outputKey } from '../../../src/common/keys';
import type { RunRef } from '../../../src/workflows/tenant-days/pipeline-contracts';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { PartitionThreadPool } from '../../../src/workers/partition-threads';

/**
 * The composition the worker and the demo use (createActivities, and a PartitionThreadPool built
 * without naming a registry) checks writer schemas against the registry in the store by default,
 * on a `daybreak generate --corrupt` store. The report: without it, the generator's 1,000
 * records of an unregistered schema were accepted as data.
 */

const dirs: string[] = [];
const pools: PartitionThreadPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const DAY = '2026-03-10';

async function corruptStore(withoutUnknownSchema = false): Promise<{ root: string; summary: GenerateSummary }> {
  const root = mkdtempSync(path.join(tmpdir(), 'daybreak-registry-'));
  dirs.push(root);
  const store = new FsObjectStore(root);
  const summary = await generate(
    { tenants: 1, days: 1, eventsPerDay: 400, seed: 'registry-wiring', startDay: DAY, corrupt: true },
    store,
  );
  if (withoutUnknownSchema) await store.delete(summary.corrupt.find((c) => c.kind === 'unknown-schema')!.key);
  return { root, summary };
}

/** createActivities as the worker calls it, with clients this test never reaches. */
function workerActivities(store: FsObjectStore, threads?: PartitionThreadPool) {
  return createActivities({
    store,
    es: {} as never,
    temporal: {} as never,
    indexPrefix: 'unused',
    laneDefaults: { taskQueue: 'unused', primaryVersion: 'v1' },
    loadTenants: () => Promise.resolve([]),
    minPartitionBytes: 0,
    partitionRunner: threads?.runner,
  });
}

async function runDay(root: string, summary: GenerateSummary, threads?: PartitionThreadPool) {
  const store = new FsObjectStore(root);
  const tenant = summary.tenants[0];
  const run: RunRef = {
    tenantId: tenant.id,
    day: DAY,
    timeZone: tenant.timeZone,
    pipelineVersion: 'v1',
    runKind: 'primary',
  };
  const job = await runMetricDayInProcess({
    activities: workerActivities(store, threads),
    ...run,
    maxPartitions: 3,
    badDataPolicy: 'quarantine',
  });
  return {
    quarantined: job.partitions.reduce((n, p) => n + p.counts.quarantined, 0),
    quarantineKeys: job.partitions.flatMap((p) => p.quarantineKeys),
    accounts: await store.getBytes(outputKey(run, 'accounts.avro')),
  };
}

describe('schema registry wiring of the worker composition', () => {
  for (const where of ['the activity thread', 'partition threads'] as const) {
    it(`quarantines the --corrupt store's unregistered file on ${where}, and it changes no document`, async () => {
      const threads = (root: string) => {
        if (where === 'the activity thread') return undefined;
        // No registryPrefix: the default must still check.
        const pool = new PartitionThreadPool({ threads: 2, store: { kind: 'fs', root } });
        pools.push(pool);
        return pool;
      };
      const corrupt = await corruptStore();
      const clean = await corruptStore(true);
      const got = await runDay(corrupt.root, corrupt.summary, threads(corrupt.root));
      const without = await runDay(clean.root, clean.summary, threads(clean.root));

      const unknown = corrupt.summary.corrupt.find((c) => c.kind === 'unknown-schema')!;
      expect(unknown.badRecords).toBe(1000);
      const flattened = unknown.key.replace(/[^A-Za-z0-9._=-]/g, '_');
      expect(got.quarantineKeys).toContain(
        `quarantine/tenant=${unknown.tenantId}/date=${DAY}/${flattened}/whole-file.avro`,
      );
      // The generator's own declaration of what is unusable: all three planted files.
      const planted = corrupt.summary.corrupt.reduce((n, c) => n + c.badRecords, 0);
      expect(got.quarantined).toBe(planted);
      expect(without.quarantined).toBe(planted - 1000);
      // The documents are those of the same store without the file: its 1,000 records count nowhere.
      expect(got.accounts.equals(without.accounts)).toBe(true);
    });
  }
});
