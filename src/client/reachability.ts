import type { Client } from '@temporalio/client';
import { Connection, Client as TemporalClient, isGrpcCancelledError, isGrpcDeadlineError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TemporalConnection } from '../workers/temporal-connection';
import { connectOptions, describeConnection } from '../workers/temporal-connection';

/**
 * Why a command stopped waiting. The CLI prints the message as it is and exits 1: it names what
 * was waited for and what to run, so an operator never stares at a silent prompt.
 */
export class UnreachableError extends Error {
  override readonly name = 'UnreachableError';
}

/** How long a connection attempt may take before the server counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Connects with a short connect timeout. An unreachable server is reported with its address and the
 * command that starts the local stack, instead of the SDK's retry loop or a bare gRPC code.
 */
export async function connectTemporal(options: TemporalConnection & { connectTimeoutMs?: number }): Promise<Client> {
  // Outside the try: a certificate file that cannot be read is a configuration error, said as it is.
  const connect = connectOptions(options);
  let connection: Connection;
  try {
    connection = await Connection.connect({
      ...connect,
      connectTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    });
  } catch (error) {
    throw new UnreachableError(
      `cannot reach the Temporal server at ${options.address} (${describeConnection(options)}): ${(error as Error).message}; ` +
        'start the local stack with `npm run stack:up`, or point DAYBREAK_TEMPORAL_ADDRESS or a Temporal profile ' +
        '(TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE) at your server',
    );
  }
  return new TemporalClient({ connection, namespace: options.namespace });
}

/** The sentence an operator reads when nothing polls a queue a command needs. */
export function noWorkerMessage(namespace: string, taskQueue: string): string {
  return `no worker polls task queue ${taskQueue} in namespace ${namespace}; start one with \`npm run worker\``;
}

/** Workers that polled the queue's workflow tasks recently (the server forgets a poller after a few minutes). */
export async function workflowPollers(client: Client, taskQueue: string, timeoutMs = 10_000): Promise<number> {
  const response = await withTimeout(client, timeoutMs, `describing task queue ${taskQueue}`, () =>
    client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    }),
  );
  return response.pollers?.length ?? 0;
}

/** Refuses to wait on a queue no worker polls: the wait could only end at its timeout. */
export async function assertPolled(client: Client, taskQueue: string): Promise<void> {
  if ((await workflowPollers(client, taskQueue)) === 0)
    throw new UnreachableError(noWorkerMessage(client.options.namespace, taskQueue));
}

/**
 * Runs `fn` with every server call in it bounded by `timeoutMs` (an abort signal on the
 * connection); a call cut off is reported as what was waited for and for how long.
 */
export async function withTimeout<T>(
  client: Client,
  timeoutMs: number,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    return await client.withAbortSignal(signal, fn);
  } catch (error) {
    if (signal.aborted || isGrpcDeadlineError(error) || isGrpcCancelledError(error))
      throw new UnreachableError(`timed out after ${timeoutMs / 1000} s ${what}`);
    throw error;
  }
}

export type WorkflowReach =
  | { status: 'not-found' }
  | { status: 'no-worker'; taskQueue: string; message: string }
  // Closed, and no worker polls its queue to answer queries: for a request it is as good as absent.
  | { status: 'closed'; taskQueue: string; closeStatus: string }
  | { status: 'found'; taskQueue: string; running: boolean };

/**
 * Where a workflow lives and whether anything can answer for it: not found, found on a queue no worker
 * polls (a query would block until its deadline), or found and polled.
 */
export async function reachWorkflow(client: Client, workflowId: string, timeoutMs = 10_000): Promise<WorkflowReach> {
  let description;
  try {
    description = await withTimeout(client, timeoutMs, `describing ${workflowId}`, () =>
      client.workflow.getHandle(workflowId).describe(),
    );
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return { status: 'not-found' };
    throw error;
  }
  const taskQueue = description.taskQueue;
  const running = description.status.name === 'RUNNING';
  if ((await workflowPollers(client, taskQueue, timeoutMs)) === 0) {
    if (!running) return { status: 'closed', taskQueue, closeStatus: description.status.name.toLowerCase() };
    return { status: 'no-worker', taskQueue, message: noWorkerMessage(client.options.namespace, taskQueue) };
  }
  return { status: 'found', taskQueue, running };
}
