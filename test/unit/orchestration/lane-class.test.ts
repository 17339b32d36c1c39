import { describe, expect, it } from 'vitest';
import type { QueuedRun, RunRequest, TenantLaneInput } from '../../../src/workflows/lanes/lane-contracts';
import { Lane } from '../../../src/workflows/lanes/lane';
import { runRequestValidator } from '../../../src/workflows/lanes/tenant-lane-messages';

const tenant = { timeZone: 'America/New_York', badDataPolicy: 'quarantine' as const };
const NOW = Date.parse('2026-11-21T10:00:00.000Z');
const input = (extra: Partial<TenantLaneInput> = {}): TenantLaneInput => ({
  tenantId: 'acme',
  tenant,
  versions: { primary: 'v1', shadow: 'v2', rolloutWorkflowId: 'daybreak/rollout/v2', comparisonPolicy: 'v1-to-v2' },
  ...extra,
});
const req = (day: string, kind: RunRequest['kind'], extra: Partial<RunRequest> = {}): RunRequest => ({
  day,
  kind,
  requestedBy: 'test',
  tenant,
  ...extra,
});
function running(lane: Lane, request: RunRequest): QueuedRun {
  lane.request(request, { skipComputedDays: true });
  return lane.next()!;
}
const options = { baseTaskQueue: 'daybreak', maxPartitions: 4, outageRideOutMinutes: 10 };

