import type { Monoid } from './monoid';
import { compareStrings } from './monoid';
import type { HllState } from './hyperloglog';
import { hllAdd, hllEmpty, hllEstimate, hllMergeInto } from './hyperloglog';

/** Exact distinct values of a small set: a sorted array without duplicates. */
export const exactDistinctMonoid: Monoid<string[]> = {
  name: 'exactDistinct',
  empty: () => [],
  merge: (a, b) => unionSorted(a, b),
  commutative: true,
  schema: { type: 'array', items: 'string' },
};

/** Union of two sorted, duplicate-free arrays (a linear merge). */
export function unionSorted(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = compareStrings(a[i], b[j]);
    if (c < 0) out.push(a[i++]);
    else if (c > 0) out.push(b[j++]);
    else {
      out.push(a[i++]);
      j++;
    }
  }
  while (i < a.length) out.push(a[i++]);
  while (j < b.length) out.push(b[j++]);
  return out;
}

/**
 * Distinct count that is exact for small sets and a HyperLogLog above them: the state keeps the
 * sorted values while there are at most DISTINCT_EXACT_LIMIT of them, and switches to HLL
 * registers (hll non-null, values empty) as soon as the union grows past the limit.
 *
 * Order-independent: a union only grows, so the merged state is "exact set" exactly when the union
 * of everything merged has at most the limit, and otherwise the HLL of every value merged, which
 * is the same registers whatever the grouping.
 */
export const DISTINCT_EXACT_LIMIT = 256;

export interface DistinctState {
  values: string[];
  hll: HllState | null;
}

export const DISTINCT_SCHEMA = {
  type: 'record',
  name: 'Distinct',
  namespace: 'daybreak.metrics',
  fields: [
    { name: 'values', type: { type: 'array', items: 'string' }, doc: 'Sorted exact values, while at most 256.' },
    { name: 'hll', type: ['null', 'bytes'], default: null, doc: 'HLL p=12 registers once past 256 values.' },
  ],
};

export function distinctOf(values: Iterable<string>): DistinctState {
  return normalizeDistinct([...new Set(values)].sort(compareStrings), null);
}

function normalizeDistinct(values: string[], hll: HllState | null): DistinctState {
  if (hll === null && values.length <= DISTINCT_EXACT_LIMIT) return { values, hll: null };
  const registers = hll ?? hllEmpty();
  for (const v of values) hllAdd(registers, v);
  return { values: [], hll: registers };
}

export function distinctCount(state: DistinctState): number {
  return state.hll === null ? state.values.length : hllEstimate(state.hll);
}

export const distinctMonoid: Monoid<DistinctState> = {
  name: 'distinct',
  empty: () => ({ values: [], hll: null }),
  merge(a, b) {
    if (a.hll === null && b.hll === null) return normalizeDistinct(unionSorted(a.values, b.values), null);
    const registers = hllEmpty();
    if (a.hll) hllMergeInto(registers, a.hll);
    if (b.hll) hllMergeInto(registers, b.hll);
    return normalizeDistinct([...a.values, ...b.values], registers);
  },
  commutative: true,
  schema: DISTINCT_SCHEMA,
};

/**
 * The mutable accumulator the aggregation hot path uses: a Set while small, HLL registers after.
 * `toState()` gives exactly the state `distinctOf` would for the same values.
 */
export class DistinctAccumulator {
  private set: Set<string> | null = new Set();
  private registers: HllState | null = null;

  add(value: string): void {
    if (this.set !== null) {
      this.set.add(value);
      if (this.set.size > DISTINCT_EXACT_LIMIT) {
        this.registers = hllEmpty();
        for (const v of this.set) hllAdd(this.registers, v);
        this.set = null;
      }
    } else {
      hllAdd(this.registers!, value);
    }
  }

  toState(): DistinctState {
    if (this.set !== null) return { values: [...this.set].sort(compareStrings), hll: null };
    return { values: [], hll: Uint8Array.from(this.registers!) };
  }
}
