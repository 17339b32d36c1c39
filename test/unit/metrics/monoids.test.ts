import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as avro from 'avsc';
import type { Monoid } from '../../../src/metrics/monoids';
import {
  DISTINCT_EXACT_LIMIT,
  HLL_REGISTERS,
  countByKeyMonoid,
  countMonoid,
  distinctCount,
  distinctMonoid,
  distinctOf,
  DistinctAccumulator,
  exactDistinctMonoid,
  fingerprintCount,
  fingerprintOf,
  fingerprintSet,
  fingerprintSetOf,
  writeFingerprintPairs,
  firstSeenMonoid,
  isFingerprintSet,
  unionFingerprints,
  upgradeDistinct,
  hllAdd,
  hllEmpty,
  hllEstimate,
  hyperLogLogMonoid,
  integerSumMonoid,
  lastSeenMonoid,
  maxMonoid,
  minMonoid,
  momentsMean,
  momentsMonoid,
  momentsOf,
  momentsVariance,
  murmur3,
  quantileSketchMonoid,
  sketchOf,
  sketchQuantile,
  sketchQuantiles,
} from '../../../src/metrics/monoids';

/** Monoid laws, checked on the Avro encoding of states so "equal" means byte-identical. */
function laws<S>(monoid: Monoid<S>, arb: fc.Arbitrary<S>, toAvro: (s: S) => unknown = (s) => s) {
  const type = avro.Type.forSchema(monoid.schema as avro.Schema);
  const bytes = (s: S) => type.toBuffer(toAvro(s)).toString('hex');
  describe(`${monoid.name} monoid`, () => {
    it('has an identity', () => {
      fc.assert(
        fc.property(arb, (a) => {
          expect(bytes(monoid.merge(monoid.empty(), a))).toBe(bytes(a));
          expect(bytes(monoid.merge(a, monoid.empty()))).toBe(bytes(a));
        }),
      );
    });
    it('is associative', () => {
      fc.assert(
        fc.property(arb, arb, arb, (a, b, c) => {
          expect(bytes(monoid.merge(monoid.merge(a, b), c))).toBe(bytes(monoid.merge(a, monoid.merge(b, c))));
        }),
      );
    });
    if (monoid.commutative) {
      it('is commutative', () => {
        fc.assert(
          fc.property(arb, arb, (a, b) => {
            expect(bytes(monoid.merge(a, b))).toBe(bytes(monoid.merge(b, a)));
          }),
        );
      });
    }
    it('leaves its arguments unchanged', () => {
      fc.assert(
        fc.property(arb, arb, (a, b) => {
          const before = [bytes(a), bytes(b)];
          monoid.merge(a, b);
          expect([bytes(a), bytes(b)]).toEqual(before);
        }),
      );
    });
  });
}

const int = fc.integer({ min: -1_000_000, max: 1_000_000 });
const ts = fc.integer({ min: 0, max: 2_000_000_000_000 });
const word = fc.constantFrom('a', 'b', 'c', 'ä', '日本', '👋', 'z');
const values = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { maxLength: 30 });
const userSets = fc.array(fc.string({ maxLength: 6 }), { maxLength: 400 });

laws(countMonoid, fc.nat({ max: 1e9 }));
laws(integerSumMonoid, int);
laws(minMonoid, fc.option(ts, { nil: null }));
laws(maxMonoid, fc.option(ts, { nil: null }));
const seen = fc.oneof(
  fc.constant({ at: null, value: null }),
  fc.record({ at: fc.integer({ min: 0, max: 5 }), value: fc.option(word, { nil: null }) }),
);
laws(firstSeenMonoid, seen);
laws(lastSeenMonoid, seen);
laws(
  countByKeyMonoid,
  fc
    .array(fc.tuple(word, fc.nat({ max: 1000 })), { maxLength: 5 })
    .map((pairs) => countByKeyMonoid.merge({}, Object.fromEntries(pairs))),
);
laws(
  exactDistinctMonoid,
  fc.array(word).map((xs) => exactDistinctMonoid.merge([], [...new Set(xs)].sort())),
);
laws(
  hyperLogLogMonoid,
  fc.array(fc.string(), { maxLength: 50 }).map((xs) => {
    const r = hllEmpty();
    xs.forEach((x) => hllAdd(r, x));
    return r;
  }),
  (s) => Buffer.from(s),
);
laws(distinctMonoid, userSets.map(distinctOf), (s) => ({
  fingerprints: Buffer.from(s.fingerprints),
  hll: s.hll && Buffer.from(s.hll),
}));
laws(momentsMonoid, values.map(momentsOf));
laws(quantileSketchMonoid, values.map(sketchOf));

