import { condition, setCurrentDetails, setHandler, workflowInfo } from '@temporalio/workflow';
import { Backfill } from './backfill-state';
import type { BackfillInput, BackfillProgress } from './backfill-contracts';
import { coordinationActivities } from '../activity-options';
import { backfillProgressQuery, resumeBackfillSignal, skipBackfillDaySignal } from './backfill-messages';
import { runFinishedSignal } from '../lanes/tenant-lane-messages';

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
  const backfill = new Backfill(input);
  setHandler(backfillProgressQuery, () => backfill.progress);
  setHandler(runFinishedSignal, (signal) => backfill.runFinished(signal));
  setHandler(resumeBackfillSignal, () => backfill.resume());
  setHandler(skipBackfillDaySignal, () => backfill.skip());

  while (!backfill.done) {
    const request = backfill.startDay(workflowInfo().workflowId);
    setCurrentDetails(backfill.details());
    const queued = await lanes.requestLaneRun({ tenantId: input.tenantId, request });
    if (queued.status === 'duplicate') {
      backfill.queuedByAnother();
      continue;
    }
    await condition(() => backfill.outcome() !== undefined);
    backfill.dayFinished(backfill.outcome()!);
    if (!backfill.progress.paused) continue;
    setCurrentDetails(backfill.details());
    await condition(() => backfill.decided);
    backfill.unpause();
  }
  const progress = backfill.finish();
  setCurrentDetails(backfill.details());
  return progress;
}
