import { laneState } from '../../client/lanes';
import { taskQueueBacklog } from '../../client/task-queues';
import { versionTaskQueue } from '../../shared/ids';
import { describeStale } from '../../shared/stale-days';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { TENANTS_FILE_OPTION, cliContext } from './context';

export const statusCommand: Command = {
  spec: {
    name: 'status',
    description: `Per tenant: last completed day, what is running, the queue and failures, the stale days (computed
before an earlier day was recomputed) and any cascade; then the task queue backlogs.`,
    options: [{ name: 'tenant', placeholder: 'T', description: 'only this tenant' }, TENANTS_FILE_OPTION],
  } satisfies CommandSpec,
  async run(args) {
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const only = args.get('tenant');
      const tenants = only ? [ctx.tenant(only)] : ctx.tenants;
      for (const tenant of tenants) {
        let line = `${tenant.id.padEnd(16)} ${tenant.timeZone.padEnd(20)}`;
        try {
          const state = await laneState(ctx.client, tenant.id);
          const lastCompleted = state.finished.filter((f) => f.status === 'completed').at(-1);
          const failures = state.finished.filter((f) => f.status === 'failed');
          line +=
            ` last completed: ${lastCompleted ? `${lastCompleted.day} (${lastCompleted.kind})` : '-'}` +
            `  running: ${state.running ? `${state.running.day} ${state.running.kind} #${state.running.attempt}` : '-'}` +
            `  queued: ${state.queue.map((r) => `${r.day}/${r.kind}`).join(',') || '-'}` +
            `  retrying: ${state.retrying.length}` +
            `  failed: ${failures.map((f) => f.day).join(',') || '-'}` +
            `  versions: ${state.versions.primary}${state.versions.shadow ? `+shadow ${state.versions.shadow}` : ''}`;
          line += `  stale: ${describeStale(state)}`;
        } catch {
          line += ' no lane yet';
        }
        console.log(line);
      }
      const queues = [ctx.config.temporal.taskQueue];
      for (const v of ctx.config.pipeline.versions)
        queues.push(
          versionTaskQueue(ctx.config.temporal.taskQueue, v),
          versionTaskQueue(ctx.config.temporal.taskQueue, v, 'backfill'),
        );
      console.log('\ntask queue backlog (tasks waiting for a free worker slot):');
      for (const queue of queues) {
        const backlog = await taskQueueBacklog(ctx.client, queue);
        console.log(
          `  ${queue.padEnd(28)} workflow tasks ${backlog.workflowTasks}  activity tasks ${backlog.activityTasks}  pollers ${backlog.pollers}`,
        );
      }
    } finally {
      await ctx.close();
    }
  },
};
