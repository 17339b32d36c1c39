import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors';
import { attributesKey, quarantineKey, rawEventsKey, rawHourPrefix } from '../../../src/common/keys';
import type { UtcHour } from '../../../src/common/local-day';
import { dayEndedBefore, localDateOf, localDayWindow, startOfLocalDay } from '../../../src/common/local-day';

const Z = (iso: string) => Date.parse(iso);

/** The UTC hour partitions from `first` to `last` inclusive, written out by hand as (date, from-to). */
function hours(...ranges: [string, number, number][]): UtcHour[] {
  return ranges.flatMap(([date, from, to]) =>
    Array.from({ length: to - from + 1 }, (_, i) => ({ date, hour: from + i })),
  );
}

// Every expectation below is worked out by hand from the zone's rules for 2026, not computed.
describe('localDayWindow: a local day maps to the UTC hours it really spans', () => {
  it.each([
    // zone, day, start (UTC), end (UTC), hours, partitions
    [
      'America/New_York',
      '2026-06-15',
      '2026-06-15T04:00Z',
      '2026-06-16T04:00Z',
      24,
      hours(['2026-06-15', 4, 23], ['2026-06-16', 0, 3]),
    ],
    // Spring forward at 02:00 EST -> 03:00 EDT (second Sunday of March).
    [
      'America/New_York',
      '2026-03-08',
      '2026-03-08T05:00Z',
      '2026-03-09T04:00Z',
      23,
      hours(['2026-03-08', 5, 23], ['2026-03-09', 0, 3]),
    ],
    // Fall back at 02:00 EDT -> 01:00 EST (first Sunday of November).
    [
      'America/New_York',
      '2026-11-01',
      '2026-11-01T04:00Z',
      '2026-11-02T05:00Z',
      25,
      hours(['2026-11-01', 4, 23], ['2026-11-02', 0, 4]),
    ],
    // Last Sunday of March / October.
    [
      'Europe/Berlin',
      '2026-03-29',
      '2026-03-28T23:00Z',
      '2026-03-29T22:00Z',
      23,
      hours(['2026-03-28', 23, 23], ['2026-03-29', 0, 21]),
    ],
    [
      'Europe/Berlin',
      '2026-10-25',
      '2026-10-24T22:00Z',
      '2026-10-25T23:00Z',
      25,
      hours(['2026-10-24', 22, 23], ['2026-10-25', 0, 22]),
    ],
    // +05:30, no DST: 24 hours over 25 partitions, the first and last only half inside.
    [
      'Asia/Kolkata',
      '2026-03-08',
      '2026-03-07T18:30Z',
      '2026-03-08T18:30Z',
      24,
      hours(['2026-03-07', 18, 23], ['2026-03-08', 0, 18]),
    ],
    // +13:45 -> +12:45 on the first Sunday of April (03:45 -> 02:45 local): 25 hours, 26 partitions.
    [
      'Pacific/Chatham',
      '2026-04-05',
      '2026-04-04T10:15Z',
      '2026-04-05T11:15Z',
      25,
      hours(['2026-04-04', 10, 23], ['2026-04-05', 0, 11]),
    ],
    // +12:45 -> +13:45 on the last Sunday of September: 23 hours, 24 partitions.
    [
      'Pacific/Chatham',
      '2026-09-27',
      '2026-09-26T11:15Z',
      '2026-09-27T10:15Z',
      23,
      hours(['2026-09-26', 11, 23], ['2026-09-27', 0, 10]),
    ],
    // +14: the local day starts on the previous UTC date.
    [
      'Pacific/Kiritimati',
      '2026-03-08',
      '2026-03-07T10:00Z',
      '2026-03-08T10:00Z',
      24,
      hours(['2026-03-07', 10, 23], ['2026-03-08', 0, 9]),
    ],
    // Havana springs forward at midnight: 00:00 CST does not exist, the day starts at 01:00 CDT.
    [
      'America/Havana',
      '2026-03-08',
      '2026-03-08T05:00Z',
      '2026-03-09T04:00Z',
      23,
      hours(['2026-03-08', 5, 23], ['2026-03-09', 0, 3]),
    ],
    // and falls back at 01:00 CDT -> 00:00 CST on the first Sunday of November.
    [
      'America/Havana',
      '2026-11-01',
      '2026-11-01T04:00Z',
      '2026-11-02T05:00Z',
      25,
      hours(['2026-11-01', 4, 23], ['2026-11-02', 0, 4]),
    ],
  ] as const)('%s %s: [%s, %s), %i hours', (zone, day, start, end, length, partitions) => {
    const w = localDayWindow(day, zone);
    expect(new Date(w.startMs).toISOString()).toBe(new Date(Z(start)).toISOString());
    expect(new Date(w.endMs).toISOString()).toBe(new Date(Z(end)).toISOString());
    expect(w.hours).toBe(length);
    expect(w.utcHours).toEqual(partitions);
  });

  it('Havana 2026-03-08 has no local midnight: the instant before the day starts is still the 7th', () => {
    const start = startOfLocalDay('2026-03-08', 'America/Havana');
    expect(localDateOf(start, 'America/Havana')).toBe('2026-03-08');
    expect(localDateOf(start - 1, 'America/Havana')).toBe('2026-03-07');
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'America/Havana', timeStyle: 'short' }).format(start)).toBe(
      '01:00',
    );
  });

  it('consecutive days tile time without gaps or overlaps across both DST changes', () => {
    for (const zone of ['America/New_York', 'Europe/Berlin', 'Pacific/Chatham', 'America/Havana']) {
      let previous = localDayWindow('2026-01-01', zone);
      for (let d = 1; d < 365; d++) {
        const day = new Date(Date.UTC(2026, 0, 1 + d)).toISOString().slice(0, 10);
        const w = localDayWindow(day, zone);
        expect(w.startMs, `${zone} ${day}`).toBe(previous.endMs);
        expect([23, 24, 25]).toContain(w.hours);
        previous = w;
      }
    }
  });

  it('derives the day that just ended from the scheduled time, not the clock', () => {
    expect(dayEndedBefore(Z('2026-03-09T05:00Z'), 'America/Havana')).toBe('2026-03-08');
    expect(dayEndedBefore(Z('2026-03-07T10:30Z'), 'Pacific/Kiritimati')).toBe('2026-03-07');
  });

  it('refuses an unknown time zone and a non-date', () => {
    expect(() => localDayWindow('2026-03-08', 'Mars/Olympus_Mons')).toThrow(InvalidInputError);
    expect(() => localDayWindow('2026-02-30', 'UTC')).toThrow(InvalidInputError);
  });
});

