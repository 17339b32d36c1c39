import * as avro from 'avsc';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';
import type { AccountDocument } from '../../workflows/serving/account-document';
import { CorruptDataError, InvalidInputError } from '../../common/errors';
import type { AccountAttributes } from '../../common/events';
import type { OutputLocation } from '../../common/keys';
import { attributesKey, outputKey, outputPrefix } from '../../common/keys';
import type { RunMetricTaskInput, RunMetricTaskResult } from '../../workflows/tenant-days/pipeline-contracts';
import type { StoredAccountDayState, StoredAccountDayUsage } from '../../metrics/account-state';
import { upgradeAccountDayState } from '../../metrics/account-state';
import type { RollingState } from '../../metrics/rolling';
import { HISTORY_DAYS, rollingOfAccount } from '../../metrics/rolling';
import { AccountFold, EventTypeIndex } from '../../metrics/states-merger';
import type { ActivityHistogramRow } from '../../metrics/activity-distribution';
import {
  ACTIVITY_HISTOGRAM_SCHEMA,
  ActivityDistributionBuilder,
  distributionOfRows,
  histogramRows,
  percentileLookup,
} from '../../metrics/activity-distribution';
import type { BucketDataset, BucketRef } from '../../metrics/buckets';
import { bucketOfAccount, bucketPath, parseBucketPath, partialPathsOfBucket } from '../../metrics/buckets';
import { joinSorted } from '../../metrics/sorted-merge';
import {
  MetricTasks,
  documentOfAccount,
  getPipeline,
  inDocumentPopulation,
  normalizeRowsBy,
} from '../../metrics/pipelines';
import {
  DAY_STATE_SYNC,
  attributesType,
  dayStateReaderType,
  dayStateType,
  dayUsageReaderType,
  documentType,
  encodeFile,
  loc,
  rollingType,
  syncMarker,
  where,
  writeEncodedStreamed,
  writeStreamed,
  countContainerRecords,
} from './datasets';
import type { EncodedRow } from '../../schemas/ocf-block-source';
import { encodedRowsOf } from '../../schemas/ocf-block-source';
import { AvroByteWriter } from '../../schemas/avro-bytes';
import { fileBlocks, fileEncodedRows, historyRows, resolveHistoryLayouts } from './bucket-reads';

const histogramType = avro.Type.forSchema(ACTIVITY_HISTOGRAM_SCHEMA as avro.Schema);

/** Rows of one account in a join: the sources' rows, or undefined where a source has none. */
type Row = { accountId: string };

/** The sync marker seed of each dataset: the single file's path, so a bucket set merges into its bytes. */
const SEEDS: Record<BucketDataset, string> = {
  'daily-usage': 'daybreak.metrics.AccountDayState',
  rolling: 'rolling.avro',
  attributes: 'attributes.avro',
  accounts: 'accounts.avro',
  'activity-histogram': 'activity-histogram.avro',
};

function bucketOf(input: RunMetricTaskInput): BucketRef {
  return input.bucket ?? { index: 0, count: 1 };
}

function bucketWhere(input: RunMetricTaskInput): string {
  const { index, count } = bucketOf(input);
  return count === 1 ? where(input) : `bucket ${index + 1}/${count} of ${where(input)}`;
}

/**
 * The per-bucket bodies of the metric tasks (docs/metrics.md, "Scaling in accounts"). Each reads
 * its bucket of every input as sorted streams and merge-joins them account by account
 * (joinSorted), so its memory is a few blocks per input whatever the number of accounts, and writes
 * its bucket file as it goes. A single bucket is the whole tenant and writes the single files of
 * the layout before buckets, byte for byte.
 */
