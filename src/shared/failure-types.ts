import { ErrorTypes, NON_RETRYABLE_ERROR_TYPES } from './errors';

/**
 * Failures a retry of the same run cannot change: bad input, corrupt or incompatible data, and
 * inputs that did not arrive by their deadline (a retry finds the deadline passed). The reconciler
 * does not ask again for a day that failed with one of these; an operator rerun does.
 */
export const PERMANENT_FAILURE_TYPES: readonly string[] = [...NON_RETRYABLE_ERROR_TYPES, ErrorTypes.InputsNotArrived];

export function isPermanentFailureType(type: string | undefined): boolean {
  return type !== undefined && PERMANENT_FAILURE_TYPES.includes(type);
}

/**
 * The application error type at the root of a failure chain (a child workflow failed because an
 * activity failed because of a CorruptDataError...), or undefined for timeouts, cancellations and
 * plain errors. Duck-typed on `type` and `cause`, so it is pure and runs in workflow code.
 */
export function failureTypeOf(error: unknown): string | undefined {
  let found: string | undefined;
  for (let e = error as { type?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 10; depth++) {
    if (typeof e === 'object' && typeof e.type === 'string' && e.type.length > 0) found = e.type;
    e = typeof e === 'object' ? (e.cause as typeof e) : undefined;
  }
  return found;
}
