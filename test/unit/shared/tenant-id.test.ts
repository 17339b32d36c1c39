import { describe, expect, it } from 'vitest';
import { assertTenantId, isValidTenantId } from '../../../src/common/tenant-id';
import { InvalidInputError } from '../../../src/common/errors';

describe('tenant ids', () => {
  it.each(['acme', 'a', '0', 'acme-eu-2', 'x'.repeat(63)])('accepts %s', (id) => {
    expect(isValidTenantId(id)).toBe(true);
    expect(assertTenantId(id)).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['upper case', 'Acme'],
    ['path traversal', '../acme'],
    ['slash', 'acme/eu'],
    ['wildcard that would match other indices', 'acme*'],
    ['leading dash', '-acme'],
    ['trailing dash', 'acme-'],
    ['too long', 'x'.repeat(64)],
    ['unicode look-alike', 'аcme'],
    ['not a string', 42],
  ])('rejects %s', (_what, id) => {
    expect(isValidTenantId(id)).toBe(false);
    expect(() => assertTenantId(id)).toThrow(InvalidInputError);
  });

  it('names the offending value in the error', () => {
    expect(() => assertTenantId('Bad/Id', '--tenant')).toThrow(/--tenant "Bad\/Id" is invalid/);
  });
});
