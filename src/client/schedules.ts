import type { Client, ScheduleDescription, ScheduleOptions } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time';
import { ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { dailyScheduleId } from '../common/ids';
import { ensureSearchAttributes } from './namespaces';
import { TenantIdKey, TriggerKey } from '../common/search-attributes';
import type { TenantConfig } from '../workflows/tenants/tenant-config';
import { parseTenantsFile } from '../workflows/tenants/tenant-config';
import { dailyTriggerWorkflow } from '../workflows/triggers/daily-trigger';
import { reconcileWorkflow } from '../workflows/reconcile/reconcile';
import { slaMonitorWorkflow } from '../workflows/sla-monitor/sla-monitor';

/** What sync manages of a schedule, in a comparable form (the server normalizes specs it returns). */
function fingerprint(d: ScheduleDescription): string {
  const action = d.action.type === 'startWorkflow' ? d.action : undefined;
  return JSON.stringify({
    calendars: (d.spec.calendars ?? []).map((c) => [c.hour[0]?.start, c.minute[0]?.start]),
    intervals: (d.spec.intervals ?? []).map((i) => [Number(i.every), Number(i.offset ?? 0)]),
    timezone: d.spec.timezone || 'UTC',
    startAt: d.spec.startAt?.toISOString() ?? null,
    workflowType: action?.workflowType,
    taskQueue: action?.taskQueue,
    args: action?.args ?? [],
    paused: d.state.paused,
  });
}

function wantedFingerprint(s: ScheduleOptions): string {
  const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  return JSON.stringify({
    calendars: (s.spec.calendars ?? []).map((c) => [asArray(c.hour)[0], asArray(c.minute)[0]]),
    intervals: (s.spec.intervals ?? []).map((i) => [
      msToNumber(i.every),
      i.offset === undefined ? 0 : msToNumber(i.offset),
    ]),
    timezone: s.spec.timezone || 'UTC',
    startAt: s.spec.startAt ? new Date(s.spec.startAt).toISOString() : null,
    workflowType: typeof s.action.workflowType === 'string' ? s.action.workflowType : s.action.workflowType.name,
    taskQueue: s.action.taskQueue,
    args: s.action.args ?? [],
    paused: s.state?.paused ?? false,
  });
}

export interface SyncSchedulesOptions {
  taskQueue: string;
  /** Schedule ids are `<prefix>-daily-<tenant>`, `<prefix>-reconciler` and `<prefix>-sla-monitor`; sync owns every schedule with the prefix. */
  prefix?: string;
  /** No action before this instant (onboarding a tenant from a date; tests across a DST change). */
  notBefore?: Date;
  reconcileLookbackDays?: number;
}

export interface SyncSchedulesResult {
  created: string[];
  updated: string[];
  paused: string[];
  deleted: string[];
}

/** The daily schedule of one tenant: its run hour, in its own time zone, starting the thin trigger. */
export function dailySchedule(tenant: TenantConfig, options: SyncSchedulesOptions): ScheduleOptions {
  const prefix = options.prefix ?? 'daybreak';
  return {
    scheduleId: dailyScheduleId(tenant.id, prefix),
    spec: {
      calendars: [{ hour: tenant.runHour, minute: 0, second: 0 }],
      timezone: tenant.timeZone,
      startAt: options.notBefore,
    },
    action: {
      type: 'startWorkflow',
      workflowType: dailyTriggerWorkflow,
      workflowId: `${prefix}/trigger/${tenant.id}`,
      taskQueue: options.taskQueue,
      args: [{ tenantId: tenant.id, timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy }],
      typedSearchAttributes: [
        { key: TenantIdKey, value: tenant.id },
        { key: TriggerKey, value: 'schedule' },
      ],
      staticSummary: `Daily trigger of ${tenant.id} at ${tenant.runHour}:00 ${tenant.timeZone}`,
    },
    policies: {
      // The trigger only enqueues; the lane is the mutex, so overlapping triggers are harmless.
      overlap: ScheduleOverlapPolicy.ALLOW_ALL,
      catchupWindow: '1 day',
    },
    state: {
      paused: !tenant.enabled,
      note: tenant.enabled ? 'enabled in the tenants file' : 'disabled in the tenants file',
    },
    memo: { tenantId: tenant.id },
  };
}

function reconcilerSchedule(options: SyncSchedulesOptions): ScheduleOptions {
  const prefix = options.prefix ?? 'daybreak';
  return {
    scheduleId: `${prefix}-reconciler`,
    spec: { intervals: [{ every: '1 hour', offset: '20 minutes' }], startAt: options.notBefore },
    action: {
      type: 'startWorkflow',
      workflowType: reconcileWorkflow,
      workflowId: `${prefix}/reconciler`,
      taskQueue: options.taskQueue,
      args: [{ lookbackDays: options.reconcileLookbackDays ?? 3 }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 hour' },
  };
}

/**
 * The freshness monitor: every 15 minutes, one check of every tenant's SLA (workflows/sla-monitor/sla-monitor.ts),
 * its state under the prefix. SKIP: a check still delivering alerts is not overlapped by the next.
 */
function slaMonitorSchedule(options: SyncSchedulesOptions): ScheduleOptions {
  const prefix = options.prefix ?? 'daybreak';
  return {
    scheduleId: `${prefix}-sla-monitor`,
    spec: { intervals: [{ every: '15 minutes' }], startAt: options.notBefore },
    action: {
      type: 'startWorkflow',
      workflowType: slaMonitorWorkflow,
      workflowId: `${prefix}/sla-monitor`,
      taskQueue: options.taskQueue,
      args: [{ monitorId: prefix }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '15 minutes' },
  };
}

/**
 * Makes the server's schedules match the tenants file: one daily schedule per tenant at its local
 * run hour in its own time zone (paused when disabled), plus the reconciler and the SLA monitor; schedules with the
 * prefix whose tenant left the file are deleted. Idempotent: a second sync changes nothing.
 *
 * All or nothing as far as the input decides: every tenant is validated first (the tenants-file
 * rules, every problem listed in one TenantsFileError) and every schedule is read before the first
 * change, so an invalid tenant anywhere in the list changes nothing. The namespace gets Daybreak's
 * search attributes if it lacks them (the schedules carry TenantId), or a SearchAttributesError
 * says what to run. A failure while applying (the server going away) leaves a partial sync that
 * the next sync completes.
 */
export async function syncTenantSchedules(
  client: Client,
  tenants: TenantConfig[],
  options: SyncSchedulesOptions,
): Promise<SyncSchedulesResult> {
  parseTenantsFile({ tenants }, 'tenants to sync');
  const prefix = options.prefix ?? 'daybreak';
  const result: SyncSchedulesResult = { created: [], updated: [], paused: [], deleted: [] };
  const wanted = [
    ...tenants.map((t) => dailySchedule(t, options)),
    reconcilerSchedule(options),
    slaMonitorSchedule(options),
  ];
  const wantedIds = new Set(wanted.map((s) => s.scheduleId));
  await ensureSearchAttributes(client.connection, client.options.namespace, {
    address: (client.connection as { options?: { address?: string } }).options?.address,
  });

  // Plan: read everything first.
  const creates: ScheduleOptions[] = [];
  const updates: { schedule: ScheduleOptions; wasPaused: boolean }[] = [];
  for (const schedule of wanted) {
    let described: ScheduleDescription | undefined;
    try {
      described = await client.schedule.getHandle(schedule.scheduleId).describe();
    } catch (error) {
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
    if (!described) creates.push(schedule);
    else if (fingerprint(described) !== wantedFingerprint(schedule))
      updates.push({ schedule, wasPaused: described.state.paused });
  }
  const deletes: string[] = [];
  for await (const listed of client.schedule.list()) {
    if (listed.scheduleId.startsWith(`${prefix}-`) && !wantedIds.has(listed.scheduleId))
      deletes.push(listed.scheduleId);
  }

  // Apply.
  for (const schedule of creates) {
    await client.schedule.create(schedule);
    result.created.push(schedule.scheduleId);
  }
  for (const { schedule, wasPaused } of updates) {
    const paused = schedule.state?.paused ?? false;
    await client.schedule.getHandle(schedule.scheduleId).update((previous) => ({
      ...previous,
      spec: schedule.spec,
      action: schedule.action,
      policies: { ...previous.policies, ...schedule.policies },
      state: { ...previous.state, paused },
    }));
    result.updated.push(schedule.scheduleId);
    if (paused && !wasPaused) result.paused.push(schedule.scheduleId);
  }
  for (const id of deletes) {
    await client.schedule.getHandle(id).delete();
    result.deleted.push(id);
  }
  return result;
}
