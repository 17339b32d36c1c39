import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  cliRefusalText,
  formatRolloutTable,
  reportUrlOf,
  rolloutActionError,
} from '../../../src/cli/commands/rollout-messages';
import type { RolloutState } from '../../../src/workflows/rollouts/rollout-contracts';
import { promotionRefusal } from '../../../src/workflows/rollouts/rollout-state';

const KEY = 'reports/compare-v1-vs-v2/tenant=acme/day=2026-11-02/differences.csv';
const s3 = reportUrlOf({
  store: { kind: 's3', fsRoot: '/unused' },
  s3: { endpoint: '', region: '', accessKeyId: '', secretAccessKey: '', bucket: 'daybreak' },
});
const fs = reportUrlOf({
  store: { kind: 'fs', fsRoot: '/srv/daybreak/store' },
  s3: { endpoint: '', region: '', accessKeyId: '', secretAccessKey: '', bucket: 'daybreak' },
});

function state(): RolloutState {
  return {
    candidateVersion: 'v2',
    baselineVersion: 'v1',
    policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
    tenants: [
      {
        tenantId: 'acme',
        tenant: { timeZone: 'UTC', badDataPolicy: 'quarantine' },
        stage: 'shadow',
        consecutiveClean: 0,
        verdicts: [{ day: '2026-11-02', verdict: 'unexpected-differences', csvKey: KEY }],
        lastUnexpectedCsv: KEY,
        round: 1,
      },
      {
        tenantId: 'globex',
        tenant: { timeZone: 'UTC', badDataPolicy: 'quarantine' },
        stage: 'promoted',
        consecutiveClean: 2,
        verdicts: [],
      },
    ],
    audit: [
      { at: '2026-12-01T10:00:00.000Z', tenantId: 'acme', action: 'promote', by: 'ana', reason: 'drill', forced: true },
      {
        at: '2026-12-01T10:05:00.000Z',
        tenantId: 'globex',
        action: 'promote',
        by: 'bo',
        reason: 'clean',
        forced: false,
      },
      {
        at: '2026-12-01T10:10:00.000Z',
        tenantId: 'acme',
        action: 'rollback',
        by: 'ana',
        reason: 'drill over',
        forced: false,
      },
      { at: '2026-12-01T10:20:00.000Z', tenantId: 'acme', action: 'resume', by: 'cy', reason: 'fixed', forced: false },
    ],
  };
}

describe('rollout messages of the daybreak command (issue 13, point 7)', () => {
  it('prints report keys as full URLs of the configured store', () => {
    expect(s3(KEY)).toBe(`s3://daybreak/${KEY}`);
    expect(fs(KEY)).toBe(`file:///srv/daybreak/store/${KEY}`);
  });

  it("shows each tenant's actions under it: when, what, who and why", () => {
    const lines = formatRolloutTable(state(), { reportUrl: s3 }).split('\n');
    expect(lines[0]).toBe('rollout of v2 (baseline v1, policy v1-to-v2)');
    expect(lines[1]).toMatch(/^ {2}acme\s+shadow\s+clean days 0\s+last verdict 2026-11-02 unexpected-differences/);
    expect(lines[1]).toContain(`s3://daybreak/${KEY}`);
    expect(lines.slice(2, 5)).toEqual([
      '      2026-12-01T10:00:00.000Z promote (forced) by ana: drill',
      '      2026-12-01T10:10:00.000Z rollback by ana: drill over',
      '      2026-12-01T10:20:00.000Z resume by cy: fixed',
    ]);
    expect(lines[5]).toMatch(/^ {2}globex\s+promoted/);
    expect(lines[6]).toBe('      2026-12-01T10:05:00.000Z promote by bo: clean');
    expect(lines).toHaveLength(7);
  });

  it('says how many older actions it leaves out', () => {
    const s = state();
    s.audit = Array.from({ length: 12 }, (_, i) => ({
      at: `2026-12-01T10:${String(i).padStart(2, '0')}:00.000Z`,
      tenantId: 'globex',
      action: 'promote' as const,
      by: 'bo',
      reason: `#${i}`,
      forced: false,
    }));
    const lines = formatRolloutTable(s).split('\n');
    expect(lines).toContain('      (2 earlier actions in the workflow history)');
    expect(lines.at(-1)).toBe('      2026-12-01T10:11:00.000Z promote by bo: #11');
  });

  it('turns a refusal into the CLI words: --force and the report URL, no SDK wrapper', () => {
    const refusal = promotionRefusal(state(), 'acme', false)!;
    expect(refusal).toContain('promote with force to override');
    expect(cliRefusalText(refusal, s3)).toBe(
      `tenant acme has 0 of 2 consecutive clean days; last unexpected differences: s3://daybreak/${KEY}; promote with --force to override`,
    );
    const sdkError = new WorkflowUpdateFailedError(
      'Workflow Update failed',
      ApplicationFailure.create({ message: refusal, type: 'InvalidInputError' }),
    );
    const error = rolloutActionError(sdkError, { action: 'promote', candidate: 'v2', reportUrl: s3 });
    expect(error.message).toBe(`promote refused: ${cliRefusalText(refusal, s3)}`);
    expect(error.message).not.toMatch(/Workflow Update failed|WorkflowUpdateFailedError|ApplicationFailure/);
    expect(error.cause).toBeUndefined();
  });

  it('says a rollout that is not running can be started again', () => {
    const error = rolloutActionError(new WorkflowNotFoundError('workflow execution already completed', 'x', ''), {
      action: 'resume',
      candidate: 'v2',
      reportUrl: s3,
    });
    expect(error.message).toBe(
      'resume: the rollout of v2 is not running (it ended, or was never started); start it again with `daybreak rollout start --candidate v2`',
    );
  });
});
