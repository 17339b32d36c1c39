import type { RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';

/**
 * The retry policy every Daybreak activity uses: transient failures (network, 5xx, throttling)
 * retry with exponential backoff; the permanent error types fail at once.
 */
export const activityRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 6,
  nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES,
};
