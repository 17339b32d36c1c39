import type { BadDataPolicy } from '../tenants/tenant-config';
import type { InputWaitOptions } from '../tenant-days/tenant-day-contracts';

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
  /**
   * After this run completes, recompute the later days it made stale, in order, through the lane
   * (reruns and backfills only; see src/workflows/lanes/cascade.ts).
   */
  cascade?: boolean;
  /** Set by the lane on the runs of a cascade: the recomputed day the cascade follows. */
  cascadeOf?: string;
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
  /** Set while the running tenant-day waits for inputs that have not arrived (told by the run itself). */
  waitingForInputs?: InputsWait;
}

export interface InputsWait {
  /** What is missing, naming keys and prefixes. */
  missing: string[];
  /** ISO instants: waiting since, and when the run fails if they have still not arrived. */
  since: string;
  deadline: string;
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
  /** The failure's application error type (src/common/errors.ts), when it had one. */
  errorType?: string;
  /** The run was part of the cascade after this recomputed day. */
  cascadeOf?: string;
}

/**
 * A later day computed before an earlier day it depends on was recomputed (src/workflows/lanes/stale-days.ts).
 * 'window': within because+1..because+30, so its own 7-/30-day windows or its healthDelta read the
 * recomputed day; 'carry': further on, or computed after the recompute but while the day before it
 * was stale, so only the state carried from day to day (first/last activity, the previous score)
 * brings the change.
 */
export interface StaleDay {
  day: string;
  pipelineVersion: string;
  /** The earliest recomputed day this one was computed without. */
  because: string;
  via: 'window' | 'carry';
}

/** Recomputing, one day at a time and in order, the stale days after a recomputed day. */
export interface Cascade {
  pipelineVersion: string;
  /** The recomputed day (a rerun's day, a backfill's last day) that started the cascade. */
  origin: string;
  /** Every stale day up to this one has been dealt with; the next is the first stale day after it. */
  through: string;
  /** The lane queue class its runs use: the kind of the run that asked for the cascade. */
  kind: 'rerun' | 'backfill';
  requestedBy: string;
  /** Days recomputed so far. */
  recomputed: number;
  /** The day queued or running for the cascade now, if any. */
  pending?: string;
}

export interface CascadeOutcome extends Omit<Cascade, 'pending'> {
  status: 'done' | 'stopped';
  /** For a stopped cascade: the day that failed. */
  failedDay?: string;
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
  /**
   * Per pipeline version, the days the lane has computed (completed primary runs, and the shadow
   * version's runs started by them), sorted and bounded. Absent in lanes started before staleness
   * was tracked: seeded from completedDailyDays and finished (seedComputedDays).
   */
  computedDays?: Record<string, string[]>;
  /** Days computed without a later recompute of an earlier day, sorted by version and day. */
  stale?: StaleDay[];
  /** At most one running cascade per pipeline version. */
  cascades?: Cascade[];
  /** Most recent last (bounded). */
  cascadesDone?: CascadeOutcome[];
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
  /** Maximum partitions of a tenant-day, and how many are aggregated at once. */
  maxPartitions?: number;
  partitionConcurrency?: number;
  /** Passed to its tenant-days (TenantDayInput.buckets, .bucketConcurrency). */
  buckets?: number;
  bucketConcurrency?: number;
  /** How its tenant-days wait for missing inputs (tests shorten the checks); default: InputWaitOptions' defaults. */
  inputWait?: InputWaitOptions;
  /** Passed to its tenant-days (TenantDayInput.outageRideOutMinutes). */
  outageRideOutMinutes?: number;
}
