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
  private readonly iterator: AsyncIterator<AccountRecord>;
  private previous: string | undefined;
  current: AccountRecord | undefined;
  id = '';

  constructor(
    readonly side: Side,
    source: AsyncIterable<AccountRecord>,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  async advance(): Promise<void> {
    let next: IteratorResult<AccountRecord>;
    try {
      next = await this.iterator.next();
    } catch (error) {
      throw new OutputReadError(this.side, `cannot be read: ${(error as Error).message}`, { cause: error });
    }
    if (next.done) {
      this.current = undefined;
      return;
    }
    const id = next.value.accountId;
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
    this.current = next.value;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

/**
 * Joins two streams of account documents, each sorted by accountId (UTF-16 code unit order, as `<`
 * compares), in one pass: memory holds one record per side whatever the file sizes. Returns the
 * number of distinct accounts seen.
 */
export async function mergeJoin(
  primary: AsyncIterable<AccountRecord>,
  shadow: AsyncIterable<AccountRecord>,
  handlers: JoinHandlers,
): Promise<number> {
  const p = new SortedSide('primary', primary);
  const s = new SortedSide('shadow', shadow);
  const every = handlers.progressEvery ?? 10_000;
  let accounts = 0;
  try {
    await p.advance();
    await s.advance();
    while (p.current || s.current) {
      if (p.current && s.current && p.id === s.id) {
        handlers.matched(p.current, s.current);
        await p.advance();
        await s.advance();
      } else if (p.current && (!s.current || p.id < s.id)) {
        handlers.primaryOnly(p.current);
        await p.advance();
      } else {
        handlers.shadowOnly(s.current!);
        await s.advance();
      }
      accounts++;
      const wait = handlers.afterEach?.();
      if (wait) await wait;
      if (handlers.progress && accounts % every === 0) await handlers.progress(accounts);
    }
  } finally {
    await Promise.allSettled([p.close(), s.close()]);
  }
  return accounts;
}
