import { defineSignal } from '@temporalio/workflow';
import type { InputsWaitSignal, PrimaryFinishedSignal } from '../shared/tenant-day-contracts';

/**
 * The tenant-day workflow's signals, in their own module: the lane wires `inputsWait` without
 * importing the tenant-day workflow's code for it.
 */
/** From a primary run to its shadow: the primary's outputs are ready (or it failed). */
export const primaryFinishedSignal = defineSignal<[PrimaryFinishedSignal]>('primaryFinished');
/** To the lane (the parent of a primary run): the run waits for its inputs, or no longer does. */
export const inputsWaitSignal = defineSignal<[InputsWaitSignal]>('inputsWait');
