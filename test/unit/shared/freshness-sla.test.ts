import { describe, expect, it } from 'vitest';
import type { OpenMiss, SlaTenantView } from '../../../src/workflows/sla-monitor/freshness-sla';
import {
  freshnessOf,
  runDueAt,
  servedDays,
  slaCheck,
  slaDeadline,
} from '../../../src/workflows/sla-monitor/freshness-sla';
import { parseTenantsFile } from '../../../src/workflows/tenants/tenant-config';

const iso = (ms: number) => new Date(ms).toISOString();

describe('a day is due at its local run hour on the next day, and its deadline is slaHours later', () => {
  // Offsets derived by hand from the zones' rules (CET +1, CEST +2, EST -5, CST -5 / CDT -4 in Cuba, IST +5:30).
  it.each([
    ['UTC', '2026-11-20', 2, 6, '2026-11-21T02:00:00.000Z', '2026-11-21T08:00:00.000Z'],
    ['America/New_York', '2026-11-20', 0, 6, '2026-11-21T05:00:00.000Z', '2026-11-21T11:00:00.000Z'],
    ['Asia/Kolkata', '2026-11-20', 1, 2.5, '2026-11-20T19:30:00.000Z', '2026-11-20T22:00:00.000Z'],
    // Berlin springs forward on 2026-03-29 at 02:00 CET to 03:00 CEST: 02:00 does not exist, the run is due at 03:00 CEST.
    ['Europe/Berlin', '2026-03-27', 2, 3, '2026-03-28T01:00:00.000Z', '2026-03-28T04:00:00.000Z'],
    ['Europe/Berlin', '2026-03-28', 2, 3, '2026-03-29T01:00:00.000Z', '2026-03-29T04:00:00.000Z'],
    ['Europe/Berlin', '2026-03-27', 6, 3, '2026-03-28T05:00:00.000Z', '2026-03-28T08:00:00.000Z'],
    ['Europe/Berlin', '2026-03-28', 6, 3, '2026-03-29T04:00:00.000Z', '2026-03-29T07:00:00.000Z'],
    // Falls back on 2026-10-25 at 03:00 CEST to 02:00 CET: the first 02:00 (CEST) is the one; the SLA counts elapsed hours.
    ['Europe/Berlin', '2026-10-24', 2, 3, '2026-10-25T00:00:00.000Z', '2026-10-25T03:00:00.000Z'],
    ['Europe/Berlin', '2026-10-24', 6, 3, '2026-10-25T05:00:00.000Z', '2026-10-25T08:00:00.000Z'],
    // Havana springs forward at midnight on 2027-03-14: the day starts at 01:00 CDT.
    ['America/Havana', '2027-03-13', 0, 6, '2027-03-14T05:00:00.000Z', '2027-03-14T11:00:00.000Z'],
  ])('%s %s, run hour %i, %f h', (timeZone, day, runHour, slaHours, due, deadline) => {
    expect(iso(runDueAt(day, timeZone, runHour))).toBe(due);
    expect(iso(slaDeadline(day, timeZone, runHour, slaHours))).toBe(deadline);
  });
});

describe('freshnessOf: the latest day past its deadline must be served', () => {
  const utc = { timeZone: 'UTC', runHour: 2, slaHours: 6 };
  it('a minute before the deadline the day before is expected; at the deadline, the day itself', () => {
    const before = freshnessOf({ ...utc, asOfMs: Date.parse('2026-11-21T07:59:00Z'), servedDays: ['2026-11-19'] });
    expect(before).toEqual({
      expectedDay: '2026-11-19',
      deadline: '2026-11-20T08:00:00.000Z',
      lastServedDay: '2026-11-19',
      late: false,
    });
    const at = freshnessOf({ ...utc, asOfMs: Date.parse('2026-11-21T08:00:00Z'), servedDays: ['2026-11-19'] });
    expect(at).toEqual({
      expectedDay: '2026-11-20',
      deadline: '2026-11-21T08:00:00.000Z',
      lastServedDay: '2026-11-19',
      late: true,
    });
  });

  it('an SLA over a day reaches back two days; nothing served: no last day', () => {
    const f = freshnessOf({ ...utc, slaHours: 30, asOfMs: Date.parse('2026-11-22T07:00:00Z'), servedDays: [] });
    // 2026-11-20 is due 11-21 02:00Z, +30 h = 11-22 08:00Z, not yet; 2026-11-19's deadline 11-21 08:00Z has passed.
    expect(f).toEqual({ expectedDay: '2026-11-19', deadline: '2026-11-21T08:00:00.000Z', late: true });
  });

  it('on the spring-forward day in Berlin the deadline is an hour earlier in UTC', () => {
    const berlin = { timeZone: 'Europe/Berlin', runHour: 6, slaHours: 3 };
    // 07:30Z on 03-29 is past 2026-03-28's 07:00Z deadline (on a CET day it would be 08:00Z).
    expect(freshnessOf({ ...berlin, asOfMs: Date.parse('2026-03-29T07:30:00Z'), servedDays: [] }).expectedDay).toBe(
      '2026-03-28',
    );
    expect(freshnessOf({ ...berlin, asOfMs: Date.parse('2026-03-28T07:30:00Z'), servedDays: [] }).expectedDay).toBe(
      '2026-03-26',
    );
  });
});

