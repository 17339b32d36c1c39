import type { TenantDayChecks } from '../data-checks/data-check-contracts';
import type { RecordCounts } from '../tenant-days/pipeline-contracts';
import type { RunKind, Trigger } from '../../common/search-attributes';
import { assertIndexPrefix } from '../serving/serving-contracts';
import type { OutputLocation } from '../../common/keys';
import { outputKey } from '../../common/keys';

/**
 * The run ledger: what one tenant-day run read and wrote, and how each of its tasks went. One
 * entry per run (workflow id), written next to the run's outputs (runLedgerKey) and indexed into
 * the runs index (runsIndexName) under the workflow id, so a rerun replaces its own entry; the
 * earlier runs of the same id stay visible in `attempts`. Pure: the recordRunLedger activity does
 * the I/O.
 */

export const RUN_LEDGER_FILE = 'run-ledger.json';
/** Earlier runs kept in an entry: enough for an operator's week of reruns, bounded for a day rerun in a loop. */
export const MAX_EARLIER_ATTEMPTS = 20;

export function runLedgerKey(loc: OutputLocation): string {
  return outputKey(loc, RUN_LEDGER_FILE);
}

export function runsIndexName(indexPrefix: string): string {
  return `${assertIndexPrefix(indexPrefix)}-runs`;
}

export type RunState = 'completed' | 'failed';
export type TaskState = 'completed' | 'failed';

/** A raw object the run read, as planning listed it (the ETag is absent in a store that has none). */
export interface LedgerInputObject {
  key: string;
  size: number;
  etag?: string;
}

/** A task of the run as the workflow saw it (workflow time); a task still running when the run failed is `failed`. */
export interface LedgerTaskTrail {
  task: string;
  /** ISO instants. */
  startedAt: string;
  endedAt?: string;
  /** The last activity attempt of the task (the highest over its activities); absent while it ran. */
  attempt?: number;
  /** The object key (or key prefix, or for `serve` the index) the task wrote, and its records. */
  outputKey?: string;
  records?: number;
}

/**
 * An object a task wrote, or a partition's partials under a prefix: a bucketed or spilled partition
 * writes `runs` x `buckets` files under `partials/` (partialRunPath), and `key` is that prefix.
 */
export interface LedgerOutputInput {
  key: string;
  records: number;
  /** Prefix outputs: the partition whose files they are (absent: every partial file under the prefix). */
  partition?: { index: number; count: number };
  runs?: number;
  buckets?: number;
}

/** What the workflow hands the recordRunLedger activity at the end of a run. */
export interface RecordRunLedgerInput {
  workflowId: string;
  runId: string;
  tenantId: string;
  day: string;
  timeZone: string;
  pipelineVersion: string;
  runKind: RunKind;
  trigger: Trigger;
  requestedBy?: string;
  state: RunState;
  /** Short reason of a failed run. */
  error?: string;
  startedAt: string;
  endedAt: string;
  inputs: LedgerInputObject[];
  counts?: RecordCounts;
  tasks: LedgerTaskTrail[];
  /** Objects the tasks wrote with their record counts (partials, datasets, documents). */
  outputs: LedgerOutputInput[];
  served?: { index: string; indexed: number; skippedStale: number };
  /** The run's data checks (TenantDayResult.checks), when it ran them. */
  checks?: TenantDayChecks;
}

export interface RecordRunLedgerResult {
  key: string;
  index: string;
  /** Earlier runs of the same workflow id kept in the entry. */
  earlierAttempts: number;
}

export interface LedgerTask {
  task: string;
  state: TaskState;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  attempt?: number;
  outputKey?: string;
  records?: number;
  /** Bytes of the objects at or under outputKey that this run wrote (absent for `serve`). */
  bytes?: number;
}

export interface LedgerOutputObject {
  key: string;
  records: number;
  /** Absent when the object was not found after the run (a failed run's missing output). */
  bytes?: number;
  etag?: string;
  /** A prefix output (key ends in `/`): the partition, its runs and buckets, and the files of it found. */
  partition?: { index: number; count: number };
  runs?: number;
  buckets?: number;
  objects?: number;
}

/** An earlier run of the same workflow id, in short. */
export interface LedgerAttempt {
  runId: string;
  state: RunState;
  trigger: Trigger;
  requestedBy?: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  error?: string;
  counts?: RecordCounts;
  tasks: { task: string; state: TaskState; durationMs: number; attempt?: number }[];
}

/** The run as its input described it, with the inputs, tasks and outputs measured against the store. */
export interface RunLedgerEntry extends Omit<RecordRunLedgerInput, 'inputs' | 'tasks' | 'outputs'> {
  durationMs: number;
  inputs: { objects: number; bytes: number; keys: LedgerInputObject[] };
  tasks: LedgerTask[];
  outputs: { objects: number; bytes: number; keys: LedgerOutputObject[] };
  /** Earlier runs of this workflow id, oldest first (at most MAX_EARLIER_ATTEMPTS). */
  attempts: LedgerAttempt[];
}

/** What the object store holds under the run's output prefix after the run: key -> size and ETag. */
export type OutputListing = ReadonlyMap<string, { size: number; etag?: string }>;

const ms = (iso: string) => Date.parse(iso);

/** Bytes of the listed objects at `key` or under `key/` (a task's output may be a prefix, like its partials). */
function bytesAt(key: string, listing: OutputListing): number | undefined {
  let total: number | undefined;
  for (const [k, { size }] of listing) {
    if (k === key || k.startsWith(`${key}/`)) total = (total ?? 0) + size;
  }
  return total;
}

