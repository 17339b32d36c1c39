import type { AccountRecord } from './values';

export type Side = 'primary' | 'shadow';

/**
 * A side's output could not be read as a sorted stream of accounts: a decode error, or accounts out
 * of order or duplicated. `side` says whose output it is, so the caller can tell a broken shadow run
 * (a verdict) from a broken primary one (an error).
 */
export class OutputReadError extends Error {
  override readonly name = 'OutputReadError';
  constructor(
    readonly side: Side,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${side} output: ${message}`, options);
  }
}

export interface JoinHandlers {
  matched(primary: AccountRecord, shadow: AccountRecord): void;
  primaryOnly(primary: AccountRecord): void;
  shadowOnly(shadow: AccountRecord): void;
  /** Called after each account; a returned promise (e.g. waiting for a full output stream to drain) is awaited. */
  afterEach?: () => Promise<void> | undefined;
  /** Called every `progressEvery` accounts with the number of accounts so far. */
  progress?: (accounts: number) => Promise<void> | void;
  progressEvery?: number;
}

class SortedSide {
  private readonly iterator: AsyncIterator<readonly AccountRecord[]>;
  private batch: readonly AccountRecord[] = [];
  private position = 0;
  private previous: string | undefined;
  current: AccountRecord | undefined;
  id = '';

  constructor(
    readonly side: Side,
    source: AsyncIterable<readonly AccountRecord[]>,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Moves to the next record: synchronously within a batch, returning a promise only to fetch the next batch. */
  advance(): Promise<void> | undefined {
    if (this.position < this.batch.length) {
      this.set(this.batch[this.position++]);
      return undefined;
    }
    return this.refill();
  }

  private async refill(): Promise<void> {
    for (;;) {
      let next: IteratorResult<readonly AccountRecord[]>;
      try {
        next = await this.iterator.next();
      } catch (error) {
        throw new OutputReadError(this.side, `cannot be read: ${(error as Error).message}`, { cause: error });
      }
      if (next.done) {
        this.current = undefined;
        return;
      }
      if (next.value.length > 0) {
        this.batch = next.value;
        this.position = 1;
        this.set(next.value[0]);
        return;
      }
    }
  }

  private set(record: AccountRecord): void {
    const id = record.accountId;
    if (typeof id !== 'string')
      throw new OutputReadError(this.side, `record without a string accountId: ${JSON.stringify(id)}`);
    if (this.previous !== undefined && !(id > this.previous)) {
      throw new OutputReadError(
        this.side,
        `accounts are not sorted by accountId: ${JSON.stringify(id)} after ${JSON.stringify(this.previous)}`,
      );
    }
    this.previous = id;
    this.id = id;
    this.current = record;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

/**
 * Joins two streams of account documents, each sorted by accountId (UTF-16 code unit order, as `<`
 * compares), in one pass: memory holds one batch per side whatever the file sizes. The streams
 * yield batches of records (any size, e.g. one container block), so the join only awaits between
 * batches. Returns the number of distinct accounts seen.
 */
export async function mergeJoin(
  primary: AsyncIterable<readonly AccountRecord[]>,
  shadow: AsyncIterable<readonly AccountRecord[]>,
  handlers: JoinHandlers,
): Promise<number> {
  const p = new SortedSide('primary', primary);
  const s = new SortedSide('shadow', shadow);
  const every = handlers.progressEvery ?? 10_000;
  let accounts = 0;
  try {
    await p.advance();
    await s.advance();
    let wait: Promise<void> | undefined;
    while (p.current || s.current) {
      if (p.current && s.current && p.id === s.id) {
        handlers.matched(p.current, s.current);
        if ((wait = p.advance())) await wait;
        if ((wait = s.advance())) await wait;
      } else if (p.current && (!s.current || p.id < s.id)) {
        handlers.primaryOnly(p.current);
        if ((wait = p.advance())) await wait;
      } else {
        handlers.shadowOnly(s.current!);
        if ((wait = s.advance())) await wait;
      }
      accounts++;
      if ((wait = handlers.afterEach?.())) await wait;
      if (handlers.progress && accounts % every === 0) await handlers.progress(accounts);
    }
  } finally {
    await Promise.allSettled([p.close(), s.close()]);
  }
  return accounts;
}
