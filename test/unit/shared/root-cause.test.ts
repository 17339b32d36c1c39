import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { describeRootCause, isWrapperMessage, rootCauseOf } from '../../../src/workflows/alerts/root-cause';

const RUN = { workflowId: 'daybreak/tenant-day/acme/2026-11-02/v1/primary', runId: 'r1' };

/** What a lane catches when its child's activity threw `cause`: the SDK's two wrappers around it. */
function childFailed(cause: Error): ChildWorkflowFailure {
  const activity = new ActivityFailure(
    'Activity task failed',
    'planPartitions',
    '3',
    RetryState.MAXIMUM_ATTEMPTS_REACHED,
    'worker-1',
    cause,
  );
  return new ChildWorkflowFailure('default', RUN, 'tenantDayWorkflow', RetryState.NON_RETRYABLE_FAILURE, activity);
}

describe('the root cause of a failure', () => {
  it("is the innermost message and type of a child's activity failure, not the wrappers'", () => {
    const failure = childFailed(
      ApplicationFailure.nonRetryable('planted failure for acme 2026-11-02', 'CorruptDataError'),
    );
    expect(failure.message).toBe('Child Workflow execution failed');
    expect(rootCauseOf(failure)).toEqual({ message: 'planted failure for acme 2026-11-02', type: 'CorruptDataError' });
    expect(describeRootCause(rootCauseOf(failure))).toBe('CorruptDataError: planted failure for acme 2026-11-02');
  });

  it('keeps the innermost type when a deeper cause is a plain error', () => {
    const s3 = ApplicationFailure.create({
      message: 'S3 GetObject raw/tenant=acme/day=2026-11-02/h=03.avro failed',
      type: 'S3ServiceException',
      cause: new Error('connect ECONNREFUSED 127.0.0.1:7070'),
    });
    expect(rootCauseOf(childFailed(s3))).toEqual({
      message: 'connect ECONNREFUSED 127.0.0.1:7070',
      type: 'S3ServiceException',
    });
  });

  it('names a timeout by its kind, and a plain thrown Error by its message alone', () => {
    const timeout = childFailed(new TimeoutFailure('activity Heartbeat timeout', undefined, TimeoutType.HEARTBEAT));
    expect(rootCauseOf(timeout)).toEqual({ message: 'activity Heartbeat timeout', type: 'TimeoutFailure' });
    // An activity's plain Error arrives as an ApplicationFailure of type 'Error', which says nothing.
    const plain = childFailed(ApplicationFailure.create({ message: 'boom', type: 'Error' }));
    expect(rootCauseOf(plain)).toEqual({ message: 'boom' });
    expect(describeRootCause(rootCauseOf(plain))).toBe('boom');
  });

  it("reads the server's proto failure (an activity's lastFailure) the same way", () => {
    const proto = {
      message: 'Activity task failed',
      activityFailureInfo: { activityType: { name: 'runMetricTask' } },
      cause: {
        message: 'Elasticsearch at 127.0.0.1:9200: connect ECONNREFUSED',
        applicationFailureInfo: { type: 'ConnectionError', nonRetryable: false },
      },
    };
    expect(rootCauseOf(proto)).toEqual({
      message: 'Elasticsearch at 127.0.0.1:9200: connect ECONNREFUSED',
      type: 'ConnectionError',
    });
    expect(rootCauseOf({ message: 'activity StartToClose timeout', timeoutFailureInfo: {} })).toEqual({
      message: 'activity StartToClose timeout',
      type: 'TimeoutFailure',
    });
  });

  it('is one bounded line, and survives plain values, empty messages and cycles', () => {
    expect(rootCauseOf('just a string')).toEqual({ message: 'just a string' });
    expect(rootCauseOf(undefined)).toEqual({ message: 'undefined' });
    const empty = childFailed(ApplicationFailure.create({ message: '', type: 'InputsNotArrivedError' }));
    expect(rootCauseOf(empty)).toEqual({ message: 'Activity task failed', type: 'InputsNotArrivedError' });
    const long = rootCauseOf(new Error(`first line ${'x'.repeat(400)}\n    at stack frame`));
    expect(long.message).not.toContain('\n');
    expect(long.message.length).toBeLessThanOrEqual(300);
    const cyclic: { message: string; cause?: unknown } = { message: 'a' };
    cyclic.cause = { message: 'b', cause: cyclic };
    expect(rootCauseOf(cyclic).message).toMatch(/^[ab]$/);
  });

  it("recognises the SDK's wrapper summaries", () => {
    expect(isWrapperMessage('Child Workflow execution failed')).toBe(true);
    expect(isWrapperMessage('Activity task failed')).toBe(true);
    expect(isWrapperMessage('planted failure for acme 2026-11-02')).toBe(false);
    expect(isWrapperMessage(undefined)).toBe(false);
  });
});