export function createBucketTasks(store: ObjectStore, memoryShareBytes: number) {
  const ownKey = (input: RunMetricTaskInput, dataset: BucketDataset, bucket = bucketOf(input)) =>
    outputKey(loc(input), bucketPath(dataset, bucket.index, bucket.count));

  /** One of the run's own bucket files, which an earlier task of the run must have written. */
  const own = <T>(input: RunMetricTaskInput, dataset: BucketDataset, type: avro.Type, task: string) => {
    const key = ownKey(input, dataset);
    return fileBlocks<T>(store, key, type, `${dataset} of ${bucketWhere(input)} (run ${task} first)`);
  };

  /**
   * Removes the run's files of `dataset` in any other layout than `count` buckets (an earlier run
   * of the day with another count), so the day has one layout for the days after it to read.
   * Run by the task of bucket 0, after its own file is written.
   */
  const deleteOtherLayouts = async (l: OutputLocation, dataset: BucketDataset, count: number) => {
    const prefix = outputPrefix(l);
    const stale: string[] = [];
    for await (const o of store.list(`${prefix}${dataset}/`)) {
      const parsed = parseBucketPath(dataset, o.key.slice(prefix.length));
      if (parsed === undefined || parsed === 'legacy' || parsed.count !== count) stale.push(o.key);
    }
    if (count > 1 && dataset !== 'accounts' && (await store.exists(outputKey(l, `${dataset}.avro`))))
      stale.push(outputKey(l, `${dataset}.avro`));
    for (const key of stale) await store.delete(key);
  };

  const result = (input: RunMetricTaskInput, outputKeyWritten: string, records: number): RunMetricTaskResult => ({
    task: input.task,
    outputKey: outputKeyWritten,
    records,
  });

  /** The partial files this bucket's daily usage merges, from the aggregation's run counts or a listing. */
  const partialKeysOf = async (input: RunMetricTaskInput, bucket: BucketRef): Promise<string[]> => {
    const prefix = outputKey(loc(input), 'partials') + '/';
    if (input.partitionRuns)
      return partialPathsOfBucket(bucket, input.partitionRuns).map((p) => outputKey(loc(input), p));
    if (input.partialKeys && bucket.count === 1) {
      for (const k of input.partialKeys)
        if (!k.startsWith(prefix)) throw new InvalidInputError(`partial ${k} is not a partial of ${where(input)}`);
      return input.partialKeys;
    }
    const present: string[] = [];
    for await (const o of store.list(prefix)) present.push(o.key.slice(prefix.length));
    const runs = partitionRunsOfListing(present, bucket);
    if (runs === undefined) {
      throw new InvalidInputError(
        `partials under ${prefix} of ${bucketWhere(input)} are not one complete set (${present.length} objects); rerun from ${MetricTasks.AggregatePartitions}`,
      );
    }
    return partialPathsOfBucket(bucket, runs).map((p) => outputKey(loc(input), p));
  };

  /** Partials of an earlier plan (another partition or bucket count) would make a later rerun ambiguous. */
  const deleteStalePartials = async (input: RunMetricTaskInput, keep: Set<string>) => {
    for await (const o of store.list(outputKey(loc(input), 'partials') + '/'))
      if (!keep.has(o.key)) await store.delete(o.key);
  };

  async function dailyUsage(input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
    const bucket = bucketOf(input);
    const keys = await partialKeysOf(input, bucket);
    const out = ownKey(input, 'daily-usage');
    let records: number;
    if (keys.length === 1) {
      // One sorted partial already is, byte for byte, its daily usage (same schema and marker).
      const bytes = await store.getBytes(keys[0]).catch((error: unknown) => {
        if (error instanceof NotFoundError)
          throw new InvalidInputError(`partial ${keys[0]} of ${where(input)} does not exist`);
        throw error;
      });
      records = countContainerRecords(bytes, keys[0]);
      await store.put(out, bytes, { contentType: 'avro/binary' });
    } else {
      const types = new EventTypeIndex();
      const fold = new AccountFold(types);
      // Each folded state is encoded straight from the fold into one reused buffer, which the
      // writer copies: the same bytes as encoding fold.state() with avsc, without the objects.
      const encoded = new AvroByteWriter(4096);
      records = await writeEncodedStreamed(store, out, dayStateType, DAY_STATE_SYNC, async (write) => {
        await joinSorted<StoredAccountDayState>(
          keys.map((k) =>
            fileBlocks<StoredAccountDayState>(store, k, dayStateReaderType, `partial of ${where(input)}`),
          ),
          (s) => s.accountId,
          async (accountId, rows) => {
            fold.reset(accountId);
            for (const row of rows) if (row !== undefined) fold.add(upgradeAccountDayState(row));
            encoded.pos = 0;
            fold.encodeInto(encoded);
            await write(encoded.buf.subarray(0, encoded.pos));
          },
          (s) => keys[s],
        );
      });
    }
    if (bucket.index === 0) {
      const all = new Set<string>();
      for (let b = 0; b < bucket.count; b++)
        for (const k of await partialKeysOf(input, { index: b, count: bucket.count })) all.add(k);
      await deleteStalePartials(input, all);
      await deleteOtherLayouts(loc(input), 'daily-usage', bucket.count);
    }
    return result(input, out, records);
  }

  const historyOf = async (input: RunMetricTaskInput) =>
    input.history ?? (await resolveHistoryLayouts(store, input, input.primaryPipelineVersion));

  async function rollingWindows(input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
    const bucket = bucketOf(input);
    const history = await historyOf(input);
    if (history.usage.length > HISTORY_DAYS)
      throw new InvalidInputError(`history of ${where(input)} has more than ${HISTORY_DAYS} days`);
    const sources: AsyncIterable<readonly Row[]>[] = [
      own<StoredAccountDayUsage>(input, 'daily-usage', dayUsageReaderType, MetricTasks.DailyUsage),
    ];
    /** sourceDay[s]: the day a source is (0 = today, i + 1 = D-(i+1)); -1 for the previous rolling. */
    const sourceDay: number[] = [0];
    history.usage.forEach((layout, i) => {
      if (layout === null) return;
      sources.push(historyRows<StoredAccountDayUsage>(store, input, layout, 'daily-usage', bucket, dayUsageReaderType));
      sourceDay.push(i + 1);
    });
    if (history.rolling !== null) {
      sources.push(historyRows<RollingState>(store, input, history.rolling, 'rolling', bucket, rollingType));
      sourceDay.push(-1);
    }
    const days = new Array<ReturnType<typeof upgradeAccountDayState> | undefined>(history.usage.length);
    const out = ownKey(input, 'rolling');
    const records = await writeStreamed(store, out, rollingType, syncMarker(SEEDS.rolling), async (write) => {
      await joinSorted<Row>(
        sources,
        (r) => r.accountId,
        async (accountId, rows) => {
          let today;
          let previous: RollingState | undefined;
          days.fill(undefined);
          for (let s = 0; s < rows.length; s++) {
            const row = rows[s];
            if (row === undefined) continue;
            const d = sourceDay[s];
            if (d === -1) previous = row as RollingState;
            else if (d === 0) today = upgradeAccountDayState(row as StoredAccountDayUsage);
            else days[d - 1] = upgradeAccountDayState(row as StoredAccountDayUsage);
          }
          const state = rollingOfAccount(accountId, today, days, previous);
          if (state !== null) await write(state);
        },
        (s) =>
          sourceDay[s] === 0
            ? 'daily usage of the day'
            : sourceDay[s] === -1
              ? 'previous rolling state'
              : `daily usage of D-${sourceDay[s]}`,
      );
    });
    if (bucket.index === 0) await deleteOtherLayouts(loc(input), 'rolling', bucket.count);
    return result(input, out, records);
  }

  /** The bucket's day rows in one join: today, rolling, attributes (and D-1's documents for healthDelta). */
  const documentSources = async (input: RunMetricTaskInput, withPrevious: boolean) => {
    const bucket = bucketOf(input);
    const sources: AsyncIterable<readonly Row[]>[] = [
      own<StoredAccountDayUsage>(input, 'daily-usage', dayUsageReaderType, MetricTasks.DailyUsage),
      own<RollingState>(input, 'rolling', rollingType, MetricTasks.RollingWindows),
      own<AccountAttributes>(input, 'attributes', attributesType, MetricTasks.Attributes),
    ];
    if (withPrevious) {
      const history = await historyOf(input);
      if (history.documents !== null)
        sources.push(historyRows<AccountDocument>(store, input, history.documents, 'accounts', bucket, documentType));
    }
    return sources;
  };

  /** The bucket's distribution of events7d over its document population. */
  const bucketDistribution = async (input: RunMetricTaskInput): Promise<ActivityDistributionBuilder> => {
    const builder = new ActivityDistributionBuilder();
    await joinSorted<Row>(
      await documentSources(input, false),
      (r) => r.accountId,
      (_, rows) => {
        const today = rows[0] as StoredAccountDayUsage | undefined;
        const rolling = rows[1] as RollingState | undefined;
        const attributes = rows[2] as AccountAttributes | undefined;
        if (inDocumentPopulation(today && upgradeAccountDayState(today), rolling, attributes))
          builder.add(rolling?.events7d ?? 0);
      },
    );
    return builder;
  };

  async function distribution(input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
    const builder = await bucketDistribution(input);
    const rows = histogramRows(builder.toDistribution());
    const key = ownKey(input, 'activity-histogram');
    await store.put(key, await encodeFile(histogramType, rows, SEEDS['activity-histogram']), {
      contentType: 'avro/binary',
    });
    const population = rows.reduce((n, r) => n + r.accounts, 0);
    return result(input, key, population);
  }

  /** Every bucket's histogram, merged: the tenant-wide distribution of events7d. */
  const tenantDistribution = async (input: RunMetricTaskInput) => {
    const { count } = bucketOf(input);
    const builder = new ActivityDistributionBuilder();
    for (let b = 0; b < count; b++) {
      const key = ownKey(input, 'activity-histogram', { index: b, count });
      const rows: ActivityHistogramRow[] = [];
      for await (const block of fileBlocks<ActivityHistogramRow>(
        store,
        key,
        histogramType,
        `activity histogram of ${where(input)} (run the distribution phase first)`,
      ))
        rows.push(...block);
      builder.merge(distributionOfRows(rows, key));
    }
    return builder.toDistribution();
  };

  async function documents(input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
    const bucket = bucketOf(input);
    const pipeline = getPipeline(input.pipelineVersion);
    // One bucket is the whole tenant: its distribution is its own, found by a first pass.
    const percentile = percentileLookup(
      bucket.count === 1 ? (await bucketDistribution(input)).toDistribution() : await tenantDistribution(input),
    );
    const out = ownKey(input, 'accounts');
    const records = await writeStreamed(store, out, documentType, syncMarker(SEEDS.accounts), async (write) => {
      await joinSorted<Row>(
        await documentSources(input, true),
        (r) => r.accountId,
        async (accountId, rows) => {
          const stored = rows[0] as StoredAccountDayUsage | undefined;
          const today = stored && upgradeAccountDayState(stored);
          const rolling = rows[1] as RollingState | undefined;
          const attributes = rows[2] as AccountAttributes | undefined;
          if (!inDocumentPopulation(today, rolling, attributes)) return;
          const previous = rows[3] as AccountDocument | undefined;
          await write(
            documentOfAccount({
              tenantId: input.tenantId,
              day: input.day,
              pipeline,
              accountId,
              today,
              rolling,
              attributes,
              previousHealth: previous?.healthScore,
              activityPercentile: percentile(rolling?.events7d ?? 0),
            }),
          );
        },
      );
    });
    if (bucket.index === 0) await deleteOtherLayouts(loc(input), 'accounts', bucket.count);
    return result(input, out, records);
  }

  /**
   * accounts.avro from the buckets' documents: what comparison, data checks and serving read, in
   * accountId order. A merge of sorted files of one schema, so rows are copied as their encoded
   * bytes (only accountId is decoded): the same bytes as decoding and encoding each document.
   */
  async function assemble(input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
    const { count } = bucketOf(input);
    const keys = Array.from({ length: count }, (_, b) => ownKey(input, 'accounts', { index: b, count }));
    const out = outputKey(loc(input), 'accounts.avro');
    const records = await writeEncodedStreamed(store, out, documentType, syncMarker(SEEDS.accounts), async (write) => {
      await joinSorted<EncodedRow>(
        keys.map((k) =>
          fileEncodedRows(store, k, documentType, `documents of ${where(input)} (run the documents phase first)`),
        ),
        (row) => row.key,
        async (_, rows) => {
          for (const row of rows) if (row !== undefined) await write(row.bytes);
        },
        (s) => keys[s],
      );
    });
    for (let b = 0; b < count; b++) await store.delete(ownKey(input, 'activity-histogram', { index: b, count }));
    return result(input, out, records);
  }

  /**
   * The day's attribute snapshot, checked and split into the run's buckets, each sorted by
   * accountId with one row per account (a later row of an account wins, as normalizeAttributes
   * does). Rows are held as their encoded bytes (only accountId and tenantId are decoded) and
   * written as they are. The snapshot is read a block at a time; when the rows held pass half the
   * memory share, each bucket's rows so far are written as a sorted run and merged at the end,
   * later runs winning. Reports the runs it wrote (0: none needed).
   */
  async function attributes(input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
    const count = input.buckets ?? 1;
    const snapshot = attributesKey(input.tenantId, input.day);
    let body;
    try {
      body = await store.get(snapshot);
    } catch (error) {
      if (error instanceof NotFoundError)
        throw new InvalidInputError(`attribute snapshot ${snapshot} of ${where(input)} does not exist`);
      throw error;
    }
    const sync = syncMarker(SEEDS.attributes);
    const putRows = (key: string, rows: readonly EncodedRow[]) =>
      writeEncodedStreamed(store, key, attributesType, sync, async (write) => {
        for (const row of rows) await write(row.bytes);
      });
    const byAccount = (row: EncodedRow) => row.key;
    const held: EncodedRow[][] = Array.from({ length: count }, () => []);
    let heldBytes = 0;
    const runs: string[][] = [];
    const spill = async () => {
      const r = runs.length;
      const keys = await Promise.all(
        held.map(async (rows, b) => {
          const key = outputKey(
            loc(input),
            `attributes-runs/run-${String(r + 1).padStart(3, '0')}-${bucketPath('attributes', b, count).replace(/\//g, '-')}`,
          );
          await putRows(key, normalizeRowsBy(rows, byAccount));
          rows.length = 0;
          return key;
        }),
      );
      runs.push(keys);
      heldBytes = 0;
    };
    const byteLimit = Math.max(256 * ATTRIBUTE_ROW_OVERHEAD, Math.floor(memoryShareBytes / 2));
    try {
      const blocks = encodedRowsOf(body, attributesType, 'accountId', snapshot, { alsoDecode: ['tenantId'] });
      for await (const block of blocks) {
        for (const row of block) {
          if (row.value.tenantId !== input.tenantId) {
            throw new CorruptDataError(
              `attribute snapshot ${snapshot} of ${where(input)} has a row of tenant ${String(row.value.tenantId)} (account ${row.key})`,
              snapshot,
            );
          }
          held[count === 1 ? 0 : bucketOfAccount(row.key, count)].push(row);
          heldBytes += row.bytes.length + ATTRIBUTE_ROW_OVERHEAD;
        }
        if (count > 1 && heldBytes > byteLimit) await spill();
      }
    } catch (error) {
      if (error instanceof CorruptDataError || error instanceof InvalidInputError) throw error;
      throw new CorruptDataError(
        `attributes of ${where(input)}: ${snapshot} cannot be decoded: ${(error as Error).message}`,
        snapshot,
      );
    }
    let records = 0;
    if (runs.length > 0) await spill();
    for (let b = 0; b < count; b++) {
      const key = ownKey(input, 'attributes', { index: b, count });
      if (runs.length === 0) {
        const rows = normalizeRowsBy(held[b], byAccount);
        held[b] = [];
        records += rows.length;
        await putRows(key, rows);
        continue;
      }
      const runKeys = runs.map((r) => r[b]);
      records += await writeEncodedStreamed(store, key, attributesType, sync, async (write) => {
        await joinSorted<EncodedRow>(
          runKeys.map((k) => fileEncodedRows(store, k, attributesType, `attribute run of ${where(input)}`)),
          byAccount,
          async (_, rows) => {
            // Runs are in snapshot order: the latest run's row of the account is its last row.
            for (let s = rows.length - 1; s >= 0; s--) {
              const row = rows[s];
              if (row === undefined) continue;
              await write(row.bytes);
              return;
            }
          },
          (s) => runKeys[s],
        );
      });
    }
    for (const key of runs.flat()) await store.delete(key);
    await deleteOtherLayouts(loc(input), 'attributes', count);
    return {
      ...result(input, ownKey(input, 'attributes', { index: 0, count }).replace(/\/bucket-[^/]*$/, ''), records),
      ...(runs.length > 0 ? { runs: runs.length } : {}),
    };
  }

  return { attributes, dailyUsage, rollingWindows, distribution, documents, assemble };
}

