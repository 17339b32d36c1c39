import { describe, expect, it } from 'vitest';
import { formatLaneState } from '../../../src/cli/status-lines';
import type { FinishedRun } from '../../../src/shared/lane-contracts';
import { emptyLaneState } from '../../../src/shared/run-queue';

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
