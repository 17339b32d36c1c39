import { defineSignal } from '@temporalio/workflow';
import type { DependencyWaitSignal, InputsWaitSignal, PrimaryFinishedSignal } from './tenant-day-contracts';

/**
 * The tenant-day workflow's signals, in their own module: the lane wires `inputsWait`, and the
 * activities send `dependencyWait`, without importing the tenant-day workflow's code.
 */
/** From a primary run to its shadow: the primary's outputs are ready (or it failed). */
export const primaryFinishedSignal = defineSignal<[PrimaryFinishedSignal]>('primaryFinished');
/** To the lane (the parent of a primary run): the run waits for its inputs, or no longer does. */
export const inputsWaitSignal = defineSignal<[InputsWaitSignal]>('inputsWait');
/**
 * Sent by a tenant-day's own activities (activities/supervised.ts) while one of them rides out a
 * dependency outage, and once it got through: the run's current details then say what it waits for.
 */
export const dependencyWaitSignal = defineSignal<[DependencyWaitSignal]>('dependencyWait');
