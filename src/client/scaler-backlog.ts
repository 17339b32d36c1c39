import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const { TaskQueueType, DescribeTaskQueueMode } = temporal.api.enums.v1;

/** The task types KEDA's `temporal` scaler counts when a ScaledObject names no `queueTypes`. */
export const SCALER_QUEUE_TYPES: readonly temporal.api.enums.v1.TaskQueueType[] = [
  TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  TaskQueueType.TASK_QUEUE_TYPE_NEXUS,
];

export interface ScalerBacklog {
  taskQueue: string;
  /** What the scaler compares with targetQueueSize: the backlog summed over versions and task types. */
  total: number;
  /** The same, by task type ('workflow', 'activity', 'nexus'). */
  byType: Record<string, number>;
}

type EnhancedDescription = Pick<temporal.api.workflowservice.v1.IDescribeTaskQueueResponse, 'versionsInfo'>;

const TYPE_NAMES: Record<number, string> = {
  [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW]: 'workflow',
  [TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]: 'activity',
  [TaskQueueType.TASK_QUEUE_TYPE_NEXUS]: 'nexus',
};

/**
 * The scaler's sum (getCombinedBacklogCount in kedacore/keda pkg/scalers/temporal.go): every
 * version's every task type's ApproximateBacklogCount. A type without stats counts 0.
 */
export function combinedBacklogCount(taskQueue: string, description: EnhancedDescription): ScalerBacklog {
  const byType: Record<string, number> = {};
  let total = 0;
  for (const version of Object.values(description.versionsInfo ?? {})) {
    for (const [type, info] of Object.entries(version.typesInfo ?? {})) {
      const count = Number(info.stats?.approximateBacklogCount ?? 0);
      const name = TYPE_NAMES[Number(type)] ?? `type ${type}`;
      byType[name] = (byType[name] ?? 0) + count;
      total += count;
    }
  }
  return { taskQueue, total, byType };
}

/**
 * A task queue's backlog read the way KEDA's `temporal` scaler reads it, so a figure here is the
 * figure a ScaledObject on the queue scales by: DescribeTaskQueue in the enhanced API mode with
 * report stats, for the scaler's default task types and version selection (none given: the
 * server answers for the unversioned queue), summed by combinedBacklogCount. The enhanced mode is
 * deprecated in the API but it is what the scaler sends (through the Go SDK's
 * DescribeTaskQueueEnhanced); `taskQueueBacklog` (task-queues.ts) is the current API's view.
 */
export async function scalerBacklog(
  connection: Pick<Connection, 'workflowService'>,
  input: { namespace: string; taskQueue: string },
): Promise<ScalerBacklog> {
  const response = await connection.workflowService.describeTaskQueue({
    namespace: input.namespace,
    taskQueue: { name: input.taskQueue },
    apiMode: DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
    taskQueueTypes: [...SCALER_QUEUE_TYPES],
    reportStats: true,
  });
  return combinedBacklogCount(input.taskQueue, response);
}
