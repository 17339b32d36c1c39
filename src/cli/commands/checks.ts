import type { Client } from '@temporalio/client';
import { UnreachableError, withTimeout } from '../../client/reachability';
import { PIPELINE_VERSIONS } from '../../metrics/pipelines';
import type { ChecksState } from '../../workflows/data-checks/data-check-contracts';
import { assertDay } from '../../common/days';
import { assertPipelineVersion, tenantDayWorkflowId } from '../../common/ids';
import { checksStateQuery, releaseChecksUpdate } from '../../workflows/data-checks/data-checks-messages';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { numberOption, requireOption } from '../command';
import { QUERY_TIMEOUT_S, TENANTS_FILE_OPTION, cliContext, timeoutOption, webUiLink } from './context';

export const checksCommand: Command = {
  spec: {
    name: 'checks',
    description: `Data checks of a tenant's served days (README, Data checks). release: serves a primary
tenant-day its checks blocked (it waits for this; the served alias keeps the previous documents until then).`,
    subcommands: [
      {
        name: 'release',
        required: ['tenant', 'day', 'by', 'reason'],
        description: 'serves a tenant-day blocked by its data checks',
      },
    ],
    options: [
      { name: 'tenant', placeholder: 'T', description: 'the tenant' },
      { name: 'day', placeholder: 'YYYY-MM-DD', description: "the tenant's local day" },
      {
        name: 'version',
        placeholder: 'V',
        description: 'the pipeline version of the blocked run (default: the one that is blocked)',
      },
      { name: 'by', placeholder: 'NAME', description: 'who releases it (kept in the run result)' },
      { name: 'reason', placeholder: 'TEXT', description: 'why the day may be served (kept in the run result)' },
      timeoutOption(QUERY_TIMEOUT_S, 'the tenant-day to answer'),
      TENANTS_FILE_OPTION,
    ],
  } satisfies CommandSpec,
  async run(args) {
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const tenant = ctx.tenant(requireOption(args, 'tenant'));
      const day = assertDay(requireOption(args, 'day'), '--day');
      const version = args.get('version');
      const versions = version ? [assertPipelineVersion(version)] : [...PIPELINE_VERSIONS];
      const timeoutMs = numberOption(args, 'timeout', QUERY_TIMEOUT_S) * 1000;
      const states = await Promise.all(
        versions.map(async (v) => {
          const workflowId = tenantDayWorkflowId(tenant.id, day, v, 'primary');
          return { version: v, workflowId, state: await checksStateOf(ctx.client, workflowId, timeoutMs) };
        }),
      );
      const blocked = states.filter((s) => s.state === 'blocked');
      if (blocked.length !== 1) {
        const found = states.map((s) => `${s.version}: ${s.state}`).join(', ');
        throw new Error(
          blocked.length === 0
            ? `no primary run of ${tenant.id} ${day} is blocked by its data checks (${found})`
            : `${blocked.length} versions of ${tenant.id} ${day} are blocked (${found}); name one with --version`,
        );
      }
      const { workflowId } = blocked[0];
      const result = await withTimeout(ctx.client, timeoutMs, `for ${workflowId} to accept the release`, () =>
        ctx.client.workflow.getHandle(workflowId).executeUpdate(releaseChecksUpdate, {
          args: [{ by: requireOption(args, 'by'), reason: requireOption(args, 'reason') }],
        }),
      );
      console.log(
        `released ${tenant.id} ${day} (${blocked[0].version}); failed checks ${result.failed.join(', ')}; it is served now`,
      );
      console.log(`run: ${webUiLink(ctx.config, workflowId)}`);
    } finally {
      await ctx.close();
    }
  },
};

/** The run's checks state; 'no run' for a workflow that does not exist or predates the checks. */
async function checksStateOf(
  client: Client,
  workflowId: string,
  timeoutMs: number,
): Promise<ChecksState['state'] | 'no run'> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    const { status } = await withTimeout(client, timeoutMs, `describing ${workflowId}`, () => handle.describe());
    if (status.name !== 'RUNNING') return 'no run';
    const answer = await withTimeout(client, timeoutMs, `for ${workflowId} to answer its checks state`, () =>
      handle.query(checksStateQuery),
    );
    return answer.state;
  } catch (error) {
    if (error instanceof UnreachableError) throw error;
    if (error instanceof Error && /not found|did not register a handler|QueryNotRegistered/i.test(error.message))
      return 'no run';
    throw error;
  }
}
