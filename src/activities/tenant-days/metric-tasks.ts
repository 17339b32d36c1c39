import type * as avro from 'avsc';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';
import type { AccountDocument } from '../../workflows/serving/account-document';
import { CorruptDataError, InvalidInputError } from '../../common/errors';
import type { AccountAttributes } from '../../common/events';
import { attributesKey, outputKey } from '../../common/keys';
import type { RunMetricTaskInput, RunMetricTaskResult } from '../../workflows/tenant-days/pipeline-contracts';
import type { RollingState } from '../../metrics/rolling';
import { computeRolling } from '../../metrics/rolling';
import { planHistory } from '../../metrics/history-lookup';
import type { StoredAccountDayState, StoredAccountDayUsage } from '../../metrics/account-state';
import { AccountStatesMerger } from '../../metrics/states-merger';
import {
  MetricDatasets,
  MetricTasks,
  PIPELINE_VERSIONS,
  buildAccountDocuments,
  getPipeline,
  normalizeAttributes,
} from '../../metrics/pipelines';
import {
  DAY_STATE_MARKER,
  attributesType,
  countContainerRecords,
  dayStateForAvro,
  dayStateReaderType,
  dayStateType,
  dayUsageReaderType,
  documentType,
  encodeFile,
  loc,
  readEach,
  readOptional,
  rollingType,
  upgradeEach,
  upgradeUsage,
  where,
  writeDataset as writeDatasetIn,
} from './datasets';
import { createHistoryReader } from './history';

/**
 * The bodies of the metric graph's non-partitioned tasks (attributes, daily-usage,
 * rolling-windows, account-documents): each reads its inputs from the run's outputs and writes its
 * dataset at a deterministic key, so a retry or rerun overwrites.
 */
