import type { TenantSettings } from './lane-contracts';

export interface BackfillInput {
  tenantId: string;
  fromDay: string;
  toDay: string;
  tenant: TenantSettings;
}

export interface BackfillProgress {
  tenantId: string;
  total: number;
  completed: string[];
  /** Days that failed at some point (a resumed day may appear here and in completed). */
  failed: string[];
  current?: string;
  paused: boolean;
}
