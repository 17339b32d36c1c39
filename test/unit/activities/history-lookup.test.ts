import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { createMetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { runMetricDayInProcess } from '../../../src/activities/tenant-days/in-process';
import type { RunKind } from '../../../src/common/search-attributes';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { writeAttributes } from '../../support/metric-fixtures';
import type { PlantedEvent } from '../../support/history-fixtures';
import {
  GAP_MONTH,
  ROLLOUT_ACCOUNTS,
  daysFrom,
  plantEvents,
  plantGapMonth,
  readDocuments,
  rolloutDayEvents,
} from '../../support/history-fixtures';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newStore(): FsObjectStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-history-'));
  dirs.push(dir);
  return new FsObjectStore(dir);
}

const timeZone = 'UTC';
const tenantId = 'acme';

async function runDay(
  activities: MetricActivities,
  day: string,
  pipelineVersion: string,
  runKind: RunKind,
  primaryPipelineVersion?: string,
) {
  await runMetricDayInProcess({
    activities,
    tenantId,
    day,
    timeZone,
    pipelineVersion,
    runKind,
    maxPartitions: 1,
    badDataPolicy: 'fail',
    primaryPipelineVersion,
  });
}

describe('history lookup across promotion and rollback (filesystem store, in-process)', () => {
  it("gives each version the documents of a run in which it had been primary all along, v2's first day's healthDelta aside", async () => {
    const days = daysFrom('2026-05-04', 5);
    const planted = days.map((d, i) => rolloutDayEvents(d, i));
    const live = newStore();
    const reference = newStore();
    for (const store of [live, reference]) {
      for (const [i, d] of days.entries()) {
        await plantEvents(store, tenantId, planted[i], `r${i}`);
        await writeAttributes(store, tenantId, d, ROLLOUT_ACCOUNTS);
      }
    }
    // The rollout's runs: v1 alone, v2 in shadow two days, promoted for a day, rolled back.
    const a = createMetricActivities({ store: live });
    await runDay(a, days[0], 'v1', 'primary');
    for (const d of [days[1], days[2]]) {
      await runDay(a, d, 'v1', 'primary');
      await runDay(a, d, 'v2', 'shadow', 'v1');
    }
    await runDay(a, days[3], 'v2', 'primary');
    await runDay(a, days[3], 'v1', 'shadow', 'v2');
    await runDay(a, days[4], 'v1', 'primary');
    const ran: [string, string, RunKind][] = [
      [days[0], 'v1', 'primary'],
      [days[1], 'v1', 'primary'],
      [days[1], 'v2', 'shadow'],
      [days[2], 'v1', 'primary'],
      [days[2], 'v2', 'shadow'],
      [days[3], 'v2', 'primary'],
      [days[3], 'v1', 'shadow'],
      [days[4], 'v1', 'primary'],
    ];
    const r = createMetricActivities({ store: reference });
    for (const d of days) for (const v of ['v1', 'v2']) await runDay(r, d, v, 'primary');

    for (const [day, pipelineVersion, runKind] of ran) {
      const got = await readDocuments(live, { tenantId, day, pipelineVersion, runKind });
      const want = await readDocuments(reference, { tenantId, day, pipelineVersion, runKind: 'primary' });
      expect(got, `${day} ${pipelineVersion}/${runKind}`).not.toBeNull();
      const firstV2Day = pipelineVersion === 'v2' && day === days[1];
      // healthDelta is only ever the version's own (History lookup): null on the first day it ran.
      const expected = firstV2Day ? want!.map((d) => ({ ...d, healthDelta: null })) : want;
      expect(got, `${day} ${pipelineVersion}/${runKind}`).toEqual(expected);
      // By hand from the planted events: every day so far is inside the 7-day window.
      const index = days.indexOf(day);
      const upTo = planted.slice(0, index + 1).flat();
      for (const doc of got!) {
        const own = upTo.filter((e: PlantedEvent) => e.accountId === doc.accountId).map((e) => Date.parse(e.at));
        expect([doc.events7d, doc.events30d, doc.firstActivityAt, doc.lastActivityAt]).toEqual([
          own.length,
          own.length,
          Math.min(...own),
          Math.max(...own),
        ]);
      }
    }
    // The promotion day is where today's lookup went wrong: v2 primary saw none of its shadow days.
    const promoted = await readDocuments(live, { tenantId, day: days[3], pipelineVersion: 'v2', runKind: 'primary' });
    const accB = promoted!.find((d) => d.accountId === 'acc-b')!;
    // acc-b (j = 1) has 1 + (3i + 5) mod 7 activity events on day i (6, 2, 5, 1 on days 0-3) plus one billing event.
    expect(accB.events7d).toBe(7 + 3 + 6 + 2);
    expect(accB.healthDelta).not.toBeNull();
  });
});

