import { InvalidInputError } from '../common/errors';
import type { AccountRecord, FieldValue } from './values';
import { numericDelta } from './values';

/**
 * What a comparator decides about one field of one account whose primary and shadow values differ:
 * - `equal`: the difference does not count (within tolerance, or an ignored field);
 * - `expected`: a real difference the policy allows;
 * - `unexpected`: a difference the policy does not allow; it goes to the CSV.
 */
export type Outcome = 'equal' | 'expected' | 'unexpected';

/** One field of one account present on both sides. */
export interface FieldPair {
  accountId: string;
  /** Field name; map entries are `map.key` (e.g. `eventsByType.login`). */
  field: string;
  primary: FieldValue;
  shadow: FieldValue;
  primaryRecord: AccountRecord;
  shadowRecord: AccountRecord;
}

/**
 * A comparator is a plain function. The engine only calls it for values that differ (identical
 * values are always `equal`), so a comparator never has to handle the no-change case.
 */
export type CompareFn = (pair: FieldPair) => Outcome;

/** A comparator with the name that appears in the CSV's `rule` column. */
export interface Comparator {
  readonly name: string;
  readonly compare: CompareFn;
}

export function comparator(name: string, compare: CompareFn): Comparator {
  if (!name) throw new InvalidInputError('a comparator needs a name');
  return { name, compare };
}

/** Any difference is unexpected. */
export const exact: Comparator = comparator('exact', () => 'unexpected');

/** The field is not compared at all: its differences are counted in the summary, never reported. */
export const ignore: Comparator = comparator('ignore', () => 'equal');

function assertNonNegative(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new InvalidInputError(`${what} ${value} must be a finite number >= 0`);
  return value;
}

/**
 * Numeric tolerance: equal when |shadow - primary| <= abs + rel * max(|primary|, |shadow|) (the
 * symmetric form, so swapping the sides never changes the outcome). Non-numeric or null-vs-number
 * differences are unexpected.
 */
export function tolerance(options: { abs?: number; rel?: number }): Comparator {
  const abs = assertNonNegative(options.abs ?? 0, 'absolute tolerance');
  const rel = assertNonNegative(options.rel ?? 0, 'relative tolerance');
  const parts = [options.abs !== undefined ? `abs=${abs}` : '', options.rel !== undefined ? `rel=${rel}` : ''];
  return comparator(`tolerance(${parts.filter(Boolean).join(',')})`, ({ primary, shadow }) => {
    const delta = numericDelta(primary, shadow);
    if (delta === undefined) return 'unexpected';
    const scale = Math.max(Math.abs(primary as number), Math.abs(shadow as number));
    return Math.abs(delta) <= abs + rel * scale ? 'equal' : 'unexpected';
  });
}

/** Equal when the values are within `abs` of each other. */
export function absTolerance(abs: number): Comparator {
  const c = tolerance({ abs });
  return comparator(`abs-tolerance(${abs})`, c.compare);
}

/** Equal when the values are within `rel` (0.01 = 1%) of the larger magnitude. */
export function relTolerance(rel: number): Comparator {
  const c = tolerance({ rel });
  return comparator(`rel-tolerance(${rel})`, c.compare);
}

/** Decides whether an account is one that a change may affect; sees both sides' documents. */
export interface AccountPredicate {
  readonly name: string;
  readonly test: (primary: AccountRecord, shadow: AccountRecord) => boolean;
}

export function accountPredicate(name: string, test: AccountPredicate['test']): AccountPredicate {
  if (!name) throw new InvalidInputError('an account predicate needs a name');
  return { name, test };
}

function positive(value: unknown): boolean {
  return typeof value === 'number' && value > 0;
}

/**
 * "Accounts with billing events": `billingEvents > 0` on either side for the day compared. Either
 * side, so the predicate is symmetric and an account the candidate newly sees billing for counts.
 */
export const withBillingEvents: AccountPredicate = accountPredicate(
  'with-billing-events',
  (primary, shadow) => positive(primary.billingEvents) || positive(shadow.billingEvents),
);

/**
 * "Only these accounts may change": differences on the selected accounts are expected; on any other
 * account they are judged by `otherwise` (default: exact, so unexpected). Accounts are selected by a
 * list of ids or by a predicate over both sides' documents.
 */
export function onlyAccounts(
  accounts: readonly string[] | AccountPredicate,
  options: { otherwise?: Comparator } = {},
): Comparator {
  const otherwise = options.otherwise ?? exact;
  let selected: (pair: FieldPair) => boolean;
  let label: string;
  if (Array.isArray(accounts)) {
    const ids = new Set(accounts as readonly string[]);
    selected = (pair) => ids.has(pair.accountId);
    label = `${ids.size} listed`;
  } else {
    const predicate = accounts as AccountPredicate;
    selected = (pair) => predicate.test(pair.primaryRecord, pair.shadowRecord);
    label = predicate.name;
  }
  const suffix = options.otherwise ? `,otherwise=${otherwise.name}` : '';
  return comparator(`only-accounts(${label}${suffix})`, (pair) =>
    selected(pair) ? 'expected' : otherwise.compare(pair),
  );
}

/** Differences are always expected (e.g. a field the change rewrites for every account). */
export const allowChange: Comparator = comparator('allow-change', () => 'expected');
