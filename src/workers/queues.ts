import { versionTaskQueue } from '../common/ids';

/** The two queues of every pipeline version: scheduled and requested runs, and backfill runs. */
export const VERSION_QUEUE_KINDS = ['live', 'backfill'] as const;
export type VersionQueueKind = (typeof VERSION_QUEUE_KINDS)[number];

/** What a worker polls: one task queue, with the activity slots it gets there. */
export interface WorkerQueue {
  taskQueue: string;
  /** `coordination`: lanes, triggers, the reconciler, rollouts, backfills; `live`/`backfill`: one version's tenant-days. */
  kind: 'coordination' | 'live' | 'backfill';
  /** The pipeline version whose runs the queue carries; absent on the coordination queue. */
  version?: string;
  maxActivities: number;
}

export interface QueueLayoutInput {
  /** The base task queue (DAYBREAK_TASK_QUEUE). */
  taskQueue: string;
  /** Pipeline versions served, each on its live and its backfill queue. */
  versions: readonly string[];
  /** Whether the coordination (base) queue is polled too. */
  coordination: boolean;
  /** Which of each version's queues are polled (DAYBREAK_WORKER_QUEUE_KINDS); one Deployment per kind scales each on its own backlog. */
  queueKinds: readonly VersionQueueKind[];
  maxConcurrentActivities: number;
  /** Smaller on purpose: the backfill queue's slots cap backfill work across tenants. */
  maxConcurrentBackfillActivities: number;
}

/**
 * The queue layout, in the one place that spells it: the base queue for coordination, then for
 * every version its live queue and its backfill queue. Workers, the demo, `daybreak status`, the
 * tests and the deploy manifests all take their queues from here.
 */
export function workerQueues(input: QueueLayoutInput): WorkerQueue[] {
  const queues: WorkerQueue[] = [];
  if (input.coordination)
    queues.push({ taskQueue: input.taskQueue, kind: 'coordination', maxActivities: input.maxConcurrentActivities });
  for (const version of input.versions) {
    if (input.queueKinds.includes('live'))
      queues.push({
        taskQueue: versionTaskQueue(input.taskQueue, version),
        kind: 'live',
        version,
        maxActivities: input.maxConcurrentActivities,
      });
    if (input.queueKinds.includes('backfill'))
      queues.push({
        taskQueue: versionTaskQueue(input.taskQueue, version, 'backfill'),
        kind: 'backfill',
        version,
        maxActivities: input.maxConcurrentBackfillActivities,
      });
  }
  return queues;
}
