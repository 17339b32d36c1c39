import { describe, expect, it } from 'vitest';
import type { FinishedRun, LaneState, QueuedRun } from '../../../src/workflows/lanes/lane-contracts';
import { reconcilePlan } from '../../../src/workflows/reconcile/reconcile-plan';

const tenant = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };
const queued = (day: string, extra: Partial<QueuedRun> = {}): QueuedRun => ({
  day,
  kind: 'daily',
  requestedBy: 'schedule',
  tenant,
  pipelineVersion: 'v1',
  seq: 0,
  attempt: 1,
  passedOver: 0,
  ...extra,
});
const failed = (day: string, errorType?: string): FinishedRun => ({
  day,
  kind: 'daily',
  pipelineVersion: 'v1',
  workflowId: `wf-${day}`,
  status: 'failed',
  attempts: 3,
  error: 'boom',
  errorType,
});

function lane(extra: Partial<LaneState>): LaneState {
  return {
    tenantId: 'acme',
    tenant,
    versions: { primary: 'v1' },
    queue: [],
    retrying: [],
    finished: [],
    completedDailyDays: [],
    nextSeq: 1,
    ...extra,
  };
}

describe('the reconciler asks only for days a run can still change', () => {
  it('skips a day waiting for its inputs and days that failed permanently; asks again after a transient failure', () => {
    const state = lane({
      running: queued('2026-11-28', {
        waitingForInputs: {
          missing: ['attribute snapshot'],
          since: '2026-11-29T02:00:00Z',
          deadline: '2026-11-30T00:00:00Z',
        },
      }),
      finished: [
        failed('2026-11-25', 'InputsNotArrivedError'),
        failed('2026-11-26', 'CorruptDataError'),
        failed('2026-11-27', 'InvalidInputError'),
        failed('2026-11-24'),
        // An older permanent failure whose day failed transiently later: the latest run counts.
        failed('2026-11-23', 'InputsNotArrivedError'),
        failed('2026-11-23'),
      ],
    });
    const plan = reconcilePlan({
      due: ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28'],
      state,
    });
    expect(plan.request).toEqual(['2026-11-23', '2026-11-24']);
    expect(plan.skipped).toEqual([
      { day: '2026-11-25', reason: 'failed permanently (InputsNotArrivedError)' },
      { day: '2026-11-26', reason: 'failed permanently (CorruptDataError)' },
      { day: '2026-11-27', reason: 'failed permanently (InvalidInputError)' },
      { day: '2026-11-28', reason: 'waiting for inputs' },
    ]);
  });

  it('skips completed, queued, running and retrying days, and asks for every due day of a tenant with no lane', () => {
    const state = lane({
      completedDailyDays: ['2026-11-20'],
      queue: [queued('2026-11-21')],
      retrying: [queued('2026-11-22', { attempt: 2 })],
      running: queued('2026-11-23'),
    });
    const due = ['2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23', '2026-11-24'];
    expect(reconcilePlan({ due, state }).request).toEqual(['2026-11-24']);
    expect(reconcilePlan({ due, state: undefined }).request).toEqual(due);
  });
});
