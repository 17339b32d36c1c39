import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/common';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { requestRun } from '../../src/client/lanes';
import { backfillWorkflowId, laneWorkflowId, rolloutWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { rolloutWorkflow } from '../../src/workflows/rollouts/rollout';
import { tenantLaneWorkflow } from '../../src/workflows/lanes/tenant-lane';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';

const ROOT = path.resolve(__dirname, '../..');

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs bin/daybreak and kills it after `killAfterMs`: a hang shows as a kill, never as a stuck test. */
function daybreak(env: NodeJS.ProcessEnv, args: string[], killAfterMs = 60_000): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      path.join(ROOT, 'bin/daybreak'),
      args,
      { env: { ...process.env, ...env }, cwd: ROOT, timeout: killAfterMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

function tenantsFile(dir: string, ids: string[]): string {
  const file = path.join(dir, 'tenants.json');
  const tenants = ids.map((id) => ({
    id,
    displayName: id,
    timeZone: 'Europe/Berlin',
    runHour: 1,
    badDataPolicy: 'fail',
  }));
  writeFileSync(file, JSON.stringify({ tenants }));
  return file;
}

let stack: Stack;
let namespace: string;
const dirs: string[] = [];
const started: string[] = [];
beforeAll(async () => {
  stack = await connectStack();
  namespace = stack.client.options.namespace;
});
afterAll(async () => {
  for (const id of started)
    await stack.client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  await stack.close();
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-bounded-'));
  dirs.push(dir);
  return dir;
}

describe('no command hangs silently', () => {
  it('names the address and npm run stack:up when the Temporal server is unreachable', async () => {
    const dir = tempDir();
    const tenant = uniqueName('down');
    const env = { DAYBREAK_TEMPORAL_ADDRESS: '127.0.0.1:1', DAYBREAK_TENANTS_FILE: tenantsFile(dir, [tenant]) };
    for (const args of [['status'], ['rerun', '--tenant', tenant, '--day', '2026-11-20']]) {
      const out = await daybreak(env, args, 30_000);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain('cannot reach the Temporal server at 127.0.0.1:1');
      expect(out.stderr).toContain('npm run stack:up');
      expect(out.ms).toBeLessThan(15_000);
    }
  });

  it('status tells no lane from a lane nobody serves, in seconds; rerun refuses to wait on an unpolled queue', async () => {
    const dir = tempDir();
    const orphan = uniqueName('orphan'); // a lane on a queue no worker polls (a test's leftover)
    const fresh = uniqueName('fresh'); // no lane at all
    const orphanQueue = uniqueName('nobody-polls');
    const configuredQueue = uniqueName('nobody-either');
    const env = { DAYBREAK_TENANTS_FILE: tenantsFile(dir, [orphan, fresh]), DAYBREAK_TASK_QUEUE: configuredQueue };
    await stack.client.workflow.start(tenantLaneWorkflow, {
      workflowId: laneWorkflowId(orphan),
      taskQueue: orphanQueue,
      args: [
        { tenantId: orphan, tenant: { timeZone: 'Europe/Berlin', badDataPolicy: 'fail' }, versions: { primary: 'v1' } },
      ],
    });
    started.push(laneWorkflowId(orphan));

    const status = await daybreak(env, ['status']);
    expect(status.code).toBe(0);
    expect(status.ms).toBeLessThan(15_000);
    const lines = status.stdout.split('\n');
    const orphanLine = lines.find((l) => l.startsWith(orphan)) ?? '';
    expect(orphanLine).toContain('lane unreachable');
    expect(orphanLine).toContain(`no worker polls task queue ${orphanQueue} in namespace ${namespace}`);
    expect(lines.find((l) => l.startsWith(fresh))).toContain('no lane');
    expect(lines.find((l) => l.startsWith(fresh))).not.toContain('unreachable');

    // No lane yet, and nothing polls the queue a new one would start on.
    const rerunFresh = await daybreak(env, ['rerun', '--tenant', fresh, '--day', '2026-11-20']);
    expect(rerunFresh.code).toBe(1);
    expect(rerunFresh.ms).toBeLessThan(15_000);
    expect(rerunFresh.stderr).toContain(`no worker polls task queue ${configuredQueue} in namespace ${namespace}`);
    expect(rerunFresh.stderr).toContain('npm run worker');
    // Refused before anything started: no lane was left waiting on the queue.
    await expect(stack.client.workflow.getHandle(laneWorkflowId(fresh)).describe()).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );

    // The lane exists but on a queue nobody polls: the message names that queue, not the configured one.
    const rerunOrphan = await daybreak(env, ['rerun', '--tenant', orphan, '--day', '2026-11-20', '--timeout', '5']);
    expect(rerunOrphan.code).toBe(1);
    expect(rerunOrphan.ms).toBeLessThan(15_000);
    expect(rerunOrphan.stderr).toContain(`no worker polls task queue ${orphanQueue} in namespace ${namespace}`);

    // A rollout nobody serves: `rollout status` says so instead of waiting for the query's timeout.
    const candidate = uniqueName('rc');
    await stack.client.workflow.start(rolloutWorkflow, {
      workflowId: rolloutWorkflowId(candidate),
      taskQueue: orphanQueue,
      args: [
        {
          candidateVersion: candidate,
          baselineVersion: 'v1',
          tenants: [],
          policy: { comparisonPolicy: 'identical', cleanDaysToEligible: 2, autoPromote: false },
        },
      ],
    });
    started.push(rolloutWorkflowId(candidate));
    const rollout = await daybreak(env, ['rollout', 'status', '--candidate', candidate]);
    expect(rollout.code).toBe(1);
    expect(rollout.ms).toBeLessThan(15_000);
    expect(rollout.stderr).toContain(`no worker polls task queue ${orphanQueue} in namespace ${namespace}`);
    // A lane that has closed (terminated by an operator) on a queue nobody polls is no obstacle:
    // status says there is no running lane, and a rerun would start a new one on the configured queue.
    const closed = uniqueName('closed');
    const closedEnv = { ...env, DAYBREAK_TENANTS_FILE: tenantsFile(tempDir(), [closed]) };
    const closedLane = await stack.client.workflow.start(tenantLaneWorkflow, {
      workflowId: laneWorkflowId(closed),
      taskQueue: orphanQueue,
      args: [
        { tenantId: closed, tenant: { timeZone: 'Europe/Berlin', badDataPolicy: 'fail' }, versions: { primary: 'v1' } },
      ],
    });
    await closedLane.terminate('an operator cleared it');
    const closedStatus = await daybreak(closedEnv, ['status', '--tenant', closed]);
    expect(closedStatus.code).toBe(0);
    expect(closedStatus.stdout).toContain('no running lane (the last one was terminated');
    const closedRerun = await daybreak(closedEnv, ['rerun', '--tenant', closed, '--day', '2026-11-20']);
    expect(closedRerun.code).toBe(1);
    expect(closedRerun.stderr).toContain(`no worker polls task queue ${configuredQueue} in namespace ${namespace}`);

    // Operator actions are bounded the same way.
    const promote = await daybreak(env, [
      'rollout',
      'promote',
      '--candidate',
      candidate,
      '--tenant',
      orphan,
      '--reason',
      'x',
    ]);
    expect(promote.code).toBe(1);
    expect(promote.ms).toBeLessThan(15_000);
    expect(promote.stderr).toContain(`no worker polls task queue ${orphanQueue} in namespace ${namespace}`);

    // `rollout start` refuses an unknown candidate at the door, and a rollout no worker would run.
    const unknown = await daybreak(env, ['rollout', 'start', '--candidate', 'v3', '--tenants', orphan]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('v3');
    expect(unknown.stderr).toContain('does not exist');
    const unserved = await daybreak(env, ['rollout', 'start', '--candidate', 'v2', '--tenants', orphan]);
    expect(unserved.code).toBe(1);
    // (Checked before the start: other tests of the run may hold daybreak/rollout/v2 in this namespace.)
    expect(unserved.stderr).toContain(`no worker polls task queue ${configuredQueue} in namespace ${namespace}`);
  });
});

describe('backfills report as they go', () => {
  it('--wait prints days as they finish and stops on a pause with the commands; a second backfill says one runs', async () => {
    const dir = tempDir();
    const base = uniqueName('bf-cli');
    const tenantId = uniqueName('bfcli');
    const settings = { timeZone: 'Europe/Berlin', badDataPolicy: 'fail' as const };
    const env = { DAYBREAK_TENANTS_FILE: tenantsFile(dir, [tenantId]), DAYBREAK_TASK_QUEUE: base };
    const failDays = ['2026-11-02'];
    const recorder = recordingActivities({ delayMs: 20, failDays });
    const laneDefaults = { taskQueue: base, primaryVersion: 'v1', maxAttempts: 1 };
    const activities = {
      ...recorder.activities,
      ...createTemporalLaneActivities({ temporal: stack.client, laneDefaults, loadTenants: () => Promise.resolve([]) }),
    };
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const workers = await Promise.all(
      [base, versionTaskQueue(base, 'v1'), versionTaskQueue(base, 'v1', 'backfill')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    const workflowId = backfillWorkflowId(tenantId, '2026-11-01', '2026-11-03');
    started.push(laneWorkflowId(tenantId), workflowId);
    const range = ['--tenant', tenantId, '--from', '2026-11-01', '--to', '2026-11-03'];
    await workers[0].runUntil(
      workers[1].runUntil(
        workers[2].runUntil(async () => {
          // The lane with one attempt per day, so the planted failure pauses the backfill at once.
          await requestRun(
            stack.client,
            tenantId,
            { day: '2026-10-31', kind: 'backfill', requestedBy: 'test', tenant: settings },
            laneDefaults,
          );

          const waited = await daybreak(env, ['backfill', ...range, '--wait', '--timeout', '90'], 120_000);
          expect(waited.stdout).toContain(`started ${workflowId}`);
          expect(waited.stdout).toMatch(/^2026-11-01 {2}done \(1\/3\)$/m);
          expect(waited.stdout).not.toContain('2026-11-02  done');
          expect(waited.code).toBe(1);
          expect(waited.stderr).toContain('paused on 2026-11-02');
          expect(waited.stderr).toContain(`planted failure for ${tenantId} 2026-11-02`);
          expect(waited.stderr).toContain(`daybreak backfill ${range.join(' ')} --resume`);
          expect(waited.stderr).toContain(`daybreak backfill ${range.join(' ')} --skip`);

          const again = await daybreak(env, ['backfill', ...range]);
          expect(again.code).toBe(0);
          expect(again.stdout).toContain(`is already running: ${workflowId}`);
          expect(again.stdout).toContain(`daybreak backfill ${range.join(' ')} --wait`);
          expect(again.stderr).not.toContain('already started');

          const status = await daybreak(env, ['status', '--tenant', tenantId]);
          expect(status.stdout).toMatch(new RegExp(`${workflowId}\\s+paused on 2026-11-02`));

          const skipped = await daybreak(env, ['backfill', ...range, '--skip', '--wait', '--timeout', '90'], 120_000);
          expect(skipped.stderr).toBe('');
          expect(skipped.code).toBe(0);
          expect(skipped.stdout).toMatch(/^2026-11-02 {2}skipped$/m);
          expect(skipped.stdout).toMatch(/^2026-11-03 {2}done \(2\/3\)$/m);

          // Days the backfill computed count as done, like daily runs; the skipped one does not.
          const plan = await daybreak(env, ['backfill', ...range, '--dry-run']);
          expect(plan.code).toBe(0);
          expect(plan.stdout).toMatch(/^2026-11-01 {2}already computed/m);
          expect(plan.stdout).toMatch(/^2026-11-02 {2}would compute$/m);
          expect(plan.stdout).toMatch(/^2026-11-03 {2}already computed/m);
        }),
      ),
    );
  });
});
