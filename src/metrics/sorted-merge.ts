import { CorruptDataError } from '../common/errors';

/**
 * K-way merge-join of streams sorted by a string key, read a block (an array of rows) at a time: the
 * per-bucket tasks join a day's partial runs, 29 days of history or a bucket set this way, holding one
 * block per source instead of whole files. Everything per row is synchronous; an await happens only
 * when a source's block runs out or the visitor returns a promise. Up to LINEAR_MAX sources the
 * smallest key is found by a scan (cheapest when most keys are in most sources, as partials are);
 * above it by a binary heap (a bucket set of up to 1024 files, each key in one of them).
 *
 * Pure: the rows come from whatever decodes the sources.
 */

/** Above this many sources a heap finds the smallest key; at or below, a linear scan. */
export const LINEAR_MAX = 16;

/** The visitor of one key: rows[s] is source s's row with that key, or undefined. */
export type JoinVisitor<T> = (key: string, rows: readonly (T | undefined)[]) => void | Promise<void>;

const defaultDescribe = (source: number) => `source ${source}`;

/**
 * Calls `visit` once per distinct key of the sources, in ascending code-unit order (compareStrings),
 * with each source's row for that key. Each source must be sorted by key with every key once: a key
 * out of order or repeated is a CorruptDataError naming `describe(source)` and the key.
 *
 * `rows` is one array reused from key to key: read it during the call (and its promise), do not keep it.
 * Sources left unread after an error, including one the visitor throws, are closed (`return()`).
 */
export async function joinSorted<T>(
  sources: readonly AsyncIterable<readonly T[]>[],
  keyOf: (row: T) => string,
  visit: JoinVisitor<T>,
  describe: (source: number) => string = defaultDescribe,
): Promise<void> {
  const k = sources.length;
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const finished = new Array<boolean>(k).fill(false);
  const blocks = new Array<readonly T[]>(k).fill([]);
  const positions = new Array<number>(k).fill(0);
  const keys = new Array<string>(k).fill('');
  const rows = new Array<T | undefined>(k).fill(undefined);

  const keyAt = (s: number, previous: string | undefined): string => {
    const key = keyOf(blocks[s][positions[s]]);
    if (previous !== undefined && !(key > previous)) {
      const what =
        key === previous
          ? `has key ${JSON.stringify(key)} twice`
          : `is not sorted by key: ${JSON.stringify(key)} comes after ${JSON.stringify(previous)}`;
      throw new CorruptDataError(`${describe(s)} ${what}`, describe(s));
    }
    return key;
  };
  /** The next non-empty block of s, its first key checked against `previous`; false at the end. */
  const load = async (s: number, previous: string | undefined): Promise<boolean> => {
    for (;;) {
      const next = await iterators[s].next();
      if (next.done) {
        finished[s] = true;
        blocks[s] = [];
        return false;
      }
      if (next.value.length > 0) {
        blocks[s] = next.value;
        positions[s] = 0;
        keys[s] = keyAt(s, previous);
        return true;
      }
    }
  };
  /** Moves s past its current row; true when it has another (its key in keys[s]). */
  const advance = (s: number): boolean | Promise<boolean> => {
    if (++positions[s] < blocks[s].length) {
      keys[s] = keyAt(s, keys[s]);
      return true;
    }
    return load(s, keys[s]);
  };

  try {
    const live: number[] = [];
    for (let s = 0; s < k; s++) if (await load(s, undefined)) live.push(s);
    if (k <= LINEAR_MAX) await joinLinear(live);
    else await joinHeap(live);
  } finally {
    // Close what is still open (a decoder holding a stream): only after an error can one be.
    const open = iterators.filter((_, s) => !finished[s]);
    await Promise.allSettled(open.map((iterator) => iterator.return?.() ?? Promise.resolve()));
  }

  async function joinLinear(live: number[]): Promise<void> {
    const hits = new Array<number>(k).fill(0);
    let n = live.length;
    while (n > 0) {
      let key = keys[live[0]];
      for (let i = 1; i < n; i++) if (keys[live[i]] < key) key = keys[live[i]];
      let h = 0;
      let ended = false;
      for (let i = 0; i < n; i++) {
        const s = live[i];
        if (keys[s] !== key) continue;
        rows[s] = blocks[s][positions[s]];
        hits[h++] = s;
        let more = advance(s);
        if (more !== true && more !== false) more = await more;
        if (!more) ended = true;
      }
      const visited = visit(key, rows);
      if (visited instanceof Promise) await visited;
      for (let i = 0; i < h; i++) rows[hits[i]] = undefined;
      if (ended) {
        let m = 0;
        for (let i = 0; i < n; i++) if (!finished[live[i]]) live[m++] = live[i];
        n = m;
      }
    }
  }

  async function joinHeap(live: number[]): Promise<void> {
    const heap = Int32Array.from(live);
    let n = heap.length;
    const hits = new Int32Array(k);
    const siftDown = (from: number): void => {
      const s = heap[from];
      const key = keys[s];
      let i = from;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && keys[heap[c + 1]] < keys[heap[c]]) c++;
        if (!(keys[heap[c]] < key)) break;
        heap[i] = heap[c];
        i = c;
      }
      heap[i] = s;
    };
    for (let i = (n >> 1) - 1; i >= 0; i--) siftDown(i);
    while (n > 0) {
      const key = keys[heap[0]];
      let h = 0;
      do {
        // Advance the top in place and sift it down: one sift per row instead of a pop and a push.
        const s = heap[0];
        rows[s] = blocks[s][positions[s]];
        hits[h++] = s;
        let more = advance(s);
        if (more !== true && more !== false) more = await more;
        if (!more) heap[0] = heap[--n];
        if (n > 1) siftDown(0);
      } while (n > 0 && keys[heap[0]] === key);
      const visited = visit(key, rows);
      if (visited instanceof Promise) await visited;
      for (let i = 0; i < h; i++) rows[hits[i]] = undefined;
    }
  }
}

