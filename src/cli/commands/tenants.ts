import { syncTenantSchedules } from '../../client/schedules';
import type { Command } from '../command';
import { cliContext } from './context';

export const tenantsCommand: Command = {
  name: 'tenants',
  usage: `tenants sync [--tenants-file F] | tenants list
      sync: makes the server's schedules match the tenants file (create, update, pause, delete; idempotent),
      registers the hourly reconciler, and sets up each tenant's Elasticsearch index and alias.`,
  async run(args, positionals = []) {
    const sub = positionals[0];
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      if (sub === 'list' || sub === undefined) {
        for (const t of ctx.tenants) {
          console.log(
            `${t.id.padEnd(16)} ${t.timeZone.padEnd(22)} run ${String(t.runHour).padStart(2, '0')}:00  ${t.enabled ? 'enabled ' : 'disabled'} ${t.planTier}  bad data: ${t.badDataPolicy}`,
          );
        }
        return;
      }
      if (sub !== 'sync') throw new Error(`unknown tenants subcommand ${JSON.stringify(sub)}`);
      const result = await syncTenantSchedules(ctx.client, ctx.tenants, { taskQueue: ctx.config.temporal.taskQueue });
      console.log(
        `schedules: created ${result.created.length}, updated ${result.updated.length}, paused ${result.paused.length}, deleted ${result.deleted.length}`,
      );
      for (const [what, ids] of Object.entries(result))
        for (const id of ids as string[]) console.log(`  ${what}: ${id}`);
    } finally {
      await ctx.close();
    }
  },
};
