import { createElasticsearchServingActivities } from '../../activities/serving/serving';
import { ensureSearchAttributes } from '../../client/namespaces';
import { syncTenantSchedules } from '../../client/schedules';
import { createElasticsearchClient, createObjectStore } from '../../workers/clients';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { TENANTS_FILE_OPTION, cliContext, cliTenants } from './context';

export const tenantsCommand: Command = {
  spec: {
    name: 'tenants',
    description: `list: the tenants file's tenants (needs no server).
sync: makes the server's schedules match the tenants file (create, update, pause, delete; idempotent),
registers the hourly reconciler, and sets up each tenant's Elasticsearch indices and alias.
Sync owns every schedule whose id starts with the prefix (default daybreak). It validates the whole
file first and changes nothing if any tenant is invalid; it registers Daybreak's search attributes
in a namespace that lacks them (or prints the command to run when the server refuses).`,
    subcommands: [
      { name: 'list', description: 'lists the tenants (the default)' },
      { name: 'sync', description: 'schedules, reconciler and serving indices to match the file' },
    ],
    defaultSubcommand: 'list',
    options: [
      { name: 'prefix', placeholder: 'P', description: 'sync: the schedule id prefix it owns (default daybreak)' },
      TENANTS_FILE_OPTION,
    ],
  } satisfies CommandSpec,
  async run(args, positionals = []) {
    const sub = positionals[0];
    if (sub === 'list' || sub === undefined) {
      // Listing reads only the tenants file: it needs no server.
      for (const t of (await cliTenants(args.get('tenants-file'))).tenants) {
        console.log(
          `${t.id.padEnd(16)} ${t.timeZone.padEnd(22)} run ${String(t.runHour).padStart(2, '0')}:00  ${t.enabled ? 'enabled ' : 'disabled'} ${t.planTier}  bad data: ${t.badDataPolicy}`,
        );
      }
      return;
    }
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      if (sub !== 'sync') throw new Error(`unknown tenants subcommand ${JSON.stringify(sub)}`);
      // The file was validated whole when it was loaded: an invalid tenant stops sync before any change.
      const attributes = await ensureSearchAttributes(ctx.client.connection, ctx.client.options.namespace, {
        address: ctx.config.temporal.address,
      });
      if (attributes.added.length)
        console.log(
          `search attributes: registered ${attributes.added.join(', ')} in namespace ${ctx.client.options.namespace}`,
        );
      const result = await syncTenantSchedules(ctx.client, ctx.tenants, {
        taskQueue: ctx.config.temporal.taskQueue,
        prefix: args.get('prefix') ?? 'daybreak',
      });
      // Indices and aliases come from setup, not from hand: each version's index, and the served alias.
      const es = createElasticsearchClient(ctx.config.elasticsearch);
      try {
        const serving = createElasticsearchServingActivities({
          es,
          store: await createObjectStore(ctx.config),
          indexPrefix: ctx.config.elasticsearch.indexPrefix,
        });
        for (const tenant of ctx.tenants.filter((t) => t.enabled)) {
          const setup = await serving.setupTenantServing({
            tenantId: tenant.id,
            pipelineVersions: ctx.config.pipeline.versions,
            servedVersion: ctx.config.pipeline.defaultPrimaryVersion,
          });
          console.log(
            `serving ${tenant.id}: alias ${setup.alias} -> ${setup.servedIndex}; created ${setup.createdIndices.length} indices`,
          );
        }
      } finally {
        await es.close();
      }
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
