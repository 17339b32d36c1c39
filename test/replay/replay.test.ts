import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../support/stack';
import { installTestLogger } from '../support/logging';

installTestLogger();

const HISTORIES = path.resolve(__dirname, 'histories');
const files = readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .sort();

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));
}

describe('replay of recorded histories against the current workflow code', () => {
  it('has a recorded history of every workflow shape the issues name', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'skeleton.v1.json',
        'daily-trigger.scheduled.v1.json',
        'tenant-lane.rerun-queued.v1.json',
        'tenant-day.retried-activity.v1.json',
        'backfill.v1.json',
        'tenant-lane.continued-as-new.v1.json',
        'tenant-day.with-shadow.v1.json',
        'tenant-day.shadow-compare.v1.json',
        'rollout.promote-rollback.v1.json',
        'tenant-lane.cascade.v2.json',
        'backfill.cascade.v2.json',
        'tenant-day.waited-for-inputs.v2.json',
        'tenant-lane.waited-for-inputs.v2.json',
        'tenant-lane.refused-run.v2.json',
        'rollout.resume-end.v2.json',
        'backfill.paused-skipped.v2.json',
        'rollout.setup-under-lock.v2.json',
        'tenant-lane.daily-after-backfill.v3.json',
        'tenant-lane.alerts.v3.json',
        'tenant-day.run-ledger.v3.json',
        'tenant-day.run-ledger-failed.v3.json',
        'tenant-day.data-checks-blocked.v3.json',
        'sla-monitor.missed.v3.json',
      ]),
    );
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

  it('catches a deliberately incompatible workflow change', async () => {
    const changed = path.resolve(__dirname, 'fixtures/skeleton-reordered.ts');
    await expect(
      Worker.runReplayHistory({ workflowsPath: changed, replayName: 'negative' }, load('skeleton.v1.json')),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
