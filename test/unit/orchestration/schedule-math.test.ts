import { describe, expect, it } from 'vitest';
import { dayEndedBefore } from '../../../src/common/local-day';
import { dueDays, lastDueDay } from '../../../src/workflows/triggers/schedule-math';

describe('days from scheduled times', () => {
  it('derives the local day that just ended from the scheduled instant, in the tenant zone', () => {
    // 00:00 in New York on 2026-11-22 is 05:00Z.
    expect(dayEndedBefore(Date.parse('2026-11-22T05:00:00Z'), 'America/New_York')).toBe('2026-11-21');
    // The same instant is already the afternoon of 2026-11-22 in Kiritimati (UTC+14)...
    expect(dayEndedBefore(Date.parse('2026-11-22T05:00:00Z'), 'Pacific/Kiritimati')).toBe('2026-11-21');
    // ...and 00:00 Kolkata is 18:30Z the previous UTC day.
    expect(dayEndedBefore(Date.parse('2026-11-21T18:30:00Z'), 'Asia/Kolkata')).toBe('2026-11-21');
  });

  it('finds the last due day relative to the run hour', () => {
    // 02:30 local in Berlin (01:30Z): a run hour of 1 has passed, a run hour of 3 has not.
    expect(lastDueDay(Date.parse('2026-11-22T01:30:00Z'), 'Europe/Berlin', 1)).toBe('2026-11-21');
    expect(lastDueDay(Date.parse('2026-11-22T01:30:00Z'), 'Europe/Berlin', 3)).toBe('2026-11-20');
  });

  it('lists the lookback window oldest first, across a missing midnight (Havana spring forward)', () => {
    expect(dueDays(Date.parse('2026-03-09T12:00:00Z'), 'America/Havana', 0, 3)).toEqual([
      '2026-03-06',
      '2026-03-07',
      '2026-03-08',
    ]);
  });
});
