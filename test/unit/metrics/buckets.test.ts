import { describe, expect, it } from 'vitest';
import {
  MAX_BUCKETS,
  bucketOfAccount,
  bucketOfHash,
  bucketPath,
  coveringBuckets,
  isBucketCount,
  layoutOfListing,
  partialPathsOfBucket,
  partialRunPath,
} from '../../../src/metrics/buckets';
import { murmur3Bytes } from '../../../src/metrics/monoids/murmur3';
import { partialPath } from '../../../src/metrics/pipelines';
import { seeded } from './support/random-usage';

const ALPHABET = ['a', 'Z', '7', '-', '_', 'é', 'ß', '中', '😀', 'Ω'];
function randomIds(n: number, seed: number): string[] {
  const next = seeded(seed);
  return Array.from({ length: n }, (_, i) => {
    const len = 1 + Math.floor(next() * 20);
    let id = `acct-${i}-`;
    for (let j = 0; j < len; j++) id += ALPHABET[Math.floor(next() * ALPHABET.length)];
    return id;
  });
}

const COUNTS = Array.from({ length: 11 }, (_, i) => 2 ** i);

describe('bucket counts', () => {
  it('are the powers of two from 1 to 1024', () => {
    expect(MAX_BUCKETS).toBe(1024);
    expect(COUNTS.every(isBucketCount)).toBe(true);
    for (const n of [0, -1, 3, 6, 1000, 2048, 1.5, Number.NaN, '4']) expect(isBucketCount(n)).toBe(false);
  });
});

describe('bucketOfAccount', () => {
  it('is the top log2(B) bits of murmur3Bytes over the UTF-8 bytes of the id', () => {
    const ids = randomIds(2000, 1);
    for (const count of COUNTS) {
      const expected = ids.map((id) => {
        const bytes = Buffer.from(id, 'utf8');
        // Division instead of a shift, so the check does not share the code's shift arithmetic.
        return Math.floor(murmur3Bytes(bytes, 0, bytes.length) / 2 ** (32 - Math.log2(count)));
      });
      expect(ids.map((id) => bucketOfAccount(id, count))).toEqual(expected);
    }
  });

  it('matches hand-computed buckets of a known hash (murmur3_32("hello") = 0x248bfa47)', () => {
    // 0x248bfa47 = 0010 0100 1000 1011 ...: top bit 0, top 3 bits 001, top 10 bits 0010010010 = 146.
    expect(bucketOfAccount('hello', 2)).toBe(0);
    expect(bucketOfAccount('hello', 8)).toBe(1);
    expect(bucketOfAccount('hello', 1024)).toBe(146);
    expect(bucketOfHash(0xffffffff, 1)).toBe(0);
    expect(bucketOfHash(0xffffffff, 1024)).toBe(1023);
    expect(bucketOfHash(0x80000000, 2)).toBe(1);
  });

  it('nests: bucket b of B is the union of buckets [b*r, (b+1)*r) of B*r', () => {
    const ids = randomIds(5000, 2);
    for (const count of COUNTS) {
      for (const r of [2, 4, 32]) {
        if (count * r > MAX_BUCKETS) continue;
        const coarse = ids.map((id) => bucketOfAccount(id, count));
        expect(ids.map((id) => Math.floor(bucketOfAccount(id, count * r) / r))).toEqual(coarse);
      }
    }
  });

  it('spreads accounts evenly enough to size buckets by', () => {
    const counts = new Array<number>(64).fill(0);
    for (const id of randomIds(64_000, 3)) counts[bucketOfAccount(id, 64)]++;
    // 1000 expected per bucket; 6 standard deviations is about +-190.
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });
});

