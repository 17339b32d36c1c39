import { describe, expect, it } from 'vitest';
import type { RunRequest } from '../../../src/workflows/lanes/lane-contracts';
import { emptyLaneState, enqueue, recordFinished, takeNext } from '../../../src/workflows/lanes/run-queue';
import { recordComputed } from '../../../src/workflows/lanes/stale-days';

const tenant = { timeZone: 'America/New_York', badDataPolicy: 'quarantine' as const };
const req = (day: string, kind: RunRequest['kind']): RunRequest => ({ day, kind, requestedBy: 'test', tenant });

/** A lane that has run `kind` for `day` to completion, computing it for v1. */
function laneThatRan(day: string, kind: RunRequest['kind']) {
  const s = emptyLaneState('acme', tenant, { primary: 'v1' });
  s.computedDays = {};
  enqueue(s, req(day, kind));
  const run = takeNext(s)!;
  recordFinished(s, {
    day,
    pipelineVersion: 'v1',
    kind,
    status: 'completed',
    workflowId: `daybreak/tenant-day/acme/${day}/v1/primary`,
    attempts: run.attempt,
  });
  recordComputed(s, { day, pipelineVersion: 'v1' });
  return s;
}

describe("a daily request for a day that is already computed (what a schedule backfill's fires send)", () => {
  it('is dropped when a backfill or a rerun computed the day, with skipComputedDays (the lane, patched)', () => {
    for (const kind of ['backfill', 'rerun'] as const) {
      const s = laneThatRan('2026-11-01', kind);
      expect(enqueue(s, req('2026-11-01', 'daily'), { skipComputedDays: true })).toEqual({
        status: 'duplicate',
        position: -1,
      });
      expect(s.queue).toEqual([]);
    }
  });

  it('is queued without it: lanes replaying histories from before the patch run it as they did', () => {
    const s = laneThatRan('2026-11-01', 'backfill');
    expect(enqueue(s, req('2026-11-01', 'daily')).status).toBe('queued');
  });

  it('is queued for a day that is stale (a rerun of an earlier day made it so), and for another day', () => {
    const s = laneThatRan('2026-11-02', 'backfill');
    recordComputed(s, { day: '2026-11-01', pipelineVersion: 'v1' });
    expect(s.stale?.map((d) => d.day)).toEqual(['2026-11-02']);
    expect(enqueue(s, req('2026-11-02', 'daily'), { skipComputedDays: true }).status).toBe('queued');
    expect(enqueue(s, req('2026-11-03', 'daily'), { skipComputedDays: true }).status).toBe('queued');
  });

  it('never drops a rerun or a backfill of a computed day', () => {
    const s = laneThatRan('2026-11-01', 'daily');
    expect(enqueue(s, req('2026-11-01', 'rerun'), { skipComputedDays: true }).status).toBe('queued');
    expect(enqueue(s, req('2026-11-01', 'backfill'), { skipComputedDays: true }).status).toBe('queued');
  });
});
