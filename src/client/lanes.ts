import type { Client } from '@temporalio/client';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { laneWorkflowId } from '../common/ids';
import type {
  LaneState,
  PipelineVersions,
  RequestRunResult,
  RunRequest,
  TenantSettings,
} from '../workflows/lanes/lane-contracts';
import { assertRunRequest } from '../workflows/request-validation';
import { TenantIdKey } from '../common/search-attributes';
import { assertTenantId } from '../common/tenant-id';
import { tenantLaneWorkflow } from '../workflows/lanes/tenant-lane';
import { laneStateQuery, requestRunUpdate, setPipelineVersionsSignal } from '../workflows/lanes/tenant-lane-messages';

/** How lanes are started when a request finds none running (the lane keeps its own state after that). */
export interface LaneDefaults {
  taskQueue: string;
  primaryVersion: string;
  retryBackoffBaseMs?: number;
  maxAttempts?: number;
  /** See TenantLaneInput.outageRideOutMinutes (DAYBREAK_OUTAGE_RIDE_OUT_MINUTES). */
  outageRideOutMinutes?: number;
}

function startLane(tenantId: string, tenant: TenantSettings, defaults: LaneDefaults) {
  return new WithStartWorkflowOperation(tenantLaneWorkflow, {
    workflowId: laneWorkflowId(tenantId),
    taskQueue: defaults.taskQueue,
    // The lane is long-lived: a request joins the running one instead of starting another.
    workflowIdConflictPolicy: 'USE_EXISTING',
    args: [
      {
        tenantId,
        tenant,
        versions: { primary: defaults.primaryVersion },
        retryBackoffBaseMs: defaults.retryBackoffBaseMs,
        maxAttempts: defaults.maxAttempts,
        outageRideOutMinutes: defaults.outageRideOutMinutes,
      },
    ],
    // A lane spans days and versions: only the tenant is a fact about it.
    typedSearchAttributes: [{ key: TenantIdKey, value: tenantId }],
    staticSummary: `Lane (mutex and queue) of tenant ${tenantId}`,
  });
}

/**
 * Asks a tenant's lane to run a day (SDK entry point for daily triggers, reruns and backfills).
 * Update-with-start: starts the lane if it is not running, and returns once the lane has queued
 * the request or dropped it as a duplicate.
 */
export async function requestRun(
  client: Client,
  tenantId: string,
  request: RunRequest,
  defaults: LaneDefaults,
): Promise<RequestRunResult> {
  assertTenantId(tenantId);
  // Refused here, before anything starts; the lane's update validator applies the same rules.
  assertRunRequest({ tenantId, request, primaryVersion: request.pipelineVersion ?? defaults.primaryVersion });
  return client.workflow.executeUpdateWithStart(requestRunUpdate, {
    args: [request],
    startWorkflowOperation: startLane(tenantId, request.tenant, defaults),
  });
}

/**
 * Operator rerun of one tenant-day, optionally from a task onward; ahead of backfills in the queue.
 * With `cascade`, the lane then recomputes, in order, the later days the rerun made stale; without
 * it they are listed as stale in the lane's state (`laneState(...).stale`, `daybreak status`).
 */
export async function requestRerun(
  client: Client,
  options: {
    tenantId: string;
    day: string;
    tenant: TenantSettings;
    fromTask?: string;
    requestedBy: string;
    cascade?: boolean;
    defaults: LaneDefaults;
  },
): Promise<RequestRunResult> {
  return requestRun(
    client,
    options.tenantId,
    {
      day: options.day,
      kind: 'rerun',
      fromTask: options.fromTask,
      requestedBy: options.requestedBy,
      cascade: options.cascade,
      tenant: options.tenant,
    },
    options.defaults,
  );
}

export async function laneState(client: Client, tenantId: string): Promise<LaneState> {
  return client.workflow.getHandle(laneWorkflowId(tenantId)).query(laneStateQuery);
}

/** Points a tenant's lane at new primary/shadow versions (used by rollouts); starts the lane if needed. */
export async function setLaneVersions(
  client: Client,
  tenantId: string,
  tenant: TenantSettings,
  versions: PipelineVersions,
  defaults: LaneDefaults,
): Promise<void> {
  const start = startLane(tenantId, tenant, { ...defaults, primaryVersion: versions.primary });
  await client.workflow.signalWithStart(tenantLaneWorkflow, {
    ...start.options,
    signal: setPipelineVersionsSignal,
    signalArgs: [versions],
  });
}

/**
 * What a lane is running, in one line for `daybreak status`: day, kind and attempt, and for a day
 * waiting for its inputs what is missing and until when ('-' when idle).
 */
export function describeRunning(state: Pick<LaneState, 'running'>): string {
  const run = state.running;
  if (!run) return '-';
  const wait = run.waitingForInputs;
  return (
    `${run.day} ${run.kind} #${run.attempt}` +
    (wait
      ? ` waiting for inputs since ${wait.since} (deadline ${wait.deadline}): missing ${wait.missing.join('; ')}`
      : '')
  );
}
