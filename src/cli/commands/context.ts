import type { Client } from '@temporalio/client';
import type { LaneDefaults } from '../../client/lanes';
import type { TenantConfig } from '../../shared/tenant-config';
import { createTemporalClient } from '../../workers/clients';
import type { DaybreakConfig } from '../../workers/config';
import { readConfig } from '../../workers/config';
import { loadTenantsFile } from '../../workers/tenants';

/** What most commands need: configuration, a Temporal client, the tenants file, lane defaults. */
export interface CliContext {
  config: DaybreakConfig;
  client: Client;
  tenants: TenantConfig[];
  laneDefaults: LaneDefaults;
  tenant(id: string): TenantConfig;
  close(): Promise<void>;
}

export async function cliContext(tenantsFile?: string): Promise<CliContext> {
  const config = readConfig();
  const { tenants } = await loadTenantsFile(tenantsFile ?? config.pipeline.tenantsFile);
  const client = await createTemporalClient(config.temporal);
  return {
    config,
    client,
    tenants,
    laneDefaults: { taskQueue: config.temporal.taskQueue, primaryVersion: config.pipeline.defaultPrimaryVersion },
    tenant(id: string) {
      const found = tenants.find((t) => t.id === id);
      if (!found) throw new Error(`tenant ${JSON.stringify(id)} is not in ${config.pipeline.tenantsFile}`);
      return found;
    },
    close: () => client.connection.close(),
  };
}

export function webUiLink(config: DaybreakConfig, workflowId?: string): string {
  const base = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`;
  return workflowId ? `${base}/${encodeURIComponent(workflowId)}` : base;
}
