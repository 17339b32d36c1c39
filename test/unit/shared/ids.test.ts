import { describe, expect, it } from 'vitest';
import { addDays, assertDay } from '../../../src/common/days';
import { laneWorkflowId, tenantDayWorkflowId } from '../../../src/common/ids';
import { attributesKey } from '../../../src/common/keys';

describe('days', () => {
  it('accepts calendar dates and rejects the rest', () => {
    expect(assertDay('2024-02-29')).toBe('2024-02-29');
    for (const bad of ['2023-02-29', '2026-13-01', '2026-1-01', '2026-11-21T00:00', '', 20261121]) {
      expect(() => assertDay(bad)).toThrow(/day/);
    }
  });

  it('adds days across month, year and leap boundaries', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2026-11-21', -30)).toBe('2026-10-22');
  });
});

describe('ids and keys', () => {
  it('builds the same id for the same tenant-day, so a rerun addresses the same run', () => {
    expect(laneWorkflowId('acme')).toBe('daybreak/lane/acme');
    expect(tenantDayWorkflowId('acme', '2026-11-21', 'v1', 'shadow')).toBe(
      'daybreak/tenant-day/acme/2026-11-21/v1/shadow',
    );
    expect(attributesKey('acme', '2026-11-21')).toBe('attributes/tenant=acme/date=2026-11-21/attributes.avro');
  });

  it('validates every part before it reaches an id or a key', () => {
    expect(() => laneWorkflowId('../x')).toThrow(/tenant id/);
    expect(() => attributesKey('acme', '2026-11-31')).toThrow(/not a calendar date/);
    expect(() => tenantDayWorkflowId('acme', '2026-11-21', 'V1', 'primary')).toThrow(/pipelineVersion/);
  });
});
