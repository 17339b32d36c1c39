/**
 * The error registry: every error Daybreak recognizes by name once it has crossed a boundary, and
 * how it crosses each one. A new error type is declared here and nowhere else (a unit test fails
 * for an error class exported from this module that is not in REGISTERED_ERRORS).
 *
 * Two kinds, after the SDK's own split (`*Error` for local errors, `*Failure` for what crosses
 * history):
 * - **Local errors** (the classes below) are thrown by pure and activity code. An entry says which
 *   fields an error carries besides its message: they cross a worker thread (`serializeError`,
 *   `reviveError`) and an activity boundary (`toApplicationFailure` in application-failures.ts:
 *   an ApplicationFailure with `type` = the name, `nonRetryable` = !retryable, `details` = [fields]).
 * - **Failure-only types** have no class: they are raised as ApplicationFailures where they arise
 *   (a workflow, the supervised activity wrapper, the alert webhook) with `applicationFailure()`.
 *
 * Workflows recognize either by the type at the root of a failure chain (`failureTypeOf`).
 * Not retryable means: raised with nonRetryable set, listed in every activity retry policy's
 * nonRetryableErrorTypes, and permanent for the reconciler (a retry of the same run cannot change
 * it; an operator rerun can). The type names are in recorded histories, run ledgers and retry
 * policies: never rename one.
 *
 * Pure and dependency-free: workflow code imports it.
 */

/**
 * Thrown when input can never succeed: a bad tenant id, a malformed day or time zone, a missing
 * tenant, an unknown pipeline version, task or policy.
 */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/**
 * Thrown when a stored object cannot be decoded: a corrupt block, a truncated file, an unknown
 * schema fingerprint. `key` names the object, `offset` the byte where reading failed when known.
 */