describe('MurmurHash3_x86_32', () => {
  it('matches the reference vectors (seed 0, UTF-8)', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });
  it('hashes a string as its UTF-8 bytes (astral characters are 4 bytes)', () => {
    expect(murmur3('👋')).not.toBe(murmur3('\ud83d'));
    expect(murmur3('\ud83d')).toBe(murmur3('\ufffd'));
  });
});

describe('HyperLogLog (p=12, one byte per register)', () => {
  it('stays within 5% (3 standard errors of 1.63%) of the exact count', () => {
    for (const n of [300, 1_000, 10_000, 100_000, 500_000]) {
      const r = hllEmpty();
      for (let i = 0; i < n; i++) hllAdd(r, `user-${i}@tenant`);
      const error = Math.abs(hllEstimate(r) - n) / n;
      expect(error, `n=${n}`).toBeLessThan(0.05);
    }
  });
  it('uses the documented register layout: index = top 12 bits, value = leading zeros + 1', () => {
    const r = hllEmpty();
    hllAdd(r, 'hello');
    const h = 0x248bfa47;
    const index = h >>> 20;
    expect(r.length).toBe(HLL_REGISTERS);
    expect(r[index]).toBe(Math.clz32((h << 12) >>> 0) + 1);
    expect(r.reduce((n, v) => n + (v > 0 ? 1 : 0), 0)).toBe(1);
  });
});

describe('distinct count (exact up to 256, then HLL)', () => {
  it('is exact for small sets and switches to HLL past the limit', () => {
    const small = distinctOf(Array.from({ length: DISTINCT_EXACT_LIMIT }, (_, i) => `u${i}`));
    expect(small.hll).toBeNull();
    expect(distinctCount(small)).toBe(DISTINCT_EXACT_LIMIT);
    const big = distinctMonoid.merge(small, distinctOf(['extra']));
    expect(big.hll).not.toBeNull();
    expect(big.fingerprints.length).toBe(0);
    expect(Math.abs(distinctCount(big) - 257)).toBeLessThan(5);
  });
  it('the hot-path accumulator gives the same state as the monoid', () => {
    fc.assert(
      fc.property(userSets, (users) => {
        const acc = new DistinctAccumulator();
        users.forEach((u) => acc.add(u));
        expect(acc.toState()).toEqual(distinctOf(users));
      }),
    );
  });
});

describe('fingerprints of distinct values', () => {
  const words = fc.array(fc.string({ unit: 'grapheme', maxLength: 6 }), { maxLength: 40 });
  it('are 8 bytes: MurmurHash3_x86_32 then FNV-1a 32 of the UTF-8 bytes, big-endian', () => {
    expect(fingerprintOf('hello')).toEqual([0x248bfa47, 0x4f9f2cab]);
    const set = fingerprintSetOf(['hello']);
    expect(Buffer.from(set).toString('hex')).toBe('248bfa474f9f2cab');
  });
  it('make a sorted set without repeats, one fingerprint per distinct value', () => {
    fc.assert(
      fc.property(words, (xs) => {
        const set = fingerprintSetOf(xs);
        expect(isFingerprintSet(set)).toBe(true);
        expect(fingerprintCount(set)).toBe(new Set(xs).size);
      }),
    );
  });
  it('sort and dedupe hash pairs in any order, small sets and large ones alike (property)', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    // Few distinct murmur halves, so equal first halves are ordered by the second.
    const pair = fc.tuple(fc.oneof(u32, fc.constantFrom(0, 7, 0xffffffff)), u32);
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 120 }), (list) => {
        const withRepeats = [...list, ...list.slice(0, 5)];
        const expected = [...new Set(withRepeats.map(([m, f]) => (BigInt(m) << 32n) | BigInt(f)))]
          .sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
          .map((x) => x.toString(16).padStart(16, '0'))
          .join('');
        const set = fingerprintSet(withRepeats.flat());
        expect(Buffer.from(set).toString('hex')).toBe(expected);
      }),
    );
  });
  it('are written from distinct hash pairs in place exactly as fingerprintSet makes them (property)', () => {
    const u32 = fc.integer({ min: 0, max: 0xffffffff });
    const pairs = fc.uniqueArray(fc.tuple(fc.oneof(u32, fc.constantFrom(0, 9)), u32), {
      maxLength: 120,
      selector: ([m, f]) => `${m}:${f}`,
    });
    fc.assert(
      fc.property(pairs, fc.nat(5), (list, pad) => {
        const flat = Uint32Array.from([...new Array<number>(2 * pad).fill(1), ...list.flat(), 5, 5]);
        const out = new Uint8Array(3 + list.length * 8);
        writeFingerprintPairs(flat, 2 * pad, 2 * pad + 2 * list.length, out, 3);
        expect(Buffer.from(out.subarray(3)).toString('hex')).toBe(
          Buffer.from(fingerprintSet(list.flat())).toString('hex'),
        );
      }),
    );
  });
  it('union like the sets of the values', () => {
    fc.assert(
      fc.property(words, words, (a, b) => {
        const union = unionFingerprints(fingerprintSetOf(a), fingerprintSetOf(b));
        expect(Buffer.from(union)).toEqual(Buffer.from(fingerprintSetOf([...a, ...b])));
      }),
    );
  });
  it('switch to the HLL registers the values themselves give', () => {
    const values = Array.from({ length: DISTINCT_EXACT_LIMIT + 40 }, (_, i) => `user-${i}@ü`);
    const registers = hllEmpty();
    values.forEach((v) => hllAdd(registers, v));
    const half = distinctMonoid.merge(distinctOf(values.slice(0, 200)), distinctOf(values.slice(200)));
    expect(Buffer.from(half.hll!)).toEqual(Buffer.from(registers));
    expect(half.fingerprints.length).toBe(0);
  });
  it('upgrade states stored as string values to the state of the same values', () => {
    fc.assert(
      fc.property(words, (xs) => {
        const stored = { fingerprints: new Uint8Array(0), hll: null, values: [...new Set(xs)].sort() };
        expect(upgradeDistinct(stored)).toEqual(distinctOf(xs));
      }),
    );
  });
});

