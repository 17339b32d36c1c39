import { requestRerun } from '../../client/lanes';
import { withTimeout } from '../../client/reachability';
import { assertDay } from '../../common/days';
import { laneWorkflowId } from '../../common/ids';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { numberOption, requireOption } from '../command';
import {
  QUERY_TIMEOUT_S,
  TENANTS_FILE_OPTION,
  assertLaneServed,
  cliContext,
  timeoutOption,
  webUiLink,
} from './context';

export const rerunCommand: Command = {
  spec: {
    name: 'rerun',
    description: `Queues an operator rerun of a tenant-day in the tenant's lane (ahead of backfills), optionally
from a task of the metric graph onward, reusing the earlier tasks' outputs.
--cascade then recomputes, in order, the later days the rerun makes stale (see status).`,
    options: [
      { name: 'tenant', placeholder: 'T', required: true, description: 'the tenant' },
      { name: 'day', placeholder: 'YYYY-MM-DD', required: true, description: "the tenant's local day" },
      { name: 'from-task', placeholder: 'X', description: 'reruns from this task of the metric graph onward' },
      { name: 'by', placeholder: 'NAME', description: 'who asked (default $USER)' },
      { name: 'cascade', kind: 'boolean', description: 'then recomputes the later days it makes stale' },
      timeoutOption(QUERY_TIMEOUT_S, 'the lane to accept the rerun'),
      TENANTS_FILE_OPTION,
    ],
  } satisfies CommandSpec,
  async run(args) {
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const tenant = ctx.tenant(requireOption(args, 'tenant'));
      const day = assertDay(requireOption(args, 'day'), '--day');
      const timeoutMs = numberOption(args, 'timeout', QUERY_TIMEOUT_S) * 1000;
      await assertLaneServed(ctx, tenant.id, timeoutMs);
      const lane = laneWorkflowId(tenant.id);
      const result = await withTimeout(ctx.client, timeoutMs, `for the lane ${lane} to accept the rerun`, () =>
        requestRerun(ctx.client, {
          tenantId: tenant.id,
          day,
          fromTask: args.get('from-task'),
          requestedBy: args.get('by') ?? process.env.USER ?? 'operator',
          cascade: args.has('cascade'),
          tenant: { timeZone: tenant.timeZone, badDataPolicy: tenant.badDataPolicy },
          defaults: ctx.laneDefaults,
        }),
      );
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