export function createMetricTasks(store: ObjectStore) {
  const { readHistory, readLatestRolling } = createHistoryReader(store);
  const writeDataset = (
    run: RunMetricTaskInput,
    path: string,
    type: Parameters<typeof writeDatasetIn>[3],
    records: readonly unknown[],
  ) => writeDatasetIn(store, run, path, type, records);

  const tasks = {
    async [MetricTasks.Attributes](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const key = attributesKey(input.tenantId, input.day);
      const rows = await readOptional<AccountAttributes>(store, key, attributesType, `attributes of ${where(input)}`);
      if (rows === null) {
        throw new InvalidInputError(`attribute snapshot ${key} of ${where(input)} does not exist`);
      }
      const foreign = rows.find((r) => r.tenantId !== input.tenantId);
      if (foreign) {
        throw new CorruptDataError(
          `attribute snapshot ${key} of ${where(input)} has a row of tenant ${foreign.tenantId} (account ${foreign.accountId})`,
          key,
        );
      }
      const normalized = normalizeAttributes(rows);
      const written = await writeDataset(input, MetricDatasets.Attributes, attributesType, normalized);
      return { task: input.task, outputKey: written, records: normalized.length };
    },

    async [MetricTasks.DailyUsage](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const prefix = outputKey(loc(input), 'partials') + '/';
      const present: string[] = [];
      for await (const o of store.list(prefix)) present.push(o.key);
      let keys = input.partialKeys;
      if (keys === undefined) {
        const sets = new Set(present.map((k) => /-of-(\d+)\.avro$/.exec(k)?.[1] ?? '?'));
        if (sets.size !== 1 || present.length !== Number([...sets][0])) {
          throw new InvalidInputError(
            `partials under ${prefix} of ${where(input)} are not one complete set (${present.length} objects); rerun from ${MetricTasks.AggregatePartitions}`,
          );
        }
        keys = present;
      }
      for (const k of keys) {
        if (!k.startsWith(prefix)) throw new InvalidInputError(`partial ${k} is not a partial of ${where(input)}`);
      }
      const deleteStale = async (keep: Set<string>) => {
        // Partials of an earlier plan (another partition count) would make a later rerun ambiguous.
        for (const k of present) if (!keep.has(k)) await store.delete(k);
      };
      if (keys.length === 1) {
        const bytes = await store.getBytes(keys[0]).catch((error: unknown) => {
          if (error instanceof NotFoundError)
            throw new InvalidInputError(`partial ${keys[0]} of ${where(input)} does not exist`);
          throw error;
        });
        const records = countContainerRecords(bytes, keys[0]);
        const key = outputKey(loc(input), MetricDatasets.DailyUsage);
        await store.put(key, bytes, { contentType: 'avro/binary' });
        await deleteStale(new Set(keys));
        return { task: input.task, outputKey: key, records };
      }
      // One partial at a time: memory follows the accounts, not accounts times partitions.
      const merger = new AccountStatesMerger();
      for (const k of keys) {
        try {
          const partial = await readEach<StoredAccountDayState>(
            store,
            k,
            dayStateReaderType,
            `partial of ${where(input)}`,
          );
          merger.add(upgradeEach(partial));
        } catch (error) {
          if (error instanceof NotFoundError)
            throw new InvalidInputError(`partial ${k} of ${where(input)} does not exist`);
          throw error;
        }
      }
      const merged = merger.result();
      const key = outputKey(loc(input), MetricDatasets.DailyUsage);
      await store.put(key, await encodeFile(dayStateType, merged.map(dayStateForAvro), DAY_STATE_MARKER), {
        contentType: 'avro/binary',
      });
      const written = key;
      await deleteStale(new Set(keys));
      return { task: input.task, outputKey: written, records: merged.length };
    },

    async [MetricTasks.RollingWindows](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const todayKey = outputKey(loc(input), MetricDatasets.DailyUsage);
      const today = upgradeUsage(
        await readOptional<StoredAccountDayUsage>(
          store,
          todayKey,
          dayUsageReaderType,
          `daily usage of ${where(input)}`,
        ),
      );
      if (today === null) {
        throw new InvalidInputError(
          `${todayKey} of ${where(input)} does not exist; run ${MetricTasks.DailyUsage} first`,
        );
      }
      const plan = planHistory({ ...input, knownVersions: PIPELINE_VERSIONS });
      // The 29 days are read at once, as before; each day tries its sources one after the other.
      const [history, previous] = await Promise.all([
        Promise.all(
          plan.usage.map((day) =>
            readHistory<StoredAccountDayUsage>(input, day, MetricDatasets.DailyUsage, dayUsageReaderType).then(
              upgradeUsage,
            ),
          ),
        ),
        readLatestRolling(input, plan.rolling),
      ]);
      const rolling = computeRolling({ today, history, previous });
      const written = await writeDataset(input, MetricDatasets.Rolling, rollingType, rolling);
      return { task: input.task, outputKey: written, records: rolling.length };
    },

    async [MetricTasks.AccountDocuments](input: RunMetricTaskInput): Promise<RunMetricTaskResult> {
      const need = async <T>(path: string, type: avro.Type, task: string) => {
        const key = outputKey(loc(input), path);
        const rows = await readOptional<T>(store, key, type, `${path} of ${where(input)}`);
        if (rows === null) throw new InvalidInputError(`${key} of ${where(input)} does not exist; run ${task} first`);
        return rows;
      };
      const plan = planHistory({ ...input, knownVersions: PIPELINE_VERSIONS });
      const [today, rolling, attributes, previous] = await Promise.all([
        need<StoredAccountDayUsage>(MetricDatasets.DailyUsage, dayUsageReaderType, MetricTasks.DailyUsage).then(
          (rows) => upgradeUsage(rows),
        ),
        need<RollingState>(MetricDatasets.Rolling, rollingType, MetricTasks.RollingWindows),
        need<AccountAttributes>(MetricDatasets.Attributes, attributesType, MetricTasks.Attributes),
        // healthDelta compares with this version's own score of D-1 (either kind), never another version's.
        readHistory<AccountDocument>(input, plan.documents, MetricDatasets.Accounts, documentType),
      ]);
      const documents = buildAccountDocuments({
        tenantId: input.tenantId,
        day: input.day,
        pipeline: getPipeline(input.pipelineVersion),
        today,
        rolling,
        attributes,
        previous,
      });
      const written = await writeDataset(input, MetricDatasets.Accounts, documentType, documents);
      return { task: input.task, outputKey: written, records: documents.length };
    },
  };

  return tasks;
}
