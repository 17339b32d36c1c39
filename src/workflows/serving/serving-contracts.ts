import { assertDay } from '../../common/days';
import { InvalidInputError } from '../../common/errors';
import { assertPipelineVersion } from '../../common/ids';
import type { RunKind } from '../../common/search-attributes';
import { assertTenantId } from '../../common/tenant-id';

/**
 * Serving account documents from Elasticsearch (issue 5 item 7, issue 6 item 4).
 *
 *   index  <prefix>-accounts-<pipelineVersion>.<tenantId>       latest view: one document per account (id accountId)
 *   alias  <prefix>-accounts-<tenantId>                          the served alias: exactly one version's index
 *   index  <prefix>-account-days-<pipelineVersion>.<tenantId>   history: one document per account and day
 *                                                                (id accountId/day), for charts over days
 *   alias  <prefix>-account-days-<tenantId>                      the served history: the same version as the served alias
 *
 * The dot is deliberate: tenant ids and versions may both contain '-', so with a '-' between them
 * version `v2` of tenant `rc-x` and version `v2-rc` of tenant `x` would share an index, and tenant
 * `v1-acme`'s alias would be the name of tenant `acme`'s v1 index. Neither part can contain a dot,
 * so index names are unambiguous and never equal an alias name.
 */

const INDEX_PREFIX = /^[a-z0-9][a-z0-9-]{0,99}$/;

export function assertIndexPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || !INDEX_PREFIX.test(prefix))
    throw new InvalidInputError(`index prefix ${JSON.stringify(prefix)} is invalid: use [a-z0-9-], at most 100 chars`);
  return prefix;
}

export function servingIndexName(prefix: string, tenantId: string, pipelineVersion: string): string {
  return `${assertIndexPrefix(prefix)}-accounts-${assertPipelineVersion(pipelineVersion)}.${assertTenantId(tenantId)}`;
}

/** Every serving index of one tenant, whatever the version (and no other tenant's). */
export function servingIndexPattern(prefix: string, tenantId: string): string {
  return `${assertIndexPrefix(prefix)}-accounts-*.${assertTenantId(tenantId)}`;
}

export function servedAliasName(prefix: string, tenantId: string): string {
  return `${assertIndexPrefix(prefix)}-accounts-${assertTenantId(tenantId)}`;
}

/** The pipeline version of one of the tenant's serving indices, or undefined for any other name. */
export function pipelineVersionOfIndex(prefix: string, tenantId: string, index: string): string | undefined {
  const head = `${assertIndexPrefix(prefix)}-accounts-`;
  const tail = `.${assertTenantId(tenantId)}`;
  if (!index.startsWith(head) || !index.endsWith(tail)) return undefined;
  const version = index.slice(head.length, index.length - tail.length);
  return /^[a-z0-9][a-z0-9-]{0,30}$/.test(version) ? version : undefined;
}

/** The history index of a tenant and version: one document per account and day. */
export function historyIndexName(prefix: string, tenantId: string, pipelineVersion: string): string {
  return `${assertIndexPrefix(prefix)}-account-days-${assertPipelineVersion(pipelineVersion)}.${assertTenantId(tenantId)}`;
}

/** The served history alias; it always serves the same version as servedAliasName. */
export function historyAliasName(prefix: string, tenantId: string): string {
  return `${assertIndexPrefix(prefix)}-account-days-${assertTenantId(tenantId)}`;
}

/** A history document's id: the same account and day always get the same id, so a rerun overwrites. */
export function historyDocumentId(accountId: string, day: string): string {
  return `${accountId}/${assertDay(day)}`;
}

/**
 * The generation of the index mapping, kept in each index's `_meta.daybreakMapping`. An index of an
 * earlier generation cannot take the current mapping in place (a date field's format cannot change),
 * so ensureServingIndex migrates it: copy to `<index>.migrating`, recreate, copy back, keeping the
 * documents' versions and moving its aliases atomically at each step.
 *   1  (no _meta) dates as epoch millis only (`day` strict_date); no account attributes
 *   2  every date accepts ISO dates and epoch millis; plan, contractValue, renewalDate, seats
 */
