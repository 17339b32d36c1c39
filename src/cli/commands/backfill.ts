import { WorkflowIdReusePolicy } from '@temporalio/client';
import { laneState } from '../../client/lanes';
import { addDays, assertDay } from '../../shared/days';
import { backfillWorkflowId } from '../../shared/ids';
import { TenantIdKey, TriggerKey } from '../../shared/search-attributes';
import { backfillProgressQuery, backfillWorkflow, resumeBackfillSignal } from '../../workflows/backfill';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { requireOption } from '../command';
import { TENANTS_FILE_OPTION, cliContext, webUiLink } from './context';

export const backfillCommand: Command = {
  spec: {
    name: 'backfill',
    description: `Recomputes a range of days in order, at backfill priority, through the tenant's lane.
--dry-run lists the days and which already completed; --resume retries a paused backfill;
--cascade then recomputes, in order, the later days the backfill makes stale (see status).`,
    options: [
      { name: 'tenant', placeholder: 'T', required: true, description: 'the tenant' },
      { name: 'from', placeholder: 'YYYY-MM-DD', required: true, description: 'first day' },
      { name: 'to', placeholder: 'YYYY-MM-DD', required: true, description: 'last day (inclusive)' },
      { name: 'dry-run', kind: 'boolean', description: 'lists the days and what would run; starts nothing' },
      { name: 'resume', kind: 'boolean', description: 'retries the paused backfill of this range' },
      { name: 'wait', kind: 'boolean', description: 'waits for the backfill to finish' },
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
      if (args.has('dry-run')) {
        let completed = new Set<string>();
        try {
          completed = new Set((await laneState(ctx.client, tenant.id)).completedDailyDays);
        } catch {
          // no lane yet: nothing has run
        }
        for (let day = from; day <= to; day = addDays(day, 1)) {
          console.log(`${day}  ${completed.has(day) ? 'daily run completed; would recompute' : 'would compute'}`);
        }
        console.log(`dry run: nothing started (workflow id would be ${workflowId})`);
        return;
      }
      if (args.has('resume')) {
        await ctx.client.workflow.getHandle(workflowId).signal(resumeBackfillSignal);
        console.log(`resumed ${workflowId}`);
        return;
      }
      const handle = await ctx.client.workflow.start(backfillWorkflow, {
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
      });
      console.log(`started ${workflowId}: ${webUiLink(ctx.config, workflowId)}`);
      if (args.has('wait')) {
        const result = await handle.result();
        console.log(`completed ${result.completed.length}/${result.total} days`);
      } else {
        const progress = await handle.query(backfillProgressQuery).catch(() => undefined);
        if (progress) console.log(`progress: ${progress.completed.length}/${progress.total}`);
      }
    } finally {
      await ctx.close();
    }
  },
};
