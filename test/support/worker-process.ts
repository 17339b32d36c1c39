import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH, quietLogger } from './stack';

/**
 * Worker processes for fault tests: started, killed (SIGKILL reaches the node process tsx starts:
 * each runs in a process group of its own) and restarted, with their output in a log file a failing
 * test can show. See holding-worker.ts for how an activity is caught running.
 */

/** One activity to catch running (see holding-worker.ts). */
export interface HoldSpec {
  /** Activity type, e.g. runMetricTask. */
  activity: string;
  /** Only the run of this metric task (runMetricTask's input.task). */
  task?: string;
  /** Only for this pipeline version (the input's pipelineVersion). */
  pipelineVersion?: string;
  /** Written when the hold starts: a HoldMarker as JSON. */
  marker: string;
  /** Let the activity go on after this long; default: held until the process dies. */
  releaseMs?: number;
}

/** What a marker file says about the held activity, so a test can find it in the workflow's history. */
export interface HoldMarker {
  activityType: string;
  activityId: string;
  workflowId: string;
  attempt: number;
  heartbeatTimeoutMs?: number;
  pid: number;
  heldAt: number;
}

export const HOLDS_ENV = 'DAYBREAK_TEST_HOLDS';
/** The worker's own setting (config.worker.workflowBundle): restarts load the bundle built once. */
export const WORKFLOW_BUNDLE_ENV = 'DAYBREAK_WORKFLOW_BUNDLE';
export const HOLDING_WORKER = path.resolve(__dirname, 'holding-worker.ts');

/** Bundles the workflows once into `dir`, so each worker restart starts in seconds. */
export async function workflowBundleFile(dir: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  const file = path.join(dir, 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}

export interface WorkerProcess {
  child: ChildProcess;
  logFile: string;
  /** The last lines of its log, for a failure message. */
  logTail(lines?: number): string;
  /** Whether it has exited. */
  exited(): boolean;
  /** Resolves with its exit code (null when a signal ended it) and that signal. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process group and waits for the exit; resolves with the time of the kill. */
  kill(signal?: NodeJS.Signals): Promise<number>;
}

export function startWorkerProcess(options: {
  env: NodeJS.ProcessEnv;
  logFile: string;
  holds?: HoldSpec[];
  workflowBundle?: string;
}): WorkerProcess {
  const out = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), HOLDING_WORKER], {
    env: {
      ...options.env,
      [HOLDS_ENV]: JSON.stringify(options.holds ?? []),
      ...(options.workflowBundle ? { [WORKFLOW_BUNDLE_ENV]: options.workflowBundle } : {}),
    },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  let exited = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  return {
    child,
    logFile: options.logFile,
    logTail: (lines = 30) => readFileSync(options.logFile, 'utf8').split('\n').slice(-lines).join('\n'),
    exited: () => exited,
    exit,
    async kill(signal = 'SIGKILL') {
      const at = Date.now();
      if (!exited) {
        try {
          process.kill(-child.pid!, signal);
        } catch {
          // already gone
        }
        await exit;
      }
      return at;
    },
  };
}

/**
 * Waits for a hold's marker file; fails early, with the worker's log, if the worker dies or
 * `stillRunning` says the run has ended.
 */
export async function waitForMarker(
  file: string,
  options: { worker: WorkerProcess; what: string; timeoutMs: number; stillRunning?: () => Promise<boolean> },
): Promise<HoldMarker> {
  const deadline = Date.now() + options.timeoutMs;
  let checked = Date.now();
  for (;;) {
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as HoldMarker;
      } catch {
        // being written
      }
    }
    if (options.worker.exited())
      throw new Error(`the worker exited before ${options.what} started; its log:\n${options.worker.logTail()}`);
    if (Date.now() > deadline)
      throw new Error(
        `${options.what} did not start within ${options.timeoutMs / 1000} s; worker log:\n${options.worker.logTail()}`,
      );
    if (options.stillRunning && Date.now() - checked > 2_000) {
      checked = Date.now();
      if (!(await options.stillRunning())) throw new Error(`the run ended before ${options.what} started`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const timestampMs = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;

/** When the held activity (found by its activity id) completed, and on which attempt. */
export async function activityCompletion(
  client: Client,
  marker: HoldMarker,
): Promise<{ completedAtMs: number; attempt: number }> {
  const history = await client.workflow.getHandle(marker.workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityId === marker.activityId);
  if (!scheduled) throw new Error(`activity ${marker.activityId} is not in the history of ${marker.workflowId}`);
  const id = Number(scheduled.eventId);
  const started = events.find((e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
  const completed = events.find((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
  if (!completed) throw new Error(`activity ${marker.activityType} (${marker.activityId}) never completed`);
  return {
    completedAtMs: timestampMs(completed.eventTime),
    attempt: started?.activityTaskStartedEventAttributes?.attempt ?? 0,
  };
}
