import { describe, expect, it } from 'vitest';
import type { RunRequest } from '../../../src/shared/lane-contracts';
import {
  emptyLaneState,
  enqueue,
  orderedQueue,
  parkForRetry,
  recordFinished,
  releaseRetry,
  retryBackoffMs,
  takeNext,
} from '../../../src/shared/run-queue';

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