describe('bucket paths', () => {
  it('are the legacy single files at one bucket', () => {
    expect(bucketPath('daily-usage', 0, 1)).toBe('daily-usage.avro');
    expect(bucketPath('rolling', 0, 1)).toBe('rolling.avro');
    expect(bucketPath('attributes', 0, 1)).toBe('attributes.avro');
    expect(bucketPath('accounts', 0, 1)).toBe('accounts.avro');
    expect(bucketPath('activity-histogram', 0, 1)).toBe('activity-histogram.avro');
  });

  it('name bucket and count 1-based and padded to four digits otherwise', () => {
    expect(bucketPath('daily-usage', 0, 2)).toBe('daily-usage/bucket-0001-of-0002.avro');
    expect(bucketPath('accounts', 1023, 1024)).toBe('accounts/bucket-1024-of-1024.avro');
    expect(bucketPath('activity-histogram', 9, 16)).toBe('activity-histogram/bucket-0010-of-0016.avro');
  });

  it('refuse a count that is not a bucket count or an index outside it', () => {
    expect(() => bucketPath('rolling', 0, 3)).toThrow(/bucket count 3 is not a power of two/);
    expect(() => bucketPath('rolling', 4, 4)).toThrow(/bucket index 4 is not in 0..3/);
    expect(() => bucketPath('rolling', -1, 4)).toThrow(/bucket index -1/);
  });

  it('of partial runs name bucket, partition and run', () => {
    expect(partialRunPath({ index: 2, count: 8 }, { index: 0, count: 12 }, 0)).toBe(
      'partials/bucket-0003-of-0008/part-0001-of-0012-run-001.avro',
    );
    expect(partialRunPath({ index: 0, count: 1 }, { index: 11, count: 12 }, 41)).toBe(
      'partials/bucket-0001-of-0001/part-0012-of-0012-run-042.avro',
    );
    expect(() => partialRunPath({ index: 0, count: 1 }, { index: 12, count: 12 }, 0)).toThrow(/partition index 12/);
    expect(() => partialRunPath({ index: 0, count: 1 }, { index: 0, count: 1 }, 999)).toThrow(/partial run 999/);
  });

  it("that a bucket's daily-usage reads: the legacy partials at one bucket without spills", () => {
    expect(partialPathsOfBucket({ index: 0, count: 1 }, [1, 1, 1])).toEqual([
      partialPath(0, 3),
      partialPath(1, 3),
      partialPath(2, 3),
    ]);
    expect(partialPath(1, 3)).toBe('partials/part-0002-of-0003.avro');
  });

  it('that a bucket reads: every run of every partition, spilled partitions of a one-bucket day as runs', () => {
    expect(partialPathsOfBucket({ index: 0, count: 1 }, [1, 2])).toEqual([
      'partials/part-0001-of-0002.avro',
      'partials/bucket-0001-of-0001/part-0002-of-0002-run-001.avro',
      'partials/bucket-0001-of-0001/part-0002-of-0002-run-002.avro',
    ]);
    expect(partialPathsOfBucket({ index: 3, count: 4 }, [2, 1])).toEqual([
      'partials/bucket-0004-of-0004/part-0001-of-0002-run-001.avro',
      'partials/bucket-0004-of-0004/part-0001-of-0002-run-002.avro',
      'partials/bucket-0004-of-0004/part-0002-of-0002-run-001.avro',
    ]);
    expect(() => partialPathsOfBucket({ index: 0, count: 2 }, [1, 0])).toThrow(/partition 2 of 2 has 0 runs/);
  });
});

