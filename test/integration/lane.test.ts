import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laneState, requestRun } from '../../src/client/lanes';
import type { RunRequest } from '../../src/workflows/lanes/lane-contracts';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';
import { SDK_DEFAULT_ACTIVITY_SLOTS, recordingActivities } from '../support/recording-activities';
import { waitUntil } from '../../src/client/wait-until';
import { composeWorkers } from '../../src/workers/compose';
import { runWorkersUntil } from '../../src/workers/run-workers';

const waitFor = (predicate: () => Promise<boolean>, what: string) => waitUntil(predicate, { what });

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

const tenant = { timeZone: 'America/New_York', badDataPolicy: 'quarantine' as const };

let workflowBundle: { code: string };
beforeAll(async () => {
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});

/** Workers on the lane's queue and on version v1's live and backfill queues, as the worker process runs them. */
async function workersFor(base: string, activities: object, identity = 'w1') {
  const composition = await composeWorkers({
    config: stack.config,
    // As the recording worker has them (see SDK_DEFAULT_ACTIVITY_SLOTS).
    layout: { taskQueue: base, versions: ['v1'], coordination: true, ...SDK_DEFAULT_ACTIVITY_SLOTS },
    shared: { connection: stack.connection },
    workflowBundle,
    activities,
    identity: (q) => `${identity}@${q.taskQueue}`,
  });
  return composition.workers;
}

describe('tenant lane: mutex and queue through workflow ids', () => {
  it('runs 20 concurrent requests one at a time, drops duplicates, and never overlaps', async () => {
    const base = uniqueName('lane');
    const tenantId = uniqueName('t');
    const recorder = recordingActivities({ delayMs: 150 });
    const workers = await workersFor(base, recorder.activities);
    const defaults = { taskQueue: base, primaryVersion: 'v1' };
    // 20 requests: 8 distinct days, some asked twice or three times, in all three kinds.
    const requests: RunRequest[] = Array.from({ length: 20 }, (_, i) => ({
      day: `2026-11-${String(1 + (i % 8)).padStart(2, '0')}`,
      kind: i % 8 < 3 ? 'daily' : i % 8 < 6 ? 'backfill' : 'rerun',
      requestedBy: 'test',
      tenant,
    }));
    const [laneWorker, ...versionWorkers] = workers;
    await laneWorker.runUntil(async () => {
      // Only the lane's worker runs while the requests arrive: no run can finish (and so no late
      // duplicate can be queued again) before all 20 have been answered.
      const results = await Promise.all(requests.map((r) => requestRun(stack.client, tenantId, r, defaults)));
      expect(results.filter((r) => r.status === 'queued')).toHaveLength(8);
      expect(results.filter((r) => r.status === 'duplicate')).toHaveLength(12);
      await runWorkersUntil(versionWorkers, () =>
        waitFor(async () => {
          const s = await laneState(stack.client, tenantId);
          return s.finished.length === 8 && !s.running && s.queue.length === 0;
        }, 'all 8 runs'),
      );
    });
    const runs = recorder.runs(tenantId);
    expect(runs).toHaveLength(8);
    expect(new Set(runs.map((r) => r.day)).size).toBe(8);
    const sorted = [...runs].sort((a, b) => a.start - b.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end);
  });

  it('retries a failed tenant-day with backoff, then reports it failed without blocking the next run', async () => {
    const base = uniqueName('lane-fail');
    const tenantId = uniqueName('t');
    const recorder = recordingActivities({ delayMs: 10, failDays: ['2026-11-02'] });
    const workers = await workersFor(base, recorder.activities);
    const defaults = { taskQueue: base, primaryVersion: 'v1', retryBackoffBaseMs: 200, maxAttempts: 2 };
    await runWorkersUntil(workers, async () => {
      await requestRun(
        stack.client,
        tenantId,
        { day: '2026-11-02', kind: 'daily', requestedBy: 'test', tenant },
        defaults,
      );
      await requestRun(
        stack.client,
        tenantId,
        { day: '2026-11-03', kind: 'daily', requestedBy: 'test', tenant },
        defaults,
      );
      await waitFor(async () => (await laneState(stack.client, tenantId)).finished.length === 2, 'both runs finished');
      const state = await laneState(stack.client, tenantId);
      expect(state.finished.find((f) => f.day === '2026-11-02')).toMatchObject({ status: 'failed', attempts: 2 });
      expect(state.finished.find((f) => f.day === '2026-11-03')?.status).toBe('completed');
      // 11-03 completed while 11-02 waited for its retry: a failing day holds nothing up.
      expect(state.finished.map((f) => f.day)).toEqual(['2026-11-03', '2026-11-02']);
    });
    // The failing day was tried twice; the other day was not held up behind its backoff.
    expect(recorder.attempts(tenantId, '2026-11-02')).toBe(2);
  });

  it('shares work between two worker processes on the same queues', async () => {
    const base = uniqueName('lane-share');
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'daybreak-share-')), 'runs.jsonl');
    writeFileSync(out, '');
    const processes = ['one', 'two'].map((identity) => startRecordingWorker(base, identity, out));
    try {
      await Promise.all(processes.map((p) => p.ready));
      const defaults = { taskQueue: base, primaryVersion: 'v1' };
      const tenants = Array.from({ length: 8 }, () => uniqueName('t'));
      for (const t of tenants)
        await requestRun(stack.client, t, { day: '2026-11-05', kind: 'daily', requestedBy: 'test', tenant }, defaults);
      await waitFor(
        () => Promise.resolve(readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).length === 8),
        'eight runs',
      );
      const identities = readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { identity: string }).identity);
      expect(new Set(identities)).toEqual(new Set(['one', 'two']));
    } finally {
      for (const p of processes) process.kill(-p.child.pid!, 'SIGTERM');
      await Promise.all(processes.map((p) => p.exited));
    }
  });
});

function startRecordingWorker(base: string, identity: string, out: string) {
  const child = spawn(
    process.execPath,
    [require.resolve('tsx/cli'), path.resolve(__dirname, '../support/recording-worker.ts'), base, identity, out],
    // Its own process group, so stopping it reaches the node process tsx starts.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`recording worker ${identity} exited with ${code}: ${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, ready, exited };
}
