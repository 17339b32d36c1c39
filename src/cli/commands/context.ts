import type { Client } from '@temporalio/client';
import type { LaneDefaults } from '../../client/lanes';
import type { TenantConfig } from '../../shared/tenant-config';
import type { OptionSpec } from '../args';
import { createTemporalClient } from '../../workers/clients';
import type { DaybreakConfig } from '../../workers/config';
import { readConfig } from '../../workers/config';
import { loadTenantsFile } from '../../workers/tenants';

/** The option of every command that reads the tenants file. */
export const TENANTS_FILE_OPTION: OptionSpec = {
  name: 'tenants-file',
  placeholder: 'F',
  description: 'the tenants file (default DAYBREAK_TENANTS_FILE, or deploy/tenants.json in the clone)',
  common: true,
};

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
  const client = await createTemporalClient(base.config.temporal);
  return {
    ...base,
    client,
    laneDefaults: {
      taskQueue: base.config.temporal.taskQueue,
      primaryVersion: base.config.pipeline.defaultPrimaryVersion,
    },
    close: () => client.connection.close(),
  };
}

export function webUiLink(config: DaybreakConfig, workflowId?: string): string {
  const base = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`;
  return workflowId ? `${base}/${encodeURIComponent(workflowId)}` : base;
}
