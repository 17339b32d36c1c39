import { describe, expect, it } from 'vitest';
import type { DayVerdictSignal, RolloutState, Verdict } from '../../../src/workflows/rollouts/rollout-contracts';
import {
  applyVerdict,
  finishRefusal,
  promotionRefusal,
  rollbackRefusal,
} from '../../../src/workflows/rollouts/rollout-state';

const settings = { timeZone: 'UTC', badDataPolicy: 'quarantine' as const };
function rollout(cleanDays = 2): RolloutState {
  return {
    candidateVersion: 'v2',
    baselineVersion: 'v1',
    policy: { comparisonPolicy: 'identical', cleanDaysToEligible: cleanDays, autoPromote: false },
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
const verdict = (day: string, v: Verdict, extra: Partial<DayVerdictSignal> = {}): DayVerdictSignal => ({
  tenantId: 'acme',
  day,
  primaryVersion: 'v1',
  shadowVersion: 'v2',
  verdict: v,
  csvKey: `reports/x/${day}.csv`,
  ...extra,
});

describe('rollout stages', () => {
  it('makes a tenant eligible after the policy number of consecutive acceptable days', () => {
    const s = rollout(2);
    expect(applyVerdict(s, verdict('2026-11-01', 'clean'))).toBeUndefined();
    expect(applyVerdict(s, verdict('2026-11-02', 'expected-differences'))?.tenantId).toBe('acme');
    expect(s.tenants[0].stage).toBe('eligible');
    expect(s.tenants[1].stage).toBe('shadow');
  });

  it('resets the count on unexpected differences or a failed shadow, and demotes an eligible tenant', () => {
    const s = rollout(2);
    applyVerdict(s, verdict('2026-11-01', 'clean'));
    applyVerdict(s, verdict('2026-11-02', 'unexpected-differences'));
    expect(s.tenants[0].consecutiveClean).toBe(0);
    expect(s.tenants[0].lastUnexpectedCsv).toBe('reports/x/2026-11-02.csv');
    applyVerdict(s, verdict('2026-11-03', 'clean'));
    applyVerdict(s, verdict('2026-11-04', 'clean'));
    expect(s.tenants[0].stage).toBe('eligible');
    applyVerdict(s, verdict('2026-11-05', 'shadow-failed'));
    expect(s.tenants[0].stage).toBe('shadow');
  });

  it('ignores verdicts about other versions and repeated signals for the same day', () => {
    const s = rollout(1);
    expect(applyVerdict(s, verdict('2026-11-01', 'clean', { shadowVersion: 'v3' }))).toBeUndefined();
    expect(s.tenants[0].verdicts).toEqual([]);
    applyVerdict(s, verdict('2026-11-01', 'unexpected-differences'));
    applyVerdict(s, verdict('2026-11-01', 'unexpected-differences'));
    expect(s.tenants[0].verdicts).toHaveLength(1);
  });

  it('refuses promotion without evidence unless forced, and says why', () => {
    const s = rollout(2);
    applyVerdict(s, verdict('2026-11-01', 'unexpected-differences'));
    expect(promotionRefusal(s, 'acme', false)).toMatch(
      /0 of 2 consecutive clean days; last unexpected differences: reports\/x\/2026-11-01.csv/,
    );
    expect(promotionRefusal(s, 'acme', true)).toBeUndefined();
    expect(promotionRefusal(s, 'nobody', true)).toMatch(/not part of the rollout/);
    expect(finishRefusal(s, 'acme')).toMatch(/only a promoted tenant/);
    s.tenants[0].stage = 'rolled-back';
    expect(rollbackRefusal(s, 'acme')).toMatch(/already rolled back/);
  });
});
