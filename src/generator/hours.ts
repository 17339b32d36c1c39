import type { RawEvent } from '../common/events';
import type { BILLING_EVENT_TYPES, USAGE_EVENT_TYPES } from '../common/events';
import type { RawEventVersion } from '../schemas/raw-event-schemas';
import type { AccountTable } from './accounts';
import type { Rng, WeightedPicker } from './random';
import { uuid } from './random';

export const HOUR_MS = 3_600_000;

/** Relative activity by local hour: quiet nights, a working-day plateau. */
const DIURNAL = [
  0.15, 0.1, 0.08, 0.08, 0.1, 0.2, 0.45, 0.8, 1.25, 1.6, 1.7, 1.65, 1.4, 1.55, 1.65, 1.6, 1.45, 1.2, 0.9, 0.7, 0.55,
  0.45, 0.35, 0.25,
];
const DIURNAL_MEAN = DIURNAL.reduce((a, b) => a + b, 0) / 24;
/** Relative activity by local weekday, Sunday first: weekends are quiet. */
const WEEKLY = [0.45, 1.1, 1.15, 1.15, 1.1, 0.95, 0.5];
const WEEKLY_MEAN = WEEKLY.reduce((a, b) => a + b, 0) / 7;

/** Expected events in [startMs, endMs) of a local day, given the local hour and weekday there. */
export function expectedEvents(eventsPerDay: number, localHour: number, weekday: number, ms: number): number {
  return (((eventsPerDay / 24) * (DIURNAL[localHour] / DIURNAL_MEAN) * WEEKLY[weekday]) / WEEKLY_MEAN) * (ms / HOUR_MS);
}

const USAGE_WEIGHTS: [(typeof USAGE_EVENT_TYPES)[number], number][] = [
  ['page_view', 0.45],
  ['feature_use', 0.25],
  ['login', 0.12],
  ['api_call', 0.13],
  ['report_export', 0.05],
];

export interface HourContext {
  tenantId: string;
  accounts: AccountTable;
  picker: WeightedPicker;
  properties: Record<string, string>[];
  /** Index of the local day, used in session ids. */
  dayIndex: number;
}

/** One event at a uniformly random instant of [startMs, endMs). */
export function makeEvent(rng: Rng, ctx: HourContext, startMs: number, endMs: number): RawEvent {
  const accounts = ctx.accounts;
  const account = ctx.picker.pick(rng);
  const u = rng.float();
  const accountId = accounts.accountId(account);
  const userId = `${accountId}-u${Math.floor(accounts.users[account] * u * u * u)}`;
  let type: (typeof USAGE_EVENT_TYPES)[number] | (typeof BILLING_EVENT_TYPES)[number];
  let value: number;
  // Billing accounts (a minority) send invoice and payment events; at-risk ones fail more often.
  if (accounts.billing[account] && rng.chance(0.015)) {
    const r = rng.float();
    const failing = accounts.atRisk(account) ? 0.35 : 0.08;
    type = r < failing ? 'payment_failed' : r < failing + 0.15 ? 'invoice_overdue' : 'invoice_paid';
    value = Math.round(accounts.contractValue[account] / 12) + 0.5;
  } else {
    let r = rng.float();
    type = USAGE_WEIGHTS[USAGE_WEIGHTS.length - 1][0];
    for (const [t, w] of USAGE_WEIGHTS) {
      if (r < w) {
        type = t;
        break;
      }
      r -= w;
    }
    value = type === 'page_view' ? Math.round(rng.pareto(1.5, 3600) * 4) : type === 'api_call' ? rng.int(500) : 1;
  }
  return {
    eventId: uuid(rng),
    tenantId: ctx.tenantId,
    accountId,
    userId,
    type,
    occurredAt: startMs + Math.floor(rng.float() * (endMs - startMs)),
    value,
    properties: ctx.properties[rng.int(ctx.properties.length)],
    sessionId: rng.chance(0.08) ? null : `${userId}-d${ctx.dayIndex}-s${rng.int(3)}`,
  };
}

/** The record in the shape a producer of `version` writes (user before v3, no session id in v1). */
export function asWriterRecord(event: RawEvent, version: RawEventVersion): object {
  if (version === 3) return event;
  const base = {
    eventId: event.eventId,
    tenantId: event.tenantId,
    accountId: event.accountId,
    user: event.userId,
    type: event.type,
    occurredAt: event.occurredAt,
    value: event.value,
    properties: event.properties,
  };
  return version === 1 ? base : { ...base, sessionId: event.sessionId };
}

/** Producers upgrade over the month: v1 fades, v3 grows, every version stays present. */
export function pickWriterVersion(rng: Rng, progress: number): RawEventVersion {
  const w1 = 0.1 + 0.4 * (1 - progress);
  const w2 = 0.3;
  const w3 = 0.2 + 0.5 * progress;
  const r = rng.float() * (w1 + w2 + w3);
  return r < w1 ? 1 : r < w1 + w2 ? 2 : 3;
}
