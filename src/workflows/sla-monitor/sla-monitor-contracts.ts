import type { Alert } from '../alerts/alerts';
import { InvalidInputError } from '../../common/errors';
import type { OpenMiss } from './freshness-sla';

/** The arguments the `<prefix>-sla-monitor` schedule starts slaMonitorWorkflow with (set by `tenants sync`). */
export interface SlaMonitorInput {
  /** Names the monitor's state object (slaMonitorStateKey); one per schedule prefix. */
  monitorId: string;
  /** Only for a manual start; a scheduled start checks as of its scheduled time. */
  asOf?: string;
}

export interface SlaMonitorResult {
  asOf: string;
  checked: number;
  /** The alerts this check raised (sla-missed, sla-recovered). */
  alerts: Alert[];
  /** The days late and already alerted after this check. */
  open: OpenMiss[];
}

export interface CheckFreshnessInput {
  monitorId: string;
  asOfMs: number;
}

export interface CheckFreshnessResult {
  checked: number;
  alerts: Alert[];
  open: OpenMiss[];
}

export interface SaveOpenMissesInput {
  monitorId: string;
  open: OpenMiss[];
}

/** `sla-monitor/<monitorId>/open-misses.json`: the monitor's memory of the days it has alerted late. */
export function slaMonitorStateKey(monitorId: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(monitorId))
    throw new InvalidInputError(`SLA monitor id ${JSON.stringify(monitorId)} must be 1-63 characters of [a-z0-9-]`);
  return `sla-monitor/${monitorId}/open-misses.json`;
}
