import type { Monoid } from './monoid';
import { murmur3 } from './murmur3';

/**
 * HyperLogLog (Flajolet, Fusy, Gandouet, Meunier 2007) with fixed, documented parameters so any HLL
 * implementation can decode and merge the state:
 *
 * - hash: MurmurHash3_x86_32, seed 0, of the UTF-8 bytes of the value (unsigned 32-bit `h`);
 * - precision p = 12, m = 2^12 = 4096 registers;
 * - register index = the top p bits of h (`h >>> 20`);
 * - register value = 1 + the number of leading zeros of the remaining 20 bits (1..21), 0 = empty;
 * - encoding: Avro `bytes` of exactly m bytes, one unsigned byte per register, register 0 first.
 *
 * Merge is the register-wise maximum (commutative, associative, idempotent). The estimate is the
 * raw HLL estimate alpha_m * m^2 / sum(2^-M[j]) with the paper's small-range correction (linear
 * counting, m ln(m / V), while the estimate is at most 2.5 m and V registers are empty) and its
 * 32-bit large-range correction. Standard error 1.04 / sqrt(m) = 1.63%; tests hold it to 5% (3
 * sigma) against exact counts.
 */
export const HLL_PRECISION = 12;
export const HLL_REGISTERS = 1 << HLL_PRECISION;
const RANK_BITS = 32 - HLL_PRECISION;
const ALPHA = 0.7213 / (1 + 1.079 / HLL_REGISTERS);
const TWO_32 = 4294967296;

export type HllState = Uint8Array;

export function hllEmpty(): HllState {
  return new Uint8Array(HLL_REGISTERS);
}

/** Adds a 32-bit hash to the registers in place (the aggregation hot path). */
export function hllAddHash(registers: HllState, hash: number): void {
  const index = hash >>> RANK_BITS;
  const rest = (hash << HLL_PRECISION) >>> 0;
  const rank = rest === 0 ? RANK_BITS + 1 : Math.clz32(rest) + 1;
  if (registers[index] < rank) registers[index] = rank;
}

export function hllAdd(registers: HllState, value: string): void {
  hllAddHash(registers, murmur3(value));
}

/** Register-wise maximum of `source` into `target`, in place. */
export function hllMergeInto(target: HllState, source: HllState): void {
  for (let i = 0; i < HLL_REGISTERS; i++) if (target[i] < source[i]) target[i] = source[i]!;
}

/** 2^-r for every register value: a table, not a pow per register (the values are exact either way). */
const INVERSE_POWERS = Float64Array.from({ length: 256 }, (_, r) => 2 ** -r);

export function hllEstimate(registers: HllState): number {
  let sum = 0;
  let zeros = 0;
  for (let i = 0; i < HLL_REGISTERS; i++) {
    const r = registers[i];
    sum += INVERSE_POWERS[r];
    if (r === 0) zeros++;
  }
  let estimate = (ALPHA * HLL_REGISTERS * HLL_REGISTERS) / sum;
  if (estimate <= 2.5 * HLL_REGISTERS && zeros > 0) estimate = HLL_REGISTERS * Math.log(HLL_REGISTERS / zeros);
  else if (estimate > TWO_32 / 30) estimate = -TWO_32 * Math.log(1 - estimate / TWO_32);
  return Math.round(estimate);
}

export function assertHll(registers: Uint8Array, where: string): HllState {
  if (registers.length !== HLL_REGISTERS) {
    throw new RangeError(`${where}: HLL state has ${registers.length} registers, expected ${HLL_REGISTERS} (p=12)`);
  }
  return registers;
}

export const hyperLogLogMonoid: Monoid<HllState> = {
  name: 'hyperLogLog',
  empty: hllEmpty,
  merge(a, b) {
    const out = Uint8Array.from(a);
    hllMergeInto(out, b);
    return out;
  },
  commutative: true,
  schema: 'bytes',
};
