import { describe, expect, it } from 'vitest';
import type { DayVerdictSignal, RolloutInput, Verdict } from '../../../src/workflows/rollouts/rollout-contracts';
import { Rollout } from '../../../src/workflows/rollouts/rollout-state';

const settings = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };
const T0 = Date.parse('2026-11-10T08:00:00.000Z');

function input(autoPromote = false): RolloutInput {
  return {
    candidateVersion: 'v2',
    baselineVersion: 'v1',
    policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote },
    tenants: ['acme', 'globex'].map((tenantId) => ({ tenantId, tenant: settings })),
  };
}
function rollout(autoPromote = false) {
  let now = T0;
  const logged: string[] = [];
  const r = new Rollout(input(autoPromote), {
    now: () => (now += 1000),
    onAudit: (entry) => logged.push(`${entry.tenantId} ${entry.action}`),
  });
  return { r, logged };
}
const verdict = (day: string, v: Verdict = 'clean'): DayVerdictSignal => ({
  tenantId: 'acme',
  day,
  primaryVersion: 'v1',
  shadowVersion: 'v2',
  verdict: v,
});
const by = (tenantId: string, force?: boolean) => ({ tenantId, by: 'ops@example', reason: 'checked', force });

describe('Rollout (state and rules without Temporal)', () => {
  it('starts every tenant in shadow, or carries the state it continued with', () => {
    const { r } = rollout();
    expect(r.state.tenants.map((t) => [t.tenantId, t.stage, t.consecutiveClean])).toEqual([
      ['acme', 'shadow', 0],
      ['globex', 'shadow', 0],
    ]);
    const carried = new Rollout({ ...input(), state: r.state }, { now: () => T0 });
    expect(carried.state).toBe(r.state);
  });

  it('audits eligibility with the clock it is given, and names a tenant to promote only under auto-promote', () => {
    const manual = rollout(false);
    expect(manual.r.recordVerdict(verdict('2026-11-01'))).toBeUndefined();
    expect(manual.r.recordVerdict(verdict('2026-11-02'))).toBeUndefined();
    expect(manual.r.state.tenants[0].stage).toBe('eligible');
    expect(manual.r.state.audit).toEqual([
      {
        tenantId: 'acme',
        action: 'eligible',
        by: 'rollout',
        reason: '2 clean days',
        forced: false,
        at: '2026-11-10T08:00:01.000Z',
      },
    ]);
    expect(manual.logged).toEqual(['acme eligible']);

    const auto = rollout(true);
    auto.r.recordVerdict(verdict('2026-11-01'));
    expect(auto.r.recordVerdict(verdict('2026-11-02'))).toBe('acme');
    expect(auto.r.autoPromotionStillDue('acme')).toBe(true);
    // An operator rolled it back while the automatic promotion waited for the lock.
    auto.r.moved(by('acme'), auto.r.move('rollback', 'rollout-id'));
    expect(auto.r.autoPromotionStillDue('acme')).toBe(false);
  });

  it('says what each move serves and how the lane runs', () => {
    const { r } = rollout();
    expect(r.move('promote', 'daybreak/rollout/v2')).toEqual({
      serve: 'v2',
      versions: { primary: 'v2', shadow: 'v1', rolloutWorkflowId: 'daybreak/rollout/v2', comparisonPolicy: 'v1-to-v2' },
      stage: 'promoted',
      audited: 'promote',
    });
    expect(r.move('auto-promote', 'daybreak/rollout/v2').audited).toBe('auto-promote');
    expect(r.move('rollback', 'daybreak/rollout/v2')).toEqual({
      serve: 'v1',
      versions: { primary: 'v1' },
      stage: 'rolled-back',
      audited: 'rollback',
    });
    expect(r.move('resume', 'daybreak/rollout/v2')).toEqual({
      versions: { primary: 'v1', shadow: 'v2', rolloutWorkflowId: 'daybreak/rollout/v2', comparisonPolicy: 'v1-to-v2' },
      stage: 'shadow',
      audited: 'resume',
    });
    expect(r.move('finish', 'daybreak/rollout/v2')).toEqual({
      versions: { primary: 'v2' },
      stage: 'finished',
      audited: 'finish',
    });
  });

  it('refuses by stage, and a forced promotion is audited as forced', () => {
    const { r } = rollout();
    expect(r.refusal('promote', by('acme'))).toMatch(/0 of 2 consecutive clean days/);
    expect(r.refusal('promote', by('acme', true))).toBeUndefined();
    expect(r.refusal('finish', by('acme'))).toMatch(/only a promoted tenant/);
    expect(r.refusal('resume', by('acme'))).toMatch(/only a rolled-back tenant/);
    expect(r.refusal('rollback', by('nobody'))).toMatch(/not part of the rollout of v2/);
    const promoted = r.moved(by('acme', true), r.move('promote', 'id'));
    expect(promoted.stage).toBe('promoted');
    expect(r.state.audit.at(-1)).toMatchObject({ action: 'promote', by: 'ops@example', forced: true });
    expect(r.refusal('finish', by('acme'))).toBeUndefined();
    expect(() => r.tenant('nobody')).toThrow(/not part of the rollout/);
  });

  it('resumes a rolled-back tenant into a new round with its clean days from zero, never audited as forced', () => {
    const { r } = rollout();
    r.recordVerdict(verdict('2026-11-01'));
    r.moved(by('acme'), r.move('rollback', 'id'));
    expect(r.state.tenants[0].consecutiveClean).toBe(1);
    const resumed = r.moved(by('acme', true), r.move('resume', 'id'));
    expect(resumed).toMatchObject({ stage: 'shadow', consecutiveClean: 0, round: 1 });
    expect(r.state.audit.at(-1)).toMatchObject({ action: 'resume', forced: false });
  });

  it('ends only when no tenant is mid-way, auditing each rolled-back tenant, and is then done', () => {
    const { r, logged } = rollout();
    r.moved(by('acme'), r.move('rollback', 'id'));
    expect(r.endRefusal()).toMatch(/globex \(shadow\)/);
    expect(() => r.end({ by: 'ops', reason: 'abandon v2' })).toThrow(/still has tenants in progress/);
    r.moved(by('globex', true), r.move('promote', 'id'));
    r.moved(by('globex'), r.move('finish', 'id'));
    expect(r.done(true)).toBe(false);
    expect(r.end({ by: 'ops', reason: 'abandon v2' })).toEqual({
      candidateVersion: 'v2',
      tenants: [
        { tenantId: 'acme', stage: 'rolled-back' },
        { tenantId: 'globex', stage: 'finished' },
      ],
    });
    expect(logged.at(-1)).toBe('acme end');
    expect(r.state.audit.filter((a) => a.action === 'end').map((a) => a.tenantId)).toEqual(['acme']);
    expect(r.done(true)).toBe(true);
    expect(r.endRefusal()).toMatch(/already ended/);
  });

  it('keeps the last 500 audit entries', () => {
    const { r } = rollout();
    for (let i = 0; i < 260; i++) {
      r.moved(by('acme'), r.move('rollback', 'id'));
      r.moved(by('acme'), r.move('resume', 'id'));
    }
    expect(r.state.audit).toHaveLength(500);
    expect(r.state.audit.at(-1)).toMatchObject({ action: 'resume' });
    expect(r.state.tenants[0].round).toBe(260);
  });

  it('describes each tenant for the current details', () => {
    const { r } = rollout();
    r.recordVerdict(verdict('2026-11-01'));
    expect(r.details()).toBe('acme: shadow (1 clean); globex: shadow (0 clean)');
  });
});
