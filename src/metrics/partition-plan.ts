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

/**
 * Memory one account costs a bucket task or a partition's aggregation, on average (states,
 * indexes, sets below the HLL limit): what the bucket count is sized with. Calibrated with
 * bench:metrics at 1M accounts (docs/metrics.md, "Scaling in accounts").
 */
export const BYTES_PER_ACCOUNT = 2048;
/** Accounts per bucket above which a day is split further even when memory allows: buckets are also the unit of spreading over workers. */
export const ACCOUNTS_PER_BUCKET = 250_000;
/** Compressed bytes of an attribute snapshot row (the generator writes about 17 at 1M accounts), for the account estimate from the snapshot's size: a little low, so the estimate errs towards more buckets. */
export const SNAPSHOT_BYTES_PER_ACCOUNT = 16;

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Account buckets for a tenant-day: enough that one bucket's accounts take at most half of a
 * task's memory share, and at most ACCOUNTS_PER_BUCKET accounts each, as a power of two up to
 * `max`. A tenant of 20k accounts gets 1: today's layout and cost.
 */
export function chooseBucketCount(input: { accountsEstimate: number; shareBytes: number; max?: number }): number {
  const { accountsEstimate, shareBytes, max = 1024 } = input;
  const accounts = Math.max(0, Math.ceil(accountsEstimate));
  const byMemory = Math.ceil((accounts * BYTES_PER_ACCOUNT) / Math.max(1, shareBytes / 2));
  const byCount = Math.ceil(accounts / ACCOUNTS_PER_BUCKET);
  return Math.min(max, nextPowerOfTwo(Math.max(1, byMemory, byCount)));
}
