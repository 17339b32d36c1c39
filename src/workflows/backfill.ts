import {
  condition,
  defineQuery,
  defineSignal,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { addDays } from '../shared/days';
import type { BackfillInput, BackfillProgress } from '../shared/backfill-contracts';
import type { RunFinishedSignal } from '../shared/lane-contracts';
import { coordinationActivities } from './activity-options';
import { runFinishedSignal } from './tenant-lane-messages';

export const backfillProgressQuery = defineQuery<BackfillProgress>('backfillProgress');
export const resumeBackfillSignal = defineSignal('resumeBackfill');
/** Moves a paused backfill past its failed day without recomputing it (`daybreak backfill ... --skip`). */
export const skipBackfillDaySignal = defineSignal('skipBackfillDay');

const { lanes } = coordinationActivities();

/**
 * Recomputes a tenant's days from `fromDay` to `toDay`, in order and one at a time, through the
 * tenant's lane at backfill priority (behind reruns and daily runs), so each later day's rolling
 * windows see the corrected earlier days. Id `daybreak/backfill/<tenant>/<from>/<to>`. When a day
 * fails (after the lane's own retries) the backfill pauses, keeps its place, and resumes on the
 * `resumeBackfill` signal (`daybreak backfill ... --resume`). With `cascade`, the last day's request
 * asks the lane to cascade: the days after the range that the backfill made stale are recomputed in
 * the lane once the range is done (only the last day asks, so the cascade never races the range).
 */
export async function backfillWorkflow(input: BackfillInput): Promise<BackfillProgress> {
  const days: string[] = [];
  for (let day = input.fromDay; day <= input.toDay; day = addDays(day, 1)) days.push(day);
  const progress: BackfillProgress = {
    tenantId: input.tenantId,
    total: days.length,
    completed: [],
    failed: [],
    paused: false,
  };
  const finished = new Map<string, RunFinishedSignal>();
  let resume = false;
  let skip = false;
  setHandler(backfillProgressQuery, () => progress);
  setHandler(runFinishedSignal, (signal) => {
    if (signal.kind === 'backfill') finished.set(signal.day, signal);
  });
  setHandler(resumeBackfillSignal, () => {
    resume = true;
  });
  setHandler(skipBackfillDaySignal, () => {
    // Only a paused backfill has a day to skip; a skip sent while it runs is dropped.
    if (progress.paused) skip = true;
  });

  for (let i = 0; i < days.length;) {
    const day = days[i];
    progress.current = day;
    setCurrentDetails(`Day ${i + 1}/${days.length}: ${day}`);
    finished.delete(day);
    const queued = await lanes.requestLaneRun({
      tenantId: input.tenantId,
      request: {
        day,
        kind: 'backfill',
        requestedBy: workflowInfo().workflowId,
        notifyWorkflowId: workflowInfo().workflowId,
        tenant: input.tenant,
        cascade: input.cascade && i === days.length - 1 ? true : undefined,
      },
    });
    if (queued.status === 'duplicate') {
      // Already queued or running for another requester: it runs in the lane's order anyway.
      progress.completed.push(day);
      i++;
      continue;
    }
    await condition(() => finished.has(day));
    const outcome = finished.get(day)!;
    if (outcome.status === 'completed') {
      progress.completed.push(day);
      i++;
      continue;
    }
    progress.failed.push(day);
    progress.paused = true;
    progress.pausedReason = `${outcome.errorType ? `${outcome.errorType}: ` : ''}${outcome.error ?? 'failed'}`;
    progress.pausedRun = outcome.workflowId || undefined;
    setCurrentDetails(
      `Paused: ${day} failed (${outcome.error ?? 'see the tenant-day run'}); signal resumeBackfill to retry it`,
    );
    resume = false;
    skip = false;
    await condition(() => resume || skip);
    progress.paused = false;
    progress.pausedReason = undefined;
    progress.pausedRun = undefined;
    if (skip && !resume) {
      progress.skipped = [...(progress.skipped ?? []), day];
      i++;
    }
  }
  progress.current = undefined;
  setCurrentDetails(`Done: ${progress.completed.length} days`);
  return progress;
}
