import { Context } from '@temporalio/activity';

/** The current activity's context; in-process runs (tests, the benchmark) have none. */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

export function heartbeat(details: unknown): void {
  activityContext()?.heartbeat(details);
}
