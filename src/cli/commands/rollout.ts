import { UnreachableError, assertPolled, reachWorkflow, withTimeout } from '../../client/reachability';
import { startRollout } from '../../client/rollouts';
import { assertRolloutInput } from '../../workflows/request-validation';
import { rolloutWorkflowId } from '../../common/ids';
import { assertPipelineVersion } from '../../common/ids';
import type { rolloutWorkflow } from '../../workflows/rollouts/rollout';
import {
  endUpdate,
  finishUpdate,
  promoteUpdate,
  resumeUpdate,
  rollbackUpdate,
  rolloutStateQuery,
} from '../../workflows/rollouts/rollout-signals';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { numberOption, requireOption } from '../command';
import { QUERY_TIMEOUT_S, TENANTS_FILE_OPTION, cliContext, timeoutOption, webUiLink } from './context';
import { formatRolloutTable, reportUrlOf, rolloutActionError } from './rollout-messages';

export { formatRolloutTable } from './rollout-messages';

export const rolloutCommand: Command = {
  spec: {
    name: 'rollout',
    description: 'Shadow-runs a candidate pipeline version next to the live one and promotes it tenant by tenant.',
    subcommands: [
      { name: 'start', required: ['candidate'], description: 'starts the rollout, every chosen tenant in shadow' },
      { name: 'status', required: ['candidate'], description: "each tenant's stage, clean days and last verdict" },
      {
        name: 'promote',
        required: ['candidate', 'tenant', 'reason'],
        description: 'serves the candidate for a tenant',
      },
      { name: 'rollback', required: ['candidate', 'tenant', 'reason'], description: 'serves the baseline again' },
      { name: 'finish', required: ['candidate', 'tenant', 'reason'], description: "ends a tenant's shadow runs" },
      {
        name: 'resume',
        required: ['candidate', 'tenant', 'reason'],
        description: 'a rolled-back tenant back to shadow, clean days from zero',
      },
      {
        name: 'end',
        required: ['candidate', 'reason'],
        description: 'closes a rollout whose tenants are all finished or rolled back',
      },
    ],
    options: [
      { name: 'candidate', placeholder: 'V', description: 'the candidate pipeline version' },
      {
        name: 'baseline',
        placeholder: 'V',
        description: 'start: the version compared against (default DAYBREAK_PRIMARY_VERSION)',
      },
      { name: 'tenants', placeholder: 'a,b', description: 'start: the tenants (default every enabled tenant)' },
      { name: 'policy', placeholder: 'NAME', description: 'start: the comparison policy (default v1-to-<candidate>)' },
      {
        name: 'clean-days',
        kind: 'number',
        placeholder: 'N',
        description: 'start: clean days before a tenant is eligible (default 2)',
      },
      { name: 'auto-promote', kind: 'boolean', description: 'start: promotes eligible tenants without an operator' },
      { name: 'tenant', placeholder: 'T', description: 'promote|rollback|finish|resume: the tenant' },
      {
        name: 'reason',
        placeholder: 'TEXT',
        description: 'promote|rollback|finish|resume|end: why (kept in the audit)',
      },
      { name: 'by', placeholder: 'NAME', description: 'who acts (default $USER)' },
      { name: 'force', kind: 'boolean', description: 'promote without the evidence the validator asks for' },
      timeoutOption(QUERY_TIMEOUT_S, 'the rollout to answer a status or an action'),
      TENANTS_FILE_OPTION,
    ],
  } satisfies CommandSpec,
  async run(args, positionals = []) {
    const sub = positionals[0];
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const candidate = assertPipelineVersion(requireOption(args, 'candidate'));
      const workflowId = rolloutWorkflowId(candidate);
      const handle = ctx.client.workflow.getHandle<typeof rolloutWorkflow>(workflowId);
      const by = args.get('by') ?? process.env.USER ?? 'operator';
      const reportUrl = reportUrlOf(ctx.config);
      const timeoutMs = numberOption(args, 'timeout', QUERY_TIMEOUT_S) * 1000;
      // A query or update to a workflow no worker serves blocks until its deadline: check the queue first.
      const reachable = async () => {
        const reach = await reachWorkflow(ctx.client, workflowId, timeoutMs);
        if (reach.status === 'not-found') throw new Error(`no rollout of ${candidate} (${workflowId} not found)`);
        if (reach.status === 'no-worker')
          throw new UnreachableError(`rollout ${workflowId} unreachable: ${reach.message}`);
        if (reach.status === 'closed')
          throw new UnreachableError(
            `rollout ${workflowId} is ${reach.closeStatus} and no worker polls its task queue ${reach.taskQueue}; start a new one with daybreak rollout start`,
          );
      };
      const refused = (error: unknown) => rolloutActionError(error, { action: sub ?? 'rollout', candidate, reportUrl });
      switch (sub) {
        case 'start': {
          const chosen = args.get('tenants')?.split(',') ?? ctx.tenants.filter((t) => t.enabled).map((t) => t.id);
          const input = {
            candidateVersion: candidate,
            baselineVersion: assertPipelineVersion(args.get('baseline') ?? ctx.config.pipeline.defaultPrimaryVersion),
            tenants: chosen.map((id) => {
              const t = ctx.tenant(id);
              return { tenantId: t.id, tenant: { timeZone: t.timeZone, badDataPolicy: t.badDataPolicy } };
            }),
            policy: {
              comparisonPolicy: args.get('policy') ?? `v1-to-${candidate}`,
              cleanDaysToEligible: numberOption(args, 'clean-days', 2),
              autoPromote: args.has('auto-promote'),
            },
          };
          // Bad requests first (an unknown version or policy), then a rollout nobody would run: it
          // could only show up as a query that never answers.
          assertRolloutInput(input);
          await assertPolled(ctx.client, ctx.config.temporal.taskQueue);
          await startRollout(ctx.client, { taskQueue: ctx.config.temporal.taskQueue, ...input });
          console.log(`started ${workflowId}: ${webUiLink(ctx.config, workflowId)}`);
          return;
        }
        case 'status': {
          await reachable();
          const state = await withTimeout(ctx.client, timeoutMs, `querying ${workflowId}`, () =>
            handle.query(rolloutStateQuery),
          );
          console.log(formatRolloutTable(state, { reportUrl }));
          return;
        }
        case 'promote':
        case 'rollback':
        case 'finish':
        case 'resume': {
          const update = {
            promote: promoteUpdate,
            rollback: rollbackUpdate,
            finish: finishUpdate,
            resume: resumeUpdate,
          }[sub];
          const action = {
            tenantId: requireOption(args, 'tenant'),
            by,
            reason: requireOption(args, 'reason'),
            force: args.has('force'),
          };
          await reachable();
          const result = await withTimeout(ctx.client, timeoutMs, `waiting for ${workflowId} to ${sub}`, () =>
            handle.executeUpdate(update, { args: [action] }),
          ).catch((error: unknown) => {
            throw error instanceof UnreachableError ? error : refused(error);
          });
          console.log(
            `${result.tenantId}: ${result.stage}${result.servedIndex ? ` (serving ${result.servedIndex})` : ''}`,
          );
          return;
        }
        case 'end': {
          await reachable();
          const ended = await withTimeout(ctx.client, timeoutMs, `waiting for ${workflowId} to end`, () =>
            handle.executeUpdate(endUpdate, { args: [{ by, reason: requireOption(args, 'reason') }] }),
          ).catch((error: unknown) => {
            throw error instanceof UnreachableError ? error : refused(error);
          });
          console.log(
            `rollout of ${ended.candidateVersion} ended: ${ended.tenants.map((t) => `${t.tenantId} ${t.stage}`).join(', ')}`,
          );
          return;
        }
        default:
          throw new Error(`rollout needs a subcommand: start, status, promote, rollback, finish, resume or end`);
      }
    } finally {
      await ctx.close();
    }
  },
};
