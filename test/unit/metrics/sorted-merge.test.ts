import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../src/common/errors';
import { LINEAR_MAX, joinSorted, mergeSortedBlocks } from '../../../src/metrics/sorted-merge';
import { seeded } from './support/random-usage';

interface Row {
  id: string;
  source: number;
}

/** Rows cut into blocks of random sizes, empty ones included, some handed out after a macrotask. */
function blocksOf<T>(
  rows: readonly T[],
  next: () => number,
  log?: { closed: boolean },
  fixedSize?: number,
): AsyncGenerator<T[]> {
  return (async function* () {
    try {
      let at = 0;
      while (at < rows.length) {
        const size = fixedSize ?? (next() < 0.1 ? 0 : 1 + Math.floor(next() * 7));
        if (next() < 0.05) await new Promise((resolve) => setImmediate(resolve));
        yield rows.slice(at, at + size);
        at += size;
      }
      if (next() < 0.5) yield [];
    } finally {
      if (log) log.closed = true;
    }
  })();
}

/** Keys that sort by code unit differently from locale order: upper before lower, surrogates last. */
function keyUniverse(n: number): string[] {
  const parts = ['a', 'B', 'b', 'Z', '0', 'é', '😀', '-', 'aa'];
  return Array.from({ length: n }, (_, i) => `${parts[i % parts.length]}${i.toString(36)}`);
}

function randomSources(k: number, universe: readonly string[], density: number, seed: number): Row[][] {
  const next = seeded(seed);
  const sorted = [...universe].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Array.from({ length: k }, (_, source) => sorted.filter(() => next() < density).map((id) => ({ id, source })));
}

/** A key's rows as [source, row] pairs: sparse, so 1100 sources stay cheap to compare. */
type Joined = [string, [number, Row][]];

/** What joinSorted must produce, from a Map: every key once, ascending by code unit, with each source's row. */
function oracle(sources: Row[][]): Joined[] {
  const byKey = new Map<string, [number, Row][]>();
  sources.forEach((rows, s) => {
    for (const row of rows) {
      let entry = byKey.get(row.id);
      if (!entry) byKey.set(row.id, (entry = []));
      entry.push([s, row]);
    }
  });
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
}

/** The first entry where two joins differ, as text (a diff of thousands of entries would take minutes to print). */
function firstDifference(got: Joined[], expected: Joined[]): string | undefined {
  for (let i = 0; i < Math.max(got.length, expected.length); i++) {
    const [a, b] = [JSON.stringify(got[i]), JSON.stringify(expected[i])];
    if (a !== b) return `entry ${i} of ${got.length} (expected ${expected.length}): got ${a}, expected ${b}`;
  }
  return undefined;
}

async function joined(sources: Row[][], seed: number, asyncVisit = false): Promise<Joined[]> {
  const next = seeded(seed);
  const out: Joined[] = [];
  await joinSorted(
    sources.map((rows) => blocksOf(rows, next)),
    (row) => row.id,
    (key, rows) => {
      if (rows.length !== sources.length) throw new Error(`rows has ${rows.length} entries`);
      const present: [number, Row][] = [];
      rows.forEach((row, s) => row !== undefined && present.push([s, row]));
      out.push([key, present]);
      if (asyncVisit && next() < 0.1) return Promise.resolve();
    },
  );
  return out;
}

