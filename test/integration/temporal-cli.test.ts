import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { laneState, requestRun } from '../../src/client/lanes';
import { dailySchedule } from '../../src/client/schedules';
import { dailyScheduleId, versionTaskQueue } from '../../src/common/ids';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, testTenant, uniqueName } from '../support/stack';
import { waitUntil } from '../../src/client/wait-until';

const waitFor = (predicate: () => Promise<boolean>) => waitUntil(predicate, { what: "the recipes' runs" });

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/** The recipes block of the README, split into commands at their comment lines. */
function readmeRecipes(): { header: string; recipes: { title: string; script: string }[] } {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /<!-- recipes:start -->\s*```sh\n([\s\S]*?)```\s*<!-- recipes:end -->/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no recipes block');
  const lines = block.trimEnd().split('\n');
  const firstComment = lines.findIndex((l) => l.startsWith('#'));
  const recipes: { title: string; script: string }[] = [];
  for (const line of lines.slice(firstComment)) {
    if (line.startsWith('#')) recipes.push({ title: line.slice(1).trim(), script: '' });
    else recipes[recipes.length - 1].script += line + '\n';
  }
  return { header: lines.slice(0, firstComment).join('\n'), recipes };
}

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe("the README's temporal CLI recipes", () => {
  it('run against the dev server and do what they say', async () => {
    const queue = uniqueName('cli');
    const tenantId = uniqueName('cli');
    const tenant = testTenant(tenantId);
    const { header, recipes } = readmeRecipes();
    expect(recipes.length).toBe(6);
    // The README's own header, with the test's tenant and queue in place of acme and daybreak.
    // ... and the run's namespace in place of `default`, which the recipes must name.
    const namespace = stack.config.temporal.namespace;
    // ... and the server the run uses (the cluster profile's on 7333 under `npm run test:cluster`).
    const env = header
      .replace('--address 127.0.0.1:7233', `--address ${stack.config.temporal.address}`)
      .replace('TENANT=acme', `TENANT=${tenantId}`)
      .replace('QUEUE=daybreak', `QUEUE=${queue}`)
      .replace('--namespace default', `--namespace ${namespace}`);
    expect(env).toContain(tenantId);
    expect(env).toContain(`--namespace ${namespace}`);
    expect(env).toContain(`--address ${stack.config.temporal.address}`);

    const schedule = await stack.client.schedule.create(
      dailySchedule(tenant, { taskQueue: queue, prefix: 'daybreak' }),
    );
    const laneDefaults = { taskQueue: queue, primaryVersion: 'v1' };
    const activities = {
      ...recordingActivities({ delayMs: 10 }).activities,
      ...createTemporalLaneActivities({
        temporal: stack.client,
        laneDefaults,
        loadTenants: () => Promise.resolve([tenant]),
      }),
    };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const [a, b, c] = await Promise.all(
      [queue, versionTaskQueue(queue, 'v1'), versionTaskQueue(queue, 'v1', 'backfill')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    const outputs: Record<string, string> = {};
    let state: Awaited<ReturnType<typeof laneState>> | undefined;
    try {
      await a.runUntil(
        b.runUntil(
          c.runUntil(async () => {
            // A day a backfill has already computed: the schedule backfill below must not compute it again.
            await requestRun(
              stack.client,
              tenantId,
              { day: '2026-11-01', kind: 'backfill', requestedBy: 'test', tenant },
              laneDefaults,
            );
            await waitFor(async () =>
              (await laneState(stack.client, tenantId)).finished.some(
                (f) => f.kind === 'backfill' && f.status === 'completed',
              ),
            );
            for (const recipe of recipes) {
              const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${env}\n${recipe.script}`], {
                cwd: ROOT,
              });
              outputs[recipe.title] = stdout;
            }
            // The backfill, the rerun, the triggered day and the two schedule-backfilled days not yet
            // computed (5 runs) all went through the lane.
            await waitFor(async () => (await laneState(stack.client, tenantId)).finished.length >= 5);
            // Visibility (what `workflow list` reads) trails the runs by a moment: list again until it shows the lane.
            const list = recipes.find((r) => r.title.startsWith("List a tenant's runs"))!;
            await waitFor(async () => {
              const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${env}\n${list.script}`], { cwd: ROOT });
              outputs[list.title] = stdout;
              return stdout.includes(`daybreak/lane/${tenantId}`);
            });
            const backfills = recipes.find((r) => r.title.startsWith("List a tenant's backfill runs"))!;
            await waitFor(async () => {
              const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${env}\n${backfills.script}`], {
                cwd: ROOT,
              });
              outputs[backfills.title] = stdout;
              return stdout.includes(`daybreak/tenant-day/${tenantId}/2026-11-01/v1/primary`);
            });
            state = await laneState(stack.client, tenantId);
          }),
        ),
      );
    } finally {
      await schedule.delete();
    }
    const text = (titlePrefix: string) => Object.entries(outputs).find(([t]) => t.startsWith(titlePrefix))?.[1] ?? '';
    expect(text('Rerun a tenant-day')).toMatch(/queued/);
    expect(text("Look at the lane's queue")).toContain(tenantId);
    expect(text("List a tenant's runs")).toContain(`daybreak/lane/${tenantId}`);
    expect(text("Describe a task queue's backlog")).toMatch(/Poller|poller|Backlog|backlog/);
    expect(state!.finished.some((f) => f.day === '2026-11-20' && f.kind === 'rerun')).toBe(true);
    // Backfilled fires at local midnight of Nov 1-3 compute the days that had just ended, except
    // 11-01, which the backfill had computed (the lane drops that fire).
    const daily = state!.finished.filter((f) => f.kind === 'daily').map((f) => f.day);
    expect(daily).toEqual(expect.arrayContaining(['2026-10-31', '2026-11-02']));
    expect(daily).not.toContain('2026-11-01');
    // Only the backfill's run has Trigger backfill: the schedule's fires and the rerun are not listed.
    const listed = text("List a tenant's backfill runs");
    expect(listed).toContain(`daybreak/tenant-day/${tenantId}/2026-11-01/v1/primary`);
    expect(listed).not.toContain('2026-11-20');
    expect(listed).not.toContain('2026-10-31');
    expect(dailyScheduleId(tenantId)).toBe(`daybreak-daily-${tenantId}`);
  });
});
