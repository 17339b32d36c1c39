import { describe, expect, it } from 'vitest';
import type { AccountDayState, MetricEvent } from '../../../src/metrics/account-state';
import { PartitionAggregator, mergeAccountStates } from '../../../src/metrics/account-state';
import type { RollingState } from '../../../src/metrics/rolling';
import { computeRolling } from '../../../src/metrics/rolling';
import {
  activityPercentiles,
  billingHealth,
  breadthFactor,
  healthDelta,
  trendFactor,
  trendWoW,
} from '../../../src/metrics/formulas';
import { ratioToNumber } from '../../../src/metrics/exact';
import type { MetricPipeline } from '../../../src/metrics/pipelines';
import { buildAccountDocuments, getPipeline } from '../../../src/metrics/pipelines';
import { localDayWindow } from '../../../src/common/local-day';
import type { AccountAttributes } from '../../../src/common/events';
import type { AccountDocument } from '../../../src/workflows/serving/account-document';

const HOUR = 3_600_000;

function ev(
  accountId: string,
  userId: string,
  type: string,
  occurredAt: number,
  sessionId: string | null = null,
): MetricEvent {
  return { accountId, userId, type, occurredAt, value: 1, sessionId };
}

/** One day's states through the real aggregation path. */
function aggregate(day: string, timeZone: string, events: MetricEvent[]): AccountDayState[] {
  const w = localDayWindow(day, timeZone);
  const agg = new PartitionAggregator(w.startMs, w.endMs);
  events.forEach((e) => agg.add(e));
  return mergeAccountStates([agg.states()]);
}

function attrs(
  accountId: string,
  lifecycleStage: AccountAttributes['lifecycleStage'],
  seats: number,
): AccountAttributes {
  return {
    tenantId: 't',
    accountId,
    accountName: `Name ${accountId} 🚀`,
    lifecycleStage,
    plan: 'pro',
    contractValue: 1000,
    renewalDate: null,
    seats,
  };
}