describe('a failed day does not erase older history (filesystem store, in-process)', () => {
  it('carries first and last activity over a day without an attribute snapshot', async () => {
    const store = newStore();
    const days = await plantGapMonth(store, tenantId, writeAttributes);
    const activities = createMetricActivities({ store });
    for (const day of days) {
      const job = runDay(activities, day, 'v1', 'primary');
      if (day === GAP_MONTH.gapDay) await expect(job).rejects.toThrow(/attribute snapshot .* does not exist/);
      else await job;
    }
    const at = (iso: string) => Date.parse(iso);
    for (const day of ['2026-04-04', '2026-04-05']) {
      const docs = await readDocuments(store, { tenantId, day, pipelineVersion: 'v1', runKind: 'primary' });
      const by = Object.fromEntries(docs!.map((d) => [d.accountId, d]));
      // Active 30+ days ago: its first activity (03-02) is kept, not the window's first (03-06).
      expect(by['acc-00000'].firstActivityAt).toBe(at('2026-03-02T10:00:00Z'));
      expect(by['acc-00000'].lastActivityAt).toBe(at(`${day}T12:00:00Z`));
      // Silent since 03-03: still known, not "never active".
      expect(by['acc-00001'].firstActivityAt).toBe(at('2026-03-01T08:00:00Z'));
      expect(by['acc-00001'].lastActivityAt).toBe(at('2026-03-03T15:30:00Z'));
      expect(by['acc-00002'].firstActivityAt).toBe(at('2026-03-01T09:00:00Z'));
    }
    // The failed day still counts as a day without events: 03-29..04-04 has 7 days, 04-03 is missing.
    const docs = await readDocuments(store, { tenantId, day: '2026-04-04', pipelineVersion: 'v1', runKind: 'primary' });
    const early = docs!.find((d) => d.accountId === 'acc-00000')!;
    // 03-06..04-04 is 26 + 4 = 30 days, one of them missing.
    expect([early.events7d, early.events30d]).toEqual([6, 29]);
  });

  it('carries first/last from a rolling state up to 90 days back (ROLLING_LOOKBACK_DAYS), not 91', async () => {
    const store = newStore();
    const activities = createMetricActivities({ store });
    const first = '2026-01-10';
    // 2026-01-10 + 90 days: 21 left in January, 28 in February, 31 in March, then 10 in April.
    const cases = [
      ['within', '2026-04-10', Date.parse('2026-01-10T07:00:00Z')],
      ['beyond', '2026-04-11', null],
    ] as const;
    for (const [tenant, later] of cases) {
      await plantEvents(store, tenant, [{ accountId: 'acc-old', at: '2026-01-10T07:00:00Z' }], 'old');
      for (const d of [first, later]) {
        await writeAttributes(store, tenant, d, ['acc-old']);
        await runMetricDayInProcess({
          activities,
          tenantId: tenant,
          day: d,
          timeZone,
          pipelineVersion: 'v1',
          runKind: 'primary',
          maxPartitions: 1,
          badDataPolicy: 'fail',
        });
      }
    }
    for (const [tenant, later, expected] of cases) {
      const docs = await readDocuments(store, {
        tenantId: tenant,
        day: later,
        pipelineVersion: 'v1',
        runKind: 'primary',
      });
      expect([docs![0].firstActivityAt, docs![0].lastActivityAt], tenant).toEqual([expected, expected]);
    }
  });
});
