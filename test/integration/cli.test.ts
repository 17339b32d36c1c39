import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { syncTenantSchedules } from '../../src/client/schedules';
import { versionTaskQueue } from '../../src/common/ids';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('the daybreak command against the running stack', () => {
  it('syncs tenants, queues a rerun, shows status, plans a backfill and drives a rollout', async () => {
    const queue = uniqueName('cli-cmd');
    const tenantId = uniqueName('cmd');
    const prefix = uniqueName('cmdsched');
    const indexPrefix = uniqueName('daybreak-cli');
    const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-cli-'));
    const tenantsFile = path.join(dir, 'tenants.json');
    const tenant = {
      id: tenantId,
      displayName: 'Ünïcode ☀️',
      timeZone: 'Asia/Kolkata',
      runHour: 1,
      badDataPolicy: 'fail',
    };
    writeFileSync(tenantsFile, JSON.stringify({ tenants: [tenant] }));
    const env = {
      ...process.env,
      DAYBREAK_TENANTS_FILE: tenantsFile,
      DAYBREAK_TASK_QUEUE: queue,
      DAYBREAK_ES_INDEX_PREFIX: indexPrefix,
      DAYBREAK_FS_ROOT: path.join(dir, 'store'),
    };
    const daybreak = async (...args: string[]) =>
      (await run(path.join(ROOT, 'bin/daybreak'), args, { env, cwd: ROOT })).stdout;

    const activities = {
      ...recordingActivities({ delayMs: 10 }).activities,
      ...createTemporalLaneActivities({
        temporal: stack.client,
        laneDefaults: { taskQueue: queue, primaryVersion: 'v1' },
        loadTenants: () => Promise.resolve([]),
      }),
    };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const workers = await Promise.all(
      [queue, versionTaskQueue(queue, 'v1')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    try {
      await workers[0].runUntil(
        workers[1].runUntil(async () => {
          expect(await daybreak('tenants', 'list')).toMatch(
            new RegExp(`${tenantId}\\s+Asia/Kolkata\\s+run 01:00\\s+enabled`),
          );
          const synced = await daybreak('tenants', 'sync', '--prefix', prefix);
          expect(synced).toContain('schedules: created 3');
          expect(synced).toContain(`created: ${prefix}-sla-monitor`);
          expect(synced).toContain(
            `serving ${tenantId}: alias ${indexPrefix}-accounts-${tenantId} -> ${indexPrefix}-accounts-v1.${tenantId}`,
          );
          expect(await daybreak('tenants', 'sync', '--prefix', prefix)).toContain('schedules: created 0, updated 0');

          expect(await daybreak('rerun', '--tenant', tenantId, '--day', '2026-11-20', '--by', 'ci')).toContain(
            `queued rerun of ${tenantId} 2026-11-20`,
          );
          let status = '';
          for (let i = 0; i < 60 && !/last completed: 2026-11-20 \(rerun\)/.test(status); i++) {
            status = await daybreak('status', '--tenant', tenantId);
          }
          expect(status).toMatch(/last completed: 2026-11-20 \(rerun\)/);
          expect(status).toContain(`${queue}-v1`);

          const plan = await daybreak(
            'backfill',
            '--tenant',
            tenantId,
            '--from',
            '2026-11-01',
            '--to',
            '2026-11-03',
            '--dry-run',
          );
          expect(plan.split('\n').filter((l) => /^2026-11-0[123] /.test(l))).toHaveLength(3);
          expect(plan).toContain('dry run: nothing started');

          await expect(daybreak('rerun', '--tenant', 'Bad/Id', '--day', '2026-11-20')).rejects.toThrow(/not in/);

          // A rollout driven from the command line: promotion needs evidence or --force, and is audited.
          // A version of this release (an unknown one is refused); the run's namespace keeps the id to this test.
          const candidate = 'v2';
          const rollout = (...args: string[]) => daybreak('rollout', ...args, '--candidate', candidate);
          expect(await rollout('start', '--baseline', 'v1', '--tenants', tenantId, '--policy', 'identical')).toContain(
            `started daybreak/rollout/${candidate}`,
          );
          let table = '';
          for (let i = 0; i < 60 && !table.includes(tenantId); i++) table = await rollout('status').catch(() => '');
          expect(table).toMatch(new RegExp(`${tenantId}\\s+shadow\\s+clean days 0`));
          await expect(
            rollout('promote', '--tenant', tenantId, '--reason', 'looks fine', '--by', 'ci'),
          ).rejects.toThrow(/0 of 2 consecutive clean days/);
          await expect(rollout('finish', '--tenant', tenantId, '--reason', 'done', '--by', 'ci')).rejects.toThrow(
            /only a promoted tenant/,
          );
          expect(
            await rollout('promote', '--tenant', tenantId, '--reason', 'drill', '--by', 'ci', '--force'),
          ).toContain(`${tenantId}: promoted`);
          expect(await rollout('rollback', '--tenant', tenantId, '--reason', 'drill over', '--by', 'ci')).toContain(
            `${tenantId}: rolled-back`,
          );
          // Rolled back, the tenant could still be resumed: the rollout stays open until it is ended.
          expect(await rollout('status')).toMatch(new RegExp(`${tenantId}\\s+rolled-back`));
          expect(await rollout('end', '--reason', 'drill over', '--by', 'ci')).toContain(
            `rollout of v2 ended: ${tenantId} rolled-back`,
          );
        }),
      );
    } finally {
      await syncTenantSchedules(stack.client, [], { taskQueue: queue, prefix });
    }
  });
});
