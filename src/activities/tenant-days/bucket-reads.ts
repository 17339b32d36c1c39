import type * as avro from 'avsc';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';
import { InvalidInputError } from '../../common/errors';
import type { OutputLocation } from '../../common/keys';
import { outputKey, outputPrefix } from '../../common/keys';
import type { HistoryLayouts, RunRef, StoredLayout } from '../../workflows/tenant-days/pipeline-contracts';
import type { BucketDataset, BucketRef } from '../../metrics/buckets';
import { bucketOfAccount, bucketPath, coveringBuckets, layoutOfListing } from '../../metrics/buckets';
import type { HistoryDay, HistorySource } from '../../metrics/history-lookup';
import { ROLLING_PROBE_DAYS, planHistory } from '../../metrics/history-lookup';
import { PIPELINE_VERSIONS } from '../../metrics/pipelines';
import { mergeSortedBlocks } from '../../metrics/sorted-merge';
import { CorruptDataError } from '../../common/errors';
import type { Readable } from 'node:stream';
import { blocksOf, encodedRowsOf } from '../../schemas/ocf-block-source';

/**
 * Reading bucketed datasets: the layout a stored day's dataset has (one file, or a set of N
 * bucket files), where a run's earlier days are, and one bucket's rows of any stored layout, in
 * accountId order, a block at a time (the nesting of top-bit buckets makes every layout readable
 * by every bucket count: docs/metrics.md, "Scaling in accounts").
 */

const describeLoc = (l: OutputLocation) => `tenant ${l.tenantId} day ${l.day} (${l.pipelineVersion}/${l.runKind})`;

/** The bucket count `dataset` is stored with in the run at `loc`; null when the run has no such dataset. */
export async function storedLayoutOf(
  store: ObjectStore,
  loc: OutputLocation,
  dataset: BucketDataset,
  rerun: string,
): Promise<number | null> {
  const prefix = outputPrefix(loc);
  const relative: string[] = [];
  const single = outputKey(loc, `${dataset}.avro`);
  const [hasSingle] = await Promise.all([
    store.exists(single),
    (async () => {
      for await (const o of store.list(`${prefix}${dataset}/`)) relative.push(o.key.slice(prefix.length));
    })(),
  ]);
  if (hasSingle) relative.push(`${dataset}.avro`);
  const layout = layoutOfListing(dataset, relative);
  if (layout.status === 'missing') return null;
  if (layout.status === 'invalid') {
    throw new InvalidInputError(`${prefix} of ${describeLoc(loc)}: ${layout.problem}; rerun ${loc.day} from ${rerun}`);
  }
  return layout.buckets;
}

const at = (run: RunRef, day: string, source: HistorySource): OutputLocation => ({
  tenantId: run.tenantId,
  day,
  pipelineVersion: source.pipelineVersion,
  runKind: source.runKind,
});

/** The first source of `history` that has `dataset`, with its layout; null when none has. */
async function firstStored(
  store: ObjectStore,
  run: RunRef,
  history: HistoryDay,
  dataset: BucketDataset,
  rerun: string,
): Promise<StoredLayout | null> {
  for (const source of history.sources) {
    const buckets = await storedLayoutOf(store, at(run, history.day, source), dataset, rerun);
    if (buckets !== null) return { day: history.day, source, buckets };
  }
  return null;
}

/**
 * Where a run's earlier days are (planHistory's sources, first found wins), resolved once per
 * tenant-day so that its bucket tasks open exact keys and never list. The 29 usage days are
 * resolved at once; the rolling carry probes ROLLING_PROBE_DAYS days at a time, latest first.
 */
