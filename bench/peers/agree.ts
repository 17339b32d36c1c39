/**
 * Whether two engines' account documents of one tenant-day agree (bench:peers). Pure: two streams
 * of documents sorted by accountId in, a verdict with the first differences out.
 *
 * Every field must be equal, except where Daybreak's number is a HyperLogLog estimate: its distinct
 * counts (activeUsers, sessions, activeUsers7d, activeUsers30d) are exact up to 256 values and an
 * estimate above (docs/metrics.md), while the peers count exactly. Above 256 on either side, they
 * agree within `relativeTolerance` of the exact count. healthScore takes activeUsers7d in its
 * breadth factor, so where that is an estimate the score may be one point off (a user more or less
 * can move the exact sum across a .5); everywhere else it must be equal.
 */

export type Document = Record<string, unknown>;

export const DOCUMENT_FIELDS = [
  'tenantId',
  'accountId',
  'day',
  'pipelineVersion',
  'accountName',
  'lifecycleStage',
  'eventsTotal',
  'eventsByType',
  'activeUsers',
  'sessions',
  'firstActivityAt',
  'lastActivityAt',
  'activeUsers7d',
  'activeUsers30d',
  'events7d',
  'events30d',
  'eventsPrevious7d',
  'trendWoW',
  'activityPercentile',
  'billingEvents',
  'billingHealth',
  'healthScore',
  'healthDelta',
] as const;

const ESTIMATED_FIELDS = new Set(['activeUsers', 'sessions', 'activeUsers7d', 'activeUsers30d']);
/** Daybreak's distinct sets are exact up to this many values (DISTINCT_EXACT_LIMIT). */
export const EXACT_DISTINCT_LIMIT = 256;

export interface AgreementOptions {
  /** Allowed |estimate - exact| / exact for distinct counts above EXACT_DISTINCT_LIMIT (default 0.05). */
  relativeTolerance?: number;
  /** Differences kept in the verdict (default 10); all are counted. */
  keep?: number;
}

export interface Agreement {
  agree: boolean;
  /** Accounts present on both sides. */
  compared: number;
  /** All differences found (missing accounts included). */
  differenceCount: number;
  /** The first `keep` differences, each one line naming the account and the field. */
  differences: string[];
  /** Distinct counts compared within the tolerance, and the largest relative error among them. */
  estimates: number;
  maxRelativeError: number;
}

/** Two values equal as document fields: numbers by value, maps by their entries, null and undefined alike. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === null || b === null) return a === b;
  if (typeof a === 'object' && typeof b === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const keys = Object.keys(x);
    return keys.length === Object.keys(y).length && keys.every((k) => k in y && sameValue(x[k], y[k]));
  }
  return a === b;
}

function show(value: unknown): string {
  return value === undefined ? 'undefined' : JSON.stringify(value);
}

/**
 * Compares `expected` (Daybreak's documents) with `actual` (a peer's), both sorted by accountId in
 * the same order; an account on one side only is a difference.
 */
export async function compareDocuments(
  expected: AsyncIterable<Document> | Iterable<Document>,
  actual: AsyncIterable<Document> | Iterable<Document>,
  options: AgreementOptions = {},
): Promise<Agreement> {
  const tolerance = options.relativeTolerance ?? 0.05;
  const keep = options.keep ?? 10;
  const differences: string[] = [];
  let differenceCount = 0;
  let compared = 0;
  let estimates = 0;
  let maxRelativeError = 0;
  const differ = (line: string) => {
    differenceCount++;
    if (differences.length < keep) differences.push(line);
  };
  const a = iterate(expected);
  const b = iterate(actual);
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    const idX = x.done ? undefined : String(x.value.accountId);
    const idY = y.done ? undefined : String(y.value.accountId);
    if (idY === undefined || (idX !== undefined && idX < idY)) {
      differ(`account ${idX}: only in the expected documents`);
      x = await a.next();
      continue;
    }
    if (idX === undefined || idY < idX) {
      differ(`account ${idY}: only in the peer's documents`);
      y = await b.next();
      continue;
    }
    compared++;
    const e = x.value as Document;
    const p = y.value as Document;
    let usersEstimated = false;
    for (const field of DOCUMENT_FIELDS) {
      const ev = e[field];
      const pv = p[field];
      if (ESTIMATED_FIELDS.has(field) && typeof ev === 'number' && typeof pv === 'number') {
        if (Math.max(ev, pv) > EXACT_DISTINCT_LIMIT) {
          if (field === 'activeUsers7d') usersEstimated = true;
          estimates++;
          const error = Math.abs(ev - pv) / Math.max(1, pv);
          maxRelativeError = Math.max(maxRelativeError, error);
          if (error > tolerance)
            differ(`account ${idX}: ${field} ${ev} is not within ${tolerance * 100}% of the peer's ${pv}`);
          continue;
        }
      }
      if (field === 'healthScore' && usersEstimated && typeof ev === 'number' && typeof pv === 'number') {
        if (Math.abs(ev - pv) > 1)
          differ(`account ${idX}: healthScore ${ev} is more than 1 from the peer's ${pv} (estimated users)`);
        continue;
      }
      if (!sameValue(ev, pv)) differ(`account ${idX}: ${field} is ${show(ev)}, the peer's is ${show(pv)}`);
    }
    x = await a.next();
    y = await b.next();
  }
  return {
    agree: differenceCount === 0,
    compared,
    differenceCount,
    differences,
    estimates,
    maxRelativeError,
  };
}

function iterate<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
}

/** The median of a non-empty list (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const s = [...values].sort((p, q) => p - q);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
