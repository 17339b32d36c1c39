import { addDays } from '../../common/days';
import { localDateOf } from '../../common/local-day';

const hourFormatters = new Map<string, Intl.DateTimeFormat>();

/** The local hour (0-23) of an instant in a zone. */
export function localHourOf(instantMs: number, timeZone: string): number {
  let f = hourFormatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
    hourFormatters.set(timeZone, f);
  }
  return Number(f.format(instantMs));
}

/**
 * The latest local day whose daily run should have fired by `asOfMs`: a tenant's day D runs at
 * `runHour` local time on D + 1. Used by the reconciler to find days a schedule missed (a zone
 * whose run hour did not exist that day, or downtime beyond the catch-up window).
 */
export function lastDueDay(asOfMs: number, timeZone: string, runHour: number): string {
  const localDate = localDateOf(asOfMs, timeZone);
  return addDays(localDate, localHourOf(asOfMs, timeZone) >= runHour ? -1 : -2);
}

/** The days, oldest first, that should have run in the `lookbackDays` ending at lastDueDay. */
export function dueDays(asOfMs: number, timeZone: string, runHour: number, lookbackDays: number): string[] {
  const last = lastDueDay(asOfMs, timeZone, runHour);
  const days: string[] = [];
  for (let i = lookbackDays - 1; i >= 0; i--) days.push(addDays(last, -i));
  return days;
}