const PARTIAL_RUN_FILE = /^bucket-(\d{4})-of-(\d{4})\/part-(\d{4})-of-(\d{4})-run-\d{3}\.avro$/;

/** The files of a prefix output found under its key: its partition's run files of its bucket count. */
function prefixOutput(output: LedgerOutputInput, listing: OutputListing): LedgerOutputObject {
  let objects = 0;
  let bytes = 0;
  for (const [k, { size }] of listing) {
    if (!k.startsWith(output.key)) continue;
    const m = PARTIAL_RUN_FILE.exec(k.slice(output.key.length));
    if (!m || (output.buckets !== undefined && Number(m[2]) !== output.buckets)) continue;
    if (output.partition && (Number(m[3]) !== output.partition.index + 1 || Number(m[4]) !== output.partition.count))
      continue;
    objects++;
    bytes += size;
  }
  return {
    key: output.key,
    records: output.records,
    ...(objects > 0 ? { bytes } : {}),
    ...(output.partition ? { partition: output.partition } : {}),
    ...(output.runs !== undefined ? { runs: output.runs } : {}),
    ...(output.buckets !== undefined ? { buckets: output.buckets } : {}),
    objects,
  };
}

/** The run's entry from what the workflow saw and what the store holds; `attempts` is left empty (mergeLedgerEntry). */
export function buildLedgerEntry(input: RecordRunLedgerInput, listing: OutputListing): RunLedgerEntry {
  const tasks: LedgerTask[] = input.tasks.map((t) => {
    const endedAt = t.endedAt ?? input.endedAt;
    const done = t.endedAt !== undefined;
    const bytes = t.outputKey && t.task !== 'serve' && done ? bytesAt(t.outputKey, listing) : undefined;
    return {
      task: t.task,
      state: done ? 'completed' : 'failed',
      startedAt: t.startedAt,
      endedAt,
      durationMs: Math.max(0, ms(endedAt) - ms(t.startedAt)),
      ...(t.attempt !== undefined ? { attempt: t.attempt } : {}),
      ...(t.outputKey !== undefined ? { outputKey: t.outputKey } : {}),
      ...(t.records !== undefined ? { records: t.records } : {}),
      ...(bytes !== undefined ? { bytes } : {}),
    };
  });
  const outputs: LedgerOutputObject[] = input.outputs.map((output) => {
    if (output.key.endsWith('/')) return prefixOutput(output, listing);
    const { key, records } = output;
    const found = listing.get(key);
    return { key, records, ...(found ? { bytes: found.size, ...(found.etag ? { etag: found.etag } : {}) } : {}) };
  });
  return {
    workflowId: input.workflowId,
    runId: input.runId,
    tenantId: input.tenantId,
    day: input.day,
    timeZone: input.timeZone,
    pipelineVersion: input.pipelineVersion,
    runKind: input.runKind,
    trigger: input.trigger,
    ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
    state: input.state,
    ...(input.error !== undefined ? { error: input.error } : {}),
    startedAt: input.startedAt,
    endedAt: input.endedAt,
    durationMs: Math.max(0, ms(input.endedAt) - ms(input.startedAt)),
    inputs: {
      objects: input.inputs.length,
      bytes: input.inputs.reduce((n, o) => n + o.size, 0),
      keys: input.inputs,
    },
    ...(input.counts ? { counts: input.counts } : {}),
    tasks,
    outputs: {
      objects: outputs.reduce((n, o) => n + (o.objects ?? 1), 0),
      bytes: outputs.reduce((n, o) => n + (o.bytes ?? 0), 0),
      keys: outputs,
    },
    ...(input.served ? { served: input.served } : {}),
    ...(input.checks ? { checks: input.checks } : {}),
    attempts: [],
  };
}

function attemptOf(entry: RunLedgerEntry): LedgerAttempt {
  return {
    runId: entry.runId,
    state: entry.state,
    trigger: entry.trigger,
    ...(entry.requestedBy !== undefined ? { requestedBy: entry.requestedBy } : {}),
    startedAt: entry.startedAt,
    endedAt: entry.endedAt,
    durationMs: entry.durationMs,
    ...(entry.error !== undefined ? { error: entry.error } : {}),
    ...(entry.counts ? { counts: entry.counts } : {}),
    tasks: entry.tasks.map((t) => ({
      task: t.task,
      state: t.state,
      durationMs: t.durationMs,
      ...(t.attempt !== undefined ? { attempt: t.attempt } : {}),
    })),
  };
}

/**
 * The entry to store: `entry` replaces `previous` (the same workflow id's last stored entry). A
 * previous entry of another run becomes an earlier attempt; one of the same run (the activity
 * retried) is simply replaced, so writing twice stores the same entry.
 */
export function mergeLedgerEntry(entry: RunLedgerEntry, previous: RunLedgerEntry | undefined): RunLedgerEntry {
  if (previous && previous.workflowId !== entry.workflowId) {
    throw new Error(`ledger entry of ${previous.workflowId} cannot be merged into ${entry.workflowId}`);
  }
  const earlier = (previous?.attempts ?? []).filter((a) => a.runId !== entry.runId);
  if (previous && previous.runId !== entry.runId) earlier.push(attemptOf(previous));
  earlier.sort((a, b) => ms(a.startedAt) - ms(b.startedAt) || (a.runId < b.runId ? -1 : 1));
  return { ...entry, attempts: earlier.slice(-MAX_EARLIER_ATTEMPTS) };
}
