import type * as avro from 'avsc';
import type { ObjectStore } from '../../storage/object-store';
import { outputKey } from '../../common/keys';
import type { RunRef } from '../../workflows/tenant-days/pipeline-contracts';
import type { RollingState } from '../../metrics/rolling';
import type { HistoryDay, HistorySource } from '../../metrics/history-lookup';
import { ROLLING_PROBE_DAYS } from '../../metrics/history-lookup';
import { MetricDatasets } from '../../metrics/pipelines';
import { readOptional, rollingType, where } from './datasets';

/**
 * Reads a run's history: earlier days' datasets from the sources planHistory names, in order
 * (docs/metrics.md, "History lookup").
 */
export function createHistoryReader(store: ObjectStore) {
  const sourceKey = (run: RunRef, day: string, source: HistorySource, path: string) =>
    outputKey({ tenantId: run.tenantId, day, ...source }, path);
  const sourceWhere = (run: RunRef, day: string, source: HistorySource, path: string) =>
    `${path} of tenant ${run.tenantId} day ${day} (${source.pipelineVersion}/${source.runKind}), history of ${where(run)}`;

  /** An earlier day's dataset from the first of `history.sources` that has it (see planHistory); null when none has. */
  const readHistory = async <T>(
    run: RunRef,
    history: HistoryDay,
    path: string,
    type: avro.Type,
  ): Promise<T[] | null> => {
    for (const source of history.sources) {
      const key = sourceKey(run, history.day, source, path);
      const found = await readOptional<T>(store, key, type, sourceWhere(run, history.day, source, path));
      if (found !== null) return found;
    }
    return null;
  };

  /**
   * The rolling state of the latest day of `days` (latest first) that any source has, or null.
   * D-1 is read directly (the usual case); further back, ROLLING_PROBE_DAYS days are probed at
   * once with existence checks, so only the state used is ever read and held.
   */
  const readLatestRolling = async (run: RunRef, days: readonly HistoryDay[]): Promise<RollingState[] | null> => {
    if (days.length === 0) return null;
    const first = await readHistory<RollingState>(run, days[0], MetricDatasets.Rolling, rollingType);
    if (first !== null) return first;
    const path = MetricDatasets.Rolling;
    for (let i = 1; i < days.length; i += ROLLING_PROBE_DAYS) {
      // Every (day, source) of the batch at once: a new tenant's first day costs a few round trips, not 90 x 3.
      const candidates = days
        .slice(i, i + ROLLING_PROBE_DAYS)
        .flatMap((history) => history.sources.map((source) => ({ day: history.day, source })));
      const present = await Promise.all(candidates.map((c) => store.exists(sourceKey(run, c.day, c.source, path))));
      // Candidates are in plan order (latest day first, then source order): the first present wins.
      for (const [k, hit] of candidates.entries()) {
        if (!present[k]) continue;
        const key = sourceKey(run, hit.day, hit.source, path);
        // Deleted between the probe and the read: the next candidate is the latest there is.
        const rows = await readOptional<RollingState>(
          store,
          key,
          rollingType,
          sourceWhere(run, hit.day, hit.source, path),
        );
        if (rows !== null) return rows;
      }
    }
    return null;
  };

  return { readHistory, readLatestRolling };
}

export type HistoryReader = ReturnType<typeof createHistoryReader>;
