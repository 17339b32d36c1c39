import { createHash } from 'node:crypto';
import { DeleteBucketCommand } from '@aws-sdk/client-s3';
import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import { RUN_LEDGER_FILE, runsIndexName } from '../../src/workflows/run-ledger/run-ledger-contracts';
import type { ObjectStore } from '../../src/storage/object-store';
import { createS3Client } from '../../src/workers/clients';
import type { DaybreakConfig } from '../../src/workers/config';

/**
 * Everything a tenant-day run leaves behind, in a form two runs can be compared by: every object
 * under the outputs, reports and quarantine prefixes of a bucket the test owns (key -> sha256), and
 * every document of the test's index prefix (index, id, source) with the aliases. A disturbed run is
 * correct when its snapshot equals an undisturbed run's of the same generated data.
 */
export interface DayOutputs {
  objects: Record<string, string>;
  documents: string[];
  aliases: Record<string, string[]>;
}

const OUTPUT_PREFIXES = ['outputs/', 'reports/', 'quarantine/'];

// The run ledger records when and how a run went (times, run ids, attempts): bookkeeping about the
// outputs, which differs between a disturbed and an undisturbed run by design.
const isLedger = (key: string) => key.endsWith(`/${RUN_LEDGER_FILE}`);

async function outputKeys(store: ObjectStore): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of OUTPUT_PREFIXES)
    for await (const o of store.list(prefix)) if (!isLedger(o.key)) keys.push(o.key);
  return keys.sort();
}

async function indices(es: ElasticsearchClient, indexPrefix: string): Promise<string[]> {
  const rows = await es.cat.indices({ index: `${indexPrefix}-*`, format: 'json', h: 'index' });
  return rows
    .map((r) => r.index ?? '')
    .filter((name) => name !== runsIndexName(indexPrefix))
    .sort();
}

/** What differs between two snapshots of a day's outputs, by object key, served documents and aliases. */
export function outputDifferences(a: DayOutputs, b: DayOutputs): string[] {
  const keys = new Set([...Object.keys(a.objects), ...Object.keys(b.objects)]);
  const out = [...keys].filter((k) => a.objects[k] !== b.objects[k]).map((k) => `object ${k}`);
  if (JSON.stringify(a.documents) !== JSON.stringify(b.documents)) out.push('served documents');
  if (JSON.stringify(a.aliases) !== JSON.stringify(b.aliases)) out.push('aliases');
  return out;
}

export async function snapshotDayOutputs(
  store: ObjectStore,
  es: ElasticsearchClient,
  indexPrefix: string,
): Promise<DayOutputs> {
  const objects: Record<string, string> = {};
  for (const key of await outputKeys(store))
    objects[key] = createHash('sha256')
      .update(await store.getBytes(key))
      .digest('hex');
  const documents: string[] = [];
  const aliases: Record<string, string[]> = {};
  for (const index of await indices(es, indexPrefix)) {
    await es.indices.refresh({ index });
    const page = await es.search<unknown>({ index, size: 10_000, query: { match_all: {} } });
    for (const hit of page.hits.hits) documents.push(JSON.stringify([index, hit._id, hit._source]));
    const found = await es.indices.getAlias({ index });
    aliases[index] = Object.keys(found[index]?.aliases ?? {}).sort();
  }
  return { objects, documents: documents.sort(), aliases };
}

/** Removes a run's outputs and indices, so the next run of the same day must write them all again. */
export async function deleteDayOutputs(store: ObjectStore, es: ElasticsearchClient, indexPrefix: string) {
  for (const key of await outputKeys(store)) await store.delete(key);
  const names = await indices(es, indexPrefix);
  if (names.length > 0) await es.indices.delete({ index: names, ignore_unavailable: true });
}

/** Removes a bucket a test created, with everything in it. */
export async function removeBucket(s3: DaybreakConfig['s3'], store: ObjectStore): Promise<void> {
  for await (const o of store.list('')) await store.delete(o.key);
  const client = createS3Client(s3);
  try {
    await client.send(new DeleteBucketCommand({ Bucket: s3.bucket }));
  } finally {
    client.destroy();
  }
}
