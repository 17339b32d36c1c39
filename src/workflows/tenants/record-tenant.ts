/**
 * The tenant check of raw records. A raw file lives under its tenant's prefix (raw/tenant=<t>/…),
 * and every record in it must say the same tenant: a producer that wrote another tenant's records
 * there (a misrouted batch, a shared buffer) would otherwise put them in this tenant's numbers.
 * Pure: the reader (src/schemas/event-reader.ts) calls it for every record it decodes.
 */

/** A record found under one tenant's prefix carrying another tenant's id. */
export interface ForeignTenantRecord {
  /** Byte offset of the record's block in the raw object. */
  blockOffset: number;
  /** The record's position in its block (0-based). */
  index: number;
  eventId: string;
  /** What the record says. */
  tenantId: string;
}

/** Why a record is not the reading tenant's; undefined when it is. */
export function foreignTenantReason(input: { keyTenantId: string; recordTenantId: string }): string | undefined {
  const { keyTenantId, recordTenantId } = input;
  if (recordTenantId === keyTenantId) return undefined;
  return `record tenantId ${JSON.stringify(recordTenantId)} is not ${JSON.stringify(keyTenantId)}, the tenant whose raw prefix holds the object`;
}

/** The error (under badDataPolicy 'fail') for the first foreign record of an object: both tenants, the key, where. */
export function foreignTenantMessage(input: { keyTenantId: string; key: string; record: ForeignTenantRecord }): string {
  const { keyTenantId, key, record } = input;
  const reason = foreignTenantReason({ keyTenantId, recordTenantId: record.tenantId }) ?? 'not foreign';
  return (
    `tenant ${keyTenantId}: object ${key} at byte ${record.blockOffset}: record ${record.index} of the block ` +
    `(eventId ${JSON.stringify(record.eventId)}) belongs to tenant ${record.tenantId}: ${reason}`
  );
}

/** Summary of an object's foreign records, as its BadDataProblem reason. */
export function foreignTenantSummary(input: { keyTenantId: string; records: ForeignTenantRecord[] }): string {
  const tenants = [...new Set(input.records.map((r) => r.tenantId))].sort();
  return (
    `${input.records.length} record(s) of tenant(s) ${tenants.join(', ')} under the raw prefix of tenant ` +
    `${input.keyTenantId}: quarantined, not counted as ${input.keyTenantId}'s`
  );
}

/**
 * The quarantine object for an object's foreign records: JSON Lines, one line per record, each
 * saying where the record is in the source object and why it was quarantined. The source object
 * itself is left in place, so the records can be re-filed under their own tenant from it.
 */
export function foreignTenantQuarantine(input: {
  keyTenantId: string;
  key: string;
  records: ForeignTenantRecord[];
}): string {
  const { keyTenantId, key } = input;
  return input.records
    .map((r) =>
      JSON.stringify({
        reason: foreignTenantReason({ keyTenantId, recordTenantId: r.tenantId }),
        key,
        blockOffset: r.blockOffset,
        index: r.index,
        eventId: r.eventId,
        tenantId: r.tenantId,
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** The quarantine file name (under quarantineKey(tenant, day, key, …)) of an object's foreign records. */
export const FOREIGN_TENANT_FILE = 'foreign-tenant.jsonl';
