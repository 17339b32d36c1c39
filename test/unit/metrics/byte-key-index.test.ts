import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteKeyIndex, OwnedHashSet } from '../../../src/metrics/byte-key-index';
import { murmur3Bytes } from '../../../src/metrics/monoids/murmur3';

describe('OwnedHashSet', () => {
  it('holds per-owner sets exactly, and lists and groups them, across table growth (property)', () => {
    const entry = fc.tuple(
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 0, max: 3 }),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 400 }), (entries) => {
        // 16 slots to start with: hundreds of entries make it grow several times.
        const set = new OwnedHashSet(16);
        const expected = new Map<number, Set<string>>();
        for (const [owner, a, b] of entries) {
          const key = `${a >>> 0}:${b}`;
          const own = expected.get(owner) ?? new Set<string>();
          expect(set.add(owner, a | 0, b)).toBe(!own.has(key));
          own.add(key);
          expected.set(owner, own);
        }
        const owners = 41;
        const grouped = set.byOwner(owners);
        for (let owner = 0; owner < owners; owner++) {
          const want = [...(expected.get(owner) ?? [])].sort();
          expect(set.countOf(owner)).toBe(want.length);
          const got: string[] = [];
          for (let i = grouped.start[owner]; i < grouped.start[owner + 1]; i++) {
            got.push(`${grouped.pairs[2 * i]}:${grouped.pairs[2 * i + 1]}`);
          }
          expect(got.sort()).toEqual(want);
          const hashes: number[] = [];
          set.forEachHashOf(owner, (h) => hashes.push(h));
          expect(hashes.sort()).toEqual(want.map((k) => Number(k.split(':')[0])).sort());
        }
      }),
    );
  });
});

describe('ByteKeyIndex', () => {
  it('gives each distinct key one dense index in first-seen order, across growth', () => {
    const index = new ByteKeyIndex(4);
    const keys = Array.from({ length: 3000 }, (_, n) => `account-${n % 1000}-ü`);
    const bytes = Buffer.from(keys.join(''), 'utf8');
    let at = 0;
    const seen = new Map<string, number>();
    for (const key of keys) {
      const len = Buffer.byteLength(key);
      const i = index.findOrAdd(bytes, at, len, murmur3Bytes(bytes, at, len));
      const isNew = !seen.has(key);
      if (isNew) seen.set(key, seen.size);
      expect(index.added).toBe(isNew);
      expect(i).toBe(seen.get(key));
      expect(index.key(i)).toBe(key);
      expect(index.keyLength(i)).toBe(len);
      expect(index.hash(i)).toBe(murmur3Bytes(bytes, at, len));
      at += len;
    }
    expect(index.size).toBe(1000);
  });

  it('tells apart keys whose hashes collide, by length and by bytes', () => {
    const index = new ByteKeyIndex(4);
    const keys = ['a', 'ab', 'ba', 'abc', 'ab', 'a', 'abd', 'ba'];
    const bytes = Buffer.from(keys.join(''), 'utf8');
    let at = 0;
    const found = keys.map((key) => {
      // One hash for every key: each lookup walks the same probe chain and must compare the keys.
      const i = index.findOrAdd(bytes, at, key.length, 0x5bd1e995);
      at += key.length;
      return i;
    });
    expect(found).toEqual([0, 1, 2, 3, 1, 0, 4, 2]);
    expect([0, 1, 2, 3, 4].map((i) => index.key(i))).toEqual(['a', 'ab', 'ba', 'abc', 'abd']);
  });
});
