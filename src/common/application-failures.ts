import { ApplicationFailure } from '@temporalio/common';
import { REGISTERED_ERRORS, localEntryOf, type FailureKind } from './errors';

/**
 * The activity boundary of the error registry (errors.ts). Pure and sandbox-safe
 * (@temporalio/common only), so workflow code may raise registered failures too.
 */

/**
 * A registered local error as the ApplicationFailure its entry declares: `type` = its name,
 * `nonRetryable` = not retryable, `details` = [its fields], the error itself as `cause`. Anything
 * else (an ApplicationFailure already, an unregistered error) is returned as it is.
 */
export function toApplicationFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  const entry = localEntryOf(error);
  if (!entry) return error;
  const e = error as Error;
  return ApplicationFailure.create({
    type: entry.type,
    message: e.message,
    nonRetryable: !entry.retryable,
    details: [entry.fields(e)],
    cause: e,
  });
}

/** A failure-only type raised where it arises, with the retryability its entry declares. */
export function applicationFailure(kind: FailureKind, message: string, cause?: unknown): ApplicationFailure {
  const entry = REGISTERED_ERRORS[kind];
  return ApplicationFailure.create({
    type: entry.type,
    message,
    nonRetryable: !entry.retryable,
    ...(cause instanceof Error ? { cause } : {}),
  });
}

/** Runs an activity's body so that its registered errors leave it as their ApplicationFailures. */
export async function raisingRegisteredFailures<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toApplicationFailure(error);
  }
}
