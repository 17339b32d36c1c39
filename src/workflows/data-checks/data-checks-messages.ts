import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ReleaseChecksResult } from './checks-gate';
import type { ChecksState, ReleaseChecksRequest } from './data-check-contracts';

/**
 * A tenant-day's data-check messages and the release validator, in their own module: the CLI
 * (`daybreak checks`) and tests use them without importing the tenant-day workflow.
 */
/** Releases a tenant-day blocked by its data checks: it then serves its documents. Refused when it is not blocked. */
export const releaseChecksUpdate = defineUpdate<ReleaseChecksResult, [ReleaseChecksRequest]>('releaseChecks');
/** The tenant-day's data checks: not yet checked, checked (passed or warned), blocked, or released. */
export const checksStateQuery = defineQuery<ChecksState>('checksState');

/** A release names who and why, and only a blocked, not yet released day takes one (`refusal` says). */
export function releaseChecksValidator(refusal: () => string | undefined) {
  return (request: ReleaseChecksRequest): void => {
    const refused = refusal();
    if (refused) throw new Error(refused);
    for (const field of ['by', 'reason'] as const) {
      const value: unknown = (request as Partial<ReleaseChecksRequest> | undefined)?.[field];
      if (typeof value !== 'string' || value.trim() === '' || value.length > 500)
        throw new Error(`release needs a non-empty "${field}" of at most 500 characters`);
    }
  };
}
