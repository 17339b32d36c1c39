import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/workers/logging';
import type { Clock } from '../../../src/workers/repeat-summarizer';
import { normalizeMessage } from '../../../src/workers/repeat-summarizer';

/** A clock the test moves by hand; due timers fire in order as it passes them. */
class FakeClock implements Clock {
  private ms = Date.parse('2026-11-22T05:00:00.000Z');
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  now(): number {
    return this.ms;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.push({ at: this.ms + ms, fn, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }
  advance(ms: number): void {
    const until = this.ms + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.ms = due.at;
      due.fn();
    }
    this.ms = until;
  }
  date(): Date {
    return new Date(this.ms);
  }
}

function setup(repeatWindowMs = 30_000) {
  const clock = new FakeClock();
  const lines: string[] = [];
  const logger = createLogger({
    format: 'json',
    level: 'INFO',
    write: (line) => lines.push(line),
    now: () => clock.date(),
    clock,
    repeatWindowMs,
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { clock, logger, lines, records };
}

/** A poll retry as the SDK's core forwards it (measured during an outage: the count and port vary). */
function pollRetry(logger: ReturnType<typeof setup>['logger'], retries: number, port = 7233) {
  logger.warn(`gRPC call poll_activity_task_queue retried ${retries} times`, {
    sdkComponent: 'core',
    target: 'temporalio_client::retry',
    error: {
      message:
        `Status { code: Unavailable, message: "tcp connect error", source: Some(tonic::transport::Error(Transport, ` +
        `ConnectError(ConnectError("tcp connect error", 127.0.0.1:${port}, Os { code: 111, kind: ConnectionRefused })))) }`,
    },
  });
}

describe('repeated transient errors in the log', () => {
  it('writes the first poll retry of an outage, then one line with how many repeats followed', () => {
    const { clock, logger, records } = setup();
    // 150 poll retries over a 15 s outage, as the worker logged them.
    for (let i = 0; i < 150; i++) {
      pollRetry(logger, 6 + (i % 3));
      clock.advance(100);
    }
    expect(records()).toHaveLength(1);
    expect(records()[0]).toMatchObject({ level: 'warn', msg: 'gRPC call poll_activity_task_queue retried 6 times' });
    // The repeats stopped with the outage; the count comes out when the window ends all the same.
    clock.advance(15_000);
    expect(records()).toHaveLength(2);
    expect(records()[1]).toMatchObject({
      time: '2026-11-22T05:00:30.000Z',
      level: 'warn',
      msg: 'gRPC call poll_activity_task_queue retried 6 times (repeated 149 times in the last 30s)',
      repeated: 149,
      windowSeconds: 30,
      lastRepeatAt: '2026-11-22T05:00:14.900Z',
      sdkComponent: 'core',
    });
    // Nothing more once the window after it passed without a repeat; a later outage starts afresh.
    clock.advance(60_000);
    expect(records()).toHaveLength(2);
    pollRetry(logger, 1);
    expect(records()).toHaveLength(3);
    expect(records()[2].msg).toBe('gRPC call poll_activity_task_queue retried 1 times');
  });

  it('writes one summary per window while the repeats go on, and none for a window without any', () => {
    const { clock, logger, records } = setup(10_000);
    for (let i = 0; i < 25; i++) {
      pollRetry(logger, i);
      clock.advance(1_000);
    }
    // 0 s: the first; 10 s: 9 repeats (1..9 s); 20 s: 10 (10..19 s); 30 s: 5 (20..24 s).
    clock.advance(20_000);
    expect(records().map((r) => r.repeated ?? 'first')).toEqual(['first', 9, 10, 5]);
    expect(records().map((r) => r.time)).toEqual([
      '2026-11-22T05:00:00.000Z',
      '2026-11-22T05:00:10.000Z',
      '2026-11-22T05:00:20.000Z',
      '2026-11-22T05:00:30.000Z',
    ]);
  });

  it('keeps apart what differs beyond volatile parts: message, error, run, activity; never holds back info lines', () => {
    const { clock, logger, records } = setup();
    pollRetry(logger, 6);
    logger.warn('gRPC call poll_workflow_task_queue retried 6 times', {});
    const failed = (workflowId: string, message: string) => {
      logger.warn('tenant-day failed; the lane will retry it', { workflowId, error: new Error(message) });
    };
    failed('daybreak/tenant-day/acme/2026-11-21/v1/primary', 'S3 at 127.0.0.1:7070: connection refused');
    failed('daybreak/tenant-day/hooli/2026-11-21/v1/primary', 'S3 at 127.0.0.1:7070: connection refused');
    failed('daybreak/tenant-day/acme/2026-11-21/v1/primary', 'Elasticsearch at 127.0.0.1:9200: connection refused');
    logger.info('indexed account documents', { tenantId: 'acme', indexed: 2 });
    logger.info('indexed account documents', { tenantId: 'acme', indexed: 2 });
    expect(records()).toHaveLength(7);
    clock.advance(30_000);
    expect(records()).toHaveLength(7);
  });

  it('summarizes retried activity failures of one activity of one run', () => {
    const { clock, logger, records } = setup();
    const meta = { workflowId: 'daybreak/tenant-day/acme/2026-11-21/v1/primary', activityType: 'runMetricTask' };
    for (let attempt = 2; attempt <= 6; attempt++) {
      logger.warn('Activity failed', {
        ...meta,
        attempt,
        error: new Error(`S3 at 127.0.0.1:7070: attempt ${attempt}`),
      });
    }
    clock.advance(30_000);
    expect(records().map((r) => [r.msg, r.repeated])).toEqual([
      ['Activity failed; it will be retried', undefined],
      ['Activity failed; it will be retried (repeated 4 times in the last 30s)', 4],
    ]);
    expect(records()[1]).toMatchObject({ tenantId: 'acme', day: '2026-11-21', retryable: true, attempt: 2 });
  });

  it('writes pending counts at once on flush, over the time they were counted in', () => {
    const { clock, logger, records } = setup();
    pollRetry(logger, 6);
    clock.advance(4_000);
    pollRetry(logger, 7);
    clock.advance(3_000);
    logger.flush();
    expect(records()[1]).toMatchObject({ repeated: 1, windowSeconds: 7 });
    expect(records()[1].msg).toBe('gRPC call poll_activity_task_queue retried 6 times (repeated once in the last 7s)');
    clock.advance(60_000);
    expect(records()).toHaveLength(2);
  });

  it('writes every line with a window of 0', () => {
    const { logger, records } = setup(0);
    for (let i = 0; i < 5; i++) pollRetry(logger, i);
    expect(records()).toHaveLength(5);
  });

  it('masks instants, ids and numbers, so repeats of one event match', () => {
    expect(
      normalizeMessage('retried 6 times at 2026-11-22T05:00:14.900Z, run 5f0c3a1e-8f7b-4c1d-9b2a-0e1f2a3b4c5d'),
    ).toBe('retried # times at <time>, run <uuid>');
    expect(normalizeMessage('task token 0a1b2c3d4e5f6a7b8c9d')).toBe('task token <hex>');
    expect(normalizeMessage('127.0.0.1:7233')).toBe('#.#.#.#:#');
  });
});
