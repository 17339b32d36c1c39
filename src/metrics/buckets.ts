import { InvalidInputError } from '../common/errors';
import { murmur3 } from './monoids/murmur3';

/**
 * Account buckets: a tenant-day's accounts split by a hash of accountId so that each bucket's states
 * fit in a worker's memory share and the per-account steps run per bucket (docs/metrics.md). The
 * bucket of an account is the top log2(B) bits of murmur3(accountId), so buckets nest: bucket b of B
 * is buckets [b*r, (b+1)*r) of B*r, and a day stored with one count serves a reader with another.
 * B = 1 is the layout of every release before buckets (one file per dataset).
 *
 * Pure and sandbox-safe: the fan-out in workflow code computes keys with it.
 */

export const MAX_BUCKETS = 1024;

/** The datasets a bucketed day writes one file per bucket of. */
export type BucketDataset = 'daily-usage' | 'rolling' | 'attributes' | 'accounts' | 'activity-histogram';

export const BUCKET_DATASETS: readonly BucketDataset[] = [
  'daily-usage',
  'rolling',
  'attributes',
  'accounts',
  'activity-histogram',
];

/** One bucket of a count: index 0-based, count a bucket count. */
export interface BucketRef {
  index: number;
  count: number;
}

/** A power of two from 1 to MAX_BUCKETS. */
export function isBucketCount(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_BUCKETS && (n & (n - 1)) === 0;
}

function assertBucketCount(count: number, what = 'bucket count'): void {
  if (!isBucketCount(count)) {
    throw new InvalidInputError(`${what} ${String(count)} is not a power of two from 1 to ${MAX_BUCKETS}`);
  }
}

function assertBucket(index: number, count: number): void {
  assertBucketCount(count);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new InvalidInputError(`bucket index ${index} is not in 0..${count - 1}`);
  }
}

/** log2 of a bucket count (31 - clz32 of a power of two). */
export function bucketBits(count: number): number {
  assertBucketCount(count);
  return 31 - Math.clz32(count);
}

/**
 * The bucket of a 32-bit unsigned hash: its top log2(count) bits. `hash >>> 32` would be `hash` in
 * JavaScript (shift counts are taken mod 32), hence the special case of one bucket.
 */
export function bucketOfHash(hash: number, count: number): number {
  return count === 1 ? 0 : hash >>> (32 - bucketBits(count));
}

/**
 * The bucket of an account: the bucket of murmur3 (seed 0) over the UTF-8 bytes of its id, the hash
 * the column aggregator computes with murmur3Bytes over the id's bytes in the event file.
 */
export function bucketOfAccount(accountId: string, count: number): number {
  return bucketOfHash(murmur3(accountId), count);
}

const pad4 = (n: number) => String(n).padStart(4, '0');
const pad3 = (n: number) => String(n).padStart(3, '0');

/** `bucket-BBBB-of-NNNN`: 1-based like partial paths, so a listing sorts in bucket order. */
function bucketName(index: number, count: number): string {
  return `bucket-${pad4(index + 1)}-of-${pad4(count)}`;
}

/**
 * The key of a dataset's bucket file, relative to the run's output prefix. One bucket is the legacy
 * single file (`daily-usage.avro`), so small tenants and days written before buckets keep their keys.
 */
export function bucketPath(dataset: BucketDataset, index: number, count: number): string {
  assertBucket(index, count);
  return count === 1 ? `${dataset}.avro` : `${dataset}/${bucketName(index, count)}.avro`;
}

/** The largest number of spilled runs a partition may write per bucket (three digits in the key). */
export const MAX_PARTIAL_RUNS = 999;

/**
 * The key of one spilled run of one partition's partial states for one bucket (run 0-based). Every
 * (bucket, partition, run) file is written, empty or not, so the keys follow from the counts alone.
 */
export function partialRunPath(bucket: BucketRef, partition: BucketRef, run: number): string {
  assertBucket(bucket.index, bucket.count);
  assertPartition(partition);
  if (!Number.isInteger(run) || run < 0 || run >= MAX_PARTIAL_RUNS) {
    throw new InvalidInputError(`partial run ${run} is not in 0..${MAX_PARTIAL_RUNS - 1}`);
  }
  const part = `part-${pad4(partition.index + 1)}-of-${pad4(partition.count)}`;
  return `partials/${bucketName(bucket.index, bucket.count)}/${part}-run-${pad3(run + 1)}.avro`;
}

