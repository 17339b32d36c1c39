import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { NON_OUTAGE_ATTEMPTS, describeConnectionFailure, type Endpoints } from '../common/outage';
import { applicationFailure, toApplicationFailure } from '../common/application-failures';
import { ErrorTypes } from '../common/errors';
import { dependencyWaitSignal } from '../workflows/tenant-days/tenant-day-messages';

export interface SupervisionOptions {
  /** The dependencies' addresses, so a connection failure names what is down (see common/outage.ts). */
  endpoints?: Endpoints;
  /** Keep-alive heartbeats per heartbeat timeout; default 4 (one every 5 s at a 20 s timeout). */
  beatsPerTimeout?: number;
}

type AnyActivity = (...args: never[]) => Promise<unknown>;

/**
 * Every registered activity runs under two rules, applied here once instead of in each factory:
 *
 * - **Keep-alive heartbeats.** While an activity with a heartbeat timeout runs, it heartbeats on a
 *   timer (re-sending its last progress details), so the server notices a lost worker, or a
 *   completion lost while the server restarted, within the heartbeat timeout instead of the
 *   start-to-close timeout. A worker that hangs without dying is still bounded by start-to-close.
 * - **Outages are named.** A connection-level failure is rethrown, retryable, with a message that
 *   says which dependency is unreachable ("S3 at 127.0.0.1:7070: connection refused"): that is the
 *   last failure the Web UI, `temporal workflow describe` and `daybreak status` show while the
 *   activity waits out the outage under its retry policy (workflows/activity-options.ts), and what
 *   a tenant-day's current details show (tellRun). Any
 *   other retryable failure ends the activity at its NON_OUTAGE_ATTEMPTS-th attempt.
 * - **Registered errors fail as the registry says.** An error of common/errors.ts leaves the
 *   activity as its ApplicationFailure (type, retryability, fields as details), whichever factory
 *   threw it.
 */
export function supervise<T extends Record<string, AnyActivity>>(activities: T, options: SupervisionOptions = {}): T {
  const supervised: Record<string, AnyActivity> = {};
  for (const [name, fn] of Object.entries(activities)) {
    supervised[name] = async (...args: never[]) => {
      const ctx = currentContext();
      if (!ctx) return fn(...args);
      const stop = keepAlive(ctx, options.beatsPerTimeout ?? 4);
      try {
        const result = await Promise.race([fn(...args), workerShutdown(ctx)]);
        if (ctx.info.attempt > 1) tellRun(ctx, undefined);
        return result;
      } catch (error) {
        const failure = failureOf(error, ctx.info.attempt, options.endpoints);
        if (failure instanceof ApplicationFailure && failure.type === ErrorTypes.DependencyUnavailable)
          tellRun(ctx, failure.message);
        throw failure;
      } finally {
        stop();
      }
    };
  }
  return supervised as T;
}

/**
 * Rejects with the CancelledFailure once the worker, shutting down, cancels the activity (past its
 * grace period, workers/compose.ts), also when the activity's own code never looks at cancellation:
 * the attempt then fails at once and is retried on another worker, with the progress details last
 * heartbeated, instead of holding the shutdown until it ends. What it leaves running stops with the
 * process; activities are idempotent, so the retry writes the same outputs. Other cancellations are
 * left to the activity, as before.
 */
function workerShutdown(ctx: Context): Promise<never> {
  return new Promise<never>((_, reject) => {
    ctx.cancelled.catch((error: unknown) => {
      // The SDK's reason is the failure's message; the details say so too when the server sent them.
      const shutdown =
        ctx.cancellationDetails?.workerShutdown ||
        (error instanceof CancelledFailure && error.message === 'WORKER_SHUTDOWN');
      if (shutdown) reject(error instanceof Error ? error : new CancelledFailure('WORKER_SHUTDOWN'));
    });
  });
}

/**
 * Tells a tenant-day what its activity waits for (or that it got through), for the run's current
 * details (workflows/tenant-days/run-details.ts). Best effort and not awaited: the signal itself may be what is
 * down, and the retry must not wait for it.
 */
function tellRun(ctx: Context, waitingFor: string | undefined): void {
  const { workflowType, workflowExecution, activityId, attempt } = ctx.info;
  if (workflowType !== 'tenantDayWorkflow' || !workflowExecution) return;
  try {
    ctx.client.workflow
      .getHandle(workflowExecution.workflowId, workflowExecution.runId)
      .signal(dependencyWaitSignal, { activityId, attempt, waitingFor })
      .catch(() => undefined);
  } catch {
    // A worker without a client (MockActivityEnvironment): nothing to tell.
  }
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    // In-process runs (tests, the benchmark, local tools) have no activity context.
    return undefined;
  }
}

function keepAlive(ctx: Context, beatsPerTimeout: number): () => void {
  const timeoutMs = ctx.info.heartbeatTimeoutMs;
  if (!timeoutMs) return () => undefined;
  const send = ctx.heartbeat;
  let last: unknown;
  // The activity's own progress heartbeats go through here too, so the timer re-sends the latest.
  // (`heartbeat` is a writable instance field of the SDK's Context, typed readonly.)
  (ctx as { heartbeat: (details?: unknown) => void }).heartbeat = (details?: unknown) => {
    last = details;
    send(details);
  };
  const timer = setInterval(() => send(last), Math.max(1_000, Math.floor(timeoutMs / beatsPerTimeout)));
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The failure an activity's error leaves it as: an outage as DependencyUnavailable, a registered
 * error as the ApplicationFailure the registry declares (common/errors.ts), and at the
 * NON_OUTAGE_ATTEMPTS-th attempt anything still retryable but not an outage as non-retryable.
 */
function failureOf(error: unknown, attempt: number, endpoints: Endpoints | undefined): unknown {
  if (error instanceof CancelledFailure) return error;
  const outage = error instanceof ApplicationFailure ? undefined : describeConnectionFailure(error, endpoints);
  if (outage) return applicationFailure('DependencyUnavailable', outage.message, error);
  const registered = toApplicationFailure(error);
  if (attempt < NON_OUTAGE_ATTEMPTS) return registered;
  if (
    registered instanceof ApplicationFailure &&
    (registered.nonRetryable || registered.type === ErrorTypes.DependencyUnavailable)
  )
    return registered;
  const failure = registered instanceof Error ? registered : new Error(String(registered));
  return ApplicationFailure.create({
    type: (failure instanceof ApplicationFailure ? failure.type : failure.name) ?? undefined,
    message: `${failure.message} (attempt ${attempt}: only dependency outages are retried longer)`,
    nonRetryable: true,
    cause: failure,
  });
}
