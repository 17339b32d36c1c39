import type { RequestRunResult, RunRequest } from '../lanes/lane-contracts';
import type { BadDataPolicy } from '../tenants/tenant-config';

/** The arguments a tenant's daily schedule starts dailyTriggerWorkflow with (set by `tenants sync`). */
export interface DailyTriggerInput {
  tenantId: string;
  timeZone: string;
  badDataPolicy: BadDataPolicy;
  /** Only for a manual start outside a schedule; a scheduled start derives the day from its scheduled time. */
  day?: string;
}

export interface DailyTriggerResult extends RequestRunResult {
  tenantId: string;
  day: string;
}

export interface RequestLaneRunInput {
  tenantId: string;
  request: RunRequest;
}

export interface ReconcileInput {
  /** How many past days to check per tenant. */
  lookbackDays: number;
  /** Only for a manual start; a scheduled start uses its scheduled time. */
  asOf?: string;
}

export interface ReconcileResult {
  asOf: string;
  checked: number;
  requested: { tenantId: string; day: string }[];
}

export interface FindMissedDaysInput {
  asOfMs: number;
  lookbackDays: number;
}
