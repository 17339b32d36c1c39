import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { laneState } from '../../client/lanes';
import { UnreachableError, assertPolled, reachWorkflow, withTimeout } from '../../client/reachability';
import { addDays, assertDay } from '../../common/days';
import { backfillWorkflowId, laneWorkflowId } from '../../common/ids';
import { TenantIdKey, TriggerKey } from '../../common/search-attributes';
import { backfillWorkflow } from '../../workflows/backfills/backfill';
import {
  backfillProgressQuery,
  resumeBackfillSignal,
  skipBackfillDaySignal,
} from '../../workflows/backfills/backfill-messages';
import type { CommandSpec } from '../args';
import { UsageError } from '../args';
import { watchBackfill } from '../backfill-watch';
import type { Command } from '../command';
import { numberOption, requireOption } from '../command';
import { backfillCommandLine } from '../status-lines';
import type { CliContext } from './context';
import { QUERY_TIMEOUT_S, TENANTS_FILE_OPTION, assertLaneServed, cliContext, webUiLink } from './context';

/** How long `backfill --wait` follows a backfill by default (it goes on after; watch again with --wait). */
export const BACKFILL_WAIT_S = 3600;

/** The days a lane has computed, any kind and any version it tracked: daily runs, reruns and backfills. */
async function computedDays(ctx: CliContext, tenantId: string, timeoutMs: number): Promise<Set<string>> {
  const reach = await reachWorkflow(ctx.client, laneWorkflowId(tenantId), timeoutMs);
  if (reach.status === 'not-found' || reach.status === 'closed') return new Set();
  if (reach.status === 'no-worker') throw new UnreachableError(`lane of ${tenantId} unreachable: ${reach.message}`);
  const state = await withTimeout(ctx.client, timeoutMs, `querying the lane of ${tenantId}`, () =>
    laneState(ctx.client, tenantId),
  );
  const primary = state.computedDays?.[state.versions.primary] ?? [];
  return new Set([...state.completedDailyDays, ...primary]);
}

