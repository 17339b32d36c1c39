import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  DayVerdictSignal,
  EndRolloutAction,
  EndRolloutResult,
  OperatorAction,
  OperatorActionResult,
  RolloutState,
} from './rollout-contracts';

/**
 * The rollout workflow's messages and their validators, in their own module: tenant-day signals
 * verdicts, and clients and the CLI send updates, without importing the workflow.
 */
export const dayVerdictSignal = defineSignal<[DayVerdictSignal]>('dayVerdict');
export const rolloutStateQuery = defineQuery<RolloutState>('rolloutState');
export const promoteUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('promote');
export const rollbackUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('rollback');
export const finishUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('finish');
/** A rolled-back tenant back to shadow: baseline primary, candidate shadow, clean days from zero. */
export const resumeUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('resume');
/** Closes a rollout whose tenants are all finished or rolled back; the workflow then completes. */
export const endUpdate = defineUpdate<EndRolloutResult, [EndRolloutAction]>('end');

/**
 * Validators run before an update is accepted, so a refused action leaves no trace in history but
 * the caller's error: every operator action must say who and why, and pass its stage rule (given
 * by the rollout's state, checked again under the workflow's lock).
 */
export function operatorActionValidator(
  name: string,
  refusalOf: (action: OperatorAction) => string | undefined,
): (action: OperatorAction) => void {
  return (action) => {
    if (!action.by || !action.reason) throw new Error(`${name} needs who (by) and why (reason)`);
    const refusal = refusalOf(action);
    if (refusal) throw new Error(refusal);
  };
}

export function endValidator(refusal: () => string | undefined): (action: EndRolloutAction) => void {
  return (action) => {
    if (!action?.by || !action.reason) throw new Error('end needs who (by) and why (reason)');
    const refused = refusal();
    if (refused) throw new Error(refused);
  };
}
