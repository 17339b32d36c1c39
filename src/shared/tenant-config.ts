import { InvalidInputError } from './errors';
import { isValidTimeZone } from './local-day';
import { isValidTenantId } from './tenant-id';

export const PLAN_TIERS = ['free', 'standard', 'premium', 'enterprise'] as const;
export type PlanTier = (typeof PLAN_TIERS)[number];

/** What to do with a corrupt block or an undecodable record in a tenant's input. */
export type BadDataPolicy = 'fail' | 'quarantine';

export interface TenantConfig {
  id: string;
  displayName: string;
  /** IANA time zone; the tenant's day runs from its local midnight to the next. */
  timeZone: string;
  /** Local hour (0-23) of the day after at which the daily run starts. */
  runHour: number;
  enabled: boolean;
  planTier: PlanTier;
  badDataPolicy: BadDataPolicy;
}

export interface TenantsFile {
  tenants: TenantConfig[];
}

/**
 * Validates a parsed tenants file. Each problem names the entry (index and id) and the field; an
 * invalid id is refused because ids become object keys, index names and workflow ids.
 */
export function parseTenantsFile(raw: unknown, source = 'tenants file'): TenantsFile {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { tenants?: unknown }).tenants)) {
    throw new InvalidInputError(`${source}: expected an object with a "tenants" array`);
  }
  const entries = (raw as { tenants: unknown[] }).tenants;
  const seen = new Set<string>();
  const tenants = entries.map((entry, index): TenantConfig => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
    const where = `${source}: tenants[${index}]${typeof e.id === 'string' ? ` (${JSON.stringify(e.id)})` : ''}`;
    const fail = (message: string): never => {
      throw new InvalidInputError(`${where}: ${message}`);
    };
    if (!isValidTenantId(e.id))
      fail(`id ${JSON.stringify(e.id)} must be 1-63 characters of [a-z0-9-], not starting or ending with '-'`);
    const id = e.id as string;
    if (seen.has(id)) fail(`duplicate id ${JSON.stringify(id)}`);
    seen.add(id);
    if (typeof e.timeZone !== 'string' || !isValidTimeZone(e.timeZone))
      fail(`timeZone ${JSON.stringify(e.timeZone)} is not a known IANA time zone`);
    const runHour = e.runHour ?? 0;
    if (typeof runHour !== 'number' || !Number.isInteger(runHour) || runHour < 0 || runHour > 23)
      fail(`runHour ${JSON.stringify(runHour)} must be an integer 0-23`);
    const planTier = e.planTier ?? 'standard';
    if (!PLAN_TIERS.includes(planTier as PlanTier))
      fail(`planTier ${JSON.stringify(planTier)} must be one of ${PLAN_TIERS.join(', ')}`);
    const badDataPolicy = e.badDataPolicy ?? 'quarantine';
    if (badDataPolicy !== 'fail' && badDataPolicy !== 'quarantine')
      fail(`badDataPolicy ${JSON.stringify(badDataPolicy)} must be "fail" or "quarantine"`);
    if (e.enabled !== undefined && typeof e.enabled !== 'boolean') fail(`enabled must be true or false`);
    if (e.displayName !== undefined && typeof e.displayName !== 'string') fail(`displayName must be a string`);
    return {
      id,
      displayName: (e.displayName as string | undefined) ?? id,
      timeZone: e.timeZone as string,
      runHour: runHour as number,
      enabled: (e.enabled as boolean | undefined) ?? true,
      planTier: planTier as PlanTier,
      badDataPolicy: badDataPolicy as BadDataPolicy,
    };
  });
  return { tenants };
}
