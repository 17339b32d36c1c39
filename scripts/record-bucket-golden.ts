/**
 * Records test/fixtures/bucket-invariance-golden.json: the sha256 of every dataset of the golden
 * days (test/support/golden-days.ts) as the engine of the release before buckets wrote them, one
 * partition, no threads. Run once, from that release; the invariance tests compare every bucket,
 * partition and thread layout with these bytes.
 *
 *   npx tsx scripts/record-bucket-golden.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { FsObjectStore } from '../src/storage/fs-object-store';
import { createMetricActivities } from '../src/activities/tenant-days/metric-activities';
import { runMetricDayInProcess } from '../src/activities/tenant-days/in-process';
import { outputKey } from '../src/common/keys';
import { GOLDEN_DATASETS, sha256, writeGoldenInputs } from '../test/support/golden-days';

async function main(): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'daybreak-golden-'));
  try {
    const store = new FsObjectStore(root);
    const runs = await writeGoldenInputs(store);
    const activities = createMetricActivities({ store, minPartitionBytes: 0 });
    const golden: Record<string, string> = {};
    for (const run of runs) {
      const { label, ...ref } = run;
      await runMetricDayInProcess({ ...ref, activities, maxPartitions: 1, badDataPolicy: 'quarantine' });
      for (const name of GOLDEN_DATASETS)
        golden[`${label}/${name}`] = sha256(await store.getBytes(outputKey(ref, name)));
    }
    const file = path.join(__dirname, '..', 'test', 'fixtures', 'bucket-invariance-golden.json');
    writeFileSync(file, JSON.stringify(golden, null, 2) + '\n');
    console.log(`wrote ${Object.keys(golden).length} digests to ${file}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

void main();
