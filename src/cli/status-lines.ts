import type { Client } from '@temporalio/client';
import { describeRunning, laneState } from '../client/lanes';
import { UnreachableError, reachWorkflow, withTimeout } from '../client/reachability';
import { runningActivities } from '../client/run-activities';
import { formatActivityTroubles } from '../workflows/alerts/activity-trouble';
import type { BackfillProgress } from '../workflows/backfills/backfill-contracts';
import { laneWorkflowId, tenantDayWorkflowId } from '../common/ids';
import type { FinishedRun, LaneState } from '../workflows/lanes/lane-contracts';
import { describeRootCause, isWrapperMessage, rootCauseOf } from '../workflows/alerts/root-cause';
import { openFailures } from '../workflows/lanes/run-queue';
import { describeStale } from '../workflows/lanes/stale-days';
import { DEFAULT_SLA_HOURS, describeFreshness, freshnessOf, servedDays } from '../workflows/sla-monitor/freshness-sla';
import type { TenantConfig } from '../workflows/tenants/tenant-config';
import type { TenantDayChecks } from '../workflows/data-checks/data-check-contracts';
import type { TenantDayResult } from '../workflows/tenant-days/tenant-day-contracts';
import { backfillProgressQuery } from '../workflows/backfills/backfill-messages';

/** What the freshness columns need: the tenant's schedule and SLA, and now. */
export interface FreshnessClock {
  tenant: Pick<TenantConfig, 'timeZone' | 'runHour' | 'slaHours'>;
  nowMs: number;
}

/**
 * One lane's line of `daybreak status`, after the tenant and zone columns; with a clock, the last
 * served day and whether the tenant is late against its SLA (the monitor's rule, freshness-sla.ts).
 */
export function formatLaneState(state: LaneState, clock?: FreshnessClock): string {
  const lastCompleted = state.finished.filter((f) => f.status === 'completed').at(-1);
  // A failure a later completion of the same run cleared is not a failure any more.
  const failures = openFailures(state.finished);
  return (
    ` last completed: ${lastCompleted ? `${lastCompleted.day} (${lastCompleted.kind})` : '-'}` +
    `  running: ${describeRunning(state)}` +
    `  queued: ${state.queue.map((r) => `${r.day}/${r.kind}`).join(',') || '-'}` +
    `  retrying: ${state.retrying.length}` +
    `  failed: ${failures.map((f) => f.day).join(',') || '-'}` +
    `  versions: ${state.versions.primary}${state.versions.shadow ? `+shadow ${state.versions.shadow}` : ''}` +
    `  stale: ${describeStale(state)}` +
    (clock ? `  ${freshnessColumns(state, clock)}` : '')
  );
}

