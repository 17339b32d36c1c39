import type { Monoid } from './monoid';
import { compareStrings } from './monoid';

function assertSafe(n: number, what: string): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`${what} ${n} is not a safe integer; exact sums need |x| < 2^53`);
  return n;
}

/** Number of things counted. State: a long. */
export const countMonoid: Monoid<number> = {
  name: 'count',
  empty: () => 0,
  merge: (a, b) => assertSafe(a + b, 'count'),
  commutative: true,
  schema: 'long',
};

/**
 * Sum of integers (counts, milliseconds, cents). Integer addition is exact below 2^53, so the sum
 * is the same in every order; a sum that would lose precision throws instead of drifting. For
 * fractional measures use the fixed-point moments monoid.
 */
export const integerSumMonoid: Monoid<number> = {
  name: 'sum',
  empty: () => 0,
  merge: (a, b) => assertSafe(a + b, 'sum'),
  commutative: true,
  schema: 'long',
};

/** Minimum of longs (epoch ms, ids); null is the empty value. */
export const minMonoid: Monoid<number | null> = {
  name: 'min',
  empty: () => null,
  merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
  commutative: true,
  schema: ['null', 'long'],
};

/** Maximum of longs; null is the empty value. */
export const maxMonoid: Monoid<number | null> = {
  name: 'max',
  empty: () => null,
  merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
  commutative: true,
  schema: ['null', 'long'],
};

/** When something was first or last seen, and what: ties on the instant go to the smaller value. */
export interface SeenState {
  at: number | null;
  value: string | null;
}

const seenSchema = (name: string) => ({
  type: 'record',
  name,
  namespace: 'daybreak.metrics',
  fields: [
    { name: 'at', type: ['null', 'long'], default: null },
    { name: 'value', type: ['null', 'string'], default: null },
  ],
});

function seenMonoid(name: 'firstSeen' | 'lastSeen', earlierWins: boolean): Monoid<SeenState> {
  return {
    name,
    empty: () => ({ at: null, value: null }),
    merge(a, b) {
      if (a.at === null) return { ...b };
      if (b.at === null) return { ...a };
      if (a.at !== b.at) return a.at < b.at === earlierWins ? { ...a } : { ...b };
      // Same instant: a fixed tie-break on the value keeps the merge commutative.
      return compareStrings(a.value ?? '', b.value ?? '') <= 0 ? { ...a } : { ...b };
    },
    commutative: true,
    schema: seenSchema(name === 'firstSeen' ? 'FirstSeen' : 'LastSeen'),
  };
}

/** Earliest instant and the value seen then (e.g. the first event's type). */
export const firstSeenMonoid = seenMonoid('firstSeen', true);
/** Latest instant and the value seen then. */
export const lastSeenMonoid = seenMonoid('lastSeen', false);

/** Per-key counts (events by type). State: an Avro map whose keys are kept sorted. */
export const countByKeyMonoid: Monoid<Record<string, number>> = {
  name: 'countByKey',
  empty: () => ({}),
  merge(a, b) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareStrings);
    const out: Record<string, number> = {};
    for (const k of keys) out[k] = assertSafe((a[k] ?? 0) + (b[k] ?? 0), `count of ${k}`);
    return out;
  },
  commutative: true,
  schema: { type: 'map', values: 'long' },
};

/** Rebuilds a count map with its keys in canonical order (Avro maps encode in insertion order). */
export function sortedCounts(counts: Record<string, number> | Map<string, number>): Record<string, number> {
  const entries = counts instanceof Map ? [...counts.entries()] : Object.entries(counts);
  entries.sort((x, y) => compareStrings(x[0], y[0]));
  const out: Record<string, number> = {};
  for (const [k, v] of entries) out[k] = v;
  return out;
}
