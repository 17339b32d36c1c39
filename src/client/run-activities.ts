import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PendingActivity } from '../workflows/alerts/activity-trouble';
import { rootCauseOf } from '../workflows/alerts/root-cause';
import { withTimeout } from './reachability';

const State = temporal.api.enums.v1.PendingActivityState;

const STATES: Record<number, PendingActivity['state']> = {
  [State.PENDING_ACTIVITY_STATE_SCHEDULED]: 'scheduled',
  [State.PENDING_ACTIVITY_STATE_STARTED]: 'started',
  [State.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED]: 'cancel-requested',
  [State.PENDING_ACTIVITY_STATE_PAUSED]: 'paused',
  [State.PENDING_ACTIVITY_STATE_PAUSE_REQUESTED]: 'paused',
};

type PendingActivityInfo = temporal.api.workflow.v1.IPendingActivityInfo;

/** A proto Timestamp or Duration in milliseconds; its seconds are a Long from the wire, a number when built by hand. */
function toMs(value: { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined) {
  if (!value) return undefined;
  const seconds = typeof value.seconds === 'number' ? value.seconds : Number(value.seconds?.toString() ?? 0);
  return seconds * 1000 + Math.floor((value.nanos ?? 0) / 1e6);
}

/**
 * One pending activity as the server describes it. Only ids, counts, times and the last failure's
 * root cause are kept: heartbeat details and inputs may carry data, and are dropped here.
 */
export function toPendingActivity(info: PendingActivityInfo): PendingActivity {
  // The heartbeat timeout the activity was scheduled with (servers from 1.27 describe its options).
  const heartbeatTimeoutMs = toMs(info.activityOptions?.heartbeatTimeout);
  return {
    activityId: info.activityId ?? '?',
    activityType: info.activityType?.name ?? '?',
    state: STATES[info.state ?? 0] ?? 'unknown',
    attempt: info.attempt ?? 1,
    maximumAttempts: info.maximumAttempts ?? undefined,
    lastFailure: info.lastFailure ? rootCauseOf(info.lastFailure) : undefined,
    lastHeartbeatMs: toMs(info.lastHeartbeatTime),
    lastStartedMs: toMs(info.lastStartedTime),
    nextAttemptMs: toMs(info.nextAttemptScheduleTime),
    heartbeatTimeoutMs,
  };
}

/**
 * The pending activities of a running workflow (describe(), bounded by `timeoutMs`), or undefined
 * when it does not exist or is no longer running: a shadow that finished, a primary that just closed.
 */
export async function runningActivities(
  client: Client,
  workflowId: string,
  timeoutMs: number,
): Promise<PendingActivity[] | undefined> {
  try {
    const description = await withTimeout(client, timeoutMs, `describing ${workflowId}`, () =>
      client.workflow.getHandle(workflowId).describe(),
    );
    if (description.status.name !== 'RUNNING') return undefined;
    return (description.raw.pendingActivities ?? []).map(toPendingActivity);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