describe('coveringBuckets', () => {
  it('is the same file when the stored count is the reader count', () => {
    expect(coveringBuckets(5, 8, 8)).toEqual({ stored: [5], filter: false });
    expect(coveringBuckets(0, 1, 1)).toEqual({ stored: [0], filter: false });
  });

  it('is the r finer files when stored with more buckets', () => {
    expect(coveringBuckets(1, 4, 16)).toEqual({ stored: [4, 5, 6, 7], filter: false });
    expect(coveringBuckets(0, 1, 4)).toEqual({ stored: [0, 1, 2, 3], filter: false });
  });

  it('is the one coarser file, filtered, when stored with fewer buckets (the legacy file at 1)', () => {
    expect(coveringBuckets(13, 16, 4)).toEqual({ stored: [3], filter: true });
    expect(coveringBuckets(13, 16, 1)).toEqual({ stored: [0], filter: true });
    expect(coveringBuckets(1023, 1024, 2)).toEqual({ stored: [1], filter: true });
  });

  it('holds exactly the accounts of the bucket, for random ids and every pair of counts', () => {
    const ids = randomIds(3000, 4);
    const bucketsOf = new Map(COUNTS.map((count) => [count, ids.map((id) => bucketOfAccount(id, count))]));
    const of = (count: number) => bucketsOf.get(count) ?? [];
    for (const count of [1, 2, 8, 64]) {
      for (const stored of [1, 2, 4, 32, 128]) {
        for (let b = 0; b < count; b++) {
          const cover = coveringBuckets(b, count, stored);
          const got = ids.filter(
            (_, i) => cover.stored.includes(of(stored)[i]) && (!cover.filter || of(count)[i] === b),
          );
          expect(got).toEqual(ids.filter((_, i) => of(count)[i] === b));
          // Filtering is needed exactly when a stored file holds accounts of other buckets.
          expect(cover.filter).toBe(stored < count);
        }
      }
    }
  });
});

describe('layoutOfListing', () => {
  const set = (dataset: 'daily-usage' | 'accounts', count: number) =>
    Array.from({ length: count }, (_, i) => bucketPath(dataset, i, count));

  it('is 1 for the legacy file alone, NNNN for one complete set alone, missing for neither', () => {
    expect(layoutOfListing('daily-usage', ['daily-usage.avro', 'rolling.avro'])).toEqual({
      status: 'found',
      buckets: 1,
    });
    expect(layoutOfListing('daily-usage', [...set('daily-usage', 4), 'rolling/bucket-0001-of-0002.avro'])).toEqual({
      status: 'found',
      buckets: 4,
    });
    expect(layoutOfListing('daily-usage', ['rolling.avro', 'partials/part-0001-of-0001.avro'])).toEqual({
      status: 'missing',
    });
  });

  it('refuses an incomplete set, naming a missing file', () => {
    const keys = set('daily-usage', 8).filter((k) => !k.includes('bucket-0006'));
    const layout = layoutOfListing('daily-usage', keys);
    expect(layout.status).toBe('invalid');
    expect(layout.status === 'invalid' && layout.problem).toMatch(
      /set of 8 buckets is incomplete: no daily-usage\/bucket-0006-of-0008\.avro$/,
    );
  });

  it('refuses two sets, and a set beside the legacy file', () => {
    const two = layoutOfListing('daily-usage', [...set('daily-usage', 2), ...set('daily-usage', 4)]);
    expect(two.status === 'invalid' && two.problem).toMatch(/bucket sets of 2 and 4 buckets/);
    const both = layoutOfListing('daily-usage', ['daily-usage.avro', ...set('daily-usage', 2)]);
    expect(both.status === 'invalid' && both.problem).toMatch(/both daily-usage\.avro and a set of 2 buckets/);
  });

  it('refuses a file under the dataset that is no bucket file', () => {
    const stray = layoutOfListing('daily-usage', [...set('daily-usage', 2), 'daily-usage/bucket-0003-of-0002.avro']);
    expect(stray.status === 'invalid' && stray.problem).toMatch(/not bucket files: daily-usage\/bucket-0003-of-0002/);
    const one = layoutOfListing('daily-usage', ['daily-usage/bucket-0001-of-0001.avro']);
    expect(one.status).toBe('invalid');
  });

  it('takes accounts.avro beside a complete accounts set as the set (it is always written too)', () => {
    expect(layoutOfListing('accounts', ['accounts.avro', ...set('accounts', 16)])).toEqual({
      status: 'found',
      buckets: 16,
    });
    expect(layoutOfListing('accounts', ['accounts.avro'])).toEqual({ status: 'found', buckets: 1 });
    expect(layoutOfListing('accounts', ['accounts.avro', ...set('accounts', 16).slice(1)]).status).toBe('invalid');
  });
});
