import { ApplicationFailure, SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { workflowInfo } from '@temporalio/workflow';
import { ErrorTypes } from '../../common/errors';
import { dayEndedBefore } from '../../common/local-day';
import type { DailyTriggerInput, DailyTriggerResult } from './trigger-contracts';
import { coordinationActivities } from '../activity-options';

/** Set by the server on every workflow a schedule starts: the instant the action was due. */
export const ScheduledStartTimeKey = defineSearchAttributeKey(
  'TemporalScheduledStartTime',
  SearchAttributeType.DATETIME,
);

const { lanes } = coordinationActivities();

/**
 * The action of a tenant's daily schedule (`daybreak-daily-<tenant>`), kept thin on purpose: it
 * derives the local day that just ended from the schedule's scheduled time (never the clock, so a
 * late or caught-up fire computes the right day) and asks the tenant's lane to run it. A double
 * fire is dropped by the lane, which knows which days' daily runs completed.
 */
export async function dailyTriggerWorkflow(input: DailyTriggerInput): Promise<DailyTriggerResult> {
  const scheduled = workflowInfo().typedSearchAttributes.get(ScheduledStartTimeKey);
  let day = input.day;
  if (!day) {
    if (!scheduled) {
      throw ApplicationFailure.nonRetryable(
        `daily trigger for ${input.tenantId} was started outside a schedule without a day`,
        ErrorTypes.InvalidInput,
      );
    }
    day = dayEndedBefore(scheduled.getTime(), input.timeZone);
  }
  const result = await lanes.requestLaneRun({
    tenantId: input.tenantId,
    request: {
      day,
      kind: 'daily',
      requestedBy: scheduled ? 'schedule' : 'manual-trigger',
      tenant: { timeZone: input.timeZone, badDataPolicy: input.badDataPolicy },
    },
  });
  return { tenantId: input.tenantId, day, ...result };
}
