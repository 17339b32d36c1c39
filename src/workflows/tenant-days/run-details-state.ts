import type { DependencyWaitSignal } from './tenant-day-contracts';

/**
 * A run's current details as text, without Temporal: the step it is at and, while its activities
 * ride out an outage, what each waits for, e.g. "Running task daily-usage / waiting for S3 at
 * 127.0.0.1:7070: connection refused, attempt 7". src/workflows/tenant-days/run-details.ts shows it.
 */
export class RunDetails {
  private step = '';
  private readonly waits = new Map<string, string>();

  /** The run's current step; what its activities wait for stays until they say they got through. */
  showStep(text: string): string {
    this.step = text;
    return this.text();
  }

  dependencyWait({ activityId, waitingFor, attempt }: DependencyWaitSignal): string {
    if (waitingFor) this.waits.set(activityId, `${waitingFor}, attempt ${attempt}`);
    else this.waits.delete(activityId);
    return this.text();
  }

  text(): string {
    return this.waits.size === 0 ? this.step : `${this.step} / waiting for ${[...this.waits.values()].join('; ')}`;
  }
}