export const backfillCommand: Command = {
  spec: {
    name: 'backfill',
    description: `Recomputes a range of days in order, at backfill priority, through the tenant's lane.
--dry-run lists the days and which were already computed (daily runs, reruns, backfills);
--wait prints each day as it finishes and exits 1 if the backfill pauses on a failed day;
--resume retries the failed day of a paused backfill, --skip goes on past it;
--cascade then recomputes, in order, the later days the backfill makes stale (see status).`,
    options: [
      { name: 'tenant', placeholder: 'T', required: true, description: 'the tenant' },
      { name: 'from', placeholder: 'YYYY-MM-DD', required: true, description: 'first day' },
      { name: 'to', placeholder: 'YYYY-MM-DD', required: true, description: 'last day (inclusive)' },
      { name: 'dry-run', kind: 'boolean', description: 'lists the days and what would run; starts nothing' },
      { name: 'resume', kind: 'boolean', description: 'retries the failed day of the paused backfill of this range' },
      { name: 'skip', kind: 'boolean', description: 'goes on past the failed day of the paused backfill' },
      {
        name: 'wait',
        kind: 'boolean',
        description: 'prints each day as it finishes; exits 1 when the backfill pauses on a failed day',
      },
      {
        name: 'timeout',
        kind: 'number',
        placeholder: 'S',
        description: `seconds to wait: with --wait for the backfill (default ${BACKFILL_WAIT_S}), else for the server (default ${QUERY_TIMEOUT_S})`,
      },
      { name: 'cascade', kind: 'boolean', description: 'then recomputes the later days it makes stale' },
      TENANTS_FILE_OPTION,
    ],
  } satisfies CommandSpec,
  async run(args) {
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const tenant = ctx.tenant(requireOption(args, 'tenant'));
      const from = assertDay(requireOption(args, 'from'), '--from');
      const to = assertDay(requireOption(args, 'to'), '--to');
      if (from > to) throw new Error(`--from ${from} is after --to ${to}`);
      const workflowId = backfillWorkflowId(tenant.id, from, to);
      const serverTimeoutMs = numberOption(args, 'timeout', QUERY_TIMEOUT_S) * 1000;
      const waitTimeoutMs = numberOption(args, 'timeout', BACKFILL_WAIT_S) * 1000;
      const taskQueue = ctx.config.temporal.taskQueue;
      const watch = () => watchBackfill(ctx.client, { workflowId, taskQueue, timeoutMs: waitTimeoutMs });
      if (args.has('dry-run')) {
        const computed = await computedDays(ctx, tenant.id, serverTimeoutMs);
        for (let day = from; day <= to; day = addDays(day, 1)) {
          console.log(`${day}  ${computed.has(day) ? 'already computed; would recompute' : 'would compute'}`);
        }
        console.log(`dry run: nothing started (workflow id would be ${workflowId})`);
        return;
      }
      if (args.has('resume') || args.has('skip')) {
        if (args.has('resume') && args.has('skip')) throw new UsageError('--resume and --skip exclude each other');
        const reach = await reachWorkflow(ctx.client, workflowId, serverTimeoutMs);
        if (reach.status === 'not-found' || reach.status === 'closed' || (reach.status === 'found' && !reach.running))
          throw new Error(`no running backfill ${workflowId} (daybreak status lists the running ones)`);
        if (reach.status === 'no-worker') throw new UnreachableError(reach.message);
        const handle = ctx.client.workflow.getHandle(workflowId);
        await withTimeout(ctx.client, serverTimeoutMs, `signalling ${workflowId}`, () =>
          handle.signal(args.has('skip') ? skipBackfillDaySignal : resumeBackfillSignal),
        );
        console.log(`${args.has('skip') ? 'skipping the failed day of' : 'resumed'} ${workflowId}`);
        if (args.has('wait')) await watch();
        else console.log(`watch it: ${backfillCommandLine(workflowId, '--wait')}`);
        return;
      }
      // The backfill runs on the coordination queue and its days in the tenant's lane: both need a worker.
      await assertPolled(ctx.client, taskQueue);
      await assertLaneServed(ctx, tenant.id, serverTimeoutMs);
      const started = await withTimeout(ctx.client, serverTimeoutMs, `starting ${workflowId}`, () =>
        ctx.client.workflow.start(backfillWorkflow, {
          workflowId,
          taskQueue: ctx.config.temporal.taskQueue,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
          args: [
            {
              tenantId: tenant.id,
              fromDay: from,
              toDay: to,
              tenant: { timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy },
              cascade: args.has('cascade') || undefined,
            },
          ],
          typedSearchAttributes: [
            { key: TenantIdKey, value: tenant.id },
            { key: TriggerKey, value: 'backfill' },
          ],
          staticSummary: `Backfill of ${tenant.id} from ${from} to ${to}`,
        }),
      ).catch((error: unknown) => {
        if (error instanceof WorkflowExecutionAlreadyStartedError) return undefined;
        throw error;
      });
      if (!started) {
        // The reuse policy refuses a second run of a range that is running or completed.
        const reach = await reachWorkflow(ctx.client, workflowId, serverTimeoutMs);
        if (reach.status === 'closed' || (reach.status === 'found' && !reach.running)) {
          console.log(
            `the backfill ${workflowId} of this range already completed; recompute single days with daybreak rerun`,
          );
          return;
        }
        console.log(
          `a backfill of ${tenant.id} from ${from} to ${to} is already running: ${workflowId}\n` +
            `watch it: ${backfillCommandLine(workflowId, '--wait')}  (${webUiLink(ctx.config, workflowId)})`,
        );
        if (args.has('wait')) await watch();
        return;
      }
      console.log(`started ${workflowId}: ${webUiLink(ctx.config, workflowId)}`);
      if (args.has('wait')) {
        const result = await watch();
        console.log(
          `completed ${result.completed.length}/${result.total} days` +
            (result.skipped?.length ? `, skipped ${result.skipped.join(', ')}` : ''),
        );
      } else {
        const progress = await withTimeout(ctx.client, serverTimeoutMs, `querying ${workflowId}`, () =>
          started.query(backfillProgressQuery),
        ).catch(() => undefined);
        if (progress) console.log(`progress: ${progress.completed.length}/${progress.total}`);
        console.log(`watch it: ${backfillCommandLine(workflowId, '--wait')}`);
      }
    } finally {
      await ctx.close();
    }
  },
};