export interface MergeSortedBlocksOptions {
  describe?: (source: number) => string;
  /** Rows per yielded block. */
  blockSize?: number;
}

// Thrown into the merge when the consumer stops early, so joinSorted closes the sources.
const STOPPED = new Error('the consumer of the merge stopped');

/**
 * The union of sources sorted by key that share no key (the files of a bucket set), as one sorted
 * stream of blocks: what joinSorted takes as one source where a day is stored with more buckets
 * than the reader has. A key in two sources is a CorruptDataError naming both. The next block is
 * merged while the consumer works on the last one.
 */
export async function* mergeSortedBlocks<T>(
  sources: readonly AsyncIterable<readonly T[]>[],
  keyOf: (row: T) => string,
  options: MergeSortedBlocksOptions = {},
): AsyncGenerator<T[]> {
  const { describe = defaultDescribe, blockSize = 1024 } = options;
  const queue: T[][] = [];
  let block: T[] = [];
  let done = false;
  let failure: { error: unknown } | undefined;
  let notify: (() => void) | undefined;
  let resume: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  let stopped = false;

  const wakeConsumer = () => {
    const wake = notify;
    notify = undefined;
    wake?.();
  };
  const merging = joinSorted(
    sources,
    keyOf,
    (key, rows) => {
      if (stopped) throw STOPPED;
      let found = -1;
      for (let s = 0; s < rows.length; s++) {
        if (rows[s] === undefined) continue;
        if (found >= 0) {
          throw new CorruptDataError(
            `${describe(found)} and ${describe(s)} both have key ${JSON.stringify(key)}: a bucket set's files share no account`,
            describe(s),
          );
        }
        found = s;
      }
      block.push(rows[found] as T);
      if (block.length < blockSize) return;
      queue.push(block);
      block = [];
      wakeConsumer();
      // Hold the merge until the consumer takes this block, so at most two blocks are alive.
      if (stopped) return Promise.reject(STOPPED);
      return new Promise<void>((resolve, reject) => {
        resume = { resolve, reject };
      });
    },
    describe,
  ).then(
    () => {
      if (block.length > 0) queue.push(block);
      done = true;
      wakeConsumer();
    },
    (error: unknown) => {
      failure = { error };
      done = true;
      wakeConsumer();
    },
  );
  try {
    for (;;) {
      const next = queue.shift();
      if (next) {
        const waiting = resume;
        resume = undefined;
        waiting?.resolve();
        yield next;
        continue;
      }
      if (done) {
        if (failure) throw failure.error;
        return;
      }
      await new Promise<void>((resolve) => {
        notify = resolve;
      });
    }
  } finally {
    if (!done) {
      stopped = true;
      resume?.reject(STOPPED);
      await merging;
    }
  }
}