export const MAPPING_GENERATION = 2;
export const MIGRATING_SUFFIX = '.migrating';

/**
 * The account attributes a served document carries (from the run's attribute snapshot,
 * src/schemas/account-attributes.avsc); null when the snapshot has no row for the account.
 */
export interface ServedAccountAttributes {
  plan: string | null;
  contractValue: number | null;
  /** ISO date. */
  renewalDate: string | null;
  seats: number | null;
}

export const SERVED_ATTRIBUTE_FIELDS = ['plan', 'contractValue', 'renewalDate', 'seats'] as const;

/**
 * The external document version of a day's documents: YYYYMMDD, so a later day always has a
 * higher version and Elasticsearch refuses to let an older day's rerun overwrite it.
 */
export function dayDocumentVersion(day: string): number {
  return Number(assertDay(day).replace(/-/g, ''));
}

export interface TenantVersionInput {
  tenantId: string;
  pipelineVersion: string;
}

export interface EnsureServingIndexResult {
  index: string;
  created: boolean;
}

export interface EnsureServedAliasResult {
  alias: string;
  /** The index the alias points at after the call (the existing one when the tenant had an alias). */
  index: string;
  pipelineVersion: string;
  created: boolean;
}

export interface IndexAccountDocumentsInput {
  tenantId: string;
  day: string;
  pipelineVersion: string;
  runKind: RunKind;
  /** The run's accounts.avro (outputKey(..., 'accounts.avro')). */
  documentsKey: string;
}

export interface IndexAccountDocumentsResult {
  index: string;
  /** Documents written (created or replaced by the same or a later day). */
  indexed: number;
  /** Documents refused because the index already holds that account for a later day. */
  skippedStale: number;
  /** The activity attempt that indexed (the run ledger's task attempts); absent outside a worker. */
  attempt?: number;
  /** The version's history index, and the day's documents written there (every one, by accountId/day). */
  historyIndex?: string;
  historyIndexed?: number;
}

export interface SwapServedAliasInput {
  tenantId: string;
  toPipelineVersion: string;
}

export interface SwapServedAliasResult {
  alias: string;
  /** Where the alias pointed before; null when the tenant had no served alias. */
  fromIndex: string | null;
  fromPipelineVersion: string | null;
  toIndex: string;
  toPipelineVersion: string;
  /** The history alias, moved in the same atomic call to the version's history index. */
  historyAlias?: string;
  toHistoryIndex?: string;
}

export interface ServedVersionInput {
  tenantId: string;
}

export interface ServedVersionResult {
  alias: string;
  index: string | null;
  pipelineVersion: string | null;
}

export interface SetupTenantServingInput {
  tenantId: string;
  /** Every version the tenant runs (primary and shadow); each gets its index. */
  pipelineVersions: string[];
  /** The version the alias points at when the tenant has no alias yet. */
  servedVersion: string;
}

export interface SetupTenantServingResult {
  alias: string;
  indices: string[];
  /** Indices created by this call (empty on a rerun). */
  createdIndices: string[];
  /** Where the alias points after the call; an existing alias is never moved by setup. */
  servedIndex: string;
  servedPipelineVersion: string;
  aliasCreated: boolean;
}

/** The serving activities (src/activities/serving/serving.ts), as workflows proxy them. */
export interface ServingActivities {
  ensureServingIndex(input: TenantVersionInput): Promise<EnsureServingIndexResult>;
  ensureServedAlias(input: TenantVersionInput): Promise<EnsureServedAliasResult>;
  indexAccountDocuments(input: IndexAccountDocumentsInput): Promise<IndexAccountDocumentsResult>;
  swapServedAlias(input: SwapServedAliasInput): Promise<SwapServedAliasResult>;
  servedVersion(input: ServedVersionInput): Promise<ServedVersionResult>;
  setupTenantServing(input: SetupTenantServingInput): Promise<SetupTenantServingResult>;
}
