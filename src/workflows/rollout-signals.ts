import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DayVerdictSignal, OperatorAction, OperatorActionResult, RolloutState } from '../shared/rollout-contracts';

/** The rollout workflow's message types, in their own module so tenant-day can signal verdicts without a cycle. */
export const dayVerdictSignal = defineSignal<[DayVerdictSignal]>('dayVerdict');
export const rolloutStateQuery = defineQuery<RolloutState>('rolloutState');
export const promoteUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('promote');
export const rollbackUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('rollback');
export const finishUpdate = defineUpdate<OperatorActionResult, [OperatorAction]>('finish');