export async function resolveHistoryLayouts(
  store: ObjectStore,
  run: RunRef,
  primaryPipelineVersion?: string,
): Promise<HistoryLayouts> {
  const plan = planHistory({ ...run, primaryPipelineVersion, knownVersions: PIPELINE_VERSIONS });
  const [usage, documents, rolling] = await Promise.all([
    Promise.all(plan.usage.map((day) => firstStored(store, run, day, 'daily-usage', 'daily-usage'))),
    firstStored(store, run, plan.documents, 'accounts', 'account-documents'),
    (async () => {
      for (let i = 0; i < plan.rolling.length; i += ROLLING_PROBE_DAYS) {
        const found = await Promise.all(
          plan.rolling
            .slice(i, i + ROLLING_PROBE_DAYS)
            .map((day) => firstStored(store, run, day, 'rolling', 'rolling-windows')),
        );
        const hit = found.find((f) => f !== null);
        if (hit) return hit;
      }
      return null;
    })(),
  ]);
  return { usage, rolling, documents };
}

/** A stored file's blocks, with a missing file named as such. */
export function fileBlocks<T>(store: ObjectStore, key: string, type: avro.Type, what: string): AsyncGenerator<T[]> {
  return storedBlocks(store, key, what, (body) => blocksOf<T>(body, type, key));
}

/** A stored file's rows as their accountId and encoded bytes (encodedRowsOf), a missing file named as such. */
export function fileEncodedRows(store: ObjectStore, key: string, type: avro.Type, what: string) {
  return storedBlocks(store, key, what, (body) => encodedRowsOf(body, type, 'accountId', key));
}

async function* storedBlocks<R>(
  store: ObjectStore,
  key: string,
  what: string,
  blocks: (body: Readable) => AsyncGenerator<R[]>,
): AsyncGenerator<R[]> {
  let body;
  try {
    body = await store.get(key);
  } catch (error) {
    if (error instanceof NotFoundError) throw new InvalidInputError(`${what}: ${key} does not exist`);
    throw error;
  }
  try {
    for await (const block of blocks(body)) yield block;
  } catch (error) {
    if (error instanceof CorruptDataError || error instanceof InvalidInputError) throw error;
    throw new CorruptDataError(`${what}: ${key} cannot be decoded: ${(error as Error).message}`, key);
  }
}

async function* filtered<T extends { accountId: string }>(
  blocks: AsyncIterable<T[]>,
  bucket: BucketRef,
): AsyncGenerator<T[]> {
  for await (const block of blocks) {
    const kept = block.filter((row) => bucketOfAccount(row.accountId, bucket.count) === bucket.index);
    if (kept.length > 0) yield kept;
  }
}

/**
 * Bucket `bucket` of a dataset stored with `storedBuckets` buckets at `loc`, sorted by accountId:
 * the same file, the merge of the finer files it splits into, or the coarser file filtered to it.
 */
export function bucketRows<T extends { accountId: string }>(
  store: ObjectStore,
  loc: OutputLocation,
  dataset: BucketDataset,
  storedBuckets: number,
  bucket: BucketRef,
  type: avro.Type,
  what: string,
): AsyncIterable<T[]> {
  const cover = coveringBuckets(bucket.index, bucket.count, storedBuckets);
  const files = cover.stored.map((i) =>
    fileBlocks<T>(store, outputKey(loc, bucketPath(dataset, i, storedBuckets)), type, what),
  );
  if (cover.filter) return filtered(files[0], bucket);
  if (files.length === 1) return files[0];
  return mergeSortedBlocks(files, (row) => row.accountId, {
    describe: (s) => outputKey(loc, bucketPath(dataset, cover.stored[s], storedBuckets)),
  });
}

/** bucketRows of an earlier day found by resolveHistoryLayouts. */
export function historyRows<T extends { accountId: string }>(
  store: ObjectStore,
  run: RunRef,
  layout: StoredLayout,
  dataset: BucketDataset,
  bucket: BucketRef,
  type: avro.Type,
): AsyncIterable<T[]> {
  const loc = at(run, layout.day, layout.source);
  return bucketRows<T>(store, loc, dataset, layout.buckets, bucket, type, `${dataset} of ${describeLoc(loc)}`);
}
