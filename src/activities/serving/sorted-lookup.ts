import type { ServedAccountAttributes as ServedValue } from '../../workflows/serving/serving-contracts';

/** Values looked up by accountId in ascending order (a forward-only cursor); get may return a promise. */
export interface AttributeLookup {
  get(accountId: string): ServedValue | undefined | Promise<ServedValue | undefined>;
  close(): void | Promise<void>;
}

/**
 * A lookup over rows sorted by accountId, for keys asked in ascending order: it reads forward,
 * a block at a time, and never goes back, so it holds one block whatever the number of rows. A
 * key asked out of order is a programming error (the documents are sorted), and throws.
 */
export function sortedLookup<R extends { accountId: string }>(
  rows: AsyncIterable<readonly R[]>,
  serve: (row: R, key: string) => ServedValue,
  key: string,
): AttributeLookup {
  const iterator = rows[Symbol.asyncIterator]();
  let block: readonly R[] = [];
  let at = 0;
  let done = false;
  let last: string | undefined;
  const advanceTo = async (accountId: string): Promise<ServedValue | undefined> => {
    for (;;) {
      while (at < block.length && block[at].accountId < accountId) at++;
      if (at < block.length) return block[at].accountId === accountId ? serve(block[at], key) : undefined;
      if (done) return undefined;
      const next = await iterator.next();
      if (next.done) {
        done = true;
        return undefined;
      }
      block = next.value;
      at = 0;
    }
  };
  return {
    get(accountId) {
      if (last !== undefined && accountId < last)
        throw new RangeError(`attributes looked up out of order: ${accountId} after ${last}`);
      last = accountId;
      // The common case stays synchronous: the row is in the block at hand.
      while (at < block.length && block[at].accountId < accountId) at++;
      if (at < block.length) return block[at].accountId === accountId ? serve(block[at], key) : undefined;
      return advanceTo(accountId);
    },
    async close() {
      if (!done) await iterator.return?.();
    },
  };
}
