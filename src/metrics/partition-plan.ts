import type { UtcHour } from '../common/local-day';
import { localDayWindow } from '../common/local-day';
import { DEFAULT_DEDUPE_HORIZON_MS, rawKeyHourMs } from '../schemas/event-reader';
import type { PartitionPlan } from '../workflows/tenant-days/pipeline-contracts';

/** What a tenant-day reads and how it is split: the hours of its local day and the partitions of its raw objects. */

/** UTC hours read after the local day's last one, so events that arrive late are still counted. */
export const TRAILING_HOURS = 2;
export const MAX_PARTITIONS_LIMIT = 1024;
const HOUR = 3_600_000;

/** The UTC hour partitions of the local day plus TRAILING_HOURS after it. */
export function hoursToRead(day: string, timeZone: string): UtcHour[] {
  const window = localDayWindow(day, timeZone);
  const hours = [...window.utcHours];
  const last = hours[hours.length - 1];
  const lastMs = Date.parse(`${last.date}T${String(last.hour).padStart(2, '0')}:00:00Z`);
  for (let k = 1; k <= TRAILING_HOURS; k++) {
    const iso = new Date(lastMs + k * HOUR).toISOString();
    hours.push({ date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) });
  }
  return hours;
}

/**
 * Groups objects into at most `max` partitions of contiguous keys (hour order) and similar byte
 * size, none empty. Contiguous, so that each partition has one boundary before it: the objects
 * filed within the duplicate horizon before its first object are its dedupeKeys, read only to
 * know their event ids. A reader holds exactly those ids at that point when it reads the whole
 * day, so the accepted events are the same whatever the number of partitions. Deterministic.
 */
export function groupIntoPartitions(
  objects: { key: string; size: number }[],
  max: number,
  horizonMs = DEFAULT_DEDUPE_HORIZON_MS,
): PartitionPlan[] {
  const sorted = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const count = Math.max(1, Math.min(max, sorted.length));
  const total = sorted.reduce((n, o) => n + o.size, 0);
  const groups: string[][] = Array.from({ length: count }, () => []);
  let bytes = 0;
  let g = 0;
  sorted.forEach((o, i) => {
    const groupsAfter = count - 1 - g;
    // Next group once this one has its share, or when each later group needs one of those left.
    if (
      groups[g].length > 0 &&
      groupsAfter > 0 &&
      (bytes >= (total * (g + 1)) / count || sorted.length - i <= groupsAfter)
    )
      g++;
    groups[g].push(o.key);
    bytes += o.size;
  });
  return groups.map((inputKeys, index) => {
    const from = rawKeyHourMs(inputKeys[0]) - horizonMs;
    const before = groups.slice(0, index).flat();
    const dedupeKeys = before.filter((k) => rawKeyHourMs(k) >= from);
    return { index, count, inputKeys, ...(dedupeKeys.length > 0 ? { dedupeKeys } : {}) };
  });
}
