import { describe, expect, it } from 'vitest';
import {
  ALERT_KINDS,
  alertId,
  alertLogLine,
  alertText,
  runFailedAlert,
  runRecoveredAlert,
  webhookBody,
} from '../../../src/workflows/alerts/alerts';

const run = {
  tenantId: 'acme',
  day: '2026-11-02',
  pipelineVersion: 'v1',
  workflowId: 'daybreak/tenant-day/acme/2026-11-02/v1/primary',
  seq: 7,
  attempts: 3,
  runKind: 'daily',
  raisedAt: '2026-11-03T06:00:00.000Z',
};

describe('alerts of a tenant-day run', () => {
  it('a run that failed for good: its error type and lane attempts, under an id naming the run, the kind and the occurrence', () => {
    expect(runFailedAlert({ ...run, errorType: 'CorruptDataError' })).toEqual({
      id: 'daybreak/tenant-day/acme/2026-11-02/v1/primary/run-failed/7',
      kind: 'run-failed',
      tenantId: 'acme',
      day: '2026-11-02',
      pipelineVersion: 'v1',
      workflowId: 'daybreak/tenant-day/acme/2026-11-02/v1/primary',
      reason: 'daily run failed with CorruptDataError after 3 lane attempts',
      raisedAt: '2026-11-03T06:00:00.000Z',
    });
  });

  it('a recovery names the failure it cleared and has an id of its own', () => {
    const alert = runRecoveredAlert({
      ...run,
      seq: 9,
      attempts: 1,
      runKind: 'rerun',
      clearedErrorType: 'CorruptDataError',
    });
    expect(alert.id).toBe('daybreak/tenant-day/acme/2026-11-02/v1/primary/run-recovered/9');
    expect(alert.reason).toBe('rerun run completed after 1 lane attempt; earlier failure (CorruptDataError) cleared');
    expect(runRecoveredAlert({ ...run, clearedErrorType: undefined }).reason).toBe(
      'daily run completed after 3 lane attempts; earlier failure cleared',
    );
  });

  it('keeps anything but a type name out of the reason (a message put where a type goes may quote data)', () => {
    const leaky = runFailedAlert({ ...run, errorType: 'bad email jane@example.com in account 42' });
    expect(leaky.reason).toBe('daily run failed with an untyped error after 3 lane attempts');
    expect(JSON.stringify(webhookBody(leaky))).not.toContain('jane@example.com');
    expect(runFailedAlert({ ...run, errorType: undefined }).reason).toContain('an untyped error');
  });

  it('ids: the same for every delivery of one alert, different for another kind or occurrence', () => {
    const a = alertId({ workflowId: run.workflowId, kind: 'run-failed', occurrence: 7 });
    expect(alertId({ workflowId: run.workflowId, kind: 'run-failed', occurrence: 7 })).toBe(a);
    expect(alertId({ workflowId: run.workflowId, kind: 'run-recovered', occurrence: 7 })).not.toBe(a);
    expect(alertId({ workflowId: run.workflowId, kind: 'run-failed', occurrence: 8 })).not.toBe(a);
  });
});

describe('alert formatting', () => {
  const failed = runFailedAlert({ ...run, errorType: 'InputsNotArrivedError' });

  it('Slack text: kind, tenant, day, version, headline, reason, run and where to look, on one line', () => {
    expect(alertText(failed)).toBe(
      'Daybreak run-failed: acme 2026-11-02 (v1) FAILED: daily run failed with InputsNotArrivedError after 3 lane attempts. ' +
        'Run daybreak/tenant-day/acme/2026-11-02/v1/primary; see `daybreak status --tenant acme`.',
    );
    expect(alertText(failed)).not.toContain('\n');
  });

  it('every kind has a headline of its own', () => {
    const headlines = ALERT_KINDS.map((kind) => alertText({ ...failed, kind }).split(': ')[1]);
    expect(new Set(headlines).size).toBe(ALERT_KINDS.length);
    expect(headlines.every((h) => !h.includes('undefined'))).toBe(true);
  });

  it("the webhook body is exactly the alert's fields plus text", () => {
    const body = webhookBody(failed);
    expect(Object.keys(body).sort()).toEqual(
      ['day', 'id', 'kind', 'pipelineVersion', 'raisedAt', 'reason', 'tenantId', 'text', 'workflowId'].sort(),
    );
    expect(body).toEqual({ ...failed, text: alertText(failed) });
  });

  it('the log line carries the alert id and fields, and nothing else', () => {
    const line = alertLogLine(failed);
    expect(line.message).toBe(
      'alert run-failed: acme 2026-11-02 v1: daily run failed with InputsNotArrivedError after 3 lane attempts',
    );
    expect(line.fields).toEqual({ alertId: failed.id, ...failed });
  });
});
