/**
 * A monoid: an empty value and an associative merge. Every metric aggregate in Daybreak is one, so
 * partitions can be aggregated independently and their partial states merged in any grouping.
 *
 * Byte-identical outputs whatever the number or order of partitions need more than associativity:
 * every monoid here is also commutative and exact (no floating-point accumulation whose result
 * depends on order), and its state has one canonical form (sorted arrays, fixed parameters).
 */
export interface Monoid<S> {
  readonly name: string;
  empty(): S;
  /** Pure: returns a new state and leaves both arguments unchanged. */
  merge(a: S, b: S): S;
  /** True when merge(a, b) equals merge(b, a) for every pair of states. */
  readonly commutative: boolean;
  /** Avro schema (JSON) of the state, for persisting partial and daily states. */
  readonly schema: unknown;
}

/** Merges any number of states; the empty list gives the monoid's empty value. */
export function mergeAll<S>(monoid: Monoid<S>, states: Iterable<S>): S {
  let acc = monoid.empty();
  for (const s of states) acc = monoid.merge(acc, s);
  return acc;
}

/** Maps each input to a state and merges them: the monoid homomorphism behind every aggregate. */
export function foldMap<T, S>(monoid: Monoid<S>, inputs: Iterable<T>, lift: (input: T) => S): S {
  let acc = monoid.empty();
  for (const x of inputs) acc = monoid.merge(acc, lift(x));
  return acc;
}

/** Code-unit order: the one string order used for every sorted state and output in the metric engine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