/** Runs one non-partitioned metric task (attributes, or one bucket of a per-bucket task) somewhere: here, or on a thread of a PartitionThreadPool. */
export type BucketTaskRunner = (input: RunMetricTaskInput, signal?: AbortSignal) => Promise<RunMetricTaskResult>;

/** The task body runMetricTask runs for an input (already validated), by task and phase. */
export function createBucketTaskRunner(store: ObjectStore, memoryShareBytes: number): BucketTaskRunner {
  const tasks = createBucketTasks(store, memoryShareBytes);
  return (input) => {
    switch (input.task) {
      case MetricTasks.Attributes:
        return tasks.attributes(input);
      case MetricTasks.DailyUsage:
        return tasks.dailyUsage(input);
      case MetricTasks.RollingWindows:
        return tasks.rollingWindows(input);
      default:
        if (input.phase === 'distribution') return tasks.distribution(input);
        if (input.phase === 'assemble') return tasks.assemble(input);
        return tasks.documents(input);
    }
  };
}

/** Memory a held attribute row takes beside its encoded bytes (the row, its Buffer view, its decoded accountId and tenantId). */
const ATTRIBUTE_ROW_OVERHEAD = 200;

/**
 * Runs per partition of a listed partials set, for one bucket: undefined unless every partition of
 * one partition count has its runs 1..n for that bucket (or, for one bucket, its single file).
 */
