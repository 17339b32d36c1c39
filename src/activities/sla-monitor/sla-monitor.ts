import { WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import type { LaneDefaults } from '../../client/lanes';
import { laneState } from '../../client/lanes';
import type { OpenMiss, SlaTenantView } from '../../workflows/sla-monitor/freshness-sla';
import { DEFAULT_SLA_HOURS, servedDays, slaCheck } from '../../workflows/sla-monitor/freshness-sla';
import type {
  CheckFreshnessInput,
  CheckFreshnessResult,
  SaveOpenMissesInput,
} from '../../workflows/sla-monitor/sla-monitor-contracts';
import { slaMonitorStateKey } from '../../workflows/sla-monitor/sla-monitor-contracts';
import type { TenantConfig } from '../../workflows/tenants/tenant-config';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';
import { InvalidInputError } from '../../common/errors';

export interface SlaMonitorDeps {
  temporal: Client;
  laneDefaults: LaneDefaults;
  /** Read afresh on every check, so the monitor follows the tenants file without a restart. */
  loadTenants: () => Promise<TenantConfig[]>;
  /** Holds the monitor's open misses between checks. */
  store: ObjectStore;
}

/**
 * The freshness monitor's activities. `checkFreshness` reads every enabled tenant's lane and the
 * monitor's open misses and returns the alerts to raise (slaCheck) without writing anything; the
 * workflow delivers them and only then `saveOpenMisses`, so a check interrupted before the save
 * raises the same alerts (same ids, for the receiver to dedupe) rather than none.
 */
export function createSlaMonitorActivities({ temporal, laneDefaults, loadTenants, store }: SlaMonitorDeps) {
  return {
    async checkFreshness(input: CheckFreshnessInput): Promise<CheckFreshnessResult> {
      const tenants = (await loadTenants()).filter((t) => t.enabled);
      const views: SlaTenantView[] = [];
      for (const tenant of tenants) {
        let state;
        try {
          state = await laneState(temporal, tenant.id);
        } catch (error) {
          // No lane yet: nothing served. Any other error (no worker answering) is retried, never taken as late.
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
        views.push({
          tenantId: tenant.id,
          timeZone: tenant.timeZone,
          runHour: tenant.runHour,
          slaHours: tenant.slaHours ?? DEFAULT_SLA_HOURS,
          pipelineVersion: state?.versions.primary ?? laneDefaults.primaryVersion,
          servedDays: state ? servedDays(state) : [],
        });
      }
      const open = await readOpenMisses(store, input.monitorId);
      return { checked: views.length, ...slaCheck({ asOfMs: input.asOfMs, tenants: views, open }) };
    },

    async saveOpenMisses(input: SaveOpenMissesInput): Promise<void> {
      const body = Buffer.from(JSON.stringify({ open: input.open }, null, 2));
      await store.put(slaMonitorStateKey(input.monitorId), body, { contentType: 'application/json' });
    },
  };
}

export type SlaMonitorActivities = ReturnType<typeof createSlaMonitorActivities>;

async function readOpenMisses(store: ObjectStore, monitorId: string): Promise<OpenMiss[]> {
  const key = slaMonitorStateKey(monitorId);
  let text: string;
  try {
    text = (await store.getBytes(key)).toString('utf8');
  } catch (error) {
    if (error instanceof NotFoundError) return [];
    throw error;
  }
  let parsed: { open?: unknown } | undefined;
  try {
    parsed = JSON.parse(text) as { open?: unknown };
  } catch {
    // Reported below.
  }
  if (!Array.isArray(parsed?.open))
    throw new InvalidInputError(
      `SLA monitor state ${key}: expected JSON with an "open" array; delete it to start afresh`,
    );
  return parsed.open as OpenMiss[];
}
