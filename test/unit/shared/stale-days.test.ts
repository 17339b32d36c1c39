import { describe, expect, it } from 'vitest';
import { afterRunFinished } from '../../../src/workflows/lanes/cascade';
import type { LaneState, QueuedRun, RunRequest } from '../../../src/workflows/lanes/lane-contracts';
import { emptyLaneState, enqueue, recordFinished, takeNext } from '../../../src/workflows/lanes/run-queue';
import {
  COMPUTED_DAYS_KEPT,
  WINDOW_REACH_DAYS,
  dayRanges,
  daysBetween,
  describeStale,
  nextStaleDay,
  recordComputed,
  seedComputedDays,
  staleDaysOf,
} from '../../../src/workflows/lanes/stale-days';
import { addDays } from '../../../src/common/days';

const tenant = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };
const D = '2026-11-01';
const day = (n: number) => addDays(D, n);
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => day(from + i));

function laneWith(computed: number[], version = 'v1'): LaneState {
  const state = emptyLaneState('acme', tenant, { primary: 'v1' });
  for (const n of computed) recordComputed(state, { day: day(n), pipelineVersion: version });
  return state;
}

describe('stale days after a recompute', () => {
  it('reach 30 days through the windows and healthDelta: HISTORY_DAYS + 1', () => {
    // D's usage is in the windows of D+1..D+29; D+30's healthDelta compares with D+29's score.
    expect(WINDOW_REACH_DAYS).toBe(30);
    expect(daysBetween('2026-02-27', '2026-03-01')).toBe(2);
    expect(daysBetween('2026-03-28', '2026-03-30')).toBe(2);
  });

  it('are nothing while days are computed in order', () => {
    const s = laneWith([0, 1, 2, 3]);
    expect(s.stale).toEqual([]);
    expect(s.computedDays).toEqual({ v1: days(0, 3) });
  });

  it('are every later computed day of the version: window to D+30, carry beyond', () => {
    const s = laneWith([0, 1, 2, 30, 31, 45]);
    laneWith([], 'v2'); // other versions are independent
    recordComputed(s, { day: day(5), pipelineVersion: 'v2' });
    const newly = recordComputed(s, { day: day(0), pipelineVersion: 'v1' });
    expect(newly.map((x) => [x.day, x.via])).toEqual([
      [day(1), 'window'],
      [day(2), 'window'],
      [day(30), 'window'],
      [day(31), 'carry'],
      [day(45), 'carry'],
    ]);
    expect(staleDaysOf(s, 'v1').every((x) => x.because === D)).toBe(true);
    expect(staleDaysOf(s, 'v2')).toEqual([]);
  });

  it('marks later days when a failed or missing day is computed for the first time (a backfill)', () => {
    const s = laneWith([0, 2, 3]);
    recordComputed(s, { day: day(1), pipelineVersion: 'v1' });
    expect(staleDaysOf(s).map((x) => x.day)).toEqual([day(2), day(3)]);
    expect(s.computedDays?.v1).toEqual(days(0, 3));
  });

  it('never marks a day the lane did not compute (missing days are missing, not stale)', () => {
    const s = laneWith([0, 3]);
    recordComputed(s, { day: day(0), pipelineVersion: 'v1' });
    expect(staleDaysOf(s).map((x) => x.day)).toEqual([day(3)]);
  });

  it('clears a day recomputed after D, and only when no earlier day is still stale', () => {
    const s = laneWith([0, 1, 2, 3]);
    recordComputed(s, { day: day(0), pipelineVersion: 'v1' });
    // Out of order: D+2 carried from stale D+1, so it stays stale (and D+3 stays too).
    recordComputed(s, { day: day(2), pipelineVersion: 'v1' });
    expect(staleDaysOf(s).map((x) => [x.day, x.because, x.via])).toEqual([
      [day(1), D, 'window'],
      [day(2), D, 'carry'],
      [day(3), D, 'window'],
    ]);
    for (const n of [1, 2, 3]) recordComputed(s, { day: day(n), pipelineVersion: 'v1' });
    expect(s.stale).toEqual([]);
  });

  it('makes a day computed while an earlier one is stale stale too (a daily run during the cascade)', () => {
    const s = laneWith([0, 1, 2]);
    recordComputed(s, { day: day(0), pipelineVersion: 'v1' });
    recordComputed(s, { day: day(3), pipelineVersion: 'v1' });
    expect(staleDaysOf(s).map((x) => [x.day, x.because, x.via])).toEqual([
      [day(1), D, 'window'],
      [day(2), D, 'window'],
      [day(3), D, 'carry'],
    ]);
  });

  it('names the earliest recomputed day a stale day was computed without', () => {
    const s = laneWith([0, 1, 2, 3]);
    recordComputed(s, { day: day(2), pipelineVersion: 'v1' });
    expect(staleDaysOf(s)).toEqual([{ day: day(3), pipelineVersion: 'v1', because: day(2), via: 'window' }]);
    recordComputed(s, { day: day(0), pipelineVersion: 'v1' });
    expect(staleDaysOf(s).map((x) => [x.day, x.because])).toEqual([
      [day(1), D],
      [day(2), D],
      [day(3), D],
    ]);
    expect(nextStaleDay(s, 'v1', day(1))).toBe(day(2));
    expect(nextStaleDay(s, 'v1', day(3))).toBeUndefined();
  });

  it('keeps a bounded record of computed days', () => {
    const s = laneWith(Array.from({ length: COMPUTED_DAYS_KEPT + 5 }, (_, i) => i));
    expect(s.computedDays?.v1).toHaveLength(COMPUTED_DAYS_KEPT);
    expect(s.computedDays?.v1[0]).toBe(day(5));
  });

  it('seeds the computed days of a lane started before staleness was tracked', () => {
    const s = emptyLaneState('acme', tenant, { primary: 'v2' });
    s.completedDailyDays = [day(0), day(1)];
    s.finished = [
      { day: day(2), kind: 'rerun', pipelineVersion: 'v2', workflowId: 'x', status: 'completed', attempts: 1 },
      { day: day(3), kind: 'daily', pipelineVersion: 'v2', workflowId: 'x', status: 'failed', attempts: 3 },
      { day: day(1), kind: 'rerun', pipelineVersion: 'v1', workflowId: 'x', status: 'completed', attempts: 1 },
    ];
    expect(seedComputedDays(s)).toEqual({ v2: days(0, 2), v1: [day(1)] });
  });

  it('describes stale days as ranges per recomputed day, and says none', () => {
    expect(dayRanges([day(3), day(1), day(2), day(7), day(9), day(8)])).toBe(
      `${day(1)}..${day(3)}, ${day(7)}..${day(9)}`,
    );
    expect(describeStale({})).toBe('none');
    const s = laneWith([0, 1, 2, 3, 5]);
    recordComputed(s, { day: D, pipelineVersion: 'v1' });
    expect(describeStale(s)).toBe(`${day(1)}..${day(3)}, ${day(5)} (v1 after ${D})`);
  });
});

