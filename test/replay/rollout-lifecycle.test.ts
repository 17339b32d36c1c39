import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { installTestLogger } from '../support/logging';
import { WORKFLOWS_PATH } from '../support/stack';

installTestLogger();

/**
 * Issue 13, point 7: the rollout's lifecycle changed (a rolled-back tenant keeps it open) behind
 * patched('rollout-open-while-rolled-back'). Both lifecycles are recorded and both replay.
 */
const HISTORIES = path.resolve(__dirname, 'histories');
const load = (file: string) => historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')));

/** The history as a list of what happened: updates by name, the patch marker, completion. */
function story(file: string): string[] {
  return (load(file).events ?? []).flatMap((e) => {
    const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
    if (update) return [`update ${update}`];
    if (e.markerRecordedEventAttributes) {
      const data = e.markerRecordedEventAttributes.details?.['patch-data']?.payloads?.[0]?.data;
      return [`patch ${(JSON.parse(Buffer.from(data ?? []).toString()) as { id: string }).id}`];
    }
    if (e.workflowExecutionCompletedEventAttributes) return ['completed'];
    return [];
  });
}

describe('the rollout lifecycle, old and new', () => {
  it('a rollout recorded before resume completed on its only tenant rolled back, with no patch marker', async () => {
    expect(story('rollout.promote-rollback.v1.sdk-1.24.0.json')).toEqual([
      'update promote',
      'update rollback',
      'completed',
    ]);
    await Worker.runReplayHistory(
      { workflowsPath: WORKFLOWS_PATH, replayName: 'old lifecycle' },
      load('rollout.promote-rollback.v1.sdk-1.24.0.json'),
    );
  });

  it('a patched rollout stays open after a rollback, resumes, promotes again and completes on end', async () => {
    expect(story('rollout.resume-end.v2.sdk-1.24.0.json')).toEqual([
      'patch rollout-open-while-rolled-back',
      'update promote',
      'update rollback',
      'update resume',
      'update promote',
      'update rollback',
      'update end',
      'completed',
    ]);
    await Worker.runReplayHistory(
      { workflowsPath: WORKFLOWS_PATH, replayName: 'new lifecycle' },
      load('rollout.resume-end.v2.sdk-1.24.0.json'),
    );
  });
});