describe('moments (fixed-point, exact)', () => {
  it('computes mean and population variance', () => {
    const s = momentsOf([1, 2, 3, 4]);
    expect(s).toEqual({ count: 4, sum: '10000', sumSquares: '30000000' });
    expect(momentsMean(s)).toBe(2.5);
    expect(momentsVariance(s)).toBe(1.25);
    expect(momentsMean(momentsMonoid.empty())).toBeNull();
  });
  it('stays exact where floating sums would not', () => {
    const s = momentsOf([1e9, 0.001, -1e9, 123456789.123]);
    expect(s.sum).toBe(String(1 + 123456789123));
    expect(momentsOf([5e10, 5e10]).sumSquares).toBe(String(2n * 5n ** 2n * 10n ** 26n));
  });
});

describe('quantile sketch (log buckets, 1% relative accuracy)', () => {
  it('answers quantiles within 1% of the exact value at that rank', () => {
    const xs = Array.from({ length: 10_001 }, (_, i) => (i * 7919) % 10_001).map((i) => 1 + i * 0.37);
    const sketch = sketchOf(xs);
    const sorted = [...xs].sort((a, b) => a - b);
    for (const q of [0, 0.1, 0.5, 0.9, 0.99, 1]) {
      const exact = sorted[Math.floor(q * (sorted.length - 1))];
      expect(Math.abs(sketchQuantile(sketch, q)! - exact) / exact, `q=${q}`).toBeLessThanOrEqual(0.01);
    }
  });
  it('handles zeros and negatives, and an empty sketch', () => {
    const s = sketchOf([-10, 0, 0, 5]);
    expect(sketchQuantile(s, 0)).toBeCloseTo(-10, 0);
    expect(sketchQuantile(s, 0.5)).toBe(0);
    expect(sketchQuantile(s, 1)).toBeCloseTo(5, 1);
    expect(sketchQuantile(quantileSketchMonoid.empty(), 0.5)).toBeNull();
  });
  it('is within 1% for doubles, negatives and large values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e13, max: 1e13, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (values) => {
          const sketch = sketchOf(values);
          const sorted = [...values].sort((a, b) => a - b);
          for (const q of [0.1, 0.5, 0.9]) {
            const exactValue = sorted[Math.floor(q * (sorted.length - 1))];
            // |x| below 1e-9 counts as zero: that is the 1e-9 of absolute slack.
            expect(Math.abs(sketchQuantile(sketch, q)! - exactValue)).toBeLessThanOrEqual(
              Math.abs(exactValue) * 0.01 + 1e-9,
            );
          }
        },
      ),
    );
  });
  it('reads quantiles over several sketches as over their union', () => {
    const low = Array.from({ length: 50 }, (_, i) => i);
    const high = Array.from({ length: 50 }, (_, i) => 50 + i);
    const [median] = sketchQuantiles([sketchOf(low), sketchOf(high)], [0.5])!;
    // Rank floor(0.5 * 99) = 49 of 0..99 is 49; its bucket ceil(ln 49 / ln(1.01/0.99)) = 195 stands for
    // 2 * gamma^195 / (gamma + 1) = 48.91.
    expect(median).toBeCloseTo(48.91, 2);
    expect(sketchQuantiles([sketchOf(low), sketchOf(high)], [0.1, 0.9])).toEqual(
      sketchQuantiles([sketchOf([...low, ...high])], [0.1, 0.9]),
    );
    expect(sketchQuantiles([quantileSketchMonoid.empty()], [0.5])).toBeUndefined();
    expect(sketchQuantiles([], [0.5])).toBeUndefined();
  });
});
