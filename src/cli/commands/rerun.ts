import { requestRerun } from '../../client/lanes';
import { assertDay } from '../../shared/days';
import { laneWorkflowId } from '../../shared/ids';
import type { Command } from '../command';
import { requireOption } from '../command';
import { cliContext, webUiLink } from './context';

export const rerunCommand: Command = {
  name: 'rerun',
  usage: `rerun --tenant T --day YYYY-MM-DD [--from-task X] [--by NAME] [--cascade]
      Queues an operator rerun of a tenant-day in the tenant's lane (ahead of backfills), optionally
      from a task of the metric graph onward, reusing the earlier tasks' outputs.
      --cascade then recomputes, in order, the later days the rerun makes stale (see status).`,
  async run(args) {
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const tenant = ctx.tenant(requireOption(args, 'tenant'));
      const day = assertDay(requireOption(args, 'day'), '--day');
      const result = await requestRerun(ctx.client, {
        tenantId: tenant.id,
        day,
        fromTask: args.get('from-task'),
        requestedBy: args.get('by') ?? process.env.USER ?? 'operator',
        cascade: args.has('cascade'),
        tenant: { timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy },
        defaults: ctx.laneDefaults,
      });
      console.log(
        result.status === 'queued'
          ? `queued rerun of ${tenant.id} ${day} at position ${result.position}`
          : `a rerun of ${tenant.id} ${day} is already queued or running`,
      );
      console.log(
        args.has('cascade')
          ? 'then the later days it makes stale are recomputed in order (daybreak status shows the cascade)'
          : 'later days it makes stale are listed by daybreak status (rerun with --cascade to recompute them)',
      );
      console.log(`lane: ${webUiLink(ctx.config, laneWorkflowId(tenant.id))}`);
    } finally {
      await ctx.close();
    }
  },
};
