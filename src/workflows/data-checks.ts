import { condition, defineQuery, defineUpdate, log, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { ChecksState, ReleaseChecksRequest, TenantDayChecks } from '../shared/data-checks';
import { dataCheckAlert } from '../shared/data-checks';
import type { RecordCounts } from '../shared/pipeline-contracts';
import type { TenantDayInput } from '../shared/tenant-day-contracts';
import { rootCauseOf } from '../shared/root-cause';
import { alertActivities, tenantDayActivities } from './activity-options';
import { showStep } from './run-details';
import { workflowNow } from './workflow-clock';

/** Runs started before the data checks existed replay without their activity, alert and wait. */
export const DATA_CHECKS_PATCH = 'data-checks';

export interface ReleaseChecksResult {
  workflowId: string;
  /** The checks that had failed. */
  failed: string[];
}

/** Releases a tenant-day blocked by its data checks: it then serves its documents. Refused when it is not blocked. */
export const releaseChecksUpdate = defineUpdate<ReleaseChecksResult, [ReleaseChecksRequest]>('releaseChecks');
/** The tenant-day's data checks: not yet checked, checked (passed or warned), blocked, or released. */
export const checksStateQuery = defineQuery<ChecksState>('checksState');

/** How long a run waits at its end for a failed check's alert to be delivered before it closes anyway. */
const ALERT_WAIT_MS = 60_000;

const failedOf = (checks: TenantDayChecks) => checks.results.filter((r) => !r.passed).map((r) => r.check);

/**
 * The data checks of one primary tenant-day, between writing its documents and serving them
 * (checkDayOutputs). A `warn` alerts and serves; a `block` alerts and waits, durably and without a
 * deadline, for an operator's releaseChecks update (`daybreak checks release`): until then the
 * served alias keeps the previous documents and the tenant's lane waits behind this run.
 */
export class ChecksGate {
  private state: ChecksState = { state: 'not-checked' };
  private release: ReleaseChecksRequest | undefined;
  private delivery: Promise<void> | undefined;
  private delivered = true;

  constructor() {
    setHandler(checksStateQuery, () => this.state);
    setHandler(
      releaseChecksUpdate,
      (request) => {
        this.release = { by: request.by, reason: request.reason };
        return { workflowId: workflowInfo().workflowId, failed: this.state.checks ? failedOf(this.state.checks) : [] };
      },
      {
        validator: (request) => {
          if (this.state.state !== 'blocked' || this.release)
            throw new Error(
              `${workflowInfo().workflowId} is not blocked by its data checks (state: ${this.state.state})`,
            );
          for (const field of ['by', 'reason'] as const) {
            const value: unknown = (request as Partial<ReleaseChecksRequest> | undefined)?.[field];
            if (typeof value !== 'string' || value.trim() === '' || value.length > 500)
              throw new Error(`release needs a non-empty "${field}" of at most 500 characters`);
          }
        },
      },
    );
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
    const result: TenantDayChecks = { ...outcome };
    this.state = { state: 'checked', checks: result };
    if (outcome.verdict === 'pass') return result;
    this.raise(input, result);
    if (outcome.verdict === 'warn') return result;

    const failed = failedOf(result).join(', ');
    this.state = { state: 'blocked', checks: result };
    log.warn('day blocked by its data checks; the previous state stays served', { failed });
    showStep(
      `Blocked by data checks (${failed}); the served alias keeps the previous documents. Release: ` +
        `daybreak checks release --tenant ${input.tenantId} --day ${input.day} --version ${input.pipelineVersion} ` +
        `--by NAME --reason TEXT`,
    );
    await condition(() => this.release !== undefined);
    result.released = { ...this.release!, at: new Date(workflowNow()).toISOString() };
    this.state = { state: 'released', checks: result };
    return result;
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
