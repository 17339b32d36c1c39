import { describe, expect, it } from 'vitest';
import { formatChecks, formatLaneState } from '../../../src/cli/status-lines';
import type { TenantDayChecks } from '../../../src/workflows/data-checks/data-check-contracts';
import type { FinishedRun } from '../../../src/workflows/lanes/lane-contracts';
import { emptyLaneState } from '../../../src/workflows/lanes/run-queue';

const completed = (day: string): FinishedRun => ({
  day,
  kind: 'daily',
  pipelineVersion: 'v1',
  workflowId: `daybreak/tenant-day/acme/${day}/v1/primary`,
  status: 'completed',
  attempts: 1,
});

describe('the freshness columns of daybreak status', () => {
  // Berlin, run hour 6, no slaHours (the default 6): 2026-11-20 is due 2026-11-21 06:00 CET = 05:00Z, late from 11:00Z.
  const tenant = { timeZone: 'Europe/Berlin', runHour: 6 };
  const state = emptyLaneState('acme', { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' }, { primary: 'v1' });
  state.finished = [completed('2026-11-18'), completed('2026-11-19')];

  it('on time before the deadline, LATE from it, with the last served day', () => {
    expect(formatLaneState(state, { tenant, nowMs: Date.parse('2026-11-21T10:59:00Z') })).toMatch(
      /stale: none {2}last served: 2026-11-19 {2}sla: on time \(6 h SLA\)$/,
    );
    expect(formatLaneState(state, { tenant, nowMs: Date.parse('2026-11-21T11:00:00Z') })).toMatch(
      /last served: 2026-11-19 {2}sla: LATE \(2026-11-20 due by 2026-11-21T11:00:00\.000Z, 6 h SLA\)$/,
    );
  });

  it("the tenant's own slaHours; without a clock, no freshness columns", () => {
    expect(
      formatLaneState(state, { tenant: { ...tenant, slaHours: 12 }, nowMs: Date.parse('2026-11-21T11:00:00Z') }),
    ).toContain('sla: on time (12 h SLA)');
    expect(formatLaneState(state)).not.toContain('last served');
  });
});

describe('the checks lines of daybreak status', () => {
  const checks: TenantDayChecks = {
    verdict: 'warn',
    baselineDays: 14,
    insufficientHistory: false,
    severity: 'warn',
    results: [
      { check: 'accounts', passed: false, value: 50, baseline: 100, threshold: 0.3, detail: 'accounts 50 vs 100' },
      { check: 'acceptedEvents', passed: true, value: 10, baseline: 10, threshold: 0.5, detail: 'events 10 vs 10' },
    ],
  };

  it('the verdict, then each failed check; a run without checks shows nothing', () => {
    expect(formatChecks('2026-11-20', checks)).toEqual([
      '  checks 2026-11-20: warn',
      '    accounts failed: accounts 50 vs 100',
    ]);
    expect(
      formatChecks('2026-11-20', {
        ...checks,
        verdict: 'pass',
        results: [],
        insufficientHistory: true,
        baselineDays: 2,
      }),
    ).toEqual(['  checks 2026-11-20: pass, too little history (2 days)']);
    expect(formatChecks('2026-11-20', undefined)).toEqual([]);
  });
});
