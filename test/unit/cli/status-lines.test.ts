import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { toPendingActivity } from '../../../src/client/run-activities';
import { formatFailures, formatLaneState, runningRunIds } from '../../../src/cli/status-lines';
import type { PendingActivity } from '../../../src/workflows/alerts/activity-trouble';
import { activityTroubles, formatActivityTroubles } from '../../../src/workflows/alerts/activity-trouble';
import type { FinishedRun, QueuedRun } from '../../../src/workflows/lanes/lane-contracts';
import { emptyLaneState } from '../../../src/workflows/lanes/run-queue';

const RUN = 'daybreak/tenant-day/acme/2026-11-20/v1/primary';
const NOW = Date.parse('2026-11-21T06:00:00.000Z');
const ago = (s: number) => NOW - s * 1000;

const activity = (a: Partial<PendingActivity>): PendingActivity => ({
  activityId: '7',
  activityType: 'runMetricTask',
  state: 'started',
  attempt: 1,
  ...a,
});

describe('the activity lines of daybreak status', () => {
  it('shows an activity on its later attempts with its last failure and when it runs next', () => {
    const retrying = activity({
      state: 'scheduled',
      attempt: 7,
      maximumAttempts: 0,
      lastFailure: { message: 'S3 at 127.0.0.1:7070: connect ECONNREFUSED', type: 'S3ServiceException' },
      nextAttemptMs: NOW + 12_400,
    });
    expect(formatActivityTroubles({ workflowId: RUN, activities: [retrying], nowMs: NOW })).toEqual([
      `  ${RUN} runMetricTask (activity 7) retrying (attempt 7, next attempt in 12 s): ` +
        'last failure S3ServiceException: S3 at 127.0.0.1:7070: connect ECONNREFUSED',
    ]);
    const running = activity({ attempt: 2, maximumAttempts: 6, lastFailure: { message: 'boom' } });
    expect(formatActivityTroubles({ workflowId: RUN, activities: [running], nowMs: NOW })).toEqual([
      `  ${RUN} runMetricTask (activity 7) retrying (attempt 2 of 6, running again): last failure boom`,
    ]);
  });

  it('shows an activity whose last heartbeat (or start, before the first) is older than its heartbeat timeout', () => {
    const silent = activity({
      activityId: '3',
      activityType: 'aggregatePartition',
      lastStartedMs: ago(200),
      lastHeartbeatMs: ago(95),
      heartbeatTimeoutMs: 30_000,
    });
    const neverBeat = activity({ activityId: '4', lastStartedMs: ago(61), heartbeatTimeoutMs: 60_000 });
    expect(formatActivityTroubles({ workflowId: RUN, activities: [neverBeat, silent], nowMs: NOW })).toEqual([
      `  ${RUN} aggregatePartition (activity 3) past its heartbeat timeout: no heartbeat for 95 s (timeout 30 s)`,
      `  ${RUN} runMetricTask (activity 4) past its heartbeat timeout: no heartbeat for 61 s (timeout 60 s)`,
    ]);
  });

  it('leaves out what is healthy: first attempts, fresh heartbeats, no heartbeat timeout, not started', () => {
    const healthy = [
      activity({ activityId: '1', lastStartedMs: ago(500) }),
      activity({ activityId: '2', lastStartedMs: ago(50), lastHeartbeatMs: ago(5), heartbeatTimeoutMs: 30_000 }),
      activity({ activityId: '3', state: 'scheduled', heartbeatTimeoutMs: 30_000 }),
      activity({ activityId: '4', lastStartedMs: ago(10), heartbeatTimeoutMs: 30_000 }),
    ];
    expect(activityTroubles(healthy, NOW)).toEqual([]);
    expect(formatActivityTroubles({ workflowId: RUN, activities: healthy, nowMs: NOW })).toEqual([]);
  });

  it('says both when a retried activity has also gone silent, in activity id order', () => {
    const both = activity({
      activityId: '12',
      attempt: 3,
      lastFailure: { message: 'activity Heartbeat timeout', type: 'TimeoutFailure' },
      lastStartedMs: ago(45),
      heartbeatTimeoutMs: 30_000,
    });
    const other = activity({ activityId: '9', attempt: 2 });
    const lines = formatActivityTroubles({ workflowId: RUN, activities: [both, other], nowMs: NOW });
    expect(lines).toEqual([
      `  ${RUN} runMetricTask (activity 9) retrying (attempt 2, running again)`,
      `  ${RUN} runMetricTask (activity 12) retrying (attempt 3, running again): last failure TimeoutFailure: ` +
        'activity Heartbeat timeout; past its heartbeat timeout: no heartbeat for 45 s (timeout 30 s)',
    ]);
  });

  it("reads the server's pending activity, keeping only ids, times and the failure's root cause", () => {
    // fromObject builds it as the wire does (seconds as Long).
    const info = temporal.api.workflow.v1.PendingActivityInfo.fromObject({
      activityId: '5',
      activityType: { name: 'indexAccountDocuments' },
      state: 'PENDING_ACTIVITY_STATE_SCHEDULED',
      attempt: 4,
      maximumAttempts: 0,
      heartbeatDetails: { payloads: [{ data: new Uint8Array([1, 2, 3]) }] },
      lastStartedTime: { seconds: NOW / 1000 - 20, nanos: 0 },
      nextAttemptScheduleTime: { seconds: NOW / 1000 + 3, nanos: 0 },
      lastFailure: {
        message: 'Activity task failed',
        cause: {
          message: 'Elasticsearch at 127.0.0.1:9200: connect ECONNREFUSED',
          applicationFailureInfo: { type: 'ConnectionError' },
        },
      },
      activityOptions: { heartbeatTimeout: { seconds: 30, nanos: 0 } },
    });
    expect(toPendingActivity(info)).toEqual({
      activityId: '5',
      activityType: 'indexAccountDocuments',
      state: 'scheduled',
      attempt: 4,
      maximumAttempts: 0,
      lastFailure: { message: 'Elasticsearch at 127.0.0.1:9200: connect ECONNREFUSED', type: 'ConnectionError' },
      lastHeartbeatMs: undefined,
      lastStartedMs: NOW - 20_000,
      nextAttemptMs: NOW + 3_000,
      heartbeatTimeoutMs: 30_000,
    });
  });
});

