import { setCurrentDetails, setHandler } from '@temporalio/workflow';
import { RunDetails } from './run-details-state';
import { dependencyWaitSignal } from './tenant-day-messages';

/**
 * A run's current details (the Web UI's "Current details", the `__temporal_workflow_metadata`
 * query), kept by RunDetails (src/workflows/tenant-days/run-details-state.ts): the step it is at and what its activities
 * wait for while they ride out an outage. Only metadata: no commands, so it changes no history's
 * shape. Module state is per workflow run.
 */
const details = new RunDetails();

/** The run's current step; what its activities wait for stays until they say they got through. */
export function showStep(text: string): void {
  setCurrentDetails(details.showStep(text));
}

export function listenForDependencyWaits(): void {
  setHandler(dependencyWaitSignal, (signal) => setCurrentDetails(details.dependencyWait(signal)));
}
