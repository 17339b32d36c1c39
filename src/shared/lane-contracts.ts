import type { BadDataPolicy } from './tenant-config';

/**
 * Contracts of the per-tenant lane: the one coordinating workflow per tenant (id
 * `daybreak/lane/<tenant>`) that queues run requests and runs one tenant-day at a time.
 */

/** Why a run was asked for; decides its priority in the lane's queue. */
export type RequestKind = 'rerun' | 'daily' | 'backfill';

export interface TenantSettings {
  timeZone: string;
  badDataPolicy: BadDataPolicy;
}

export interface RunRequest {
  /** The tenant's local day to compute. */
  day: string;
  kind: RequestKind;
  /** Overrides the lane's primary version (e.g. an operator rerun of an old version); rarely set. */
  pipelineVersion?: string;
  /** Start the metric task graph from this task, reusing earlier tasks' persisted outputs. */
  fromTask?: string;
  /** Who asked: 'schedule', 'reconciler', an operator name, a backfill id. Ids only, no customer data. */
  requestedBy: string;
  /** A workflow id to signal `runFinished` when the run ends (a backfill waiting for its days). */
  notifyWorkflowId?: string;
  /** The tenant's current settings, so the lane always runs with the latest tenant config. */
  tenant: TenantSettings;
}

export interface RequestRunResult {
  status: 'queued' | 'duplicate';
  /** Position in the queue (0 = next), or -1 when the same run is running now. */
  position: number;
}

export interface PipelineVersions {
  primary: string;
  /** Candidate (or retired) version run in shadow next to the primary, if any. */
  shadow?: string;
  /** The rollout workflow that assigned these versions and wants each day's verdict. */
  rolloutWorkflowId?: string;
  /** The comparison policy the shadow's outputs are judged by (src/compare policies). */
  comparisonPolicy?: string;
}

export interface QueuedRun extends RunRequest {
  pipelineVersion: string;
  /** Monotonic sequence number: FIFO order within a priority class. */
  seq: number;
  attempt: number;
  /** Times a higher-priority request was picked while this daily run waited (anti-starvation). */
  passedOver: number;
}

export interface FinishedRun {
  day: string;
  kind: RequestKind;
  pipelineVersion: string;
  workflowId: string;
  status: 'completed' | 'failed';
  attempts: number;
  /** Short, data-free reason for a failure. */
  error?: string;
}

export interface RunFinishedSignal extends FinishedRun {
  tenantId: string;
}

export interface LaneState {
  tenantId: string;
  tenant: TenantSettings;
  versions: PipelineVersions;
  queue: QueuedRun[];
  running?: QueuedRun;
  /** Waiting for a backoff timer before their next attempt. */
  retrying: QueuedRun[];
  /** Most recent last (bounded). */
  finished: FinishedRun[];
  /** Days whose daily run completed (bounded), so a double schedule fire is dropped. */
  completedDailyDays: string[];
  nextSeq: number;
}

export interface TenantLaneInput {
  tenantId: string;
  tenant: TenantSettings;
  versions: PipelineVersions;
  /** Carried over by continue-as-new. */
  state?: LaneState;
  /** Lane-level retries of a failed tenant-day after its activity retries are exhausted. */
  maxAttempts?: number;
  /** Continue-as-new once history passes this many events (Temporal also suggests it). */
  maxHistoryEvents?: number;
  /** First lane-level retry delay; doubles per attempt. */
  retryBackoffBaseMs?: number;
  /** Task queue for backfill days (a separate queue whose worker limits cap backfills across tenants). */
  backfillTaskQueue?: string;
  /** Maximum partitions of a tenant-day, and how many are aggregated at once. */
  maxPartitions?: number;
  partitionConcurrency?: number;
}