describe('key layout', () => {
  it('puts raw events under the UTC partitions of the local day', () => {
    const w = localDayWindow('2026-03-08', 'Pacific/Kiritimati');
    expect(rawHourPrefix('hooli', w.utcHours[0])).toBe('raw/tenant=hooli/date=2026-03-07/hour=10/');
    expect(rawEventsKey('hooli', w.utcHours[23], 'events.avro')).toBe(
      'raw/tenant=hooli/date=2026-03-08/hour=09/events.avro',
    );
    expect(attributesKey('hooli', '2026-03-08')).toBe('attributes/tenant=hooli/date=2026-03-08/attributes.avro');
  });

  it('keeps a tenant inside its own prefix', () => {
    for (const id of ['a/../b', 'Acme', 'a*', '', '-a', 'a b'])
      expect(() => rawEventsKey(id, { date: '2026-03-08', hour: 1 }, 'events.avro')).toThrow(InvalidInputError);
    expect(() => rawEventsKey('acme', { date: '2026-03-08', hour: 24 }, 'events.avro')).toThrow(InvalidInputError);
    expect(() => rawEventsKey('acme', { date: '2026-03-08', hour: 1 }, '../x.avro')).toThrow(InvalidInputError);
    expect(
      quarantineKey('acme', '2026-03-08', 'raw/tenant=acme/date=2026-03-08/hour=01/events.avro', 'block-9.bin'),
    ).toBe('quarantine/tenant=acme/date=2026-03-08/raw_tenant=acme_date=2026-03-08_hour=01_events.avro/block-9.bin');
  });
});
