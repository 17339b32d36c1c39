import type { Client } from '@temporalio/client';
import type { LaneDefaults } from '../../client/lanes';
import { laneState, requestRun, setLaneVersions } from '../../client/lanes';
import type {
  LaneState,
  PipelineVersions,
  RequestRunResult,
  TenantSettings,
} from '../../workflows/lanes/lane-contracts';
import { reconcilePlan } from '../../workflows/reconcile/reconcile-plan';
import { dueDays } from '../../workflows/triggers/schedule-math';
import type { TenantConfig } from '../../workflows/tenants/tenant-config';
import type { FindMissedDaysInput, RequestLaneRunInput } from '../../workflows/triggers/trigger-contracts';

export interface TemporalLaneDeps {
  temporal: Client;
  laneDefaults: LaneDefaults;
  /** Reads the tenants file afresh, so the reconciler follows config changes without a restart. */
  loadTenants: () => Promise<TenantConfig[]>;
}

/** Activities that talk to Temporal itself: workflows cannot signal-with-start or query other workflows. */
export function createTemporalLaneActivities({ temporal, laneDefaults, loadTenants }: TemporalLaneDeps) {
  return {
    /** Update-with-start on the tenant's lane; idempotent, since the lane drops duplicates. */
    async requestLaneRun(input: RequestLaneRunInput): Promise<RequestRunResult> {
      return requestRun(temporal, input.tenantId, input.request, laneDefaults);
    },

    /** Points a tenant's lane at new primary/shadow versions (rollouts); starts the lane if needed. */
    async setLaneVersions(input: {
      tenantId: string;
      tenant: TenantSettings;
      versions: PipelineVersions;
    }): Promise<void> {
      await setLaneVersions(temporal, input.tenantId, input.tenant, input.versions, laneDefaults);
    },

    /**
     * For every enabled tenant, compares the days that should have run by `asOfMs` with what its
     * lane has completed, queued or running (waiting for inputs included) and what failed for good,
     * and requests the rest as daily runs (reconcilePlan).
     */
    async requestMissedDays(
      input: FindMissedDaysInput,
    ): Promise<{ checked: number; requested: { tenantId: string; day: string }[] }> {
      const tenants = (await loadTenants()).filter((t) => t.enabled);
      const requested: { tenantId: string; day: string }[] = [];
      for (const tenant of tenants) {
        const due = dueDays(input.asOfMs, tenant.timeZone, tenant.runHour, input.lookbackDays);
        let state: LaneState | undefined;
        try {
          state = await laneState(temporal, tenant.id);
        } catch {
          // No lane yet: every due day is missing.
        }
        for (const day of reconcilePlan({ due, state }).request) {
          const tenantSettings = { timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy };
          await requestRun(
            temporal,
            tenant.id,
            { day, kind: 'daily', requestedBy: 'reconciler', tenant: tenantSettings },
            laneDefaults,
          );
          requested.push({ tenantId: tenant.id, day });
        }
      }
      return { checked: tenants.length, requested };
    },
  };
}

export type TemporalLaneActivities = ReturnType<typeof createTemporalLaneActivities>;