function assertPartition({ index, count }: BucketRef): void {
  if (!Number.isInteger(count) || count < 1 || count > 9999) {
    throw new InvalidInputError(`partition count ${count} is not in 1..9999`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new InvalidInputError(`partition index ${index} is not in 0..${count - 1}`);
  }
}

/** The legacy key of partition `index` of `count` when it wrote one file and the day has one bucket. */
function legacyPartialPath(index: number, count: number): string {
  // The same string as partialPath in pipelines.ts; a unit test holds them together.
  return `partials/part-${pad4(index + 1)}-of-${pad4(count)}.avro`;
}

/**
 * The partial files a bucket's daily-usage merges, in (partition, run) order: for each partition p
 * of `partitionRuns.length`, its `partitionRuns[p]` runs. A partition of a one-bucket day that did
 * not spill wrote the legacy single file.
 */
export function partialPathsOfBucket(bucket: BucketRef, partitionRuns: readonly number[]): string[] {
  assertBucket(bucket.index, bucket.count);
  const partitions = partitionRuns.length;
  const paths: string[] = [];
  partitionRuns.forEach((runs, p) => {
    if (!Number.isInteger(runs) || runs < 1 || runs > MAX_PARTIAL_RUNS) {
      throw new InvalidInputError(
        `partition ${p + 1} of ${partitions} has ${runs} runs: not in 1..${MAX_PARTIAL_RUNS}`,
      );
    }
    if (bucket.count === 1 && runs === 1) {
      paths.push(legacyPartialPath(p, partitions));
      return;
    }
    for (let r = 0; r < runs; r++) paths.push(partialRunPath(bucket, { index: p, count: partitions }, r));
  });
  return paths;
}

/** Which stored buckets hold a reader's bucket, and whether their rows must be filtered to it. */
export interface CoveringBuckets {
  /** Indexes of the stored count's files to read, ascending. */
  stored: number[];
  /** True when the stored file holds more accounts than the bucket: keep rows whose bucketOfAccount is the index. */
  filter: boolean;
}

/**
 * The files of a day stored with `storedCount` buckets that hold bucket `index` of `count`: the same
 * file, the r files it splits into (stored finer), or the one file it is part of (stored coarser,
 * then filtered). Exact by the nesting of top-bit buckets.
 */
export function coveringBuckets(index: number, count: number, storedCount: number): CoveringBuckets {
  assertBucket(index, count);
  assertBucketCount(storedCount, 'stored bucket count');
  if (storedCount >= count) {
    const r = storedCount / count;
    return { stored: Array.from({ length: r }, (_, i) => index * r + i), filter: false };
  }
  return { stored: [index >> (bucketBits(count) - bucketBits(storedCount))], filter: true };
}

/** What a relative key is for a dataset: its legacy single file, one file of a bucket set, or neither. */
export function parseBucketPath(dataset: BucketDataset, relativeKey: string): 'legacy' | BucketRef | undefined {
  if (relativeKey === `${dataset}.avro`) return 'legacy';
  const prefix = `${dataset}/`;
  if (!relativeKey.startsWith(prefix)) return undefined;
  const match = /^bucket-(\d{4})-of-(\d{4})\.avro$/.exec(relativeKey.slice(prefix.length));
  if (!match) return undefined;
  const index = Number(match[1]) - 1;
  const count = Number(match[2]);
  // One bucket is the legacy file: a `-of-0001` dataset file is no layout bucketPath writes.
  if (!isBucketCount(count) || count === 1 || index < 0 || index >= count) return undefined;
  return { index, count };
}

/** The layout a listing shows for one dataset of a stored day. */
export type ListedLayout =
  { status: 'found'; buckets: number } | { status: 'missing' } | { status: 'invalid'; problem: string };

/**
 * The bucket count a dataset was stored with, from the keys listed under the run's output prefix
 * (relative to it; keys of other datasets are ignored): the legacy file alone is 1, exactly one
 * complete `-of-NNNN` set alone is NNNN; anything else is invalid, with what is wrong, for the caller
 * to raise naming the prefix and the rerun that repairs it. `accounts.avro` is written beside every
 * `accounts/` set (it is what comparison and serving read), so for accounts a complete set with it
 * is the set's count.
 */
export function layoutOfListing(dataset: BucketDataset, relativeKeys: readonly string[]): ListedLayout {
  let legacy = false;
  const sets = new Map<number, Set<number>>();
  const strays: string[] = [];
  for (const key of relativeKeys) {
    const parsed = parseBucketPath(dataset, key);
    if (parsed === 'legacy') legacy = true;
    else if (parsed) {
      let set = sets.get(parsed.count);
      if (!set) sets.set(parsed.count, (set = new Set()));
      set.add(parsed.index);
    } else if (key.startsWith(`${dataset}/`)) strays.push(key);
  }
  if (strays.length > 0) {
    return {
      status: 'invalid',
      problem: `${dataset} has files that are not bucket files: ${strays.slice(0, 3).join(', ')}`,
    };
  }
  const counts = [...sets.keys()].sort((a, b) => a - b);
  if (counts.length > 1) {
    return {
      status: 'invalid',
      problem: `${dataset} has bucket sets of ${counts.join(' and ')} buckets; exactly one is expected`,
    };
  }
  if (counts.length === 0) return legacy ? { status: 'found', buckets: 1 } : { status: 'missing' };
  const count = counts[0];
  const have = sets.get(count) ?? new Set<number>();
  if (have.size < count) {
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !have.has(i));
    const shown = missing.slice(0, 5).map((i) => bucketPath(dataset, i, count));
    const more = missing.length > shown.length ? ` and ${missing.length - shown.length} more` : '';
    return {
      status: 'invalid',
      problem: `${dataset}'s set of ${count} buckets is incomplete: no ${shown.join(', ')}${more}`,
    };
  }
  if (legacy && dataset !== 'accounts') {
    return {
      status: 'invalid',
      problem: `${dataset} has both ${dataset}.avro and a set of ${count} buckets; exactly one layout is expected`,
    };
  }
  return { status: 'found', buckets: count };
}
