/**
 * Error type names shared by activities and workflows. Activities raise ApplicationFailure with
 * one of these as `type`; the permanent ones are listed as non-retryable in retry policies.
 */
export const ErrorTypes = {
  /** Input that can never succeed: a bad tenant id, a malformed day, a missing tenant. */
  InvalidInput: 'InvalidInputError',
  /** A stored object that cannot be decoded: corrupt block, unknown schema fingerprint. */
  CorruptData: 'CorruptDataError',
  /** A schema that is not compatible with what readers expect. */
  IncompatibleSchema: 'IncompatibleSchemaError',
  /** A tenant-day's inputs (attribute snapshot, raw events) were still missing at its deadline. */
  InputsNotArrived: 'InputsNotArrivedError',
  /** A conditional create found the object already there. */
  AlreadyExists: 'AlreadyExistsError',
  /** A dependency (S3, Elasticsearch, Temporal) could not be reached; retried until it is back. */
  DependencyUnavailable: 'DependencyUnavailableError',
} as const;

export type ErrorType = (typeof ErrorTypes)[keyof typeof ErrorTypes];

export const NON_RETRYABLE_ERROR_TYPES: string[] = [
  ErrorTypes.InvalidInput,
  ErrorTypes.CorruptData,
  ErrorTypes.IncompatibleSchema,
];

export class InvalidInputError extends Error {
  override readonly name = ErrorTypes.InvalidInput;
}

export class CorruptDataError extends Error {
  override readonly name = ErrorTypes.CorruptData;
  constructor(
    message: string,
    readonly key: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

export class IncompatibleSchemaError extends Error {
  override readonly name = ErrorTypes.IncompatibleSchema;
}

export class AlreadyExistsError extends Error {
  override readonly name = ErrorTypes.AlreadyExists;
  constructor(readonly key: string) {
    super(`object ${key} already exists and the write asked not to overwrite it`);
  }
}
