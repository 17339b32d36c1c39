import type { Client } from '@temporalio/client';
import { describeRunning, laneState } from '../client/lanes';
import { UnreachableError, reachWorkflow, withTimeout } from '../client/reachability';
import type { BackfillProgress } from '../shared/backfill-contracts';
import { laneWorkflowId } from '../shared/ids';
import type { LaneState } from '../shared/lane-contracts';
import { describeStale } from '../shared/stale-days';
import { backfillProgressQuery } from '../workflows/backfill';

/** One lane's line of `daybreak status`, after the tenant and zone columns. */
export function formatLaneState(state: LaneState): string {
  const lastCompleted = state.finished.filter((f) => f.status === 'completed').at(-1);
  const failures = state.finished.filter((f) => f.status === 'failed');
  return (
    ` last completed: ${lastCompleted ? `${lastCompleted.day} (${lastCompleted.kind})` : '-'}` +
    `  running: ${describeRunning(state)}` +
    `  queued: ${state.queue.map((r) => `${r.day}/${r.kind}`).join(',') || '-'}` +
    `  retrying: ${state.retrying.length}` +
    `  failed: ${failures.map((f) => f.day).join(',') || '-'}` +
    `  versions: ${state.versions.primary}${state.versions.shadow ? `+shadow ${state.versions.shadow}` : ''}` +
    `  stale: ${describeStale(state)}`
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A lane's state, or why there is none: "no lane" when the workflow does not exist, "lane
 * unreachable" when it exists but nothing answers (no worker on its queue, or the query timed out).
 * A query to a workflow no worker serves blocks until its deadline, so the queue is checked first.
 */
export async function laneLine(client: Client, tenantId: string, timeoutMs: number): Promise<string> {
  const workflowId = laneWorkflowId(tenantId);
  try {
    const reach = await reachWorkflow(client, workflowId, timeoutMs);
    if (reach.status === 'not-found') return ' no lane (no workflow yet; the first daily run or rerun starts it)';
    if (reach.status === 'no-worker') return ` lane unreachable: ${reach.message}`;
    if (reach.status === 'closed')
      return ` no running lane (the last one was ${reach.closeStatus}; the next daily run or rerun starts one)`;
    const state = await withTimeout(client, timeoutMs, `querying ${workflowId} on task queue ${reach.taskQueue}`, () =>
      laneState(client, tenantId),
    );
    return formatLaneState(state);
  } catch (error) {
    if (error instanceof UnreachableError) return ` lane unreachable: ${error.message}`;
    return ` lane unreachable: ${reason(error)}`;
  }
}

/** `daybreak/backfill/<tenant>/<from>/<to>`: the range of a backfill, from its id. */
export function backfillRange(workflowId: string): { tenantId: string; from: string; to: string } | undefined {
  const match = /^daybreak\/backfill\/([^/]+)\/(\d{4}-\d{2}-\d{2})\/(\d{4}-\d{2}-\d{2})$/.exec(workflowId);
  return match ? { tenantId: match[1], from: match[2], to: match[3] } : undefined;
}

/** The command line that addresses one backfill (watch it, resume it, skip its failed day). */
export function backfillCommandLine(workflowId: string, flag: string): string {
  const range = backfillRange(workflowId);
  if (!range) return `(backfill ${workflowId})`;
  return `daybreak backfill --tenant ${range.tenantId} --from ${range.from} --to ${range.to} ${flag}`;
}

/** What a backfill is doing, in one line: the day it is on, or the day it paused on with why and what to run. */
export function formatBackfillProgress(workflowId: string, progress: BackfillProgress): string {
  const done = `${progress.completed.length}/${progress.total} days done`;
  if (progress.paused) {
    return (
      `paused on ${progress.current ?? progress.failed.at(-1) ?? '?'} (${progress.pausedReason ?? 'the day failed'}), ${done}; ` +
      `resume: ${backfillCommandLine(workflowId, '--resume')}  or skip the day: ${backfillCommandLine(workflowId, '--skip')}`
    );
  }
  return `running${progress.current ? ` ${progress.current}` : ''}, ${done}`;
}

/**
 * The paused-on run's own failure (its innermost cause: "planted failure for ..."), in front of the
 * lane's summary of it ("CorruptDataError: Child Workflow execution failed"), which alone says little.
 */
export async function explainPause(
  client: Client,
  progress: BackfillProgress,
  timeoutMs: number,
): Promise<BackfillProgress> {
  const run = progress.pausedRun;
  if (!progress.paused || !run) return progress;
  try {
    await withTimeout(client, timeoutMs, `fetching the failure of ${run}`, () =>
      client.workflow.getHandle(run).result(),
    );
    return progress;
  } catch (error) {
    let root: unknown = error;
    while (root instanceof Error && root.cause instanceof Error) root = root.cause;
    const message = root instanceof Error ? root.message : undefined;
    if (!message || error instanceof UnreachableError) return progress;
    return { ...progress, pausedReason: `${message}; ${progress.pausedReason ?? 'failed'} in ${run}` };
  }
}

/** The running backfills of these tenants (running includes paused: a paused backfill waits for a signal). */
export async function backfillLines(client: Client, tenantIds: string[], timeoutMs: number): Promise<string[]> {
  if (!tenantIds.length) return [];
  // Tenant ids are validated ([a-z0-9-]), so quoting them in the visibility query is safe.
  const query =
    `WorkflowType = 'backfillWorkflow' AND ExecutionStatus = 'Running' AND ` +
    `TenantId IN (${tenantIds.map((t) => `'${t}'`).join(', ')})`;
  const ids = await withTimeout(client, timeoutMs, 'listing running backfills', async () => {
    const found: string[] = [];
    for await (const execution of client.workflow.list({ query })) found.push(execution.workflowId);
    return found;
  });
  return Promise.all(
    ids.sort().map(async (id) => {
      try {
        const reach = await reachWorkflow(client, id, timeoutMs);
        if (reach.status !== 'found')
          return `  ${id}  state unknown: ${reach.status === 'no-worker' ? reach.message : reach.status === 'closed' ? reach.closeStatus : 'gone'}`;
        const progress = await withTimeout(client, timeoutMs, `querying ${id}`, () =>
          client.workflow.getHandle(id).query(backfillProgressQuery),
        ).then((p) => explainPause(client, p, timeoutMs));
        return `  ${id}  ${formatBackfillProgress(id, progress)}`;
      } catch (error) {
        return `  ${id}  state unknown: ${reason(error)}`;
      }
    }),
  );
}
