import { defineSignal, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { DependencyWaitSignal } from '../shared/tenant-day-contracts';

/**
 * Sent by a tenant-day's own activities (activities/supervised.ts) while one of them rides out a
 * dependency outage, and once it got through: the run's current details then say what it waits for.
 */
export const dependencyWaitSignal = defineSignal<[DependencyWaitSignal]>('dependencyWait');

/**
 * A run's current details (the Web UI's "Current details", the `__temporal_workflow_metadata`
 * query): the step it is at and, while activities ride out an outage, what each waits for, e.g.
 * "Running task daily-usage / waiting for S3 at 127.0.0.1:7070: connection refused, attempt 7".
 * Only metadata: no commands, so it changes no history's shape. Module state is per workflow run.
 */
let step = '';
const waits = new Map<string, string>();

function render(): void {
  setCurrentDetails(waits.size === 0 ? step : `${step} / waiting for ${[...waits.values()].join('; ')}`);
}

/** The run's current step; what its activities wait for stays until they say they got through. */
export function showStep(text: string): void {
  step = text;
  render();
}

export function listenForDependencyWaits(): void {
  setHandler(dependencyWaitSignal, ({ activityId, waitingFor, attempt }) => {
    if (waitingFor) waits.set(activityId, `${waitingFor}, attempt ${attempt}`);
    else waits.delete(activityId);
    render();
  });
}
