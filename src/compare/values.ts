/**
 * The values the comparison sees. Account documents are compared generically: every top-level field
 * of either record is compared by name, and map (or nested record) fields are compared entry by
 * entry under a dotted name (`eventsByType.login`), so fields added to the schema later are compared
 * without a code change.
 */

/** A comparable value; `undefined` means the field (or map entry) is absent on that side. */
export type FieldValue = string | number | boolean | null | undefined;

/** One decoded account document, as a plain record of fields. */
export type AccountRecord = Readonly<Record<string, unknown>>;

/**
 * Fields that say which document this is rather than what it measured: `pipelineVersion` always
 * differs between a primary and a shadow run, and the others are the join key or fixed by the run.
 */
export const IDENTITY_FIELDS: ReadonlySet<string> = new Set(['tenantId', 'accountId', 'day', 'pipelineVersion']);

/** True for values compared entry by entry (Avro maps and nested records). */
export function isNested(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Reduces anything that is not nested to a comparable scalar (arrays and bytes as JSON). */
export function toFieldValue(value: unknown): FieldValue {
  if (value === null || value === undefined) return value;
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    default:
      if (value instanceof Uint8Array) return JSON.stringify(Array.from(value));
      return JSON.stringify(value);
  }
}

/** Strict equality, except that NaN equals NaN (a value that is NaN on both sides did not change). */
export function sameValue(a: FieldValue, b: FieldValue): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}

/** `shadow - primary` when both are finite numbers, otherwise undefined. */
export function numericDelta(primary: FieldValue, shadow: FieldValue): number | undefined {
  if (typeof primary !== 'number' || typeof shadow !== 'number') return undefined;
  const delta = shadow - primary;
  return Number.isFinite(delta) ? delta : undefined;
}
