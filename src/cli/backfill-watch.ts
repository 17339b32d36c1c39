import type { Client } from '@temporalio/client';
import { UnreachableError, noWorkerMessage, withTimeout, workflowPollers } from '../client/reachability';
import type { BackfillProgress } from '../workflows/backfills/backfill-contracts';
import { backfillProgressQuery } from '../workflows/backfills/backfill-messages';
import { backfillCommandLine, explainPause, formatBackfillProgress } from './status-lines';

/** A backfill that stopped on a failed day: the CLI prints why and what to run, and exits 1. */
export class BackfillPausedError extends Error {
  override readonly name = 'BackfillPausedError';
}

/** The lines to print for what changed between two looks at a backfill (days finished or skipped since). */
export function newlyFinished(before: BackfillProgress | undefined, now: BackfillProgress): string[] {
  const lines: string[] = [];
  const done = new Set(before?.completed ?? []);
  const skipped = new Set(before?.skipped ?? []);
  for (const day of now.completed)
    if (!done.has(day)) lines.push(`${day}  done (${now.completed.length}/${now.total})`);
  for (const day of now.skipped ?? []) if (!skipped.has(day)) lines.push(`${day}  skipped`);
  return lines;
}

export interface WatchOptions {
  workflowId: string;
  taskQueue: string;
  /** The whole wait; the backfill goes on after it. */
  timeoutMs: number;
  /** One query's deadline: a query nobody answers blocks until it. */
  queryTimeoutMs?: number;
  intervalMs?: number;
  print?: (line: string) => void;
}

/**
 * Follows a backfill until it completes, printing each day as it finishes. A pause on a failed day
 * is a BackfillPausedError with the reason and the commands that resume or skip it; a worker gone
 * or the wait running out is an UnreachableError that says so. Either way the backfill itself goes on.
 */
export async function watchBackfill(client: Client, options: WatchOptions): Promise<BackfillProgress> {
  const print = options.print ?? ((line: string) => console.log(line));
  const handle = client.workflow.getHandle(options.workflowId);
  const queryTimeoutMs = Math.min(options.queryTimeoutMs ?? 10_000, options.timeoutMs);
  const deadline = Date.now() + options.timeoutMs;
  const watchAgain = backfillCommandLine(options.workflowId, '--wait');
  let last: BackfillProgress | undefined;
  for (;;) {
    const description = await withTimeout(client, queryTimeoutMs, `describing ${options.workflowId}`, () =>
      handle.describe(),
    );
    if (description.status.name !== 'RUNNING') {
      if (description.status.name !== 'COMPLETED')
        throw new Error(`backfill ${options.workflowId} ended ${description.status.name.toLowerCase()}`);
      const result = (await withTimeout(client, queryTimeoutMs, `fetching the result of ${options.workflowId}`, () =>
        handle.result(),
      )) as BackfillProgress;
      for (const line of newlyFinished(last, result)) print(line);
      return result;
    }
    let progress: BackfillProgress;
    try {
      progress = await withTimeout(client, queryTimeoutMs, `querying ${options.workflowId}`, () =>
        handle.query(backfillProgressQuery),
      );
    } catch (error) {
      if (error instanceof UnreachableError && (await workflowPollers(client, options.taskQueue)) === 0)
        throw new UnreachableError(noWorkerMessage(client.options.namespace, options.taskQueue));
      throw error;
    }
    for (const line of newlyFinished(last, progress)) print(line);
    last = progress;
    if (progress.paused) {
      const explained = await explainPause(client, progress, queryTimeoutMs);
      throw new BackfillPausedError(
        `backfill ${options.workflowId} ${formatBackfillProgress(options.workflowId, explained)}`,
      );
    }
    if (Date.now() > deadline)
      throw new UnreachableError(
        `timed out after ${options.timeoutMs / 1000} s waiting for backfill ${options.workflowId} ` +
          `(${formatBackfillProgress(options.workflowId, progress)}); it goes on: watch it again with \`${watchAgain}\``,
      );
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 1000));
  }
}
