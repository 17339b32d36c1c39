import { addDays, assertDay } from './days';
import { InvalidInputError } from './errors';
import { timeZoneProblem } from './time-zone';

const HOUR = 3_600_000;
const MINUTE = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // Intl would take any capitalization; the rule (time-zone.ts) is the IANA spelling, exactly.
    const problem = timeZoneProblem(timeZone);
    if (problem) throw new InvalidInputError(`time zone ${problem}`);
    try {
      f = new Intl.DateTimeFormat('en-CA', {
        timeZone,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
    } catch {
      throw new InvalidInputError(`time zone ${JSON.stringify(timeZone)} is not a known IANA time zone`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local calendar date ('YYYY-MM-DD') of an instant in a time zone. */
export function localDateOf(instantMs: number, timeZone: string): string {
  const parts = formatter(timeZone).formatToParts(instantMs);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/**
 * The first instant of a local day. Usually local midnight, but where midnight does not exist
 * (America/Havana springs forward at 00:00) it is the first minute that does. Found by binary
 * search, since the local date never goes backwards as time moves forward.
 */
export function startOfLocalDay(day: string, timeZone: string): number {
  assertDay(day);
  // Every real offset lies within ±15 hours of UTC.
  let lo = Date.parse(`${day}T00:00:00Z`) - 15 * HOUR;
  let hi = Date.parse(`${day}T00:00:00Z`) + 15 * HOUR;
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (localDateOf(mid, timeZone) >= day) hi = mid;
    else lo = mid;
  }
  return hi;
}

export interface UtcHour {
  /** UTC date of the hour ('YYYY-MM-DD'). */
  date: string;
  /** UTC hour, 0-23. */
  hour: number;
}

export interface LocalDayWindow {
  day: string;
  timeZone: string;
  /** First instant of the local day (inclusive), epoch ms. */
  startMs: number;
  /** First instant of the next local day (exclusive), epoch ms. */
  endMs: number;
  /** Length of the local day in hours: 23, 24 or 25 on DST days (also 23.5 or 24.5 in Lord Howe). */
  hours: number;
  /**
   * The UTC hour partitions the day touches, in order. Zones with a :30 or :45 offset touch one more
   * partition than the day has hours, and only part of the first and last: readers filter by
   * [startMs, endMs).
   */
  utcHours: UtcHour[];
}

/** Maps a tenant's local day to the UTC instants and raw-event hour partitions it really spans. */
export function localDayWindow(day: string, timeZone: string): LocalDayWindow {
  const startMs = startOfLocalDay(day, timeZone);
  const endMs = startOfLocalDay(addDays(day, 1), timeZone);
  const utcHours: UtcHour[] = [];
  for (let h = Math.floor(startMs / HOUR) * HOUR; h < endMs; h += HOUR) {
    const iso = new Date(h).toISOString();
    utcHours.push({ date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) });
  }
  return { day, timeZone, startMs, endMs, hours: (endMs - startMs) / HOUR, utcHours };
}

/**
 * The local day that has just ended when a tenant's schedule fires at `scheduledMs`: the day
 * before the scheduled instant's local date (run hours are early in the next day). Derived from the
 * scheduled time, never the clock, so a late or replayed fire computes the same day.
 */
export function dayEndedBefore(scheduledMs: number, timeZone: string): string {
  return addDays(localDateOf(scheduledMs, timeZone), -1);
}
