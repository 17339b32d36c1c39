import type {
  AggregatePartitionResult,
  RunMetricTaskResult,
  RunRef,
} from '../../workflows/tenant-days/pipeline-contracts';
import type { BadDataPolicy } from '../../workflows/tenants/tenant-config';
import { MetricTasks, getPipeline } from '../../metrics/pipelines';
import { runTaskGraph } from '../../metrics/task-graph';
import type { MetricActivities } from './metric-activities';

export interface RunMetricDayOptions extends RunRef {
  activities: MetricActivities;
  maxPartitions: number;
  badDataPolicy: BadDataPolicy;
  fromTask?: string;
  primaryPipelineVersion?: string;
  /** Partitions aggregated at once (in-process: overlaps I/O only). */
  concurrency?: number;
}

export interface RunMetricDayResult {
  partitions: AggregatePartitionResult[];
  tasks: RunMetricTaskResult[];
  ran: string[];
}

/**
 * Runs a whole tenant-day in-process, the way the tenant-day workflow does with activities: the
 * task graph in dependency order, the fan-out task as plan + one aggregation per partition. For
 * tests, the benchmark and local tools.
 */
export async function runMetricDayInProcess(options: RunMetricDayOptions): Promise<RunMetricDayResult> {
  const { activities, maxPartitions, badDataPolicy, primaryPipelineVersion, ...rest } = options;
  const run: RunRef = {
    tenantId: rest.tenantId,
    day: rest.day,
    timeZone: rest.timeZone,
    pipelineVersion: rest.pipelineVersion,
    runKind: rest.runKind,
  };
  const concurrency = options.concurrency ?? 2;
  const partitions: AggregatePartitionResult[] = [];
  const taskResults: RunMetricTaskResult[] = [];
  const { ran } = await runTaskGraph<string[]>({
    graph: getPipeline(run.pipelineVersion).graph,
    fromTask: options.fromTask,
    concurrency: 2,
    runTask: async (task, inputs) => {
      if (task.partitioned) {
        const plan = await activities.planPartitions({ ...run, maxPartitions });
        const queue = [...plan.partitions];
        const worker = async () => {
          for (let p = queue.shift(); p; p = queue.shift()) {
            partitions.push(await activities.aggregatePartition({ ...run, partition: p, badDataPolicy }));
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        return partitions.map((p) => p.partialKey);
      }
      const result = await activities.runMetricTask({
        ...run,
        task: task.name,
        partialKeys: inputs[MetricTasks.AggregatePartitions],
        primaryPipelineVersion,
      });
      taskResults.push(result);
      return [result.outputKey];
    },
  });
  return { partitions, tasks: taskResults, ran };
}
