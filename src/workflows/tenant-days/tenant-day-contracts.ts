import type { TenantDayChecks } from '../data-checks/data-check-contracts';
import type { RecordCounts } from './pipeline-contracts';
import type { RunKind, Trigger } from '../../common/search-attributes';
import type { BadDataPolicy } from '../tenants/tenant-config';

/**
 * Patch of the tenant-day: runs that had started their metric work before account buckets walk the
 * task graph they recorded (planPartitions first); later runs go through the one fan-out
 * (src/metrics/fan-out.ts, planBuckets first).
 */
export const BUCKETED_METRICS_PATCH = 'bucketed-metrics';

/** Input of tenantDayWorkflow: one tenant's local day for one pipeline version. */
export interface TenantDayInput {
  tenantId: string;
  day: string;
  timeZone: string;
  badDataPolicy: BadDataPolicy;
  pipelineVersion: string;
  runKind: RunKind;
  trigger: Trigger;
  /** Who asked (the lane's QueuedRun.requestedBy), for the run ledger; absent in runs started otherwise. */
  requestedBy?: string;
  /** Start the task graph from this task, reusing the persisted outputs of the tasks before it. */
  fromTask?: string;
  maxPartitions?: number;
  partitionConcurrency?: number;
  /**
   * Account buckets of the day, forced (a power of two, 1-1024; tests and benchmarks); absent:
   * planBuckets chooses from the snapshot and the worker's memory budget, or a rerun keeps the stored count.
   */
  buckets?: number;
  /** Bucket tasks of one stage run at once (default 8); runs recorded before patch bucketed-metrics ignore it. */
  bucketConcurrency?: number;
  /** Base task queue; each version's runs go to versionTaskQueue(base, version). */
  baseTaskQueue?: string;
  /** For a primary run: the version to run in shadow next to it, as a child workflow. */
  shadow?: { pipelineVersion: string; rolloutWorkflowId?: string; comparisonPolicy?: string };
  /** Waiting for missing inputs (attribute snapshot, raw events); see InputWaitOptions. */
  inputWait?: InputWaitOptions;
  /** How long its activities ride out a dependency outage; default DEFAULT_OUTAGE_RIDE_OUT_MINUTES. */
  outageRideOutMinutes?: number;
  /** For a shadow run: the primary run it is compared with, and the rollout that wants the verdict. */
  comparedWith?: { pipelineVersion: string; workflowId: string; rolloutWorkflowId?: string; comparisonPolicy?: string };
}

export interface TaskTiming {
  task: string;
  outputKey: string;
  records: number;
  durationMs: number;
}

export interface TenantDayResult {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  runKind: RunKind;
  partitions: number;
  counts: RecordCounts;
  quarantineKeys: string[];
  tasks: TaskTiming[];
  accountsKey: string;
  served?: { index: string; indexed: number; skippedStale: number };
  /** The data checks before serving (primary runs under patch data-checks): verdict, each check, a release. */
  checks?: TenantDayChecks;
  shadow?: { workflowId: string; started: boolean; reason?: string };
}

/** From an activity of a tenant-day to its run: it waits out an outage (waitingFor), or got through (none). */
export interface DependencyWaitSignal {
  activityId: string;
  attempt: number;
  /** "S3 at 127.0.0.1:7070: connection refused"; absent once the activity got through. */
  waitingFor?: string;
}

/** Sent by a primary tenant-day to its shadow child once the primary's outputs are written. */
export interface PrimaryFinishedSignal {
  status: 'completed' | 'failed';
  accountsKey?: string;
}

/**
 * Minutes an activity of a tenant-day keeps retrying a dependency outage (S3, Elasticsearch, the
 * Temporal server) before the run fails (DAYBREAK_OUTAGE_RIDE_OUT_MINUTES).
 */
export const DEFAULT_OUTAGE_RIDE_OUT_MINUTES = 30;

/** Hours after the end of a tenant's local day that a tenant-day waits for missing inputs (DAYBREAK_INPUT_DEADLINE_HOURS). */
export const DEFAULT_INPUT_DEADLINE_HOURS = 24;

/**
 * How a tenant-day waits for inputs that have not arrived: checks with capped exponential backoff
 * until the deadline (the end of the local day plus the deadline hours). Unset fields: the
 * defaults (first check again after 1 minute, doubling to at most 30 minutes; the worker's deadline).
 */
export interface InputWaitOptions {
  initialIntervalMs?: number;
  maximumIntervalMs?: number;
  /** Overrides the worker's DAYBREAK_INPUT_DEADLINE_HOURS for this run. */
  deadlineHours?: number;
}

export interface CheckInputsInput {
  tenantId: string;
  day: string;
  timeZone: string;
  deadlineHours?: number;
}

/**
 * What checkTenantDayInputs found. Inputs have arrived when the day's attribute snapshot exists and
 * at least one raw event object is filed under one of the UTC hours the local day spans.
 */
export interface InputsCheck {
  arrived: boolean;
  /** What is missing, one entry per input, naming its key or prefix; empty when arrived. */
  missing: string[];
  /** UTC hours the local day spans, and how many of them have raw objects. */
  rawHours: number;
  rawHoursWithObjects: number;
  /** When to stop waiting: the end of the local day plus the deadline hours, epoch ms. */
  deadlineMs: number;
}

/** Sent by a primary tenant-day to its lane when it starts or stops waiting for inputs (shown in laneState). */
export interface InputsWaitSignal {
  day: string;
  pipelineVersion: string;
  waiting: boolean;
  missing?: string[];
  /** ISO instants (workflow time). */
  since?: string;
  deadline?: string;
}