describe('Lane (state and rules without Temporal)', () => {
  it('starts empty with the default of 3 attempts, or carries the state it continued with', () => {
    const lane = new Lane(input(), () => NOW);
    expect(lane.state).toMatchObject({ tenantId: 'acme', queue: [], retrying: [], computedDays: {} });
    expect(lane.maxAttempts).toBe(3);
    const carried = new Lane(input({ state: lane.state, maxAttempts: 5 }), () => NOW);
    expect(carried.state).toBe(lane.state);
    expect(carried.maxAttempts).toBe(5);
  });

  it('starts a primary-version run with its shadow, on the live queue, at daily priority', () => {
    const lane = new Lane(input(), () => NOW);
    const run = running(lane, req('2026-11-20', 'daily'));
    const child = lane.childRun(run, options);
    expect(child).toMatchObject({
      workflowId: 'daybreak/tenant-day/acme/2026-11-20/v1/primary',
      taskQueue: 'daybreak-v1',
      priorityKey: 2,
      summary: 'acme 2026-11-20 v1 (daily, attempt 1)',
      shadowVersion: 'v2',
    });
    expect(child.input).toMatchObject({
      tenantId: 'acme',
      day: '2026-11-20',
      timeZone: 'America/New_York',
      pipelineVersion: 'v1',
      runKind: 'primary',
      trigger: 'schedule',
      baseTaskQueue: 'daybreak',
      maxPartitions: 4,
      outageRideOutMinutes: 10,
      shadow: { pipelineVersion: 'v2', rolloutWorkflowId: 'daybreak/rollout/v2', comparisonPolicy: 'v1-to-v2' },
    });
  });

  it('sends backfill days to the backfill queue at low priority, and runs another version without a shadow', () => {
    const lane = new Lane(input(), () => NOW);
    const backfill = lane.childRun(running(lane, req('2026-11-01', 'backfill')), options);
    expect(backfill).toMatchObject({ taskQueue: 'daybreak-v1-backfill', priorityKey: 4 });
    expect(backfill.input.trigger).toBe('backfill');
    const old = lane.childRun(running(lane, req('2026-11-02', 'rerun', { pipelineVersion: 'v2' })), options);
    expect(old).toMatchObject({ taskQueue: 'daybreak-v2', priorityKey: 2, shadowVersion: undefined });
    expect(old.input.shadow).toBeUndefined();
  });

  it("names a cascade's runs as such in their trigger and summary", () => {
    const lane = new Lane(input(), () => NOW);
    const run = running(lane, req('2026-11-03', 'rerun'));
    run.cascadeOf = '2026-11-01';
    const child = lane.childRun(run, options);
    expect(child.input.trigger).toBe('cascade');
    expect(child.summary).toBe('acme 2026-11-03 v1 (rerun, attempt 1), cascade after 2026-11-01');
  });

  it('raises run-failed for a run that failed for good, naming the id a refused run would have had', () => {
    const lane = new Lane(input(), () => NOW);
    const run = running(lane, req('2026-11-20', 'daily', { pipelineVersion: 'v9' }));
    expect(lane.refusalOf(run)).toMatch(/v9/);
    const { finished, alert, notify } = lane.finish(run, {
      workflowId: '',
      status: 'failed',
      error: 'x'.repeat(400),
      errorType: 'InvalidInputError',
    });
    expect(finished.error).toHaveLength(300);
    expect(alert).toMatchObject({
      kind: 'run-failed',
      tenantId: 'acme',
      workflowId: 'daybreak/tenant-day/acme/2026-11-20/v9/primary',
      raisedAt: '2026-11-21T10:00:00.000Z',
    });
    expect(notify).toBeUndefined();
    expect(lane.state.running).toBeUndefined();
  });

  it('raises run-recovered only when a completion clears a failure, and tells the requester either way', () => {
    const lane = new Lane(input(), () => NOW);
    const notifyWorkflowId = 'daybreak/backfill/acme/2026-11-01/2026-11-02';
    const first = running(lane, req('2026-11-01', 'backfill', { notifyWorkflowId }));
    expect(lane.finish(first, { workflowId: 'wf-1', status: 'failed', error: 'boom' }).alert?.kind).toBe('run-failed');
    const again = running(lane, req('2026-11-01', 'backfill', { notifyWorkflowId }));
    const recovered = lane.finish(again, { workflowId: 'wf-1', status: 'completed', shadowVersion: 'v2' });
    expect(recovered.alert?.kind).toBe('run-recovered');
    expect(recovered.notify?.workflowId).toBe(notifyWorkflowId);
    expect(recovered.notify?.signal).toMatchObject({
      tenantId: 'acme',
      day: '2026-11-01',
      status: 'completed',
      workflowId: 'wf-1',
    });
    // The shadow child computed the day for its version too.
    expect(lane.state.computedDays).toMatchObject({ v1: ['2026-11-01'], v2: ['2026-11-01'] });
    const plain = running(lane, req('2026-11-02', 'backfill'));
    expect(lane.finish(plain, { workflowId: 'wf-2', status: 'completed' }).alert).toBeUndefined();
  });

  it('retries a failed run until maxAttempts, parking it for its backoff', () => {
    const lane = new Lane(input({ maxAttempts: 2 }), () => NOW);
    const run = running(lane, req('2026-11-20', 'daily'));
    expect(lane.retries(run)).toBe(true);
    expect(lane.park(run, 1000)).toBe(1000);
    expect([lane.queued, lane.retrying]).toEqual([0, 1]);
    lane.release(run.seq);
    const second = lane.next()!;
    expect(second.attempt).toBe(2);
    expect(lane.retries(second)).toBe(false);
  });

  it('keeps a wait for inputs only on the run it is about, and shows it in the details', () => {
    const lane = new Lane(input(), () => NOW);
    running(lane, req('2026-11-20', 'daily'));
    expect(lane.inputsWait({ day: '2026-11-19', pipelineVersion: 'v1', waiting: true })).toBe(false);
    expect(lane.inputsWait({ day: '2026-11-20', pipelineVersion: 'v1', waiting: true, missing: ['raw/x'] })).toBe(true);
    expect(lane.state.running?.waitingForInputs).toEqual({ missing: ['raw/x'], since: '', deadline: '' });
    expect(lane.details()).toBe(
      'running 2026-11-20 (daily, waiting for inputs); 0 queued, 0 waiting to retry; versions: primary v1, shadow v2',
    );
    lane.inputsWait({ day: '2026-11-20', pipelineVersion: 'v1', waiting: false });
    expect(lane.state.running?.waitingForInputs).toBeUndefined();
  });

  it('shows the queue in run order, and takes new versions', () => {
    const lane = new Lane(input(), () => NOW);
    lane.request(req('2026-11-01', 'backfill'), {});
    lane.request(req('2026-11-05', 'rerun'), {});
    expect(lane.snapshot().queue.map((r) => r.kind)).toEqual(['rerun', 'backfill']);
    lane.setVersions({ primary: 'v2' });
    expect(lane.details()).toMatch(/versions: primary v2$/);
  });
});

describe('requestRun validator', () => {
  const validate = runRequestValidator(() => ({ tenantId: 'acme', primaryVersion: 'v1' }));
  it('refuses what the lane could not run, or what only the lane may set', () => {
    expect(() => validate(req('2026-11-20', 'daily'))).not.toThrow();
    expect(() => validate(req('2026-13-40', 'daily'))).toThrow(/day/);
    expect(() => validate(req('2026-11-20', 'daily', { cascade: true }))).toThrow(/cascade is for reruns/);
    expect(() => validate(req('2026-11-20', 'rerun', { cascadeOf: '2026-11-01' }))).toThrow(/set by the lane/);
  });
});
