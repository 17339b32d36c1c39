import { assertDay } from './days';
import { InvalidInputError } from './errors';
import type { RunKind } from './search-attributes';
import { assertTenantId } from './tenant-id';

const PIPELINE_VERSION = /^[a-z0-9][a-z0-9-]{0,30}$/;

export function assertPipelineVersion(value: unknown): string {
  if (typeof value !== 'string' || !PIPELINE_VERSION.test(value)) {
    throw new InvalidInputError(`pipelineVersion ${JSON.stringify(value)} is invalid: use [a-z0-9-], at most 31 chars`);
  }
  return value;
}

/**
 * Workflow ids are the mutex: Temporal allows one open workflow per id, so building them from
 * (tenant, day, version, kind) makes a retry or a rerun address the same run instead of a new one.
 */
export function tenantDayWorkflowId(tenantId: string, day: string, pipelineVersion: string, runKind: RunKind): string {
  return `daybreak/tenant-day/${assertTenantId(tenantId)}/${assertDay(day)}/${assertPipelineVersion(pipelineVersion)}/${runKind}`;
}

/** The tenant's lane: one per tenant, forever (continue-as-new keeps the id). */
export function laneWorkflowId(tenantId: string): string {
  return `daybreak/lane/${assertTenantId(tenantId)}`;
}

export function backfillWorkflowId(tenantId: string, fromDay: string, toDay: string): string {
  return `daybreak/backfill/${assertTenantId(tenantId)}/${assertDay(fromDay)}/${assertDay(toDay)}`;
}

export function dailyScheduleId(tenantId: string, prefix = 'daybreak'): string {
  return `${prefix}-daily-${assertTenantId(tenantId)}`;
}

export function rolloutWorkflowId(candidateVersion: string): string {
  return `daybreak/rollout/${assertPipelineVersion(candidateVersion)}`;
}

/**
 * Each pipeline version has a task queue of its own, so a release candidate can run in its own
 * worker process (its own deployment) next to the live one. Backfill days use a separate queue
 * whose worker limits cap backfill work across all tenants.
 */
export function versionTaskQueue(
  baseTaskQueue: string,
  pipelineVersion: string,
  lane: 'live' | 'backfill' = 'live',
): string {
  return `${baseTaskQueue}-${assertPipelineVersion(pipelineVersion)}${lane === 'backfill' ? '-backfill' : ''}`;
}
