import { condition, log, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import { ChecksGateState, failedOf } from './checks-gate';
import type { TenantDayChecks } from './data-check-contracts';
import { dataCheckAlert } from './data-check-contracts';
import type { RecordCounts } from '../tenant-days/pipeline-contracts';
import type { TenantDayInput } from '../tenant-days/tenant-day-contracts';
import { rootCauseOf } from '../alerts/root-cause';
import { alertActivities, tenantDayActivities } from '../activity-options';
import { checksStateQuery, releaseChecksUpdate, releaseChecksValidator } from './data-checks-messages';
import { showStep } from '../tenant-days/run-details';
import { workflowNow } from '../workflow-clock';

/** Runs started before the data checks existed replay without their activity, alert and wait. */
export const DATA_CHECKS_PATCH = 'data-checks';

/** How long a run waits at its end for a failed check's alert to be delivered before it closes anyway. */
const ALERT_WAIT_MS = 60_000;

/**
 * The data checks of one primary tenant-day, between writing its documents and serving them
 * (checkDayOutputs). A `warn` alerts and serves; a `block` alerts and waits, durably and without a
 * deadline, for an operator's releaseChecks update (`daybreak checks release`): until then the
 * served alias keeps the previous documents and the tenant's lane waits behind this run.
 */
export class ChecksGate {
  private readonly gate = new ChecksGateState();
  private delivery: Promise<void> | undefined;
  private delivered = true;

  constructor() {
    setHandler(checksStateQuery, () => this.gate.state);
    setHandler(releaseChecksUpdate, (request) => this.gate.requestRelease(request, workflowInfo().workflowId), {
      validator: releaseChecksValidator(() => this.gate.releaseRefusal(workflowInfo().workflowId)),
    });
  }

  async check(input: TenantDayInput, counts: RecordCounts | undefined): Promise<TenantDayChecks> {
    const { checks } = tenantDayActivities(input.outageRideOutMinutes);
    showStep(`Checking the outputs of ${input.day} against the trailing days`);
    const outcome = await checks.checkDayOutputs.executeWithOptions({ summary: `Check outputs of ${input.day}` }, [
      {
        tenantId: input.tenantId,
        day: input.day,
        pipelineVersion: input.pipelineVersion,
        runKind: input.runKind,
        ...(counts ? { counts } : {}),
      },
    ]);
    const result = this.gate.checked(outcome);
    if (outcome.verdict === 'pass') return result;
    this.raise(input, result);
    if (outcome.verdict === 'warn') return result;

    const failed = failedOf(result).join(', ');
    log.warn('day blocked by its data checks; the previous state stays served', { failed });
    showStep(
      `Blocked by data checks (${failed}); the served alias keeps the previous documents. Release: ` +
        `daybreak checks release --tenant ${input.tenantId} --day ${input.day} --version ${input.pipelineVersion} ` +
        `--by NAME --reason TEXT`,
    );
    await condition(() => this.gate.releaseAsked);
    return this.gate.released(new Date(workflowNow()).toISOString());
  }

  /** At the end of the run: the alert's delivery, or ALERT_WAIT_MS, whichever comes first. */
  async settle(): Promise<void> {
    if (this.delivery && !this.delivered) await Promise.race([this.delivery, sleep(ALERT_WAIT_MS)]);
  }

  private raise(input: TenantDayInput, checks: TenantDayChecks): void {
    const info = workflowInfo();
    const alert = dataCheckAlert({
      tenantId: input.tenantId,
      day: input.day,
      pipelineVersion: input.pipelineVersion,
      workflowId: info.workflowId,
      runId: info.runId,
      outcome: checks,
      raisedAt: new Date(workflowNow()).toISOString(),
    });
    this.delivered = false;
    // Never awaited on the way to serving: a receiver that is down delays nothing but the run's close.
    this.delivery = alertActivities()
      .sendAlert(alert)
      .then(
        () => undefined,
        (error: unknown) =>
          log.warn('alert not delivered; given up', { alertId: alert.id, cause: rootCauseOf(error).message }),
      )
      .finally(() => {
        this.delivered = true;
      });
  }
}
