import { HISTORY_DAYS } from '../../metrics/rolling';
import { addDays } from '../../common/days';
import type { LaneState, StaleDay } from './lane-contracts';

/**
 * Which of a tenant's computed days are stale, as pure rules over the lane's state (no Temporal
 * imports, unit tested on their own). Day X's outputs read, from earlier days:
 * - the daily usage of X-1..X-29 (the 7- and 30-day windows, HISTORY_DAYS);
 * - X-1's score (healthDelta), a score whose own windows read X-30;
 * - the rolling state carried from the latest earlier day (first/last activity ever), which
 *   carried it from the day before it, and so on back to the tenant's first day.
 * So a recompute of day D reaches D+1..D+30 directly and every later day through the carry. The
 * rules choose correct over cheap: when D completes, every later day already computed for the
 * same pipeline version is stale, 'window' within D+1..D+30 and 'carry' beyond. A day stops being
 * stale when it is recomputed while no earlier day of its version is stale; recomputed while one
 * is, it stays (or becomes) stale, since it carried from a stale day. The bound is the lane's
 * record of computed days (COMPUTED_DAYS_KEPT per version): nothing the lane never computed is
 * ever stale, and a missing or failed day is missing, not stale.
 */

/** D's daily usage is read by D+1..D+HISTORY_DAYS; D+HISTORY_DAYS+1's healthDelta compares with a score that read it. */
export const WINDOW_REACH_DAYS = HISTORY_DAYS + 1;
/** Computed days remembered per version: more than a year, so a late rerun still finds its later days. */
export const COMPUTED_DAYS_KEPT = 400;

type Book = Pick<LaneState, 'computedDays' | 'stale'>;

/** Whole days from `from` to `to` (both ISO days). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

function viaOf(because: string, day: string): StaleDay['via'] {
  return daysBetween(because, day) <= WINDOW_REACH_DAYS ? 'window' : 'carry';
}

function byVersionAndDay(a: StaleDay, b: StaleDay): number {
  return a.pipelineVersion < b.pipelineVersion
    ? -1
    : a.pipelineVersion > b.pipelineVersion
      ? 1
      : a.day < b.day
        ? -1
        : 1;
}

/**
 * For lanes started before staleness was tracked: the days their daily runs completed count as
 * computed for the primary version, with every completed run they still remember.
 */
export function seedComputedDays(state: LaneState): Record<string, string[]> {
  const seeded: Record<string, Set<string>> = { [state.versions.primary]: new Set(state.completedDailyDays) };
  for (const f of state.finished) {
    if (f.status === 'completed') (seeded[f.pipelineVersion] ??= new Set()).add(f.day);
  }
  return Object.fromEntries(Object.entries(seeded).map(([v, days]) => [v, [...days].sort()]));
}

/**
 * Day `day` of `pipelineVersion` has just been computed (a run completed). Marks the later computed
 * days of that version stale and settles the day's own staleness. Returns the days newly stale.
 */
export function recordComputed(book: Book, computed: { day: string; pipelineVersion: string }): StaleDay[] {
  const { day, pipelineVersion } = computed;
  const days = book.computedDays?.[pipelineVersion] ?? [];
  const stale = (book.stale ?? []).filter((s) => !(s.pipelineVersion === pipelineVersion && s.day === day));
  const newlyStale: StaleDay[] = [];
  // Its own outputs carried from the day before, which is stale if any earlier day is.
  const earlier = stale.filter((s) => s.pipelineVersion === pipelineVersion && s.day < day).sort(byVersionAndDay)[0];
  if (earlier) stale.push({ day, pipelineVersion, because: earlier.because, via: 'carry' });
  for (const later of days) {
    if (later <= day) continue;
    const existing = stale.find((s) => s.pipelineVersion === pipelineVersion && s.day === later);
    if (!existing) {
      const marked: StaleDay = { day: later, pipelineVersion, because: day, via: viaOf(day, later) };
      stale.push(marked);
      newlyStale.push(marked);
    } else if (existing.because > day) {
      // Already stale, from a later recompute: the earliest recomputed day is the one to name.
      existing.because = day;
      existing.via = viaOf(day, later);
    }
  }
  book.stale = stale.sort(byVersionAndDay);
  const kept = days.includes(day) ? days : [...days, day].sort();
  book.computedDays = { ...book.computedDays, [pipelineVersion]: kept.slice(-COMPUTED_DAYS_KEPT) };
  return newlyStale;
}

/** The stale days of a version (or of all versions), in day order. */
export function staleDaysOf(book: Book, pipelineVersion?: string): StaleDay[] {
  return (book.stale ?? []).filter((s) => pipelineVersion === undefined || s.pipelineVersion === pipelineVersion);
}

/** The first stale day of a version after `after`, if any. */
export function nextStaleDay(book: Book, pipelineVersion: string, after: string): string | undefined {
  return staleDaysOf(book, pipelineVersion).find((s) => s.day > after)?.day;
}

/** Days as compact ranges: '2026-11-02..2026-11-04, 2026-11-07'. */
export function dayRanges(days: readonly string[]): string {
  const sorted = [...new Set(days)].sort();
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === addDays(sorted[j], 1)) j++;
    ranges.push(i === j ? sorted[i] : `${sorted[i]}..${sorted[j]}`);
    i = j + 1;
  }
  return ranges.join(', ');
}

/**
 * One line for operators: the stale days of each version, grouped by the recomputed day they
 * were computed without, and what any cascade is doing. 'none' when nothing is stale.
 */
export function describeStale(state: Pick<LaneState, 'stale' | 'cascades'>): string {
  const groups = new Map<string, string[]>();
  for (const s of state.stale ?? []) {
    const key = `${s.pipelineVersion} after ${s.because}`;
    groups.set(key, [...(groups.get(key) ?? []), s.day]);
  }
  const parts = [...groups].map(([key, days]) => `${dayRanges(days)} (${key})`);
  const cascades = (state.cascades ?? []).map(
    (c) =>
      `cascade ${c.pipelineVersion} after ${c.origin}: ${c.recomputed} recomputed` +
      (c.pending ? `, now ${c.pending}` : ''),
  );
  return [parts.length ? parts.join('; ') : 'none', ...cascades].join('; ');
}
