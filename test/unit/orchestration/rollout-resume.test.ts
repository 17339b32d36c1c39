import { describe, expect, it } from 'vitest';
import type { DayVerdictSignal, RolloutState, Verdict } from '../../../src/workflows/rollouts/rollout-contracts';
import {
  FORCE_HINT,
  applyResume,
  applyVerdict,
  endRefusal,
  promotionRefusal,
  resumeRefusal,
  rolloutDone,
  shadowLaneVersions,
} from '../../../src/workflows/rollouts/rollout-state';

const settings = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };
function rollout(): RolloutState {
  return {
    candidateVersion: 'v2',
    baselineVersion: 'v1',
    policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
    tenants: ['acme', 'globex'].map((tenantId) => ({
      tenantId,
      tenant: settings,
      stage: 'shadow',
      consecutiveClean: 0,
      verdicts: [],
    })),
    audit: [],
  };
}
const verdict = (day: string, v: Verdict): DayVerdictSignal => ({
  tenantId: 'acme',
  day,
  primaryVersion: 'v1',
  shadowVersion: 'v2',
  verdict: v,
});
const acme = (s: RolloutState) => s.tenants[0];

describe('a rolled-back tenant resumed (issue 13, point 7)', () => {
  it('goes back to shadow with its clean days reset, and can be promoted again by the normal rules', () => {
    const s = rollout();
    applyVerdict(s, verdict('2026-11-01', 'clean'));
    applyVerdict(s, verdict('2026-11-02', 'clean'));
    expect(acme(s).stage).toBe('eligible');
    acme(s).stage = 'rolled-back';
    // Rolled back: not even force promotes it, and the refusal says what to do.
    expect(promotionRefusal(s, 'acme', true)).toBe(
      'tenant acme is rolled-back; resume it (back to shadow) before promoting it again',
    );
    expect(resumeRefusal(s, 'acme')).toBeUndefined();

    applyResume(s, 'acme');
    expect(acme(s)).toMatchObject({ stage: 'shadow', consecutiveClean: 0, round: 1 });
    // In shadow again: refused without evidence, naming the SDK's field, allowed when forced.
    expect(promotionRefusal(s, 'acme', false)).toBe(`tenant acme has 0 of 2 consecutive clean days; ${FORCE_HINT}`);
    expect(FORCE_HINT).toBe('promote with force to override');
    expect(promotionRefusal(s, 'acme', true)).toBeUndefined();

    // The same two days re-run after the resume are evidence of this round.
    expect(applyVerdict(s, verdict('2026-11-01', 'clean'))).toBeUndefined();
    expect(applyVerdict(s, verdict('2026-11-02', 'clean'))?.tenantId).toBe('acme');
    expect(acme(s).stage).toBe('eligible');
    expect(promotionRefusal(s, 'acme', false)).toBeUndefined();
    expect(acme(s).verdicts.map((v) => [v.day, v.round])).toEqual([
      ['2026-11-01', undefined],
      ['2026-11-02', undefined],
      ['2026-11-01', 1],
      ['2026-11-02', 1],
    ]);
    // Still one verdict per day and verdict within a round.
    applyVerdict(s, verdict('2026-11-02', 'clean'));
    expect(acme(s).verdicts).toHaveLength(4);
  });

  it('refuses to resume a tenant that is not rolled back or not in the rollout', () => {
    const s = rollout();
    expect(resumeRefusal(s, 'acme')).toBe('tenant acme is shadow; only a rolled-back tenant can be resumed');
    expect(resumeRefusal(s, 'nobody')).toBe('tenant nobody is not part of the rollout of v2');
    expect(() => applyResume(s, 'acme')).toThrow(/only a rolled-back tenant/);
    acme(s).stage = 'promoted';
    expect(resumeRefusal(s, 'acme')).toMatch(/acme is promoted; only a rolled-back/);
  });

  it('puts a resumed lane back on the baseline with the candidate in shadow under the rollout policy', () => {
    expect(shadowLaneVersions(rollout(), 'daybreak/rollout/v2')).toEqual({
      primary: 'v1',
      shadow: 'v2',
      rolloutWorkflowId: 'daybreak/rollout/v2',
      comparisonPolicy: 'v1-to-v2',
    });
  });
});

describe('when a rollout ends', () => {
  it('stays open while a tenant is rolled back, until every tenant is finished or an operator ends it', () => {
    const s = rollout();
    acme(s).stage = 'rolled-back';
    s.tenants[1].stage = 'finished';
    expect(rolloutDone(s, true)).toBe(false);
    // Rollouts recorded before resume existed complete here, as they did.
    expect(rolloutDone(s, false)).toBe(true);
    expect(endRefusal(s)).toBeUndefined();
    s.ended = true;
    expect(rolloutDone(s, true)).toBe(true);
    expect(endRefusal(s)).toBe('the rollout of v2 has already ended');

    const all = rollout();
    all.tenants.forEach((t) => (t.stage = 'finished'));
    expect(rolloutDone(all, true)).toBe(true);
  });

  it('refuses to end while a tenant is in shadow, eligible or promoted, naming them', () => {
    const s = rollout();
    s.tenants[1].stage = 'promoted';
    expect(endRefusal(s)).toBe(
      'the rollout of v2 still has tenants in progress: acme (shadow), globex (promoted); finish or roll them back first',
    );
    expect(rolloutDone(s, true)).toBe(false);
  });
});
