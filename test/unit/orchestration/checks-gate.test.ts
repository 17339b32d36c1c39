import { describe, expect, it } from 'vitest';
import { ChecksGateState } from '../../../src/workflows/data-checks/checks-gate';
import type {
  CheckResult,
  ChecksVerdict,
  DataChecksOutcome,
} from '../../../src/workflows/data-checks/data-check-contracts';
import { releaseChecksValidator } from '../../../src/workflows/data-checks/data-checks-messages';

const ID = 'daybreak/tenant-day/acme/2026-11-20/v1/primary';
const result = (check: CheckResult['check'], passed: boolean): CheckResult => ({
  check,
  passed,
  value: passed ? 100 : 300,
  baseline: 100,
  threshold: 0.5,
  detail: `${check}: ${passed ? 'ok' : 'off'}`,
});
const outcome = (verdict: ChecksVerdict): DataChecksOutcome => ({
  verdict,
  baselineDays: 5,
  insufficientHistory: false,
  severity: verdict === 'warn' ? 'warn' : 'block',
  results: [result('accounts', verdict === 'pass'), result('quarantinedShare', true)],
});

describe('ChecksGateState (the data-check gate without Temporal)', () => {
  it('is not checked until the outcome comes, then checked when the verdict lets the day serve', () => {
    const gate = new ChecksGateState();
    expect(gate.state).toEqual({ state: 'not-checked' });
    expect(gate.releaseRefusal(ID)).toBe(`${ID} is not blocked by its data checks (state: not-checked)`);
    const checks = gate.checked(outcome('warn'));
    expect(gate.state).toEqual({ state: 'checked', checks });
    expect(gate.failed()).toEqual(['accounts']);
    expect(gate.releaseRefusal(ID)).toMatch(/state: checked/);
    const passed = new ChecksGateState();
    passed.checked(outcome('pass'));
    expect([passed.state.state, passed.failed()]).toEqual(['checked', []]);
  });

  it('holds a blocked day until one release, which names who, why and when', () => {
    const gate = new ChecksGateState();
    const checks = gate.checked(outcome('block'));
    expect(gate.state.state).toBe('blocked');
    expect(gate.releaseRefusal(ID)).toBeUndefined();
    expect(gate.releaseAsked).toBe(false);
    expect(gate.requestRelease({ by: 'ops', reason: 'known migration' }, ID)).toEqual({
      workflowId: ID,
      failed: ['accounts'],
    });
    expect(gate.releaseAsked).toBe(true);
    // A second release is refused: the first one is already on its way.
    expect(gate.releaseRefusal(ID)).toMatch(/state: blocked/);
    const released = gate.released('2026-11-21T09:00:00.000Z');
    expect(released).toBe(checks);
    expect(released.released).toEqual({ by: 'ops', reason: 'known migration', at: '2026-11-21T09:00:00.000Z' });
    expect(gate.state).toEqual({ state: 'released', checks });
    expect(gate.releaseRefusal(ID)).toMatch(/state: released/);
  });
});

describe('releaseChecks validator', () => {
  it('refuses a day that is not blocked first, then a release without who or why', () => {
    expect(() => releaseChecksValidator(() => 'not blocked')({ by: 'ops', reason: 'x' })).toThrow('not blocked');
    const validate = releaseChecksValidator(() => undefined);
    expect(() => validate({ by: 'ops', reason: 'known migration' })).not.toThrow();
    expect(() => validate({ by: ' ', reason: 'x' })).toThrow(
      'release needs a non-empty "by" of at most 500 characters',
    );
    expect(() => validate({ by: 'ops', reason: 'x'.repeat(501) })).toThrow(/"reason"/);
  });
});
