import { InvalidInputError } from './errors';

/**
 * Tenant ids end up in object keys, index names and workflow ids. Restricting them to a small
 * alphabet is what keeps one tenant's key or index from escaping into another's ("a/../b", "a*").
 */
const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isValidTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID.test(value);
}

/** Returns the id unchanged, or throws naming the offending value and the rule. */
export function assertTenantId(value: unknown, context = 'tenant id'): string {
  if (!isValidTenantId(value)) {
    throw new InvalidInputError(
      `${context} ${JSON.stringify(value)} is invalid: use 1-63 characters of [a-z0-9-], not starting or ending with '-'`,
    );
  }
  return value;
}
