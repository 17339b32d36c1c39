import { withTimeout } from '../../client/reachability';
import { taskQueueBacklog } from '../../client/task-queues';
import { queueLayoutOf } from '../../workers/compose';
import { VERSION_QUEUE_KINDS, workerQueues } from '../../workers/queues';
import type { CommandSpec } from '../args';
import type { Command } from '../command';
import { numberOption } from '../command';
import { backfillLines, laneLine } from '../status-lines';
import { QUERY_TIMEOUT_S, TENANTS_FILE_OPTION, cliContext, timeoutOption } from './context';

export const statusCommand: Command = {
  spec: {
    name: 'status',
    description: `Per tenant: last completed day, what is running, the queue and failures, the stale days (computed
before an earlier day was recomputed) and any cascade, the last served day and whether it is late against its
freshness SLA and its last completed run's data checks, or "no lane" / "lane unreachable" (and why);
under it, the running tenant-days' activities that are retrying (attempt, last failure) or past their
heartbeat timeout, and each failed day with its root cause; then the running and paused backfills,
and the task queue backlogs.`,
    options: [
      { name: 'tenant', placeholder: 'T', description: 'only this tenant' },
      timeoutOption(QUERY_TIMEOUT_S, 'each lane, backfill or queue to answer'),
      TENANTS_FILE_OPTION,
    ],
  } satisfies CommandSpec,
  async run(args) {
    const ctx = await cliContext(args.get('tenants-file'));
    try {
      const timeoutMs = numberOption(args, 'timeout', QUERY_TIMEOUT_S) * 1000;
      const only = args.get('tenant');
      const tenants = only ? [ctx.tenant(only)] : ctx.tenants;
      // Concurrently, each bounded: one lane nobody serves must not hold up the others.
      const lines = await Promise.all(
        tenants.map((tenant) => laneLine(ctx.client, tenant.id, timeoutMs, { tenant, nowMs: Date.now() })),
      );
      tenants.forEach((tenant, i) => console.log(`${tenant.id.padEnd(16)} ${tenant.timeZone.padEnd(20)}${lines[i]}`));

      const backfills = await backfillLines(
        ctx.client,
        tenants.map((t) => t.id),
        timeoutMs,
      ).catch((error: unknown) => [`  unknown: ${error instanceof Error ? error.message : String(error)}`]);
      console.log(`\nbackfills running or paused:${backfills.length ? '' : ' none'}`);
      for (const line of backfills) console.log(line);

      // Every queue of the layout, the coordination queue too: what any worker of this configuration may poll.
      const queues = workerQueues({
        ...queueLayoutOf(ctx.config),
        coordination: true,
        queueKinds: VERSION_QUEUE_KINDS,
      }).map((q) => q.taskQueue);
      console.log('\ntask queue backlog (tasks waiting for a free worker slot):');
      const backlogs = await Promise.all(
        queues.map((queue) =>
          withTimeout(ctx.client, timeoutMs, `describing task queue ${queue}`, () =>
            taskQueueBacklog(ctx.client, queue),
          ).then(
            (b) => `workflow tasks ${b.workflowTasks}  activity tasks ${b.activityTasks}  pollers ${b.pollers}`,
            (error: unknown) => `unknown: ${error instanceof Error ? error.message : String(error)}`,
          ),
        ),
      );
      queues.forEach((queue, i) => console.log(`  ${queue.padEnd(28)} ${backlogs[i]}`));
    } finally {
      await ctx.close();
    }
  },
};