/** The lane's loop without Temporal: takes the next run and finishes it the way tenant-lane.ts does. */
function runNext(state: LaneState, status: 'completed' | 'failed' = 'completed', shadow?: string): QueuedRun {
  const run = takeNext(state)!;
  recordFinished(state, {
    day: run.day,
    kind: run.kind,
    pipelineVersion: run.pipelineVersion,
    workflowId: 'x',
    status,
    attempts: 1,
    cascadeOf: run.cascadeOf,
  });
  afterRunFinished(state, run, status, shadow);
  return run;
}
const req = (n: number, kind: RunRequest['kind'], extra: Partial<RunRequest> = {}): RunRequest => ({
  day: day(n),
  kind,
  requestedBy: 'ops',
  tenant,
  ...extra,
});

describe('cascades through the lane queue', () => {
  function computedLane(n: number): LaneState {
    const s = emptyLaneState('acme', tenant, { primary: 'v1' });
    for (let i = 0; i < n; i++) {
      enqueue(s, req(i, 'daily'));
      runNext(s);
    }
    return s;
  }

  it('recomputes the stale days after a rerun, one at a time and in order, then is done', () => {
    const s = computedLane(4);
    enqueue(s, req(0, 'rerun', { cascade: true }));
    const order = [runNext(s)];
    // Only the next day of the cascade is ever queued.
    expect(s.queue.map((r) => [r.day, r.kind, r.cascadeOf])).toEqual([[day(1), 'rerun', D]]);
    expect(s.cascades).toMatchObject([{ origin: D, through: D, pending: day(1), recomputed: 0 }]);
    while (s.queue.length) order.push(runNext(s));
    expect(order.map((r) => r.day)).toEqual(days(0, 3));
    expect(order.map((r) => r.cascadeOf)).toEqual([undefined, D, D, D]);
    expect(s.stale).toEqual([]);
    expect(s.cascades).toEqual([]);
    expect(s.cascadesDone).toMatchObject([{ origin: D, through: day(3), recomputed: 3, status: 'done' }]);
  });

  it('without cascade leaves the later days listed as stale', () => {
    const s = computedLane(4);
    enqueue(s, req(0, 'rerun'));
    runNext(s);
    expect(s.queue).toEqual([]);
    expect(staleDaysOf(s).map((x) => x.day)).toEqual(days(1, 3));
  });

  it('lets other runs go between the days of a cascade and picks up a day made stale meanwhile', () => {
    const s = computedLane(3);
    enqueue(s, req(0, 'backfill', { cascade: true }));
    runNext(s); // D; the cascade queues D+1 at backfill priority
    enqueue(s, req(3, 'daily')); // today's daily run goes first, from stale D+2
    expect(runNext(s).day).toBe(day(3));
    expect(staleDaysOf(s).map((x) => [x.day, x.via])).toEqual([
      [day(1), 'window'],
      [day(2), 'window'],
      [day(3), 'carry'],
    ]);
    const rest: string[] = [];
    while (s.queue.length) rest.push(runNext(s).day);
    expect(rest).toEqual(days(1, 3));
    expect(s.stale).toEqual([]);
  });

  it('stops at a day that fails, keeping what is still stale listed', () => {
    const s = computedLane(4);
    enqueue(s, req(0, 'rerun', { cascade: true }));
    runNext(s);
    runNext(s); // D+1
    runNext(s, 'failed'); // D+2
    expect(s.queue).toEqual([]);
    expect(s.cascades).toEqual([]);
    expect(s.cascadesDone?.at(-1)).toMatchObject({ status: 'stopped', failedDay: day(2), recomputed: 1 });
    expect(staleDaysOf(s).map((x) => x.day)).toEqual([day(2), day(3)]);
  });

  it('goes back when an earlier day is recomputed with cascade while one is running', () => {
    const s = computedLane(5);
    enqueue(s, req(2, 'rerun', { cascade: true }));
    runNext(s); // D+2, cascade queues D+3
    enqueue(s, req(0, 'rerun', { cascade: true }));
    const order: string[] = [];
    while (s.queue.length) order.push(runNext(s).day);
    // D+3 was already queued and runs, then the cascade restarts after D: D+1..D+4 in order.
    expect(order).toEqual([day(3), day(0), ...days(1, 4)]);
    expect(s.stale).toEqual([]);
    expect(s.cascades).toEqual([]);
  });

  it('gives a run already queued the cascade a duplicate request asks for', () => {
    const s = computedLane(3);
    enqueue(s, req(0, 'backfill'));
    expect(enqueue(s, req(0, 'backfill', { cascade: true })).status).toBe('duplicate');
    runNext(s);
    expect(s.queue.map((r) => r.day)).toEqual([day(1)]);
  });

  it('tracks the shadow version the tenant-day also ran', () => {
    const s = emptyLaneState('acme', tenant, { primary: 'v1', shadow: 'v2' });
    for (const n of [0, 1, 2]) {
      enqueue(s, req(n, 'daily'));
      runNext(s, 'completed', 'v2');
    }
    enqueue(s, req(0, 'rerun'));
    runNext(s, 'completed', 'v2');
    expect(describeStale(s)).toBe(`${day(1)}..${day(2)} (v1 after ${D}); ${day(1)}..${day(2)} (v2 after ${D})`);
  });
});
