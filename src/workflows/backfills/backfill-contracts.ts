import type { TenantSettings } from '../lanes/lane-contracts';

export interface BackfillInput {
  tenantId: string;
  fromDay: string;
  toDay: string;
  tenant: TenantSettings;
  /**
   * After the last day, the lane recomputes, in order, the later days the backfill made stale
   * (`daybreak status` shows the cascade); without it they are listed as stale.
   */
  cascade?: boolean;
}

export interface BackfillProgress {
  tenantId: string;
  total: number;
  completed: string[];
  /** Days that failed at some point (a resumed day may appear here and in completed). */
  failed: string[];
  current?: string;
  paused: boolean;
  /** Why the backfill paused on `current` (the failed run's error), while paused. */
  pausedReason?: string;
  /** The failed tenant-day run the backfill paused on (its workflow id), while paused. */
  pausedRun?: string;
  /** Days an operator skipped after they failed (`daybreak backfill ... --skip`): not recomputed. */
  skipped?: string[];
}
