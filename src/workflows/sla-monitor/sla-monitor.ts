import { log, workflowInfo } from '@temporalio/workflow';
import type { SlaMonitorInput, SlaMonitorResult } from './sla-monitor-contracts';
import { alertActivities, coordinationActivities } from '../activity-options';
import { ScheduledStartTimeKey } from '../triggers/daily-trigger';
import { recordFreshness } from '../tenant-days/run-metrics';

const { freshness } = coordinationActivities();
const alerts = alertActivities();

/**
 * The freshness monitor, started every 15 minutes by the `<prefix>-sla-monitor` schedule (`tenants
 * sync`), as of its scheduled time (never the clock): raises sla-missed once for each tenant-day
 * not served by its deadline and sla-recovered once it is served (freshness-sla.ts slaCheck).
 *
 * Its memory of the days already alerted is a small object in the store, not this workflow's
 * history: each check is a short, separate run, so a bad check or a code change never leaves a
 * long-running workflow to repair, and the schedule's SKIP overlap keeps one check at a time. The
 * alerts are delivered before the new state is saved: a check cut short repeats its alerts (same
 * ids) instead of losing them.
 */
export async function slaMonitorWorkflow(input: SlaMonitorInput): Promise<SlaMonitorResult> {
  const scheduled = workflowInfo().typedSearchAttributes.get(ScheduledStartTimeKey);
  const asOfMs = input.asOf ? Date.parse(input.asOf) : (scheduled ?? workflowInfo().startTime).getTime();
  const check = await freshness.checkFreshness({ monitorId: input.monitorId, asOfMs });
  // A delivery given up after its retries is not a reason to forget the miss or alert it again.
  await Promise.all(
    check.alerts.map((alert) =>
      alerts
        .sendAlert(alert)
        .catch(() => log.warn('alert not delivered after its retries', { alertId: alert.id, kind: alert.kind })),
    ),
  );
  await freshness.saveOpenMisses({ monitorId: input.monitorId, open: check.open });
  recordFreshness({
    missed: check.alerts.filter((a) => a.kind === 'sla-missed').length,
    recovered: check.alerts.filter((a) => a.kind === 'sla-recovered').length,
  });
  return { asOf: new Date(asOfMs).toISOString(), checked: check.checked, alerts: check.alerts, open: check.open };
}
