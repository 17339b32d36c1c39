import type { ActivityOptions, RetryPolicy } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/alerts/send-alert';
import type { ElasticsearchServingActivities } from '../activities/serving/serving';
import type { DataCheckActivities } from '../activities/data-checks/data-checks';
import type { S3CompareActivities } from '../activities/compare/compare-outputs';
import type { S3InputActivities } from '../activities/tenant-days/inputs';
import type { MetricActivities } from '../activities/tenant-days/metric-activities';
import type { RunLedgerActivities } from '../activities/run-ledger/run-ledger';
import type { TemporalLaneActivities } from '../activities/lanes/lanes';
import type { SlaMonitorActivities } from '../activities/sla-monitor/sla-monitor';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import { DEFAULT_OUTAGE_RIDE_OUT_MINUTES } from './tenant-days/tenant-day-contracts';

/**
 * Every activity's timeouts and retries, in one place (the recovery bounds in the README come from
 * here). Two rules:
 *
 * - **A lost worker or a restarted server costs seconds.** Every activity heartbeats (a keep-alive
 *   in activities/supervised.ts) under HEARTBEAT_TIMEOUT: an attempt whose worker died, or whose
 *   completion was lost while the server restarted, is retried after at most that long, not after
 *   its start-to-close timeout, which only bounds a worker that hangs without dying.
 * - **An outage is ridden out.** Retries back off to at most RETRY_MAXIMUM_INTERVAL (so work resumes
 *   within that long of a dependency coming back) with no attempt limit; the schedule-to-close
 *   timeout, the work's own start-to-close plus the ride-out, bounds the wait. A failure that is not a
 *   connection failure still ends after NON_OUTAGE_ATTEMPTS (supervised.ts), as a bug should.
 */
export const HEARTBEAT_TIMEOUT_MS = 20_000;
export const RETRY_MAXIMUM_INTERVAL_MS = 30_000;

export const activityRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: RETRY_MAXIMUM_INTERVAL_MS,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};

const MINUTE = 60_000;

function options(startToCloseMinutes: number, rideOutMinutes: number): ActivityOptions {
  return {
    startToCloseTimeout: startToCloseMinutes * MINUTE,
    scheduleToCloseTimeout: (startToCloseMinutes + rideOutMinutes) * MINUTE,
    heartbeatTimeout: HEARTBEAT_TIMEOUT_MS,
    retry: activityRetry,
  };
}

/** The activities of one tenant-day, with its ride-out (TenantDayInput.outageRideOutMinutes). */
export function tenantDayActivities(rideOutMinutes = DEFAULT_OUTAGE_RIDE_OUT_MINUTES) {
  return {
    // A check is one existence test and a LIST per hour.
    inputs: proxyActivities<S3InputActivities>(options(2, rideOutMinutes)),
    // Planning, partition aggregation and the per-account tasks read and write whole datasets.
    metrics: proxyActivities<MetricActivities>(options(30, rideOutMinutes)),
    serving: proxyActivities<ElasticsearchServingActivities>(options(10, rideOutMinutes)),
    compare: proxyActivities<S3CompareActivities>(options(30, rideOutMinutes)),
    // One LIST of the run's outputs, one small object, one document.
    ledger: proxyActivities<RunLedgerActivities>(options(2, rideOutMinutes)),
    // Reads the day's documents once and up to 14 small summaries.
    checks: proxyActivities<DataCheckActivities>(options(10, rideOutMinutes)),
  };
}

/** The coordination workflows' activities (lanes, triggers, the reconciler, rollouts): short calls. */
export function coordinationActivities(rideOutMinutes = DEFAULT_OUTAGE_RIDE_OUT_MINUTES) {
  return {
    lanes: proxyActivities<TemporalLaneActivities>(options(1, rideOutMinutes)),
    // The reconciler asks every tenant's lane in one activity.
    reconcile: proxyActivities<TemporalLaneActivities>(options(5, rideOutMinutes)),
    // The freshness monitor, likewise: every lane in one check, then one small object.
    freshness: proxyActivities<SlaMonitorActivities>(options(5, rideOutMinutes)),
    serving: proxyActivities<ElasticsearchServingActivities>(options(1, rideOutMinutes)),
  };
}

/**
 * Alert delivery (activities/alerts/send-alert.ts): one POST of at most 10 s per attempt, retried
 * with the same capped backoff while the receiver is down or answers 5xx, for up to an hour; after
 * that the alert is given up (the lane logs it) rather than kept pending in the lane's history. No
 * heartbeat: an attempt is shorter than the heartbeat timeout.
 */
export function alertActivities() {
  return proxyActivities<AlertActivities>({
    startToCloseTimeout: 15_000,
    scheduleToCloseTimeout: 60 * MINUTE,
    retry: activityRetry,
  });
}