export function partitionRunsOfListing(relativeKeys: readonly string[], bucket: BucketRef): number[] | undefined {
  const legacy = /^part-(\d{4})-of-(\d{4})\.avro$/;
  const name = `bucket-${String(bucket.index + 1).padStart(4, '0')}-of-${String(bucket.count).padStart(4, '0')}/`;
  const run = /^part-(\d{4})-of-(\d{4})-run-(\d{3})\.avro$/;
  const runsOf = new Map<number, Set<number>>();
  let partitions: number | undefined;
  let legacyFiles = 0;
  for (const key of relativeKeys) {
    let m: RegExpExecArray | null = null;
    if (bucket.count === 1 && (m = legacy.exec(key))) legacyFiles++;
    else if (key.startsWith(name)) m = run.exec(key.slice(name.length));
    else continue;
    if (!m) return undefined;
    const count = Number(m[2]);
    if (partitions !== undefined && partitions !== count) return undefined;
    partitions = count;
    const p = Number(m[1]) - 1;
    const r = m[3] === undefined ? 0 : Number(m[3]);
    if (!runsOf.has(p)) runsOf.set(p, new Set());
    runsOf.get(p)!.add(r);
  }
  if (partitions === undefined || runsOf.size !== partitions) return undefined;
  const runs: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const set = runsOf.get(p);
    if (!set) return undefined;
    if (set.has(0)) {
      if (set.size !== 1) return undefined;
      runs.push(1);
      continue;
    }
    for (let r = 1; r <= set.size; r++) if (!set.has(r)) return undefined;
    runs.push(set.size);
  }
  if (legacyFiles > 0 && legacyFiles !== partitions) return undefined;
  return runs;
}
