import { WorkflowIdReusePolicy } from '@temporalio/client';
import { rolloutWorkflowId } from '../../shared/ids';
import type { RolloutState } from '../../shared/rollout-contracts';
import { assertPipelineVersion } from '../../shared/ids';
import { rolloutWorkflow } from '../../workflows/rollout';
import { finishUpdate, promoteUpdate, rollbackUpdate, rolloutStateQuery } from '../../workflows/rollout-signals';
import type { Command } from '../command';
import { numberOption, requireOption } from '../command';
import { cliContext, webUiLink } from './context';

export function formatRolloutTable(state: RolloutState): string {
  const rows = state.tenants.map((t) => {
    const last = t.verdicts.at(-1);
    return `  ${t.tenantId.padEnd(16)} ${t.stage.padEnd(12)} clean days ${String(t.consecutiveClean).padEnd(3)} last verdict ${(last ? `${last.day} ${last.verdict}` : '-').padEnd(36)} ${t.lastUnexpectedCsv ?? ''}`;
  });
  return [
    `rollout of ${state.candidateVersion} (baseline ${state.baselineVersion}, policy ${state.policy.comparisonPolicy})`,
    ...rows,
  ].join('\n');
}

export const rolloutCommand: Command = {
  name: 'rollout',
  usage: `rollout start --candidate V [--baseline V] [--tenants a,b] [--policy NAME] [--clean-days N] [--auto-promote]
  rollout status --candidate V
  rollout promote|rollback|finish --candidate V --tenant T --reason TEXT [--by NAME] [--force]
      Shadow-runs a candidate pipeline version next to the live one and promotes it tenant by tenant.`,
  async run(args, positionals = []) {
    const sub = positionals[0];
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const candidate = assertPipelineVersion(requireOption(args, 'candidate'));
      const workflowId = rolloutWorkflowId(candidate);
      const handle = ctx.client.workflow.getHandle<typeof rolloutWorkflow>(workflowId);
      const by = args.get('by') ?? process.env.USER ?? 'operator';
      switch (sub) {
        case 'start': {
          const chosen = args.get('tenants')?.split(',') ?? ctx.tenants.filter((t) => t.enabled).map((t) => t.id);
          await ctx.client.workflow.start(rolloutWorkflow, {
            workflowId,
            taskQueue: ctx.config.temporal.taskQueue,
            workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
            args: [
              {
                candidateVersion: candidate,
                baselineVersion: assertPipelineVersion(
                  args.get('baseline') ?? ctx.config.pipeline.defaultPrimaryVersion,
                ),
                tenants: chosen.map((id) => {
                  const t = ctx.tenant(id);
                  return { tenantId: t.id, tenant: { timeZone: t.timeZone, badDataPolicy: t.badDataPolicy } };
                }),
                policy: {
                  comparisonPolicy: args.get('policy') ?? `v1-to-${candidate}`,
                  cleanDaysToEligible: numberOption(args, 'clean-days', 2),
                  autoPromote: args.has('auto-promote'),
                },
              },
            ],
            staticSummary: `Rollout of ${candidate}`,
          });
          console.log(`started ${workflowId}: ${webUiLink(ctx.config, workflowId)}`);
          return;
        }
        case 'status':
          console.log(formatRolloutTable(await handle.query(rolloutStateQuery)));
          return;
        case 'promote':
        case 'rollback':
        case 'finish': {
          const update = sub === 'promote' ? promoteUpdate : sub === 'rollback' ? rollbackUpdate : finishUpdate;
          const result = await handle.executeUpdate(update, {
            args: [
              {
                tenantId: requireOption(args, 'tenant'),
                by,
                reason: requireOption(args, 'reason'),
                force: args.has('force'),
              },
            ],
          });
          console.log(
            `${result.tenantId}: ${result.stage}${result.servedIndex ? ` (serving ${result.servedIndex})` : ''}`,
          );
          return;
        }
        default:
          throw new Error(`rollout needs a subcommand: start, status, promote, rollback or finish`);
      }
    } finally {
      await ctx.close();
    }
  },
};