describe('the lane line and its failure lines', () => {
  const running = (extra: Partial<QueuedRun> = {}): QueuedRun => ({
    day: '2026-11-20',
    kind: 'daily',
    pipelineVersion: 'v1',
    requestedBy: 'schedule',
    tenant: { timeZone: 'UTC', badDataPolicy: 'quarantine' },
    seq: 3,
    attempt: 1,
    passedOver: 0,
    ...extra,
  });
  const finished = (f: Partial<FinishedRun>): FinishedRun => ({
    day: '2026-11-02',
    kind: 'backfill',
    pipelineVersion: 'v1',
    workflowId: 'daybreak/tenant-day/acme/2026-11-02/v1/primary',
    status: 'failed',
    attempts: 3,
    ...f,
  });

  it("finds the lane's running primary and, with a shadow version, its shadow", () => {
    const state = emptyLaneState('acme', { timeZone: 'UTC', badDataPolicy: 'quarantine' }, { primary: 'v1' });
    expect(runningRunIds(state)).toEqual([]);
    state.running = running();
    expect(runningRunIds(state)).toEqual([RUN]);
    state.versions = { primary: 'v1', shadow: 'v2' };
    expect(runningRunIds(state)).toEqual([RUN, 'daybreak/tenant-day/acme/2026-11-20/v2/shadow']);
    // An operator rerun of another version runs without the shadow.
    state.running = running({ pipelineVersion: 'v3' });
    expect(runningRunIds(state)).toEqual(['daybreak/tenant-day/acme/2026-11-20/v3/primary']);
  });

  it('lists a failure with its root cause, and not once the same run completed after it', () => {
    const failure = finished({ error: 'planted failure for acme 2026-11-02', errorType: 'CorruptDataError' });
    expect(formatFailures([failure])).toEqual([
      '  failed 2026-11-02 (backfill, v1, 3 attempts, daybreak/tenant-day/acme/2026-11-02/v1/primary): ' +
        'CorruptDataError: planted failure for acme 2026-11-02',
    ]);
    const state = emptyLaneState('acme', { timeZone: 'UTC', badDataPolicy: 'quarantine' }, { primary: 'v1' });
    state.finished = [failure];
    expect(formatLaneState(state)).toContain('failed: 2026-11-02 ');
    state.finished = [failure, finished({ status: 'completed', attempts: 1 })];
    const line = formatLaneState(state);
    expect(line).toContain('last completed: 2026-11-02 (backfill)');
    expect(line).toContain('failed: - ');
  });
});
