import type { Monoid } from './monoid';
import { compareStrings } from './monoid';
import type { HllState } from './hyperloglog';
import { hllAddHash, hllEmpty, hllEstimate, hllMergeInto } from './hyperloglog';
import {
  fingerprintCount,
  fingerprintOf,
  fingerprintSet,
  fingerprintSetOf,
  murmurOf,
  unionFingerprints,
} from './fingerprint';

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
 * sorted 64-bit fingerprints of the values (see fingerprint.ts) while there are at most
 * DISTINCT_EXACT_LIMIT of them, and switches to HLL registers (hll non-null, fingerprints empty) as
 * soon as the union grows past the limit. The fingerprints' first half is the HLL hash, so the
 * switch needs no value, and gives the registers hashing the values themselves would.
 *
 * Order-independent: a union only grows, so the merged state is "exact set" exactly when the union
 * of everything merged has at most the limit, and otherwise the HLL of every value merged, which
 * is the same registers whatever the grouping.
 */
export const DISTINCT_EXACT_LIMIT = 256;

export interface DistinctState {
  /** Sorted fingerprints, FINGERPRINT_BYTES each, while at most DISTINCT_EXACT_LIMIT; empty once an HLL. */
  fingerprints: Uint8Array;
  hll: HllState | null;
}

export const DISTINCT_SCHEMA = {
  type: 'record',
  name: 'Distinct',
  namespace: 'daybreak.metrics',
  fields: [
    {
      name: 'fingerprints',
      type: 'bytes',
      default: '',
      doc: 'Sorted 8-byte fingerprints of the values (MurmurHash3_x86_32 seed 0, then FNV-1a 32, of the UTF-8 bytes; big-endian), while at most 256.',
    },
    { name: 'hll', type: ['null', 'bytes'], default: null, doc: 'HLL p=12 registers once past 256 values.' },
  ],
};

/**
 * What states written before fingerprints look like (sorted values as strings): the reader schema
 * of stored states adds this field with an empty default, and upgradeDistinct turns it into
 * fingerprints, so rolling windows keep reading the days stored by earlier releases.
 */
export const LEGACY_DISTINCT_VALUES_FIELD = {
  name: 'values',
  type: { type: 'array', items: 'string' },
  default: [],
  doc: 'Exact values as strings: only in states written before fingerprints; read, never written.',
};

/** A decoded state that may come from a file written before fingerprints. */
export interface StoredDistinctState {
  fingerprints: Uint8Array;
  hll: HllState | null;
  values?: string[];
}

/** The state of a stored record, old (values) or new (fingerprints). */
export function upgradeDistinct(stored: StoredDistinctState): DistinctState {
  const values = stored.values ?? [];
  if (values.length === 0) return { fingerprints: stored.fingerprints, hll: stored.hll };
  return normalizeDistinct(unionFingerprints(stored.fingerprints, fingerprintSetOf(values)), stored.hll);
}

export function distinctOf(values: Iterable<string>): DistinctState {
  return normalizeDistinct(fingerprintSetOf(values), null);
}

/** Past the limit (or with registers already), the fingerprints go into the registers. */
export function normalizeDistinct(fingerprints: Uint8Array, hll: HllState | null): DistinctState {
  const n = fingerprintCount(fingerprints);
  if (hll === null && n <= DISTINCT_EXACT_LIMIT) return { fingerprints, hll: null };
  const registers = hll ?? hllEmpty();
  for (let i = 0; i < n; i++) hllAddHash(registers, murmurOf(fingerprints, i));
  return { fingerprints: EMPTY, hll: registers };
}

const EMPTY = new Uint8Array(0);

export function distinctCount(state: DistinctState): number {
  return state.hll === null ? fingerprintCount(state.fingerprints) : hllEstimate(state.hll);
}

export const distinctMonoid: Monoid<DistinctState> = {
  name: 'distinct',
  empty: () => ({ fingerprints: EMPTY, hll: null }),
  merge(a, b) {
    if (a.hll === null && b.hll === null) {
      return normalizeDistinct(unionFingerprints(a.fingerprints, b.fingerprints), null);
    }
    const registers = hllEmpty();
    if (a.hll) hllMergeInto(registers, a.hll);
    if (b.hll) hllMergeInto(registers, b.hll);
    return normalizeDistinct(unionFingerprints(a.fingerprints, b.fingerprints), registers);
  },
  commutative: true,
  schema: DISTINCT_SCHEMA,
};

/**
 * The mutable accumulator of the object path: fingerprints in a Set while small, HLL registers
 * after. `toState()` gives exactly the state `distinctOf` would for the same values.
 */
export class DistinctAccumulator {
  private set: Set<bigint> | null = new Set();
  private registers: HllState | null = null;

  add(value: string): void {
    const [m, f] = fingerprintOf(value);
    if (this.set !== null) {
      this.set.add((BigInt(m) << 32n) | BigInt(f));
      if (this.set.size > DISTINCT_EXACT_LIMIT) {
        this.registers = hllEmpty();
        for (const fp of this.set) hllAddHash(this.registers, Number(fp >> 32n));
        this.set = null;
      }
    } else {
      hllAddHash(this.registers!, m);
    }
  }

  toState(): DistinctState {
    if (this.set === null) return { fingerprints: EMPTY, hll: Uint8Array.from(this.registers!) };
    const pairs: number[] = [];
    for (const fp of this.set) pairs.push(Number(fp >> 32n), Number(fp & 0xffffffffn));
    return { fingerprints: fingerprintSet(pairs), hll: null };
  }
}
