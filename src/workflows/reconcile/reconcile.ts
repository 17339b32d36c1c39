import { workflowInfo } from '@temporalio/workflow';
import type { ReconcileInput, ReconcileResult } from '../triggers/trigger-contracts';
import { coordinationActivities } from '../activity-options';
import { ScheduledStartTimeKey } from '../triggers/daily-trigger';

const { reconcile: lanes } = coordinationActivities();

/**
 * Started hourly by the `daybreak-reconciler` schedule: finds tenant-days whose daily run never
 * happened (a zone whose run hour did not exist that day, downtime beyond the schedules' catch-up
 * window) and asks the lanes to run them. As of the scheduled time, never the clock.
 */
export async function reconcileWorkflow(input: ReconcileInput): Promise<ReconcileResult> {
  const scheduled = workflowInfo().typedSearchAttributes.get(ScheduledStartTimeKey);
  const asOfMs = input.asOf ? Date.parse(input.asOf) : (scheduled ?? workflowInfo().startTime).getTime();
  const missed = await lanes.requestMissedDays({ asOfMs, lookbackDays: input.lookbackDays });
  return { asOf: new Date(asOfMs).toISOString(), checked: missed.checked, requested: missed.requested };
}