export class CorruptDataError extends Error {
  override readonly name = 'CorruptDataError';
  constructor(
    message: string,
    readonly key: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** Thrown when a schema is not compatible with what its readers expect (registration, serving mappings). */
export class IncompatibleSchemaError extends Error {
  override readonly name = 'IncompatibleSchemaError';
}

/** Thrown when a conditional create (ifNoneMatch) finds the object `key` already there. */
export class AlreadyExistsError extends Error {
  override readonly name = 'AlreadyExistsError';
  constructor(readonly key: string) {
    super(`object ${key} already exists and the write asked not to overwrite it`);
  }
}

/** What a local error carries besides its message: plain values, as postMessage and payloads keep them. */
export type ErrorFields = Record<string, string | number | undefined>;

/** A local error's entry: its class, its retryability, and its fields there and back. */
export interface LocalErrorEntry<E extends Error = Error> {
  readonly kind: 'local';
  readonly type: E['name'];
  readonly retryable: boolean;
  readonly errorClass: abstract new (...args: never[]) => E;
  /** The fields that make the error whole again on the other side of a boundary. */
  fields(error: E): ErrorFields;
  /** The error again, from its message and fields. */
  revive(message: string, fields: ErrorFields): E;
}

/** A failure-only type's entry: raised as an ApplicationFailure where it arises, no class. */
export interface FailureEntry<T extends string = string> {
  readonly kind: 'failure';
  readonly type: T;
  readonly retryable: boolean;
  /** Raised when... (the registry's doc of a type without a class). */
  readonly raisedWhen: string;
}

export type ErrorEntry = LocalErrorEntry | FailureEntry;

const noFields = (): ErrorFields => ({});
const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const count = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function local<E extends Error>(entry: Omit<LocalErrorEntry<E>, 'kind' | 'fields'> & Partial<LocalErrorEntry<E>>) {
  return { kind: 'local', fields: noFields, ...entry } as LocalErrorEntry<E>;
}

function failure<T extends string>(entry: Omit<FailureEntry<T>, 'kind'>): FailureEntry<T> {
  return { kind: 'failure', ...entry };
}

/** Every registered error, by the short name code refers to it with (`ErrorTypes.CorruptData`). */
export const REGISTERED_ERRORS = {
  InvalidInput: local({
    type: 'InvalidInputError',
    retryable: false,
    errorClass: InvalidInputError,
    revive: (message) => new InvalidInputError(message),
  }),
  CorruptData: local({
    type: 'CorruptDataError',
    retryable: false,
    errorClass: CorruptDataError,
    fields: (e) => ({ key: e.key, offset: e.offset }),
    revive: (message, f) => new CorruptDataError(message, text(f.key), count(f.offset)),
  }),
  IncompatibleSchema: local({
    type: 'IncompatibleSchemaError',
    retryable: false,
    errorClass: IncompatibleSchemaError,
    revive: (message) => new IncompatibleSchemaError(message),
  }),
  InputsNotArrived: failure({
    type: 'InputsNotArrivedError',
    retryable: false,
    raisedWhen: "a tenant-day's inputs (attribute snapshot, raw events) were still missing at its deadline",
  }),
  AlreadyExists: local({
    type: 'AlreadyExistsError',
    retryable: true,
    errorClass: AlreadyExistsError,
    fields: (e) => ({ key: e.key }),
    revive: (message, f) => Object.assign(new AlreadyExistsError(text(f.key)), { message }),
  }),
  DependencyUnavailable: failure({
    type: 'DependencyUnavailableError',
    retryable: true,
    raisedWhen:
      'a dependency (S3, Elasticsearch, Temporal, an alert webhook) cannot be reached; retried until it is back',
  }),
  AlertRejected: failure({
    type: 'AlertRejectedError',
    retryable: false,
    raisedWhen: 'an alert webhook refuses an alert with a 4xx other than 408 and 429: sending it again would not help',
  }),
} as const;

export type ErrorKind = keyof typeof REGISTERED_ERRORS;
export type FailureKind = {
  [K in ErrorKind]: (typeof REGISTERED_ERRORS)[K] extends FailureEntry ? K : never;
}[ErrorKind];

const entries: readonly ErrorEntry[] = Object.values(REGISTERED_ERRORS);

/** The registered failure type names, by kind: what activities raise and workflows compare with. */
export const ErrorTypes = Object.fromEntries(Object.entries(REGISTERED_ERRORS).map(([k, e]) => [k, e.type])) as {
  readonly [K in ErrorKind]: (typeof REGISTERED_ERRORS)[K]['type'];
};

export type ErrorType = (typeof ErrorTypes)[ErrorKind];

/** Types no retry can change: every activity retry policy lists them as nonRetryableErrorTypes. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = entries.filter((e) => !e.retryable).map((e) => e.type);

/**
 * Failures a retry of the same run cannot change (the non-retryable types; InputsNotArrived, for
 * one, finds its deadline passed). The reconciler does not ask again for a day that failed with
 * one of these; an operator rerun does.
 */
export const PERMANENT_FAILURE_TYPES: readonly string[] = NON_RETRYABLE_ERROR_TYPES;

export function isPermanentFailureType(type: string | undefined): boolean {
  return type !== undefined && PERMANENT_FAILURE_TYPES.includes(type);
}

/** The registry entry for a failure type name or an error's name, if it is registered. */
export function registeredError(type: string | null | undefined): ErrorEntry | undefined {
  return entries.find((e) => e.type === type);
}

/** The local error entry whose class `error` is an instance of. */
export function localEntryOf(error: unknown): LocalErrorEntry | undefined {
  for (const e of entries) if (e.kind === 'local' && error instanceof e.errorClass) return e;
  return undefined;
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

/** An error as it crosses a worker thread: postMessage keeps an Error's message but not its class or fields. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  /** A registered local error's fields (CorruptDataError's key and offset). */
  fields?: ErrorFields;
}

export function serializeError(error: unknown): SerializedError {
  const e = error instanceof Error ? error : new Error(String(error));
  const entry = localEntryOf(e);
  return {
    name: e.name,
    message: e.message,
    ...(e.stack ? { stack: e.stack } : {}),
    ...(entry ? { fields: entry.fields(e) } : {}),
  };
}

/** The error of serializeError again: a registered local error as its class, any other as an Error of that name. */
export function reviveError(serialized: SerializedError): Error {
  const entry = registeredError(serialized.name);
  let error: Error;
  if (entry?.kind === 'local') error = entry.revive(serialized.message, serialized.fields ?? {});
  else {
    error = new Error(serialized.message);
    error.name = serialized.name;
  }
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}
