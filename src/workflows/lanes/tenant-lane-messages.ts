import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LaneState, PipelineVersions, RequestRunResult, RunFinishedSignal, RunRequest } from './lane-contracts';
import { assertRunRequest } from '../request-validation';

/**
 * The tenant lane's messages and the request validator, in their own module: clients, the CLI and
 * the backfill workflow (which waits for `runFinished`) use them without importing the lane.
 */
export const requestRunUpdate = defineUpdate<RequestRunResult, [RunRequest]>('requestRun');
export const setPipelineVersionsSignal = defineSignal<[PipelineVersions]>('setPipelineVersions');
export const laneStateQuery = defineQuery<LaneState>('laneState');
/** From the lane to a run's requester (`notifyWorkflowId`, a backfill) when the run ends. */
export const runFinishedSignal = defineSignal<[RunFinishedSignal]>('runFinished');

/**
 * Refuses, before it is accepted, a request the lane could not run: the same rules as the SDK's
 * (a known version, task and day), and the lane's own (cascades are for reruns and backfills, and
 * only the lane marks a cascade's runs).
 */
export function runRequestValidator(lane: () => { tenantId: string; primaryVersion: string }) {
  return (request: RunRequest): void => {
    assertRunRequest({ ...lane(), request });
    if (request.cascade && request.kind === 'daily')
      throw new Error(`cascade is for reruns and backfills, not the daily run of ${request.day}`);
    if (request.cascadeOf !== undefined) throw new Error('cascadeOf is set by the lane, not by requesters');
  };
}