describe('local-day windows in the aggregation', () => {
  it('America/New_York spring-forward day has 23 hours and filters by [start, end)', () => {
    const w = localDayWindow('2026-03-08', 'America/New_York');
    expect(w.hours).toBe(23);
    expect(new Date(w.startMs).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(new Date(w.endMs).toISOString()).toBe('2026-03-09T04:00:00.000Z');
    const agg = new PartitionAggregator(w.startMs, w.endMs);
    for (const t of [w.startMs - 1, w.startMs, w.endMs - 1, w.endMs]) agg.add(ev('a', 'u', 'login', t));
    expect([agg.accepted, agg.outOfWindow]).toEqual([2, 2]);
    expect(agg.states()[0]).toMatchObject({ events: 2, firstAt: w.startMs, lastAt: w.endMs - 1 });
  });

  it('America/New_York fall-back day has 25 hours: events in the repeated 01:00 hour count once each', () => {
    const w = localDayWindow('2026-11-01', 'America/New_York');
    expect(w.hours).toBe(25);
    const states = aggregate('2026-11-01', 'America/New_York', [
      ev('a', 'u1', 'login', Date.parse('2026-11-01T05:30:00Z')), // 01:30 EDT
      ev('a', 'u2', 'login', Date.parse('2026-11-01T06:30:00Z')), // 01:30 EST, the hour repeats
      ev('a', 'u3', 'login', Date.parse('2026-11-02T04:59:59.999Z')), // 23:59:59.999 EST
      ev('a', 'u4', 'login', Date.parse('2026-11-02T05:00:00Z')), // next day
    ]);
    expect(states[0]).toMatchObject({ events: 3, eventsByType: { login: 3 } });
  });

  it('America/Havana has no midnight on its spring-forward day: the day starts at 01:00 CDT', () => {
    const w = localDayWindow('2026-03-08', 'America/Havana');
    expect(new Date(w.startMs).toISOString()).toBe('2026-03-08T05:00:00.000Z');
    expect(w.hours).toBe(23);
    const states = aggregate('2026-03-08', 'America/Havana', [
      ev('h', 'u1', 'login', w.startMs - 1), // 23:59:59.999 on the 7th
      ev('h', 'u1', 'page_view', w.startMs), // 01:00 CDT, the first instant of the 8th
      ev('h', 'u2', 'page_view', w.startMs + 22 * HOUR), // 23:00 CDT
    ]);
    expect(states).toHaveLength(1);
    expect(states[0]).toMatchObject({ events: 2, eventsByType: { page_view: 2 }, firstAt: w.startMs });
  });
});

describe('formulas', () => {
  it('trend week over week', () => {
    expect(trendWoW(5, 4)).toBe(0.25);
    expect(trendWoW(0, 4)).toBe(-1);
    expect(trendWoW(1, 3)).toBe(-0.6667);
    expect(trendWoW(7, 0)).toBeNull();
    expect(ratioToNumber(trendFactor(null, 7))).toBe(0.5);
    expect(ratioToNumber(trendFactor(null, 0))).toBe(0);
    expect(ratioToNumber(trendFactor(3, 1))).toBe(1);
    expect(ratioToNumber(trendFactor(-1, 0))).toBe(0);
  });
  it('activity percentile: share of other accounts with strictly fewer events7d', () => {
    expect(activityPercentiles([5, 1, 1, 0])).toEqual([100, 33.33, 33.33, 0]);
    expect(activityPercentiles([3])).toEqual([100]);
    expect(activityPercentiles([0])).toEqual([0]);
    expect(activityPercentiles([2, 2])).toEqual([0, 0]);
  });
  it('billing health, breadth and delta', () => {
    expect(billingHealth(0, 0, 0)).toBe(1);
    expect(billingHealth(3, 1, 1)).toBe(0.5);
    expect(billingHealth(0, 0, 2)).toBe(0);
    expect(ratioToNumber(breadthFactor(3, 4))).toBe(0.75);
    expect(ratioToNumber(breadthFactor(30, 4))).toBe(1);
    expect(ratioToNumber(breadthFactor(1, 0))).toBe(0.1);
    expect(healthDelta(88, 80)).toBe(8);
    expect(healthDelta(88, undefined)).toBeNull();
  });
});

describe('a tenant day end to end (hand-computed, America/New_York DST day)', () => {
  const day = '2026-03-08';
  const tz = 'America/New_York';
  const start = localDayWindow(day, tz).startMs;
  const dayStart = (d: string) => localDayWindow(d, tz).startMs;
  const today = aggregate(day, tz, [
    ev('A', 'u1', 'login', start + 1 * HOUR, 's1'),
    ev('A', 'u2', 'feature_use', start + 2 * HOUR, 's2'),
    ev('A', 'u1', 'invoice_paid', start + 3 * HOUR, 's1'),
    ev('C', 'u5', 'page_view', start + 4 * HOUR),
  ]);
  const history: (AccountDayState[] | null)[] = Array.from({ length: 29 }, () => null);
  history[0] = aggregate('2026-03-07', tz, [
    ev('A', 'u1', 'login', dayStart('2026-03-07') + HOUR),
    ev('A', 'u3', 'login', dayStart('2026-03-07') + 2 * HOUR),
  ]);
  history[2] = aggregate('2026-03-05', tz, [ev('B', 'u9', 'login', dayStart('2026-03-05') + HOUR)]);
  history[7] = aggregate('2026-02-28', tz, [
    ...[1, 2, 3].map((h) => ev('A', 'u4', 'report_export', dayStart('2026-02-28') + h * HOUR)),
    ev('A', 'u4', 'login', dayStart('2026-02-28') + 5 * HOUR),
  ]);
  const firstEver = Date.parse('2025-06-01T12:00:00Z');
  const previousRolling: RollingState[] = [
    {
      accountId: 'A',
      activeUsers7d: 0,
      activeUsers30d: 0,
      events7d: 0,
      events30d: 0,
      eventsPrevious7d: 0,
      invoicePaid30d: 0,
      invoiceOverdue30d: 0,
      paymentFailed30d: 0,
      firstSeenEver: firstEver,
      lastSeenEver: dayStart('2026-03-07') + 2 * HOUR,
    },
  ];
  const rolling = computeRolling({ today, history, previous: previousRolling });
  const attributes = [attrs('A', 'mature', 4), attrs('B', 'trial', 0), attrs('D', 'churned', 10)];
  const previous = [
    { accountId: 'A', healthScore: 80 },
    { accountId: 'C', healthScore: 50 },
  ] as AccountDocument[];
  const build = (pipeline: MetricPipeline) =>
    buildAccountDocuments({ tenantId: 't', day, pipeline, today, rolling, attributes, previous });

  it('computes usage, rolling windows, trend, percentile and health', () => {
    const docs = build(getPipeline('v1'));
    expect(docs.map((d) => d.accountId)).toEqual(['A', 'B', 'C', 'D']);
    const [a, b, c, d] = docs;
    expect(a).toEqual({
      tenantId: 't',
      accountId: 'A',
      day,
      pipelineVersion: 'v1',
      accountName: 'Name A 🚀',
      lifecycleStage: 'mature',
      eventsTotal: 3,
      eventsByType: { feature_use: 1, invoice_paid: 1, login: 1 },
      activeUsers: 2,
      sessions: 2,
      firstActivityAt: firstEver,
      lastActivityAt: start + 3 * HOUR,
      activeUsers7d: 3, // u1 u2 today, u1 u3 yesterday
      activeUsers30d: 4, // + u4 eight days ago
      events7d: 5,
      events30d: 9,
      eventsPrevious7d: 4,
      trendWoW: 0.25,
      activityPercentile: 100,
      billingEvents: 1,
      billingHealth: 1,
      // 30 * 1 + 20 * (0.5 + 0.25 / 2) + 20 * 3/4 + 15 * 1 + 15 * 1 = 87.5
      healthScore: 88,
      healthDelta: 8,
    });
    // B: churning quietly: one event 3 days ago, no previous week; trial; no seats recorded.
    expect(b).toMatchObject({
      eventsTotal: 0,
      eventsByType: {},
      activeUsers: 0,
      sessions: 0,
      events7d: 1,
      trendWoW: null,
      activityPercentile: 33.33,
      // 30 * 0.3333 + 20 * 0.5 + 20 * 1/10 + 15 * 0.6 + 15 * 1 = 45.999
      healthScore: 46,
      healthDelta: null,
      firstActivityAt: dayStart('2026-03-05') + HOUR,
    });
    // C: new account, no attributes, events without session ids (one implicit session per user).
    expect(c).toMatchObject({
      accountName: '',
      lifecycleStage: 'unknown',
      sessions: 1,
      healthScore: 44,
      healthDelta: -6,
    });
    // D: churned, never active: only billing health (no billing events = 1) scores.
    expect(d).toMatchObject({
      eventsTotal: 0,
      events30d: 0,
      firstActivityAt: null,
      lastActivityAt: null,
      trendWoW: null,
      activityPercentile: 0,
      healthScore: 15,
    });
  });

  it('v2 changes health only for the account with billing events', () => {
    const v1 = build(getPipeline('v1'));
    const v2 = build(getPipeline('v2'));
    // A: 25 * 1 + 15 * 0.625 + 15 * 0.75 + 10 * 1 + 35 * billingHealth(1 + 2, 0, 0) = 90.625
    expect(v2[0].healthScore).toBe(91);
    const differing = v1
      .filter(
        (doc, i) =>
          JSON.stringify({ ...doc, pipelineVersion: '' }) !== JSON.stringify({ ...v2[i], pipelineVersion: '' }),
      )
      .map((doc) => doc.accountId);
    expect(differing).toEqual(v1.filter((doc) => doc.billingEvents > 0).map((doc) => doc.accountId));
  });

  it('a missing history (new tenant, first day) gives zero rolling history and null deltas', () => {
    const docs = buildAccountDocuments({
      tenantId: 't',
      day,
      pipeline: getPipeline('v1'),
      today,
      rolling: computeRolling({ today, history: [], previous: null }),
      attributes: [],
      previous: null,
    });
    expect(docs.map((d) => [d.accountId, d.events7d, d.eventsPrevious7d, d.trendWoW, d.healthDelta])).toEqual([
      ['A', 3, 0, null, null],
      ['C', 1, 0, null, null],
    ]);
    expect(docs[0].firstActivityAt).toBe(start + HOUR);
  });
});
