import { runDemo } from '../../demo/run-demo';
import { createElasticsearchClient, createObjectStore } from '../../workers/clients';
import { readConfig } from '../../workers/config';
import { installLogger } from '../../workers/logging';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { numberOption } from '../command';
import { TENANTS_FILE_OPTION, cliContext, webUiLink } from './context';
import { formatRolloutTable } from './rollout';

export const demoCommand: Command = {
  spec: {
    name: 'demo',
    description: `The whole story on generated data, with workers in this process: daily v1 runs across time zones,
a v2 rollout in shadow, promotions, a blocked tenant with its CSV, a rollback, and every tenant's stage.`,
    options: [
      { name: 'tenants', kind: 'number', placeholder: 'N', description: 'tenants to generate (default 6)' },
      {
        name: 'events-per-day',
        kind: 'number',
        placeholder: 'E',
        description: 'events per tenant and day (default 3000)',
      },
      { name: 'seed', placeholder: 'S', description: 'seed of the generated data (default "daybreak-demo")' },
      { name: 'start-day', placeholder: 'YYYY-MM-DD', description: 'first generated day (default 2026-03-05)' },
      { name: 'baseline-days', kind: 'number', placeholder: 'N', description: 'days of v1 only (default 2)' },
      { name: 'shadow-days', kind: 'number', placeholder: 'N', description: 'days with v2 in shadow (default 3)' },
      TENANTS_FILE_OPTION,
    ],
  } satisfies CommandSpec,
  async run(args) {
    const config = readConfig();
    // The story is the output; the workers' info logs would bury it.
    installLogger({ format: config.log.format ?? 'pretty', level: config.log.level ?? 'WARN' });
    const ctx = await cliContext(args.get('tenants-file'));
    const store = await createObjectStore(ctx.config);
    const es = createElasticsearchClient(ctx.config.elasticsearch);
    try {
      const result = await runDemo({
        client: ctx.client,
        temporalAddress: ctx.config.temporal.address,
        store,
        es,
        indexPrefix: `${ctx.config.elasticsearch.indexPrefix}-demo`,
        taskQueue: `${ctx.config.temporal.taskQueue}-demo`,
        tenants: numberOption(args, 'tenants', 6),
        eventsPerDay: numberOption(args, 'events-per-day', 3000),
        seed: args.get('seed') ?? 'daybreak-demo',
        startDay: args.get('start-day') ?? '2026-03-05',
        baselineDays: numberOption(args, 'baseline-days', 2),
        shadowDays: numberOption(args, 'shadow-days', 3),
        log: (line) => console.log(line),
      });
      const reportUrl = (key: string) => `${store.description}/${key}`;
      console.log(`\n5. where every tenant stands\n${formatRolloutTable(result.rollout, { reportUrl })}`);
      for (const b of result.blocked)
        if (b.csvKey) console.log(`\nunexpected differences of ${b.tenantId}: ${reportUrl(b.csvKey)}`);
      console.log(`\nWeb UI: ${webUiLink(ctx.config)}`);
      console.log(`  rollout:  ${webUiLink(ctx.config, 'daybreak/rollout/v2')}`);
      console.log(`  a lane:   ${webUiLink(ctx.config, `daybreak/lane/${result.tenants[0].id}`)}`);
      console.log(`  search:   TenantId = "${result.tenants[0].id}" AND RunKind = "shadow"`);
    } finally {
      await es.close();
      await ctx.close();
    }
  },
};