describe('joinSorted', () => {
  it('uses both strategies across the tested source counts', () => {
    expect(LINEAR_MAX).toBeGreaterThanOrEqual(3);
    expect(LINEAR_MAX).toBeLessThan(40);
  });

  for (const [k, keys, density] of [
    [1, 500, 0.6],
    [3, 2000, 0.5],
    [40, 3000, 0.3],
    [1100, 6000, 0.004],
  ] as const) {
    it(`visits every key once, in order, with each source's row (k = ${k})`, async () => {
      for (const seed of [1, 2, 3]) {
        const sources = randomSources(k, keyUniverse(keys), density, seed * 100 + k);
        const expected = oracle(sources);
        expect(expected.length).toBeGreaterThan(0);
        expect(firstDifference(await joined(sources, seed, seed === 2), expected)).toBeUndefined();
      }
    });
  }

  it('joins sources that are empty or end early, and none at all', async () => {
    const sources: Row[][] = [[], [{ id: 'a', source: 1 }], [], [{ id: 'b', source: 3 }]];
    expect(await joined(sources, 7)).toEqual(oracle(sources));
    const none: string[] = [];
    await joinSorted<Row>(
      [],
      (row) => row.id,
      (key) => void none.push(key),
    );
    expect(none).toEqual([]);
  });

  it('awaits a visitor that returns a promise before the next key', async () => {
    const order: string[] = [];
    await joinSorted(
      [blocksOf([{ id: 'a' }, { id: 'b' }], () => 0.5)],
      (row) => row.id,
      async (key) => {
        order.push(`start ${key}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(`end ${key}`);
      },
    );
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  for (const k of [2, LINEAR_MAX + 5]) {
    const strategy = k <= LINEAR_MAX ? 'scan' : 'heap';
    it(`refuses a source out of order or with a key twice, naming it and the key (${strategy})`, async () => {
      const run = (bad: string[]) => {
        const sources = Array.from({ length: k }, (_, s) =>
          s === 1 ? bad.map((id) => ({ id })) : [{ id: `m${s}` }, { id: `n${s}` }],
        );
        // Blocks of one row: the bad pair is checked across a block boundary.
        const streams = sources.map((rows) => blocksOf(rows, () => 0.5, undefined, 1));
        return joinSorted(
          streams,
          (row) => row.id,
          () => undefined,
          (s) => `tenants/t/x/part-${s}.avro`,
        );
      };
      await expect(run(['b', 'a'])).rejects.toThrow(
        'tenants/t/x/part-1.avro is not sorted by key: "a" comes after "b"',
      );
      await expect(run(['a', 'c', 'c'])).rejects.toThrow(/tenants\/t\/x\/part-1\.avro has key "c" twice/);
      // Code-unit order: "Z" sorts before "a", so "a" then "Z" is out of order (a locale compare says otherwise).
      await expect(run(['a', 'Z'])).rejects.toThrow(/"Z" comes after "a"/);
      const error = await run(['b', 'a']).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CorruptDataError);
      expect((error as CorruptDataError).key).toBe('tenants/t/x/part-1.avro');
    });
  }

  it('checks order inside a block too', async () => {
    await expect(
      joinSorted(
        [blocksOf([{ id: 'a' }, { id: 'c' }, { id: 'b' }], () => 0.99)],
        (r) => r.id,
        () => undefined,
      ),
    ).rejects.toThrow(/source 0 is not sorted by key: "b" comes after "c"/);
  });

  it('closes every source when the visitor throws', async () => {
    const logs = Array.from({ length: 20 }, () => ({ closed: false }));
    const sources = logs.map((log, s) =>
      blocksOf(
        Array.from({ length: 50 }, (_, i) => ({ id: `k${String(i).padStart(3, '0')}`, source: s })),
        seeded(s),
        log,
      ),
    );
    await expect(
      joinSorted(
        sources,
        (row) => row.id,
        (key) => {
          if (key === 'k010') throw new Error('visitor failed');
        },
      ),
    ).rejects.toThrow('visitor failed');
    expect(logs.every((log) => log.closed)).toBe(true);
  });
});

describe('mergeSortedBlocks', () => {
  it('is the sorted union of sources that share no key, in blocks of the size asked', async () => {
    const universe = keyUniverse(5000);
    const next = seeded(9);
    const owner = universe.map(() => Math.floor(next() * 37));
    const sources = Array.from({ length: 37 }, (_, s) =>
      universe
        .filter((_, i) => owner[i] === s)
        .sort((a, b) => (a < b ? -1 : 1))
        .map((id) => ({ id, source: s })),
    );
    const got: Row[] = [];
    const sizes: number[] = [];
    for await (const block of mergeSortedBlocks(
      sources.map((rows) => blocksOf(rows, next)),
      (row) => row.id,
      { blockSize: 100 },
    )) {
      sizes.push(block.length);
      got.push(...block);
    }
    const expected = sources.flat().sort((a, b) => (a.id < b.id ? -1 : 1));
    const text = (rows: Row[]) => rows.map((row) => `${row.id}@${row.source}`).join(' ');
    expect(text(got) === text(expected)).toBe(true);
    expect(sizes.slice(0, -1).every((size) => size === 100)).toBe(true);
    expect(sizes.length).toBe(50);
  });

  it('refuses a key in two sources, naming both', async () => {
    const blocks = mergeSortedBlocks(
      [blocksOf([{ id: 'a' }, { id: 'b' }], () => 0.5), blocksOf([{ id: 'b' }], () => 0.5)],
      (row) => row.id,
      { describe: (s) => `bucket ${s + 1}` },
    );
    const drain = async () => {
      let rows = 0;
      for await (const block of blocks) rows += block.length;
      return rows;
    };
    await expect(drain()).rejects.toThrow(/bucket 1 and bucket 2 both have key "b"/);
  });

  it('closes the sources when the consumer stops early', async () => {
    const logs = [{ closed: false }, { closed: false }];
    const sources = logs.map((log, s) =>
      blocksOf(
        Array.from({ length: 1000 }, (_, i) => ({ id: `k${String(2 * i + s).padStart(5, '0')}` })),
        seeded(s),
        log,
      ),
    );
    let taken = 0;
    for await (const block of mergeSortedBlocks(sources, (row) => row.id, { blockSize: 10 })) {
      taken += block.length;
      if (taken >= 30) break;
    }
    expect(taken).toBe(30);
    expect(logs.every((log) => log.closed)).toBe(true);
  });
});
