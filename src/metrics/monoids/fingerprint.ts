import { murmur3Bytes, utf8Bytes } from './murmur3';

/**
 * 64-bit fingerprints of distinct values (user ids, session ids), the form in which the exact phase
 * of a distinct count is stored: 8 bytes per value, big-endian,
 *
 * - bytes 0-3: MurmurHash3_x86_32, seed 0, of the value's UTF-8 bytes (the HLL hash, so a set can
 *   switch to HLL registers from its fingerprints alone);
 * - bytes 4-7: FNV-1a 32 of the same bytes;
 *
 * and a set is its fingerprints sorted as unsigned 64-bit numbers (bytewise), without repeats.
 * Two different values share a fingerprint with probability 2^-64 per pair: below 2e-15 for a set
 * of 256 values, many orders of magnitude under the HLL's own 1.6% error above that size. Storing
 * fingerprints instead of strings keeps a day's states small and lets them be written, read and
 * merged as bytes, without making a string per value.
 *
 * Uint8Array only, no Buffer: workflow bundles import the metric modules.
 */
export const FINGERPRINT_BYTES = 8;

/** FNV-1a 32 of bytes[at, at + len), unsigned. */
export function fnv1aBytes(bytes: Uint8Array, at: number, len: number): number {
  let h = 0x811c9dc5;
  for (let i = at, end = at + len; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** The fingerprint halves of a string value, as [murmur3, fnv1a]. */
export function fingerprintOf(value: string): [number, number] {
  const bytes = utf8Bytes(value);
  return [murmur3Bytes(bytes, 0, bytes.length), fnv1aBytes(bytes, 0, bytes.length)];
}

/** The number of fingerprints in a set's bytes. */
export function fingerprintCount(set: Uint8Array): number {
  return set.length / FINGERPRINT_BYTES;
}

/** The murmur3 half (the HLL hash) of the i-th fingerprint. */
export function murmurOf(set: Uint8Array, i: number): number {
  const at = i * FINGERPRINT_BYTES;
  return ((set[at] << 24) | (set[at + 1] << 16) | (set[at + 2] << 8) | set[at + 3]) >>> 0;
}

function compareAt(a: Uint8Array, i: number, b: Uint8Array, j: number): number {
  for (let k = 0; k < FINGERPRINT_BYTES; k++) {
    const d = a[i + k] - b[j + k];
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A sorted fingerprint set from pairs [murmur, fnv, murmur, fnv, ...] (unsigned 32-bit, in any
 * order, repeats allowed): the aggregator's exact sets at the end of a partition.
 */
export function fingerprintSet(pairs: ArrayLike<number>): Uint8Array {
  const n = pairs.length / 2;
  // Sorted as (murmur, fnv) in two typed arrays: an insertion sort for the usual handful of
  // values, an index sort above that (a set holds at most a few hundred before it is an HLL).
  const murmurs = new Uint32Array(n);
  const fnvs = new Uint32Array(n);
  if (n <= 32) {
    for (let k = 0; k < n; k++) {
      const m = pairs[2 * k];
      const f = pairs[2 * k + 1];
      let at = k;
      while (at > 0 && (murmurs[at - 1] > m || (murmurs[at - 1] === m && fnvs[at - 1] > f))) {
        murmurs[at] = murmurs[at - 1];
        fnvs[at] = fnvs[at - 1];
        at--;
      }
      murmurs[at] = m;
      fnvs[at] = f;
    }
  } else {
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((x, y) => pairs[2 * x] - pairs[2 * y] || pairs[2 * x + 1] - pairs[2 * y + 1]);
    for (let k = 0; k < n; k++) {
      murmurs[k] = pairs[2 * order[k]];
      fnvs[k] = pairs[2 * order[k] + 1];
    }
  }
  const out = new Uint8Array(n * FINGERPRINT_BYTES);
  let used = 0;
  for (let k = 0; k < n; k++) {
    const m = murmurs[k];
    const f = fnvs[k];
    if (k > 0 && murmurs[k - 1] === m && fnvs[k - 1] === f) continue;
    putFingerprint(out, used, m, f);
    used += FINGERPRINT_BYTES;
  }
  return used === out.length ? out : out.subarray(0, used);
}

/**
 * Sorts pairs[from, to) = [murmur, fnv, murmur, fnv, ...] (unsigned 32-bit, no pair twice) in
 * place as fingerprints sort, and writes them as a fingerprint set into out[at, at + 4 * (to - from)):
 * fingerprintSet without an allocation for the usual small set, for the partition's writer.
 */
export function writeFingerprintPairs(pairs: Uint32Array, from: number, to: number, out: Uint8Array, at: number): void {
  const n = (to - from) / 2;
  if (n <= 32) {
    for (let k = 1; k < n; k++) {
      const m = pairs[from + 2 * k];
      const f = pairs[from + 2 * k + 1];
      let j = k;
      while (j > 0) {
        const pm = pairs[from + 2 * (j - 1)];
        const pf = pairs[from + 2 * (j - 1) + 1];
        if (pm < m || (pm === m && pf <= f)) break;
        pairs[from + 2 * j] = pm;
        pairs[from + 2 * j + 1] = pf;
        j--;
      }
      pairs[from + 2 * j] = m;
      pairs[from + 2 * j + 1] = f;
    }
  } else {
    const keys = new BigUint64Array(n);
    for (let k = 0; k < n; k++) keys[k] = (BigInt(pairs[from + 2 * k]) << 32n) | BigInt(pairs[from + 2 * k + 1]);
    keys.sort();
    for (let k = 0; k < n; k++) {
      pairs[from + 2 * k] = Number(keys[k] >> 32n);
      pairs[from + 2 * k + 1] = Number(keys[k] & 0xffffffffn);
    }
  }
  for (let k = 0; k < n; k++)
    putFingerprint(out, at + k * FINGERPRINT_BYTES, pairs[from + 2 * k], pairs[from + 2 * k + 1]);
}

/** Writes the fingerprint (murmur, fnv) at out[at, at + 8), big-endian. */
function putFingerprint(out: Uint8Array, at: number, murmur: number, fnv: number): void {
  out[at] = murmur >>> 24;
  out[at + 1] = murmur >>> 16;
  out[at + 2] = murmur >>> 8;
  out[at + 3] = murmur;
  out[at + 4] = fnv >>> 24;
  out[at + 5] = fnv >>> 16;
  out[at + 6] = fnv >>> 8;
  out[at + 7] = fnv;
}

/** The fingerprint set of string values (any order, repeats allowed). */
export function fingerprintSetOf(values: Iterable<string>): Uint8Array {
  const pairs: number[] = [];
  for (const v of values) pairs.push(...fingerprintOf(v));
  return fingerprintSet(pairs);
}

/** Union of two sorted fingerprint sets (a linear merge). */
export function unionFingerprints(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.length === 0) return a.slice();
  if (a.length === 0) return b.slice();
  const out = new Uint8Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let used = 0;
  // Byte loops, not subarray copies: a merge of 30 days of 20k accounts would make millions of views.
  while (i < a.length && j < b.length) {
    const c = compareAt(a, i, b, j);
    const from = c <= 0 ? a : b;
    const at = c <= 0 ? i : j;
    for (let k = 0; k < FINGERPRINT_BYTES; k++) out[used + k] = from[at + k];
    used += FINGERPRINT_BYTES;
    if (c <= 0) i += FINGERPRINT_BYTES;
    if (c >= 0) j += FINGERPRINT_BYTES;
  }
  for (; i < a.length; i++) out[used++] = a[i];
  for (; j < b.length; j++) out[used++] = b[j];
  return out.subarray(0, used);
}

/** Whether bytes are a well-formed set: whole fingerprints, strictly increasing. */
export function isFingerprintSet(set: Uint8Array): boolean {
  if (set.length % FINGERPRINT_BYTES !== 0) return false;
  for (let at = FINGERPRINT_BYTES; at < set.length; at += FINGERPRINT_BYTES) {
    if (compareAt(set, at - FINGERPRINT_BYTES, set, at) >= 0) return false;
  }
  return true;
}
