import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accountDocumentMapping } from '../../../src/activities/serving/account-mapping';
import {
  MAPPING_GENERATION,
  historyAliasName,
  historyDocumentId,
  historyIndexName,
  pipelineVersionOfIndex,
  servedAliasName,
  servingIndexName,
} from '../../../src/workflows/serving/serving-contracts';

const part = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);

describe('history index and alias names', () => {
  it('builds the documented names and ids', () => {
    expect(historyIndexName('daybreak', 'acme', 'v2')).toBe('daybreak-account-days-v2.acme');
    expect(historyAliasName('daybreak', 'acme')).toBe('daybreak-account-days-acme');
    expect(historyDocumentId('acct-1', '2026-03-05')).toBe('acct-1/2026-03-05');
    expect(() => historyDocumentId('acct-1', '2026-3-5')).toThrow(/day/);
  });

  it('never collide with a latest-view index or alias, of any tenant and version', () => {
    fc.assert(
      fc.property(part, part, part, part, (t1, v1, t2, v2) => {
        const names = [servingIndexName('p', t2, v2), servedAliasName('p', t2)];
        expect(names).not.toContain(historyIndexName('p', t1, v1));
        expect(names).not.toContain(historyAliasName('p', t1));
        expect(historyAliasName('p', t1)).not.toBe(historyIndexName('p', t2, v2));
        // A history index is never taken for one of a tenant's serving indices.
        expect(pipelineVersionOfIndex('p', t1, historyIndexName('p', t2, v2))).toBeUndefined();
      }),
    );
  });
});

describe('the served mapping', () => {
  it('takes ISO dates and epoch millis in every date field, and maps the account attributes', () => {
    const mapping = accountDocumentMapping();
    expect(mapping._meta).toEqual({ daybreakMapping: MAPPING_GENERATION });
    const p = mapping.properties!;
    for (const field of ['day', 'firstActivityAt', 'lastActivityAt', 'renewalDate'])
      expect(p[field]).toEqual({ type: 'date', format: 'strict_date_optional_time||epoch_millis' });
    expect(p.plan).toEqual({ type: 'keyword' });
    expect(p.contractValue).toEqual({ type: 'double' });
    expect(p.seats).toEqual({ type: 'integer' });
  });
});
