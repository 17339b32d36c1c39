import { evaluateDataChecks } from '../../metrics/data-checks';
import { ownSources } from '../../metrics/history-lookup';
import { QuantileSketchAccumulator } from '../../metrics/monoids/quantile-sketch';
import { readAccountDocumentBatches } from '../../schemas/account-document-reader';
import type {
  CheckDayOutputsInput,
  CheckDayOutputsResult,
  DayCheckSummary,
} from '../../workflows/data-checks/data-check-contracts';
import { BASELINE_DAYS, DEFAULT_DATA_CHECKS } from '../../workflows/data-checks/data-check-contracts';
import { addDays } from '../../common/days';
import { CorruptDataError } from '../../common/errors';
import { outputKey } from '../../common/keys';
import type { OutputLocation } from '../../common/keys';
import type { TenantConfig } from '../../workflows/tenants/tenant-config';
import { assertTenantId } from '../../common/tenant-id';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';

export interface DataCheckDeps {
  store: ObjectStore;
  /** The tenants file: each tenant's `checks` (severity, thresholds); a tenant not in it gets the defaults. */
  loadTenants: () => Promise<TenantConfig[]>;
}

export const CHECK_SUMMARY_FILE = 'check-summary.json';

export function checkSummaryKey(loc: OutputLocation): string {
  return outputKey(loc, CHECK_SUMMARY_FILE);
}

/**
 * The data checks' one activity: reads the day's account documents once (accounts, accounts
 * without events, a sketch of the health scores), writes that as the day's check summary next to
 * its outputs, reads the summaries of the trailing BASELINE_DAYS days of the same version (primary
 * run's first, then the shadow's; a day without one is skipped) and evaluates the tenant's checks.
 * Idempotent: a retry writes the same summary.
 */
export function createDataCheckActivities({ store, loadTenants }: DataCheckDeps) {
  async function readSummary(key: string): Promise<DayCheckSummary | undefined> {
    let bytes: Buffer;
    try {
      bytes = await store.getBytes(key);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    try {
      return JSON.parse(bytes.toString('utf8')) as DayCheckSummary;
    } catch (error) {
      throw new CorruptDataError(`check summary ${key} is not JSON: ${(error as Error).message}`, key);
    }
  }

  return {
    async checkDayOutputs(input: CheckDayOutputsInput): Promise<CheckDayOutputsResult> {
      const tenantId = assertTenantId(input.tenantId);
      const loc = { tenantId, day: input.day, pipelineVersion: input.pipelineVersion, runKind: input.runKind };
      const documentsKey = outputKey(loc, 'accounts.avro');
      const summaryKey = checkSummaryKey(loc);
      let accounts = 0;
      let accountsWithoutEvents = 0;
      const scores = new QuantileSketchAccumulator();
      for await (const batch of readAccountDocumentBatches(await store.get(documentsKey), documentsKey)) {
        for (const doc of batch) {
          accounts++;
          if (Number(doc.eventsTotal) === 0) accountsWithoutEvents++;
          const score = Number(doc.healthScore);
          if (!Number.isFinite(score)) {
            throw new CorruptDataError(
              `tenant ${tenantId} ${documentsKey}: account document ${accounts} has no numeric healthScore`,
              documentsKey,
            );
          }
          scores.add(score);
        }
      }
      // A rerun from a later task read no raw events: the day's earlier summary keeps its counts.
      const counts = input.counts
        ? { read: input.counts.read, accepted: input.counts.accepted, quarantined: input.counts.quarantined }
        : (await readSummary(summaryKey))?.counts;
      const today: DayCheckSummary = {
        tenantId,
        day: input.day,
        pipelineVersion: input.pipelineVersion,
        accounts,
        accountsWithoutEvents,
        ...(counts ? { counts } : {}),
        healthScores: scores.toState(),
      };
      await store.put(summaryKey, Buffer.from(JSON.stringify(today)), { contentType: 'application/json' });

      const baseline: DayCheckSummary[] = [];
      for (let back = 1; back <= BASELINE_DAYS; back++) {
        const day = addDays(input.day, -back);
        for (const source of ownSources(input.pipelineVersion)) {
          const found = await readSummary(checkSummaryKey({ tenantId, day, ...source }));
          if (found) {
            baseline.push(found);
            break;
          }
        }
      }
      const tenant = (await loadTenants()).find((t) => t.id === tenantId);
      const outcome = evaluateDataChecks({ today, baseline, config: tenant?.checks ?? DEFAULT_DATA_CHECKS });
      return { ...outcome, summaryKey };
    },
  };
}

export type DataCheckActivities = ReturnType<typeof createDataCheckActivities>;
