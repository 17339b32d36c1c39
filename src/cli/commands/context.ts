import type { Client } from '@temporalio/client';
import type { LaneDefaults } from '../../client/lanes';
import type { TenantConfig } from '../../workflows/tenants/tenant-config';
import type { OptionSpec } from '../args';
import { UnreachableError, assertPolled, reachWorkflow } from '../../client/reachability';
import { connectTemporal } from '../../client/reachability';
import { laneWorkflowId } from '../../common/ids';
import type { DaybreakConfig } from '../../workers/config';
import { laneDefaultsOf, readConfig } from '../../workers/config';
import { loadTenantsFile } from '../../workers/tenants';

/** The option of every command that reads the tenants file. */
export const TENANTS_FILE_OPTION: OptionSpec = {
  name: 'tenants-file',
  placeholder: 'F',
  description: 'the tenants file (default DAYBREAK_TENANTS_FILE, or deploy/tenants.json in the clone)',
  common: true,
};

/** How long a status query waits, and the default of `--timeout` for commands that query or ask. */
export const QUERY_TIMEOUT_S = 30;

/** `--timeout S` of a command that waits: the flag, its default in its description. */
export function timeoutOption(defaultSeconds: number, what: string): OptionSpec {
  return {
    name: 'timeout',
    kind: 'number',
    placeholder: 'S',
    description: `seconds to wait for ${what} before giving up (default ${defaultSeconds})`,
  };
}

/** What most commands need: configuration, a Temporal client, the tenants file, lane defaults. */
export interface CliContext {
  config: DaybreakConfig;
  client: Client;
  tenants: TenantConfig[];
  laneDefaults: LaneDefaults;
  tenant(id: string): TenantConfig;
  close(): Promise<void>;
}

/** The configuration and the tenants file, without a server connection (for commands that need none). */
export async function cliTenants(tenantsFile?: string): Promise<Omit<CliContext, 'client' | 'laneDefaults' | 'close'>> {
  const config = readConfig();
  const file = tenantsFile ?? config.pipeline.tenantsFile;
  const { tenants } = await loadTenantsFile(file);
  return {
    config,
    tenants,
    tenant(id: string) {
      const found = tenants.find((t) => t.id === id);
      if (!found) throw new Error(`tenant ${JSON.stringify(id)} is not in ${file}`);
      return found;
    },
  };
}

export async function cliContext(tenantsFile?: string): Promise<CliContext> {
  const base = await cliTenants(tenantsFile);
  const client = await connectTemporal(base.config.temporal);
  return {
    ...base,
    client,
    laneDefaults: laneDefaultsOf(base.config),
    close: () => client.connection.close(),
  };
}

/**
 * Refuses a request nobody would take: the tenant's lane runs on a queue no worker polls (a lane
 * started by a test or an old configuration), or there is no lane and nothing polls the queue a new
 * one would start on. Without this check the request waits until its timeout, silently.
 */
export async function assertLaneServed(ctx: CliContext, tenantId: string, timeoutMs: number): Promise<void> {
  const reach = await reachWorkflow(ctx.client, laneWorkflowId(tenantId), timeoutMs);
  if (reach.status === 'no-worker') throw new UnreachableError(`lane of ${tenantId} unreachable: ${reach.message}`);
  if (reach.status !== 'found' || !reach.running) await assertPolled(ctx.client, ctx.laneDefaults.taskQueue);
}

export function webUiLink(config: DaybreakConfig, workflowId?: string): string {
  const base = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`;
  return workflowId ? `${base}/${encodeURIComponent(workflowId)}` : base;
}
