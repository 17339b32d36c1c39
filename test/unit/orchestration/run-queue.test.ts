import { describe, expect, it } from 'vitest';
import type { RunRequest } from '../../../src/workflows/lanes/lane-contracts';
import {
  emptyLaneState,
  enqueue,
  openFailures,
  orderedQueue,
  parkForRetry,
  recordFinished,
  releaseRetry,
  retryBackoffMs,
  takeNext,
} from '../../../src/workflows/lanes/run-queue';

const tenant = { timeZone: 'America/New_York', badDataPolicy: 'quarantine' as const };
const lane = () => emptyLaneState('acme', tenant, { primary: 'v1' });
const req = (day: string, kind: RunRequest['kind'], extra: Partial<RunRequest> = {}): RunRequest => ({
  day,
  kind,
  requestedBy: 'test',
  tenant,
  ...extra,
});

describe('lane queue', () => {
  it('orders rerun ahead of daily ahead of backfill, FIFO within a kind', () => {
    const s = lane();
    enqueue(s, req('2026-11-01', 'backfill'));
    enqueue(s, req('2026-11-20', 'daily'));
    enqueue(s, req('2026-11-02', 'backfill'));
    enqueue(s, req('2026-11-10', 'rerun'));
    expect(orderedQueue(s).map((r) => `${r.kind}:${r.day}`)).toEqual([
      'rerun:2026-11-10',
      'daily:2026-11-20',
      'backfill:2026-11-01',
      'backfill:2026-11-02',
    ]);
  });

  it('drops duplicates of a queued, running or retrying run (same day, version and kind)', () => {
    const s = lane();
    expect(enqueue(s, req('2026-11-20', 'daily')).status).toBe('queued');
    expect(enqueue(s, req('2026-11-20', 'daily')).status).toBe('duplicate');
    expect(enqueue(s, req('2026-11-20', 'rerun')).status).toBe('queued');
    expect(enqueue(s, req('2026-11-20', 'daily', { pipelineVersion: 'v2' })).status).toBe('queued');
    const running = takeNext(s)!;
    expect(enqueue(s, req(running.day, running.kind)).status).toBe('duplicate');
    parkForRetry(s, running);
    expect(enqueue(s, req(running.day, running.kind)).status).toBe('duplicate');
    releaseRetry(s, running.seq);
    expect(s.queue.find((r) => r.seq === running.seq)?.attempt).toBe(2);
  });

  it('drops a second daily request for a day whose daily run completed (double schedule fire)', () => {
    const s = lane();
    enqueue(s, req('2026-11-01', 'daily'));
    const run = takeNext(s)!;
    recordFinished(s, {
      day: run.day,
      kind: run.kind,
      pipelineVersion: 'v1',
      workflowId: 'x',
      status: 'completed',
      attempts: 1,
    });
    expect(enqueue(s, req('2026-11-01', 'daily')).status).toBe('duplicate');
    expect(enqueue(s, req('2026-11-01', 'rerun')).status).toBe('queued');
  });

  it('clears a failure once the same day and version completes, by any kind of run', () => {
    const s = lane();
    const finished = (
      day: string,
      kind: RunRequest['kind'],
      status: 'completed' | 'failed',
      pipelineVersion = 'v1',
    ) => {
      recordFinished(s, { day, kind, pipelineVersion, workflowId: `wf-${day}`, status, attempts: 3 });
    };
    finished('2026-11-02', 'backfill', 'failed');
    finished('2026-11-02', 'backfill', 'failed', 'v2');
    finished('2026-11-03', 'daily', 'failed');
    expect(openFailures(s.finished).map((f) => `${f.day}/${f.kind}/${f.pipelineVersion}`)).toEqual([
      '2026-11-02/backfill/v1',
      '2026-11-02/backfill/v2',
      '2026-11-03/daily/v1',
    ]);
    // The backfill day resumed and done, the daily day rerun: both v1 failures go; v2's stays.
    finished('2026-11-02', 'backfill', 'completed');
    finished('2026-11-03', 'rerun', 'completed');
    expect(s.finished.map((f) => `${f.day}/${f.kind}/${f.pipelineVersion}/${f.status}`)).toEqual([
      '2026-11-02/backfill/v2/failed',
      '2026-11-02/backfill/v1/completed',
      '2026-11-03/rerun/v1/completed',
    ]);
    // A later failure of the same run is a failure again.
    finished('2026-11-02', 'backfill', 'failed');
    expect(openFailures(s.finished).map((f) => `${f.day}/${f.kind}/${f.pipelineVersion}`)).toEqual([
      '2026-11-02/backfill/v2',
      '2026-11-02/backfill/v1',
    ]);
  });

  it('returns the failures a completion cleared (what the lane alerts as recovered), and none otherwise', () => {
    const s = lane();
    const record = (day: string, status: 'completed' | 'failed', pipelineVersion = 'v1') =>
      recordFinished(s, {
        day,
        kind: 'rerun',
        pipelineVersion,
        workflowId: `wf-${day}`,
        status,
        attempts: 1,
      }).cleared.map((f) => `${f.day}/${f.pipelineVersion}/${f.status}`);
    expect(record('2026-11-02', 'failed')).toEqual([]);
    expect(record('2026-11-02', 'failed', 'v2')).toEqual([]);
    expect(record('2026-11-03', 'completed')).toEqual([]);
    expect(record('2026-11-02', 'completed')).toEqual(['2026-11-02/v1/failed']);
    // Cleared once: a second completion of the day recovers nothing.
    expect(record('2026-11-02', 'completed')).toEqual([]);
  });

  it('shows a failure recorded before the clearing as cleared once the same run completed after it', () => {
    // A lane continued from older code carries both entries of the day.
    const entry = (status: 'completed' | 'failed', day = '2026-11-02') =>
      ({ day, kind: 'backfill', pipelineVersion: 'v1', workflowId: 'x', status, attempts: 1 }) as const;
    expect(openFailures([entry('failed'), entry('completed')])).toEqual([]);
    expect(openFailures([entry('completed'), entry('failed')])).toEqual([entry('failed')]);
    expect(openFailures([entry('failed'), entry('completed', '2026-11-03')])).toEqual([entry('failed')]);
    const rerun = { ...entry('completed'), kind: 'rerun' } as const;
    expect(openFailures([entry('failed'), rerun])).toEqual([]);
  });

  it('never starves a daily run behind a stream of reruns', () => {
    const s = lane();
    enqueue(s, req('2026-11-20', 'daily'));
    const order: string[] = [];
    for (let i = 1; i <= 5; i++) enqueue(s, req(`2026-10-0${i}`, 'rerun'));
    for (let i = 0; i < 6; i++) order.push(takeNext(s)!.kind);
    expect(order.indexOf('daily')).toBe(2);
  });

  it('backs off exponentially with a cap', () => {
    expect([1, 2, 3].map((a) => retryBackoffMs(a, 1000))).toEqual([1000, 2000, 4000]);
    expect(retryBackoffMs(20)).toBe(30 * 60_000);
  });
});
