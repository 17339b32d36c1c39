import { describe, expect, it } from 'vitest';
import {
  foreignTenantMessage,
  foreignTenantQuarantine,
  foreignTenantReason,
  foreignTenantSummary,
} from '../../../src/workflows/tenants/record-tenant';

describe('foreignTenantReason', () => {
  it.each([
    ['hooli', 'hooli', undefined],
    ['hooli', 'stark', 'record tenantId "stark" is not "hooli", the tenant whose raw prefix holds the object'],
    // Exact: ids are compared as stored, a case or whitespace difference is another tenant.
    ['hooli', 'Hooli', 'record tenantId "Hooli" is not "hooli", the tenant whose raw prefix holds the object'],
    ['hooli', 'hooli ', 'record tenantId "hooli " is not "hooli", the tenant whose raw prefix holds the object'],
    ['hooli', '', 'record tenantId "" is not "hooli", the tenant whose raw prefix holds the object'],
  ])('key tenant %j, record tenant %j', (keyTenantId, recordTenantId, reason) => {
    expect(foreignTenantReason({ keyTenantId, recordTenantId })).toBe(reason);
  });
});

describe('foreign-tenant messages and quarantine lines', () => {
  const key = 'raw/tenant=hooli/date=2026-03-01/hour=05/part-0.avro';
  const records = [
    { blockOffset: 412, index: 0, eventId: 'e-1', tenantId: 'stark' },
    { blockOffset: 412, index: 7, eventId: 'e-8', tenantId: 'wayne' },
  ];

  it('names both tenants, the key and where the record is', () => {
    expect(foreignTenantMessage({ keyTenantId: 'hooli', key, record: records[0] })).toBe(
      `tenant hooli: object ${key} at byte 412: record 0 of the block (eventId "e-1") belongs to tenant stark: ` +
        'record tenantId "stark" is not "hooli", the tenant whose raw prefix holds the object',
    );
    expect(foreignTenantSummary({ keyTenantId: 'hooli', records })).toBe(
      "2 record(s) of tenant(s) stark, wayne under the raw prefix of tenant hooli: quarantined, not counted as hooli's",
    );
  });

  it('lists one JSON line per record, with its reason', () => {
    const text = foreignTenantQuarantine({ keyTenantId: 'hooli', key, records });
    expect(text.endsWith('\n')).toBe(true);
    expect(
      text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([
      {
        reason: 'record tenantId "stark" is not "hooli", the tenant whose raw prefix holds the object',
        key,
        blockOffset: 412,
        index: 0,
        eventId: 'e-1',
        tenantId: 'stark',
      },
      {
        reason: 'record tenantId "wayne" is not "hooli", the tenant whose raw prefix holds the object',
        key,
        blockOffset: 412,
        index: 7,
        eventId: 'e-8',
        tenantId: 'wayne',
      },
    ]);
  });
});
