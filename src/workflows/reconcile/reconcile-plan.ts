import { isPermanentFailureType } from '../../common/errors';
import type { LaneState } from '../lanes/lane-contracts';

export interface ReconcilePlan {
  /** Due days the lane knows nothing of: asked for as daily runs. */
  request: string[];
  /** Due days left alone, and why. */
  skipped: { day: string; reason: string }[];
}

/**
 * Which of a tenant's due days the reconciler asks for. Not a day whose daily run completed, nor one
 * queued, running (waiting for its inputs included) or waiting to retry, nor one whose latest run
 * failed for a reason a retry cannot change (bad input, corrupt data, inputs that never arrived:
 * PERMANENT_FAILURE_TYPES); an operator rerun is the way back for those. A day whose latest run
 * failed otherwise (a timeout, an outage) is asked for again. No lane yet: every due day.
 */
export function reconcilePlan(input: { due: readonly string[]; state: LaneState | undefined }): ReconcilePlan {
  const { state } = input;
  const why = new Map<string, string>();
  if (state) {
    for (const day of state.completedDailyDays) why.set(day, 'completed');
    for (const run of state.queue) why.set(run.day, 'queued');
    for (const run of state.retrying) why.set(run.day, 'waiting to retry');
    if (state.running) {
      why.set(state.running.day, state.running.waitingForInputs ? 'waiting for inputs' : 'running');
    }
    const latest = new Map<string, LaneState['finished'][number]>();
    for (const f of state.finished) latest.set(f.day, f);
    for (const [day, f] of latest) {
      if (!why.has(day) && f.status === 'failed' && isPermanentFailureType(f.errorType)) {
        why.set(day, `failed permanently (${f.errorType})`);
      }
    }
  }
  const plan: ReconcilePlan = { request: [], skipped: [] };
  for (const day of input.due) {
    const reason = why.get(day);
    if (reason) plan.skipped.push({ day, reason });
    else plan.request.push(day);
  }
  return plan;
}