function freshnessColumns(state: LaneState, { tenant, nowMs }: FreshnessClock): string {
  const slaHours = tenant.slaHours ?? DEFAULT_SLA_HOURS;
  const freshness = freshnessOf({ asOfMs: nowMs, ...tenant, slaHours, servedDays: servedDays(state) });
  return describeFreshness(freshness, slaHours);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The lane's running tenant-days: the primary child it waits for, and the shadow that primary
 * starts when the lane has a shadow version (ids from src/common/ids.ts, as the lane builds them).
 */
export function runningRunIds(state: Pick<LaneState, 'tenantId' | 'running' | 'versions'>): string[] {
  const run = state.running;
  if (!run) return [];
  const ids = [tenantDayWorkflowId(state.tenantId, run.day, run.pipelineVersion, 'primary')];
  const shadow = run.pipelineVersion === state.versions.primary ? state.versions.shadow : undefined;
  if (shadow) ids.push(tenantDayWorkflowId(state.tenantId, run.day, shadow, 'shadow'));
  return ids;
}

/** One line per failure still open: the day, its run and the root cause the lane recorded. */
export function formatFailures(failures: readonly FinishedRun[]): string[] {
  return failures.map((f) => {
    const cause = describeRootCause({ message: f.error ?? 'no reason recorded', type: f.errorType });
    const attempts = `${f.attempts} attempt${f.attempts === 1 ? '' : 's'}`;
    return `  failed ${f.day} (${f.kind}, ${f.pipelineVersion}, ${attempts}${f.workflowId ? `, ${f.workflowId}` : ''}): ${cause}`;
  });
}

/**
 * A failure recorded by lanes of older code says only "Child Workflow execution failed": its root
 * cause is read from the failed run itself, when that run is still the latest of its id and failed.
 */
async function explainFailure(client: Client, failure: FinishedRun, timeoutMs: number): Promise<FinishedRun> {
  if (!failure.workflowId || !isWrapperMessage(failure.error)) return failure;
  try {
    const handle = client.workflow.getHandle(failure.workflowId);
    // result() of a run that is running again would wait: only a closed, failed run is asked.
    const description = await withTimeout(client, timeoutMs, `describing ${failure.workflowId}`, () =>
      handle.describe(),
    );
    if (description.status.name !== 'FAILED') return failure;
    await withTimeout(client, timeoutMs, `fetching the failure of ${failure.workflowId}`, () => handle.result());
    return failure;
  } catch (error) {
    if (error instanceof UnreachableError) return failure;
    const cause = rootCauseOf(error);
    return { ...failure, error: cause.message, errorType: cause.type ?? failure.errorType };
  }
}

/**
 * The lines under a lane's line: each running tenant-day's activities that are retrying or past
 * their heartbeat timeout, then each open failure with its root cause. A run that cannot be
 * described says so on its line instead of failing the status.
 */
export async function laneDetailLines(
  client: Client,
  state: LaneState,
  timeoutMs: number,
  nowMs: number = Date.now(),
): Promise<string[]> {
  const activityLines = await Promise.all(
    runningRunIds(state).map((workflowId) =>
      runningActivities(client, workflowId, timeoutMs).then(
        (activities) => (activities ? formatActivityTroubles({ workflowId, activities, nowMs }) : []),
        (error: unknown) => [`  ${workflowId} activities unknown: ${reason(error)}`],
      ),
    ),
  );
  const failures = await Promise.all(openFailures(state.finished).map((f) => explainFailure(client, f, timeoutMs)));
  return [...activityLines.flat(), ...formatFailures(failures)];
}

/**
 * The data checks of the lane's last completed primary run, as its result has them: the verdict,
 * and each check that failed with its data-free detail. Nothing for a run without checks (a run
 * before patch data-checks, a rerun from a later task).
 */
export function formatChecks(day: string, checks: TenantDayChecks | undefined): string[] {
  if (!checks) return [];
  const failed = checks.results.filter((r) => !r.passed);
  const history = checks.insufficientHistory ? `, too little history (${checks.baselineDays} days)` : '';
  const released = checks.released ? `, released by ${checks.released.by}` : '';
  return [
    `  checks ${day}: ${checks.verdict}${history}${released}`,
    ...failed.map((r) => `    ${r.check} failed: ${r.detail}`),
  ];
}

/** The last completed run's checks, read from its result; a run that cannot be read shows none. */
async function lastChecksLines(client: Client, state: LaneState, timeoutMs: number): Promise<string[]> {
  const last = state.finished.filter((f) => f.status === 'completed' && f.workflowId).at(-1);
  if (!last) return [];
  try {
    const handle = client.workflow.getHandle(last.workflowId);
    // result() of a run that is running again (a rerun of the day) would wait: only a completed run is asked.
    const description = await withTimeout(client, timeoutMs, `describing ${last.workflowId}`, () => handle.describe());
    if (description.status.name !== 'COMPLETED') return [];
    const result = await withTimeout(
      client,
      timeoutMs,
      `fetching the result of ${last.workflowId}`,
      () => handle.result() as Promise<TenantDayResult>,
    );
    return formatChecks(last.day, result.checks);
  } catch {
    return [];
  }
}

/**
 * A lane's state, or why there is none: "no lane" when the workflow does not exist, "lane
 * unreachable" when it exists but nothing answers (no worker on its queue, or the query timed out).
 * A query to a workflow no worker serves blocks until its deadline, so the queue is checked first.
 */
export async function laneLine(
  client: Client,
  tenantId: string,
  timeoutMs: number,
  clock?: FreshnessClock,
): Promise<string> {
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
    const details = await laneDetailLines(client, state, timeoutMs);
    const checks = await lastChecksLines(client, state, timeoutMs);
    return [formatLaneState(state, clock), ...checks, ...details].join('\n');
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
    const message = error instanceof UnreachableError ? undefined : rootCauseOf(error).message;
    if (!message) return progress;
    // A lane that records root causes already put this one in the reason.
    if (progress.pausedReason?.includes(message))
      return { ...progress, pausedReason: `${progress.pausedReason} in ${run}` };
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
