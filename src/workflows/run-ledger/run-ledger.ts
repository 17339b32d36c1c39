import { log, workflowInfo } from '@temporalio/workflow';
import type {
  AggregatePartitionResult,
  PartitionPlan,
  PlanPartitionsResult,
  RecordCounts,
} from '../tenant-days/pipeline-contracts';
import { describeRootCause, rootCauseOf } from '../alerts/root-cause';
import type {
  LedgerInputObject,
  LedgerOutputInput,
  LedgerTaskTrail,
  RecordRunLedgerInput,
  RunState,
} from './run-ledger-contracts';
import type { TaskTiming, TenantDayInput, TenantDayResult } from '../tenant-days/tenant-day-contracts';
import { tenantDayActivities } from '../activity-options';
import { workflowNow } from '../workflow-clock';

/** Patch of the tenant-day: runs started before the ledger existed replay without its activity. */
export const RUN_LEDGER_PATCH = 'run-ledger';

const iso = (ms: number) => new Date(ms).toISOString();

/** A partition's partial as the trail keeps it; runs before patch bucketed-metrics keep no partition. */
export interface TrailPartial extends AggregatePartitionResult {
  partition?: { index: number; count: number };
}

/**
 * What a tenant-day saw while it ran, for its ledger entry: planned inputs, partials and each
 * task's start, end and last attempt, in workflow time. Kept outside the run's result so a failed
 * run still has what it did so far. No commands: collecting never changes a history.
 */
export class RunTrail {
  readonly startedAt = workflowNow();
  inputs: LedgerInputObject[] = [];
  partials: TrailPartial[] = [];
  private readonly tasks = new Map<string, LedgerTaskTrail>();

  started(task: string): void {
    this.tasks.set(task, { task, startedAt: iso(workflowNow()) });
  }

  /** A partition aggregated (the fan-out's runs): its partial, with which partition it is. */
  partialDone(result: AggregatePartitionResult, partition: Pick<PartitionPlan, 'index' | 'count'>): void {
    this.partials.push({ ...result, partition: { index: partition.index, count: partition.count } });
  }

  planned(plan: PlanPartitionsResult): void {
    this.inputs = plan.inputs ?? [];
  }

  /** A finished task; its start is the end less the duration, both from workflow time. */
  ended(timing: TaskTiming, attempts: (number | undefined)[]): void {
    const end = workflowNow();
    const known = attempts.filter((a): a is number => a !== undefined);
    this.tasks.set(timing.task, {
      task: timing.task,
      startedAt: this.tasks.get(timing.task)?.startedAt ?? iso(end - timing.durationMs),
      endedAt: iso(end),
      ...(known.length ? { attempt: Math.max(...known) } : {}),
      outputKey: timing.outputKey,
      records: timing.records,
    });
  }

  taskTrails(): LedgerTaskTrail[] {
    return [...this.tasks.values()];
  }
}

function sum(results: AggregatePartitionResult[]): RecordCounts | undefined {
  if (results.length === 0) return undefined;
  const total: RecordCounts = { read: 0, accepted: 0, quarantined: 0, duplicates: 0, outOfWindow: 0 };
  for (const { counts } of results) for (const k of Object.keys(total) as (keyof RecordCounts)[]) total[k] += counts[k];
  return total;
}

/**
 * A partial as an output: its file, or for a bucketed or spilled partition (runs x buckets files)
 * the partials/ prefix with the counts that say which files under it are the partition's.
 */
function partialOutput(p: TrailPartial): LedgerOutputInput {
  if (!p.partialKey.endsWith('/')) return { key: p.partialKey, records: p.accounts };
  return {
    key: p.partialKey,
    records: p.accounts,
    ...(p.partition ? { partition: p.partition } : {}),
    runs: p.runs ?? 1,
    buckets: p.buckets ?? 1,
  };
}

/** The objects the run's tasks wrote, with their record counts (partials by partition, datasets by task). */
function outputsOf(trail: RunTrail): RecordRunLedgerInput['outputs'] {
  const outputs: LedgerOutputInput[] = trail.partials.map(partialOutput);
  for (const t of trail.taskTrails()) {
    // Datasets are single .avro objects; the partitioned task's key is the partials prefix (listed
    // above by partition), `serve`'s an index.
    if (t.endedAt && t.outputKey?.endsWith('.avro') && t.records !== undefined && t.task !== 'serve')
      outputs.push({ key: t.outputKey, records: t.records });
  }
  return outputs;
}

export function ledgerInputOf(
  input: TenantDayInput,
  trail: RunTrail,
  state: RunState,
  outcome: { result?: Omit<TenantDayResult, 'shadow'>; error?: unknown },
): RecordRunLedgerInput {
  const info = workflowInfo();
  const error = outcome.error === undefined ? undefined : describeRootCause(rootCauseOf(outcome.error));
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    tenantId: input.tenantId,
    day: input.day,
    timeZone: input.timeZone,
    pipelineVersion: input.pipelineVersion,
    runKind: input.runKind,
    trigger: input.trigger,
    ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
    state,
    ...(error ? { error } : {}),
    startedAt: iso(trail.startedAt),
    endedAt: iso(workflowNow()),
    inputs: trail.inputs,
    ...(outcome.result
      ? { counts: outcome.result.counts }
      : sum(trail.partials)
        ? { counts: sum(trail.partials) }
        : {}),
    tasks: trail.taskTrails(),
    outputs: outputsOf(trail),
    ...(outcome.result?.served ? { served: outcome.result.served } : {}),
    ...(outcome.result?.checks ? { checks: outcome.result.checks } : {}),
  };
}

/**
 * Writes the run's ledger entry (recordRunLedger). Never fails the run: its outputs are written and
 * served whatever happens to the bookkeeping; a ledger that cannot be written (after the ride-out)
 * is logged, and the next run of the day writes it again.
 */
export async function recordRunLedger(
  input: TenantDayInput,
  trail: RunTrail,
  state: RunState,
  outcome: { result?: Omit<TenantDayResult, 'shadow'>; error?: unknown },
): Promise<void> {
  const { ledger } = tenantDayActivities(input.outageRideOutMinutes);
  try {
    await ledger.recordRunLedger.executeWithOptions({ summary: `Record the run ledger of ${input.day}` }, [
      ledgerInputOf(input, trail, state, outcome),
    ]);
  } catch (error) {
    log.warn('could not write the run ledger', { error: error instanceof Error ? error.message : String(error) });
  }
}
