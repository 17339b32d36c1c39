import { describe, expect, it } from 'vitest';
import { sortedLookup } from '../../../src/activities/serving/sorted-lookup';

async function* blocks(rows: { accountId: string; seats: number }[], size: number) {
  for (let i = 0; i < rows.length; i += size) {
    await Promise.resolve(); // a block arrives later, as a file's next block does
    yield rows.slice(i, i + size);
  }
}

const serve = (row: { seats: number }) => ({ plan: null, contractValue: null, renewalDate: null, seats: row.seats });

describe('sortedLookup: attributes beside sorted documents, one block held', () => {
  it('finds every present key and no absent one, across block boundaries', async () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      accountId: `acc-${String(i * 2).padStart(3, '0')}`,
      seats: i,
    }));
    for (const size of [1, 3, 7, 100]) {
      const lookup = sortedLookup(blocks(rows, size), serve, 'k');
      for (let i = 0; i < 100; i++) {
        const found = await lookup.get(`acc-${String(i).padStart(3, '0')}`);
        expect(found?.seats, `key ${i}, blocks of ${size}`).toBe(i % 2 === 0 ? i / 2 : undefined);
      }
      expect(await lookup.get('zzz')).toBeUndefined();
      await lookup.close();
    }
  });

  it('refuses keys out of order', async () => {
    const lookup = sortedLookup(blocks([{ accountId: 'b', seats: 1 }], 1), serve, 'k');
    await lookup.get('b');
    expect(() => lookup.get('a')).toThrow(/out of order/);
  });
});
