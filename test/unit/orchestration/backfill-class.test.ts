import { describe, expect, it } from 'vitest';
import { Backfill } from '../../../src/workflows/backfills/backfill-state';
import type { RunFinishedSignal } from '../../../src/workflows/lanes/lane-contracts';

const tenant = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };
const ID = 'daybreak/backfill/acme/2026-02-27/2026-03-01';
const backfill = (cascade?: boolean) =>
  new Backfill({ tenantId: 'acme', fromDay: '2026-02-27', toDay: '2026-03-01', tenant, cascade });
const ran = (
  day: string,
  status: 'completed' | 'failed',
  extra: Partial<RunFinishedSignal> = {},
): RunFinishedSignal => ({
  tenantId: 'acme',
  day,
  kind: 'backfill',
  pipelineVersion: 'v1',
  workflowId: `daybreak/tenant-day/acme/${day}/v1/primary`,
  status,
  attempts: 3,
  ...extra,
});
/** Runs the current day through the lane and takes the outcome the lane reports. */
function runDay(b: Backfill, status: 'completed' | 'failed', extra: Partial<RunFinishedSignal> = {}) {
  const request = b.startDay(ID);
  b.runFinished(ran(request.day, status, extra));
  b.dayFinished(b.outcome()!);
  return request;
}

describe('Backfill (state and rules without Temporal)', () => {
  it('takes its days in order across a month end, and asks for the cascade on the last day only', () => {
    const b = backfill(true);
    expect(b.days).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
    expect(b.details()).toBe('Day 1/3: 2026-02-27');
    const first = runDay(b, 'completed');
    expect(first).toEqual({
      day: '2026-02-27',
      kind: 'backfill',
      requestedBy: ID,
      notifyWorkflowId: ID,
      tenant,
      cascade: undefined,
    });
    expect(runDay(b, 'completed').cascade).toBeUndefined();
    expect(runDay(b, 'completed').cascade).toBe(true);
    expect(b.done).toBe(true);
    expect(b.finish()).toEqual({
      tenantId: 'acme',
      total: 3,
      completed: ['2026-02-27', '2026-02-28', '2026-03-01'],
      failed: [],
      paused: false,
      current: undefined,
    });
    expect(b.details()).toBe('Done: 3 days');
  });

  it('counts only backfill runs of the current day, and forgets an outcome from before the day started again', () => {
    const b = backfill();
    b.startDay(ID);
    b.runFinished(ran('2026-02-27', 'completed', { kind: 'rerun' }));
    expect(b.outcome()).toBeUndefined();
    b.runFinished(ran('2026-02-27', 'failed'));
    expect(b.outcome()?.status).toBe('failed');
    b.startDay(ID);
    expect(b.outcome()).toBeUndefined();
  });

  it('counts a day queued by another requester as done', () => {
    const b = backfill();
    b.startDay(ID);
    b.queuedByAnother();
    expect(b.progress.completed).toEqual(['2026-02-27']);
    expect(b.day).toBe('2026-02-28');
  });

  it('pauses on a failed day with its reason and run, and a resume retries that day', () => {
    const b = backfill();
    runDay(b, 'failed', { errorType: 'InputsNotArrivedError', error: 'inputs did not arrive' });
    expect(b.progress).toMatchObject({
      paused: true,
      current: '2026-02-27',
      failed: ['2026-02-27'],
      pausedReason: 'InputsNotArrivedError: inputs did not arrive',
      pausedRun: 'daybreak/tenant-day/acme/2026-02-27/v1/primary',
    });
    expect(b.details()).toBe('Paused: 2026-02-27 failed (inputs did not arrive); signal resumeBackfill to retry it');
    expect(b.decided).toBe(false);
    b.resume();
    expect(b.decided).toBe(true);
    b.unpause();
    expect(b.progress).toMatchObject({ paused: false, pausedReason: undefined, pausedRun: undefined });
    expect(b.day).toBe('2026-02-27');
    runDay(b, 'completed');
    expect(b.progress.completed).toEqual(['2026-02-27']);
  });

  it('skips a paused day, but drops a skip sent while running and a resume sent before the pause', () => {
    const b = backfill();
    b.skip();
    b.resume();
    runDay(b, 'failed');
    expect(b.progress.pausedReason).toBe('failed');
    expect(b.decided).toBe(false);
    b.skip();
    b.unpause();
    expect(b.progress.skipped).toEqual(['2026-02-27']);
    expect(b.day).toBe('2026-02-28');
  });

  it('retries rather than skips when a resume and a skip both came', () => {
    const b = backfill();
    runDay(b, 'failed');
    b.skip();
    b.resume();
    b.unpause();
    expect(b.progress.skipped).toBeUndefined();
    expect(b.day).toBe('2026-02-27');
  });
});
