import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export interface TaskQueueBacklog {
  taskQueue: string;
  /** Approximate tasks waiting for a worker slot (the server's backlog estimate). */
  workflowTasks: number;
  activityTasks: number;
  /** Workers polling the queue recently, across both task types. */
  pollers: number;
}

/** The backlog of a task queue, as `temporal task-queue describe` shows it: work waiting for a free worker. */
export async function taskQueueBacklog(client: Client, taskQueue: string): Promise<TaskQueueBacklog> {
  const describe = async (taskQueueType: temporal.api.enums.v1.TaskQueueType) => {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType,
      reportStats: true,
    });
    return {
      backlog: Number(response.stats?.approximateBacklogCount ?? 0),
      pollers: response.pollers?.length ?? 0,
    };
  };
  const workflow = await describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
  const activity = await describe(temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
  return {
    taskQueue,
    workflowTasks: workflow.backlog,
    activityTasks: activity.backlog,
    pollers: workflow.pollers + activity.pollers,
  };
}
