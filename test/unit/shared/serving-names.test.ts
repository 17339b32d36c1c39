import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dayDocumentVersion,
  pipelineVersionOfIndex,
  servedAliasName,
  servingIndexName,
  servingIndexPattern,
} from '../../../src/workflows/serving/serving-contracts';

const part = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);

describe('serving index and alias names', () => {
  it('builds the documented names', () => {
    expect(servingIndexName('daybreak', 'acme', 'v2')).toBe('daybreak-accounts-v2.acme');
    expect(servedAliasName('daybreak', 'acme')).toBe('daybreak-accounts-acme');
    expect(servingIndexPattern('daybreak', 'acme')).toBe('daybreak-accounts-*.acme');
    expect(pipelineVersionOfIndex('daybreak', 'acme', 'daybreak-accounts-v2.acme')).toBe('v2');
    expect(pipelineVersionOfIndex('daybreak', 'acme', 'daybreak-accounts-v2.acme-2')).toBeUndefined();
  });

  it('never gives two tenants the same index, nor a tenant alias the name of any index', () => {
    fc.assert(
      fc.property(part, part, part, part, (t1, v1, t2, v2) => {
        if (t1 !== t2 || v1 !== v2) expect(servingIndexName('p', t1, v1)).not.toBe(servingIndexName('p', t2, v2));
        expect(servedAliasName('p', t1)).not.toBe(servingIndexName('p', t2, v2));
        expect(pipelineVersionOfIndex('p', t1, servingIndexName('p', t2, v2))).toBe(t1 === t2 ? v2 : undefined);
      }),
    );
  });

  it('validates every part before it reaches a name', () => {
    for (const [prefix, tenant, version] of [
      ['Daybreak', 'acme', 'v1'],
      ['daybreak', 'a*', 'v1'],
      ['daybreak', 'acme', 'v1,other'],
      ['daybreak', 'ACME', 'v1'],
    ]) {
      expect(() => servingIndexName(prefix, tenant, version)).toThrow(/invalid/);
    }
  });

  it('versions documents by day, later days higher', () => {
    expect(dayDocumentVersion('2026-11-21')).toBe(20261121);
    expect(dayDocumentVersion('2026-12-01')).toBeGreaterThan(dayDocumentVersion('2026-11-30'));
    expect(() => dayDocumentVersion('2026-13-01')).toThrow(/day/);
  });
});
