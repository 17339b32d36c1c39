import type { RootCause } from './root-cause';
import { describeRootCause } from './root-cause';

/**
 * What `daybreak status` shows of a running tenant-day's activities while something goes wrong:
 * the ones being retried (attempt > 1) with their last failure, and the ones past their heartbeat
 * timeout (the worker that holds them stopped heartbeating: killed, or cut off). Pure: the CLI reads
 * the workflows' pending activities (src/client/run-activities.ts) and passes the time in.
 */
export interface PendingActivity {
  activityId: string;
  activityType: string;
  state: 'scheduled' | 'started' | 'cancel-requested' | 'paused' | 'unknown';
  /** 1 for the first attempt. */
  attempt: number;
  /** 0 or absent: unlimited. */
  maximumAttempts?: number;
  lastFailure?: RootCause;
  /** Epoch milliseconds. */
  lastHeartbeatMs?: number;
  lastStartedMs?: number;
  nextAttemptMs?: number;
  /** 0 or absent: the activity does not heartbeat. */
  heartbeatTimeoutMs?: number;
}

export interface ActivityTrouble extends PendingActivity {
  retrying: boolean;
  /** How long since the last heartbeat (or the attempt's start), when that exceeds the heartbeat timeout. */
  silentForMs?: number;
}

/** The pending activities worth an operator's attention now, in activity id order. */
export function activityTroubles(activities: readonly PendingActivity[], nowMs: number): ActivityTrouble[] {
  const troubles: ActivityTrouble[] = [];
  for (const a of activities) {
    const retrying = a.attempt > 1;
    // The heartbeat clock runs from the attempt's start until the first heartbeat.
    const lastSign = a.lastHeartbeatMs ?? a.lastStartedMs;
    const silentForMs =
      a.state === 'started' && a.heartbeatTimeoutMs && lastSign !== undefined && nowMs - lastSign > a.heartbeatTimeoutMs
        ? nowMs - lastSign
        : undefined;
    if (retrying || silentForMs !== undefined) troubles.push({ ...a, retrying, silentForMs });
  }
  return troubles.sort((x, y) => x.activityId.localeCompare(y.activityId, 'en', { numeric: true }));
}

function seconds(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))} s`;
}

/** One line per activity in trouble, naming the run (its workflow id), the activity and what is wrong. */
export function formatActivityTroubles(input: {
  workflowId: string;
  activities: readonly PendingActivity[];
  nowMs: number;
}): string[] {
  return activityTroubles(input.activities, input.nowMs).map((t) => {
    const parts: string[] = [];
    if (t.retrying) {
      const of = t.maximumAttempts ? ` of ${t.maximumAttempts}` : '';
      const waiting =
        t.state === 'scheduled' && t.nextAttemptMs !== undefined && t.nextAttemptMs > input.nowMs
          ? `, next attempt in ${seconds(t.nextAttemptMs - input.nowMs)}`
          : t.state === 'started'
            ? ', running again'
            : '';
      const failure = t.lastFailure ? `: last failure ${describeRootCause(t.lastFailure)}` : '';
      parts.push(`retrying (attempt ${t.attempt}${of}${waiting})${failure}`);
    }
    if (t.silentForMs !== undefined) {
      parts.push(
        `past its heartbeat timeout: no heartbeat for ${seconds(t.silentForMs)} (timeout ${seconds(t.heartbeatTimeoutMs ?? 0)})`,
      );
    }
    return `  ${input.workflowId} ${t.activityType} (activity ${t.activityId}) ${parts.join('; ')}`;
  });
}
