import type { RecordCounts } from './pipeline-contracts';
import type { RunKind, Trigger } from './search-attributes';
import type { BadDataPolicy } from './tenant-config';

/** Input of tenantDayWorkflow: one tenant's local day for one pipeline version. */
export interface TenantDayInput {
  tenantId: string;
  day: string;
  timeZone: string;
  badDataPolicy: BadDataPolicy;
  pipelineVersion: string;
  runKind: RunKind;
  trigger: Trigger;
  /** Start the task graph from this task, reusing the persisted outputs of the tasks before it. */
  fromTask?: string;
  maxPartitions?: number;
  partitionConcurrency?: number;
  /** Base task queue; each version's runs go to versionTaskQueue(base, version). */
  baseTaskQueue?: string;
  /** For a primary run: the version to run in shadow next to it, as a child workflow. */
  shadow?: { pipelineVersion: string; rolloutWorkflowId?: string; comparisonPolicy?: string };
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
  shadow?: { workflowId: string; started: boolean; reason?: string };
}

/** Sent by a primary tenant-day to its shadow child once the primary's outputs are written. */
export interface PrimaryFinishedSignal {
  status: 'completed' | 'failed';
  accountsKey?: string;
}
