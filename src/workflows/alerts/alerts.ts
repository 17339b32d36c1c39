/**
 * Alerts: what Daybreak tells an operator without being watched, as pure data and formatting, so the
 * workflow that raises an alert and the activity that delivers it agree on one shape (and the
 * formatting is unit tested without a server). An alert names a tenant-day run and why, never the
 * data: no event or account values, no error message (those can quote a bad record and a webhook
 * leaves your network); the run's own error stays in `daybreak status` and the Temporal UI.
 *
 * run-failed and run-recovered are raised by the tenant lane, sla-missed and sla-recovered by the
 * freshness monitor (workflows/sla-monitor/sla-monitor.ts); check-blocked is the same shape for the data checks.
 */
import { tenantDayWorkflowId } from '../../common/ids';

export type AlertKind =
  'run-failed' | 'run-recovered' | 'check-blocked' | 'check-warned' | 'sla-missed' | 'sla-recovered';

export const ALERT_KINDS: readonly AlertKind[] = [
  'run-failed',
  'run-recovered',
  'check-blocked',
  'check-warned',
  'sla-missed',
  'sla-recovered',
];

export interface Alert {
  /**
   * Stable across every delivery attempt of this alert, different for another occurrence, so a
   * receiver can drop the duplicates a retried delivery may produce (alertId()).
   */
  id: string;
  kind: AlertKind;
  tenantId: string;
  day: string;
  pipelineVersion: string;
  /** The tenant-day run it is about (its deterministic id: tenantDayWorkflowId). */
  workflowId: string;
  /** Short and data-free: an error type, attempt counts, a check or SLA name. */
  reason: string;
  /** When it was raised (the raising workflow's time), ISO. */
  raisedAt: string;
}

export type SendAlertInput = Alert;

export interface SendAlertResult {
  /** The sinks it went to: always `log`, and `webhook` when one is configured. */
  sinks: ('log' | 'webhook')[];
}

/**
 * `<workflowId>/<kind>/<occurrence>`: the occurrence tells apart two failures of the same day (the
 * lane's sequence number of the run that raised it), so a receiver dedupes retries, not repeats.
 */
export function alertId(input: { workflowId: string; kind: AlertKind; occurrence: string | number }): string {
  return `${input.workflowId}/${input.kind}/${input.occurrence}`;
}

interface RunAlertInput {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  workflowId: string;
  /** The lane's sequence number of the run. */
  seq: number;
  /** Lane attempts the run took. */
  attempts: number;
  /** The run's kind in the lane (daily, rerun, backfill). */
  runKind: string;
  raisedAt: string;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A tenant-day that failed for good: its activities' retries and the lane's attempts are spent. */
export function runFailedAlert(input: RunAlertInput & { errorType?: string }): Alert {
  return {
    ...runFields(input, 'run-failed'),
    reason: `${input.runKind} run failed with ${safeName(input.errorType) ?? 'an untyped error'} after ${plural(input.attempts, 'lane attempt')}`,
  };
}

/** A tenant-day whose open failure a later completed run of the same day and version cleared. */
export function runRecoveredAlert(input: RunAlertInput & { clearedErrorType?: string }): Alert {
  const after = safeName(input.clearedErrorType);
  return {
    ...runFields(input, 'run-recovered'),
    reason: `${input.runKind} run completed after ${plural(input.attempts, 'lane attempt')}; earlier failure${after ? ` (${after})` : ''} cleared`,
  };
}

interface SlaAlertInput {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  /** ISO instant the day had to be served by (freshness-sla.ts slaDeadline). */
  deadline: string;
  raisedAt: string;
}

/**
 * Fields of an SLA alert: about the day's primary run, raised once per day and kind (the monitor
 * keeps the open misses), so the occurrence is the deadline.
 */
function slaFields(input: SlaAlertInput, kind: AlertKind): Omit<Alert, 'reason'> {
  const workflowId = tenantDayWorkflowId(input.tenantId, input.day, input.pipelineVersion, 'primary');
  return {
    id: alertId({ workflowId, kind, occurrence: input.deadline }),
    kind,
    tenantId: input.tenantId,
    day: input.day,
    pipelineVersion: input.pipelineVersion,
    workflowId,
    raisedAt: input.raisedAt,
  };
}

/** A tenant-day not served (no completed primary run) by its freshness deadline. */
export function slaMissedAlert(input: SlaAlertInput & { slaHours: number }): Alert {
  return {
    ...slaFields(input, 'sla-missed'),
    reason: `not served by ${input.deadline} (${plural(input.slaHours, 'hour')} after its run hour)`,
  };
}

/** A tenant-day that missed its freshness deadline and has now been served. */
export function slaRecoveredAlert(input: SlaAlertInput): Alert {
  return { ...slaFields(input, 'sla-recovered'), reason: `served after its deadline ${input.deadline}` };
}

function runFields(input: RunAlertInput, kind: AlertKind): Omit<Alert, 'reason'> {
  return {
    id: alertId({ workflowId: input.workflowId, kind, occurrence: input.seq }),
    kind,
    tenantId: input.tenantId,
    day: input.day,
    pipelineVersion: input.pipelineVersion,
    workflowId: input.workflowId,
    raisedAt: input.raisedAt,
  };
}

/** An error type is a class name; anything else (a message put where a type goes) is left out. */
function safeName(type: string | undefined): string | undefined {
  return type && /^[A-Za-z][A-Za-z0-9_.]{0,80}$/.test(type) ? type : undefined;
}

const HEADLINE: Record<AlertKind, string> = {
  'run-failed': 'FAILED',
  'run-recovered': 'RECOVERED',
  'check-blocked': 'BLOCKED by a data check',
  'check-warned': 'SERVED with a failed data check',
  'sla-missed': 'LATE (freshness SLA missed)',
  'sla-recovered': 'SERVED (freshness SLA recovered)',
};

/** One line for a chat channel (Slack's `text`): what, which tenant-day, why, where to look. */
export function alertText(alert: Alert): string {
  return (
    `Daybreak ${alert.kind}: ${alert.tenantId} ${alert.day} (${alert.pipelineVersion}) ${HEADLINE[alert.kind]}: ` +
    `${alert.reason}. Run ${alert.workflowId}; see \`daybreak status --tenant ${alert.tenantId}\`.`
  );
}

/** The webhook's JSON body: the alert's fields, and `text` for Slack-compatible receivers. */
export function webhookBody(alert: Alert): Alert & { text: string } {
  return { ...alert, text: alertText(alert) };
}

/** The worker log line: its message, and the alert's fields as the line's fields. */
export function alertLogLine(alert: Alert): { message: string; fields: Record<string, string> } {
  return {
    message: `alert ${alert.kind}: ${alert.tenantId} ${alert.day} ${alert.pipelineVersion}: ${alert.reason}`,
    fields: { alertId: alert.id, ...alert },
  };
}
