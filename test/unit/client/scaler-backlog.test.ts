import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { combinedBacklogCount, scalerBacklog } from '../../../src/client/scaler-backlog';

const { TaskQueueType, DescribeTaskQueueMode } = temporal.api.enums.v1;
const WORKFLOW = TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW;
const ACTIVITY = TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY;
const NEXUS = TaskQueueType.TASK_QUEUE_TYPE_NEXUS;

/** Stats as the gRPC client decodes them off the wire: int64 counts arrive as Long objects. */
function decodedStats(count: number): temporal.api.taskqueue.v1.ITaskQueueStats {
  const { TaskQueueStats } = temporal.api.taskqueue.v1;
  return TaskQueueStats.decode(
    TaskQueueStats.encode(TaskQueueStats.fromObject({ approximateBacklogCount: count })).finish(),
  );
}

describe('combinedBacklogCount (the sum KEDA scales by)', () => {
  it('adds every version and task type, 64-bit counts and missing stats included', () => {
    // Unversioned: 3 workflow + 5 activity tasks + nexus stats without a count;
    // build b1: 2 activity tasks; a type with no stats at all. By hand: 3 + 5 + 2 = 10.
    const backlog = combinedBacklogCount('q', {
      versionsInfo: {
        '': {
          typesInfo: {
            [WORKFLOW]: { stats: decodedStats(3) },
            [ACTIVITY]: { stats: decodedStats(5) },
            [NEXUS]: { stats: {} },
          },
        },
        b1: { typesInfo: { [ACTIVITY]: { stats: decodedStats(2) }, [WORKFLOW]: {} } },
      },
    });
    expect(backlog).toEqual({ taskQueue: 'q', total: 10, byType: { workflow: 3, activity: 7, nexus: 0 } });
  });

  it('is zero for a queue the server has nothing on', () => {
    expect(combinedBacklogCount('q', {})).toEqual({ taskQueue: 'q', total: 0, byType: {} });
  });
});

describe('scalerBacklog', () => {
  it("sends KEDA's request: enhanced mode, report stats, activity, workflow and nexus tasks, no version selection", async () => {
    const requests: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest[] = [];
    const connection = {
      workflowService: {
        describeTaskQueue: (request: temporal.api.workflowservice.v1.IDescribeTaskQueueRequest) => {
          requests.push(request);
          return Promise.resolve({
            versionsInfo: { '': { typesInfo: { [ACTIVITY]: { stats: decodedStats(4) } } } },
          });
        },
      },
    } as unknown as Pick<Connection, 'workflowService'>;
    const backlog = await scalerBacklog(connection, { namespace: 'ns', taskQueue: 'daybreak-v1' });
    expect(backlog.total).toBe(4);
    expect(requests).toEqual([
      {
        namespace: 'ns',
        taskQueue: { name: 'daybreak-v1' },
        apiMode: DescribeTaskQueueMode.DESCRIBE_TASK_QUEUE_MODE_ENHANCED,
        taskQueueTypes: [ACTIVITY, WORKFLOW, NEXUS],
        reportStats: true,
      },
    ]);
  });
});
