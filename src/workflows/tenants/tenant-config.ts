import type { DataChecksConfig } from '../data-checks/data-check-contracts';
import { parseDataChecks } from '../data-checks/data-check-contracts';
import { closestName } from '../../common/did-you-mean';
import { InvalidInputError } from '../../common/errors';
import { timeZoneProblem } from '../../common/time-zone';
import { isValidTenantId } from '../../common/tenant-id';

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
  /**
   * Freshness SLA: hours after the run hour by which the day must be served (freshness-sla.ts);
   * absent: DEFAULT_SLA_HOURS.
   */
  slaHours?: number;
  /** Data checks before serving (data-checks.ts): severity and thresholds; absent: DEFAULT_DATA_CHECKS. */
  checks?: DataChecksConfig;
}

export interface TenantsFile {
  tenants: TenantConfig[];
}

/** The keys a tenant entry may have; any other key is refused (a typo would otherwise be silently ignored). */
export const TENANT_KEYS = [
  'id',
  'displayName',
  'timeZone',
  'runHour',
  'enabled',
  'planTier',
  'badDataPolicy',
  'slaHours',
  'checks',
] as const;

/** One thing wrong with a tenants file: which entry, which field, what is wrong. */
export interface TenantsFileProblem {
  /** Index in the `tenants` array; undefined for a problem with the file itself. */
  index?: number;
  tenantId?: string;
  field?: string;
  message: string;
}

/** Every problem of a tenants file at once, so one edit can fix them all. */
export class TenantsFileError extends InvalidInputError {
  constructor(
    readonly source: string,
    readonly problems: TenantsFileProblem[],
  ) {
    super(
      problems.length === 1
        ? `${source}: ${describeProblem(problems[0])}`
        : `${source}: ${problems.length} problems:\n${problems.map((p) => `  ${describeProblem(p)}`).join('\n')}`,
    );
  }
}

function describeProblem(p: TenantsFileProblem): string {
  if (p.index === undefined) return p.message;
  return `tenants[${p.index}]${p.tenantId !== undefined ? ` (${JSON.stringify(p.tenantId)})` : ''}: ${p.message}`;
}

/**
 * Validates a parsed tenants file and reports every problem in one TenantsFileError. Each problem
 * names the entry (index and id) and the field; an invalid id is refused because ids become object
 * keys, index names and workflow ids.
 */
export function parseTenantsFile(raw: unknown, source = 'tenants file'): TenantsFile {
  if (typeof raw !== 'object' || raw === null || !Array.isArray((raw as { tenants?: unknown }).tenants)) {
    throw new TenantsFileError(source, [{ message: 'expected an object with a "tenants" array' }]);
  }
  const problems: TenantsFileProblem[] = [];
  for (const key of Object.keys(raw)) {
    if (key !== 'tenants') problems.push({ field: key, message: unknownKey(key, ['tenants']) });
  }
  const entries = (raw as { tenants: unknown[] }).tenants;
  const seen = new Set<string>();
  const tenants = entries.map((entry, index): TenantConfig => {
    const isObject = typeof entry === 'object' && entry !== null && !Array.isArray(entry);
    const e = (isObject ? entry : {}) as Record<string, unknown>;
    const tenantId = typeof e.id === 'string' ? e.id : undefined;
    const fail = (field: string | undefined, message: string) => problems.push({ index, tenantId, field, message });
    if (!isObject) fail(undefined, `expected an object, got ${JSON.stringify(entry)}`);
    for (const key of Object.keys(e)) {
      if (!(TENANT_KEYS as readonly string[]).includes(key)) fail(key, unknownKey(key, TENANT_KEYS));
    }
    if (!isValidTenantId(e.id))
      fail('id', `id ${JSON.stringify(e.id)} must be 1-63 characters of [a-z0-9-], not starting or ending with '-'`);
    else if (seen.has(e.id)) fail('id', `duplicate id ${JSON.stringify(e.id)}`);
    else seen.add(e.id);
    const zoneProblem = timeZoneProblem(e.timeZone);
    if (zoneProblem) fail('timeZone', `timeZone ${zoneProblem}`);
    const runHour = e.runHour ?? 0;
    if (typeof runHour !== 'number' || !Number.isInteger(runHour) || runHour < 0 || runHour > 23)
      fail('runHour', `runHour ${JSON.stringify(runHour)} must be an integer 0-23`);
    const planTier = e.planTier ?? 'standard';
    if (!PLAN_TIERS.includes(planTier as PlanTier))
      fail('planTier', `planTier ${JSON.stringify(planTier)} must be one of ${PLAN_TIERS.join(', ')}`);
    const badDataPolicy = e.badDataPolicy ?? 'quarantine';
    if (badDataPolicy !== 'fail' && badDataPolicy !== 'quarantine')
      fail('badDataPolicy', `badDataPolicy ${JSON.stringify(badDataPolicy)} must be "fail" or "quarantine"`);
    if (e.slaHours !== undefined && !(typeof e.slaHours === 'number' && e.slaHours > 0 && e.slaHours <= 168))
      fail('slaHours', `slaHours ${JSON.stringify(e.slaHours)} must be a number of hours above 0 and at most 168`);
    const checks = e.checks === undefined ? undefined : parseDataChecks(e.checks, fail);
    if (e.enabled !== undefined && typeof e.enabled !== 'boolean') fail('enabled', `enabled must be true or false`);
    if (e.displayName !== undefined && typeof e.displayName !== 'string')
      fail('displayName', `displayName must be a string`);
    return {
      id: e.id as string,
      displayName: (e.displayName as string | undefined) ?? (e.id as string),
      timeZone: e.timeZone as string,
      runHour: runHour as number,
      enabled: (e.enabled as boolean | undefined) ?? true,
      planTier: planTier as PlanTier,
      badDataPolicy: badDataPolicy as BadDataPolicy,
      ...(e.slaHours !== undefined ? { slaHours: e.slaHours as number } : {}),
      ...(checks ? { checks } : {}),
    };
  });
  if (problems.length) throw new TenantsFileError(source, problems);
  return { tenants };
}

function unknownKey(key: string, known: readonly string[]): string {
  const near = closestName(key, known);
  return `unknown key ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; allowed: ${known.join(', ')}`;
}
