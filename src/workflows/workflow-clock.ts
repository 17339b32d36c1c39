/**
 * Workflow time, for reporting only (task durations, audit timestamps). Inside the sandbox Date.now()
 * is the deterministic time of the current workflow task, so replay sees the same values; business
 * dates never come from here but from inputs or the scheduled time.
 */
export function workflowNow(): number {
  // eslint-disable-next-line no-restricted-syntax
  return Date.now();
}