describe('servedDays', () => {
  it('completed runs of any kind and the primary version computed days, not failures or the shadow', () => {
    expect(
      servedDays({
        versions: { primary: 'v2', shadow: 'v3' },
        completedDailyDays: ['2026-11-18'],
        finished: [
          {
            day: '2026-11-19',
            kind: 'rerun',
            pipelineVersion: 'v2',
            workflowId: 'w',
            status: 'completed',
            attempts: 1,
          },
          { day: '2026-11-21', kind: 'daily', pipelineVersion: 'v2', workflowId: 'w', status: 'failed', attempts: 3 },
        ],
        computedDays: { v2: ['2026-11-17'], v3: ['2026-11-22'] },
      }),
    ).toEqual(['2026-11-17', '2026-11-18', '2026-11-19']);
  });
});

describe('slaCheck raises sla-missed once per late day and sla-recovered once it is served', () => {
  const tenant: SlaTenantView = {
    tenantId: 'acme',
    timeZone: 'UTC',
    runHour: 2,
    slaHours: 6,
    pipelineVersion: 'v1',
    servedDays: ['2026-11-19'],
  };
  const workflowId = 'daybreak/tenant-day/acme/2026-11-20/v1/primary';
  const miss: OpenMiss = {
    tenantId: 'acme',
    day: '2026-11-20',
    pipelineVersion: 'v1',
    deadline: '2026-11-21T08:00:00.000Z',
  };

  it('late: one alert and the miss is open; checked again, no alert and still open', () => {
    const first = slaCheck({ asOfMs: Date.parse('2026-11-21T08:15:00Z'), tenants: [tenant], open: [] });
    expect(first.open).toEqual([miss]);
    expect(first.alerts).toEqual([
      {
        id: `${workflowId}/sla-missed/2026-11-21T08:00:00.000Z`,
        kind: 'sla-missed',
        tenantId: 'acme',
        day: '2026-11-20',
        pipelineVersion: 'v1',
        workflowId,
        reason: 'not served by 2026-11-21T08:00:00.000Z (6 hours after its run hour)',
        raisedAt: '2026-11-21T08:15:00.000Z',
      },
    ]);
    const second = slaCheck({ asOfMs: Date.parse('2026-11-21T08:30:00Z'), tenants: [tenant], open: first.open });
    expect(second).toEqual({ alerts: [], open: [miss] });
  });

  it('served: sla-recovered and the miss is closed; on time: nothing', () => {
    const served = { ...tenant, servedDays: ['2026-11-19', '2026-11-20'] };
    const recovered = slaCheck({ asOfMs: Date.parse('2026-11-21T09:00:00Z'), tenants: [served], open: [miss] });
    expect(recovered.open).toEqual([]);
    expect(recovered.alerts).toEqual([
      expect.objectContaining({
        id: `${workflowId}/sla-recovered/2026-11-21T08:00:00.000Z`,
        kind: 'sla-recovered',
        day: '2026-11-20',
        reason: 'served after its deadline 2026-11-21T08:00:00.000Z',
      }),
    ]);
    expect(slaCheck({ asOfMs: Date.parse('2026-11-21T09:00:00Z'), tenants: [served], open: [] })).toEqual({
      alerts: [],
      open: [],
    });
  });

  it('the next day late too: a second miss, the first stays open; a tenant no longer checked is forgotten', () => {
    const next = slaCheck({ asOfMs: Date.parse('2026-11-22T08:00:00Z'), tenants: [tenant], open: [miss] });
    expect(next.open.map((m) => m.day)).toEqual(['2026-11-20', '2026-11-21']);
    expect(next.alerts.map((a) => `${a.kind} ${a.day}`)).toEqual(['sla-missed 2026-11-21']);
    expect(slaCheck({ asOfMs: Date.parse('2026-11-22T08:00:00Z'), tenants: [], open: [miss] })).toEqual({
      alerts: [],
      open: [],
    });
  });
});

describe('slaHours in the tenants file', () => {
  const entry = { id: 'acme', timeZone: 'UTC' };
  it('is optional (the default applies where it is read) and kept when given', () => {
    expect(parseTenantsFile({ tenants: [entry] }).tenants[0].slaHours).toBeUndefined();
    expect(parseTenantsFile({ tenants: [{ ...entry, slaHours: 2.5 }] }).tenants[0].slaHours).toBe(2.5);
  });
  it.each([0, -1, 169, '6'])('refuses %j, naming the entry and the field', (slaHours) => {
    expect(() => parseTenantsFile({ tenants: [{ ...entry, slaHours }] })).toThrow(
      `tenants file: tenants[0] ("acme"): slaHours ${JSON.stringify(slaHours)} must be a number of hours above 0 and at most 168`,
    );
  });
});
