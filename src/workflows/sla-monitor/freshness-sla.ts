import type { Alert } from '../alerts/alerts';
import { slaMissedAlert, slaRecoveredAlert } from '../alerts/alerts';
import { addDays } from '../../common/days';
import type { LaneState } from '../lanes/lane-contracts';
import { localDateOf, startOfLocalDay } from '../../common/local-day';
import { localHourOf } from '../triggers/schedule-math';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Hours after a tenant's local run hour by which its day must be served, when the tenants file names none. */
export const DEFAULT_SLA_HOURS = 6;

/** Open misses of days older than this (before the expected day) are forgotten: lanes keep only recent days. */
export const OPEN_MISS_RETENTION_DAYS = 30;

/**
 * When day D's daily run is due: the first instant of D + 1 whose local hour is at least the run
 * hour. On a day where the run hour does not exist (a spring-forward gap) that is the first instant
 * after the gap. Local hours never go down within a day (a fall-back repeats an hour), so the first
 * such instant is found by binary search to the minute.
 */
export function runDueAt(day: string, timeZone: string, runHour: number): number {
  let lo = startOfLocalDay(addDays(day, 1), timeZone);
  if (localHourOf(lo, timeZone) >= runHour) return lo;
  let hi = startOfLocalDay(addDays(day, 2), timeZone);
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (localHourOf(mid, timeZone) >= runHour) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Day D's freshness deadline: slaHours of elapsed time (not wall-clock hours) after its run is due. */
export function slaDeadline(day: string, timeZone: string, runHour: number, slaHours: number): number {
  return runDueAt(day, timeZone, runHour) + slaHours * HOUR;
}

export interface FreshnessInput {
  asOfMs: number;
  timeZone: string;
  runHour: number;
  slaHours: number;
  /** Days with a completed primary run (in any order). */
  servedDays: readonly string[];
}

export interface Freshness {
  /** The latest day whose deadline has passed by asOf: the day that must be served now. */
  expectedDay: string;
  /** ISO instant of expectedDay's deadline. */
  deadline: string;
  lastServedDay?: string;
  /** expectedDay is not served. */
  late: boolean;
}

/**
 * The freshness SLA rule, the one the monitor alerts on and `daybreak status` shows: a tenant is
 * late when the latest day whose deadline has passed has no completed primary run.
 */
export function freshnessOf(input: FreshnessInput): Freshness {
  const { asOfMs, timeZone, runHour, slaHours } = input;
  // D's run is due on D + 1, so the day before asOf's local date is the latest candidate.
  let day = addDays(localDateOf(asOfMs, timeZone), -1);
  let deadline = slaDeadline(day, timeZone, runHour, slaHours);
  while (deadline > asOfMs) {
    day = addDays(day, -1);
    deadline = slaDeadline(day, timeZone, runHour, slaHours);
  }
  const served = new Set(input.servedDays);
  const lastServedDay = [...served].sort().at(-1);
  return { expectedDay: day, deadline: new Date(deadline).toISOString(), lastServedDay, late: !served.has(day) };
}

/**
 * The days a lane has served: a completed primary run of any kind (daily, rerun, backfill), or a day
 * its primary version has computed. The lane's lists are bounded, so only recent days are known.
 */
export function servedDays(
  state: Pick<LaneState, 'finished' | 'completedDailyDays' | 'computedDays' | 'versions'>,
): string[] {
  const days = new Set(state.completedDailyDays);
  for (const f of state.finished) if (f.status === 'completed') days.add(f.day);
  for (const day of state.computedDays?.[state.versions.primary] ?? []) days.add(day);
  return [...days].sort();
}

/** A tenant's view for one monitor check. */
export interface SlaTenantView {
  tenantId: string;
  timeZone: string;
  runHour: number;
  slaHours: number;
  /** The lane's primary version: the one whose run serves the day. */
  pipelineVersion: string;
  servedDays: readonly string[];
}

/** A day whose sla-missed alert was raised and whose sla-recovered was not: the monitor's memory. */
export interface OpenMiss {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  deadline: string;
}

export interface SlaCheckInput {
  asOfMs: number;
  tenants: readonly SlaTenantView[];
  open: readonly OpenMiss[];
}

export interface SlaCheckResult {
  alerts: Alert[];
  open: OpenMiss[];
}

/**
 * One monitor check: an expected day that is late and not already open raises sla-missed and is
 * opened; an open day that is now served raises sla-recovered and is closed, so each late day is
 * alerted once however many checks see it late. Open misses of tenants no longer checked (left the
 * file or disabled) and of days older than OPEN_MISS_RETENTION_DAYS are dropped without an alert.
 */
export function slaCheck(input: SlaCheckInput): SlaCheckResult {
  const raisedAt = new Date(input.asOfMs).toISOString();
  const alerts: Alert[] = [];
  const open: OpenMiss[] = [];
  const byTenant = new Map(input.tenants.map((t) => [t.tenantId, t]));
  const freshness = new Map(input.tenants.map((t) => [t.tenantId, freshnessOf({ asOfMs: input.asOfMs, ...t })]));
  for (const miss of input.open) {
    const tenant = byTenant.get(miss.tenantId);
    const fresh = freshness.get(miss.tenantId);
    if (!tenant || !fresh || miss.day < addDays(fresh.expectedDay, -OPEN_MISS_RETENTION_DAYS)) continue;
    if (tenant.servedDays.includes(miss.day)) alerts.push(slaRecoveredAlert({ ...miss, raisedAt }));
    else open.push(miss);
  }
  for (const tenant of input.tenants) {
    const fresh = freshness.get(tenant.tenantId);
    if (!fresh?.late) continue;
    if (open.some((m) => m.tenantId === tenant.tenantId && m.day === fresh.expectedDay)) continue;
    const miss: OpenMiss = {
      tenantId: tenant.tenantId,
      day: fresh.expectedDay,
      pipelineVersion: tenant.pipelineVersion,
      deadline: fresh.deadline,
    };
    open.push(miss);
    alerts.push(slaMissedAlert({ ...miss, slaHours: tenant.slaHours, raisedAt }));
  }
  return { alerts, open };
}

/** `daybreak status`'s freshness columns: the last served day, and on time or late against the SLA. */
export function describeFreshness(freshness: Freshness, slaHours: number): string {
  const sla = freshness.late
    ? `LATE (${freshness.expectedDay} due by ${freshness.deadline}, ${slaHours} h SLA)`
    : `on time (${slaHours} h SLA)`;
  return `last served: ${freshness.lastServedDay ?? '-'}  sla: ${sla}`;
}
