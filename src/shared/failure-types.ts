/** Kept for importers of the old path: the failure types and their recognition live in the error registry. */
export { PERMANENT_FAILURE_TYPES, failureTypeOf, isPermanentFailureType } from './errors';
