import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  DayVerdictSignal,
  EndRolloutAction,
  EndRolloutResult,
  OperatorAction,
  OperatorActionResult,
  RolloutState,
} from '../shared/rollout-contracts';

/** The rollout workflow's message types, in their own module so tenant-day can signal verdicts without a cycle. */
export const dayVerdictSignal = defineSignal<[DayVerdictSignal]>('dayVerdict');
export const rolloutStateQuery = defineQuery<RolloutState>('rolloutState');
export const promoteUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('promote');
export const rollbackUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('rollback');
export const finishUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('finish');
/** A rolled-back tenant back to shadow: baseline primary, candidate shadow, clean days from zero. */
export const resumeUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('resume');
/** Closes a rollout whose tenants are all finished or rolled back; the workflow then completes. */
export const endUpdate = defineUpdate<EndRolloutResult, [EndRolloutAction]>('end');
