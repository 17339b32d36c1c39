import { createHash } from 'node:crypto';
import type { ObjectStore } from '../../src/storage/object-store';
import { generate } from '../../src/generator/generate';
import { addDays } from '../../src/common/days';
import type { RunRef } from '../../src/workflows/tenant-days/pipeline-contracts';
import { writeAttributes, writeRawDay } from './metric-fixtures';

/**
 * The days whose outputs issue 15's invariance tests hold to the bytes the engine wrote before
 * buckets existed (test/fixtures/bucket-invariance-golden.json, recorded by
 * scripts/record-bucket-golden.ts from the release before): three generated days of one tenant
 * (so rolling windows and healthDelta read history) under both versions, and the hand-made fixture
 * day with a non-ASCII account id.
 */
export const GOLDEN_DATASETS = ['attributes.avro', 'daily-usage.avro', 'rolling.avro', 'accounts.avro'] as const;

export interface GoldenRun extends RunRef {
  label: string;
}

/** Writes the golden inputs into `store` and returns the runs, in the order they must run (history first). */
export async function writeGoldenInputs(store: ObjectStore): Promise<GoldenRun[]> {
  const summary = await generate({ tenants: 1, days: 3, eventsPerDay: 30_000, seed: 'issue15-golden' }, store);
  const tenant = summary.tenants[0];
  const runs: GoldenRun[] = [];
  for (let d = 0; d < 3; d++) {
    const day = addDays(summary.startDay, d);
    for (const pipelineVersion of ['v1', 'v2']) {
      runs.push({
        label: `${tenant.id}/${day}/${pipelineVersion}`,
        tenantId: tenant.id,
        day,
        timeZone: tenant.timeZone,
        pipelineVersion,
        runKind: 'primary',
      });
    }
  }
  const fixtureDay = '2026-03-08';
  await writeRawDay(store, 'golden-fixture', fixtureDay, 'America/New_York');
  await writeAttributes(store, 'golden-fixture', fixtureDay);
  runs.push({
    label: `golden-fixture/${fixtureDay}/v1`,
    tenantId: 'golden-fixture',
    day: fixtureDay,
    timeZone: 'America/New_York',
    pipelineVersion: 'v1',
    runKind: 'primary',
  });
  return runs;
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
