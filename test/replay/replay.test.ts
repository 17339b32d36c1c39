import * as path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../support/stack';
import { installTestLogger } from '../support/logging';
import { historyFiles, loadHistory as load, parseHistoryFileName, recordedSdkVersions } from './history-files';

installTestLogger();

const files = historyFiles();

describe('replay of recorded histories against the current workflow code', () => {
  it('has a recorded history of every workflow shape the issues name', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'daily-trigger.scheduled.v1.sdk-1.24.0.json',
        'tenant-lane.rerun-queued.v1.sdk-1.24.0.json',
        'tenant-day.retried-activity.v1.sdk-1.24.0.json',
        'backfill.v1.sdk-1.24.0.json',
        'tenant-lane.continued-as-new.v1.sdk-1.24.0.json',
        'tenant-day.with-shadow.v1.sdk-1.24.0.json',
        'tenant-day.shadow-compare.v1.sdk-1.24.0.json',
        'rollout.promote-rollback.v1.sdk-1.24.0.json',
        'tenant-lane.cascade.v2.sdk-1.24.0.json',
        'backfill.cascade.v2.sdk-1.24.0.json',
        'tenant-day.waited-for-inputs.v2.sdk-1.24.0.json',
        'tenant-lane.waited-for-inputs.v2.sdk-1.24.0.json',
        'tenant-lane.refused-run.v2.sdk-1.24.0.json',
        'rollout.resume-end.v2.sdk-1.24.0.json',
        'backfill.paused-skipped.v2.sdk-1.24.0.json',
        'rollout.setup-under-lock.v2.sdk-1.24.0.json',
        'tenant-lane.daily-after-backfill.v3.sdk-1.24.0.json',
        'tenant-lane.alerts.v3.sdk-1.24.0.json',
        'tenant-day.run-ledger.v3.sdk-1.24.0.json',
        'tenant-day.run-ledger-failed.v3.sdk-1.24.0.json',
        'tenant-day.data-checks-blocked.v3.sdk-1.24.0.json',
        'sla-monitor.missed.v3.sdk-1.24.0.json',
        'tenant-day.single-bucket.v4.sdk-1.24.0.json',
        'tenant-day.bucketed.v4.sdk-1.24.0.json',
        'tenant-day.bucketed-from-task.v4.sdk-1.24.0.json',
      ]),
    );
  });

  it.each(files)('%s is named after the SDK version that recorded it', (file) => {
    const parsed = parseHistoryFileName(file);
    expect(parsed, `${file} does not follow <workflow>[.<scenario>].v<N>.sdk-<version>.json`).toBeDefined();
    expect(recordedSdkVersions(file)).toEqual([parsed!.sdkVersion]);
  });

  it.each(files)('%s replays without a determinism error', async (file) => {
    await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: file }, load(file), file);
  });

  it('runs every history in one replay worker too', async () => {
    const histories = files.map((file) => ({ workflowId: file, history: load(file) }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: WORKFLOWS_PATH, replayName: 'all' },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
    }
    expect(failures).toEqual([]);
  });

  // The same histories replay against the released code (above); only the unpatched edit fails them.
  it.each([
    ['tenant-day.retried-activity.v1.sdk-1.24.0.json', 'an activity scheduled before the first one'],
    ['tenant-lane.rerun-queued.v1.sdk-1.24.0.json', 'a timer started before the first request is taken'],
  ])('catches an unpatched workflow change: %s against a workflow with %s', async (file) => {
    const changed = path.resolve(__dirname, 'fixtures/unpatched-change.ts');
    const replay = Worker.runReplayHistory({ workflowsPath: changed, replayName: `negative ${file}` }, load(file));
    await expect(replay).rejects.toBeInstanceOf(DeterminismViolationError);
    await expect(replay).rejects.toThrow(/nondetermin/i);
  });
});
