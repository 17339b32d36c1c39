import { describe, expect, it } from 'vitest';
import { evaluateDataChecks, healthScoreDistance, median } from '../../../src/metrics/data-checks';
import { sketchOf } from '../../../src/metrics/monoids/quantile-sketch';
import type { DataChecksConfig, DayCheckSummary } from '../../../src/workflows/data-checks/data-check-contracts';
import { DEFAULT_DATA_CHECKS, dataCheckAlert } from '../../../src/workflows/data-checks/data-check-contracts';
import type { RecordRunLedgerInput } from '../../../src/workflows/run-ledger/run-ledger-contracts';
import { buildLedgerEntry } from '../../../src/workflows/run-ledger/run-ledger-contracts';
import { TenantsFileError, parseTenantsFile } from '../../../src/workflows/tenants/tenant-config';

const tens = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];

function day(
  d: string,
  accounts: number,
  withoutEvents: number,
  counts: { read: number; accepted: number; quarantined: number } | undefined,
  scores = tens,
): DayCheckSummary {
  return {
    tenantId: 't',
    day: d,
    pipelineVersion: 'v1',
    accounts,
    accountsWithoutEvents: withoutEvents,
    ...(counts ? { counts } : {}),
    healthScores: sketchOf(scores),
  };
}

const block: DataChecksConfig = { ...DEFAULT_DATA_CHECKS, severity: 'block' };
// Medians by hand: accounts 100 (90, 100, 110), accepted 990 (800, 990, 1200),
// quarantined share 0.01 (0/800, 10/1000, 20/1200 = 0.0167), no-events share 0.1 (9/90, 10/100, 11/110).
const baseline = [
  day('2026-11-01', 100, 10, { read: 1000, accepted: 990, quarantined: 10 }),
  day('2026-11-02', 110, 11, { read: 1200, accepted: 1200, quarantined: 20 }),
  day('2026-11-03', 90, 9, { read: 800, accepted: 800, quarantined: 0 }),
];
const byCheck = (outcome: ReturnType<typeof evaluateDataChecks>) =>
  Object.fromEntries(outcome.results.map((r) => [r.check, r]));

describe('median', () => {
  it('is the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});

describe('healthScoreDistance', () => {
  // Deciles of 10..100 (rank floor(q * 9)): 10, 20, ..., 90; each within 1% of the sketch's value.
  it('is the largest decile difference: a shift of 5 points reads as about 5', () => {
    const d = healthScoreDistance(sketchOf(tens), sketchOf(tens.map((x) => x + 5)))!;
    expect(d).toBeGreaterThan(4);
    expect(d).toBeLessThan(6.1);
  });

  it('ignores a change beyond the deciles (the top value doubled)', () => {
    const d = healthScoreDistance(sketchOf(tens), sketchOf([...tens.slice(0, 9), 200]))!;
    expect(d).toBeLessThan(1);
  });

  it('sees a collapse of the spread: every score 50 is 40 points from the 0.1 and 0.9 deciles', () => {
    const d = healthScoreDistance(sketchOf(tens), sketchOf(Array<number>(10).fill(50)))!;
    expect(d).toBeGreaterThan(39);
    expect(d).toBeLessThan(41);
  });

  it('is null when a side is empty', () => {
    expect(healthScoreDistance(sketchOf([]), sketchOf(tens))).toBeNull();
  });
});

describe('evaluateDataChecks', () => {
  it('passes with insufficient history below minBaselineDays', () => {
    const outcome = evaluateDataChecks({
      today: day('2026-11-04', 1, 1, undefined),
      baseline: baseline.slice(0, 2),
      config: block,
    });
    expect(outcome).toEqual({
      verdict: 'pass',
      baselineDays: 2,
      insufficientHistory: true,
      severity: 'block',
      results: [],
    });
  });

  it('passes a normal day', () => {
    const outcome = evaluateDataChecks({
      today: day('2026-11-04', 105, 10, { read: 1000, accepted: 1000, quarantined: 12 }),
      baseline,
      config: block,
    });
    expect(outcome.verdict).toBe('pass');
    expect(outcome.results.every((r) => r.passed)).toBe(true);
    // 105 accounts vs median 100: a change of 0.05.
    expect(byCheck(outcome).accounts).toMatchObject({ value: 105, baseline: 100 });
  });

  it('blocks half the accounts and a spike of quarantined records, and says which checks failed', () => {
    const outcome = evaluateDataChecks({
      // 50 accounts: |50 - 100| / 100 = 0.5 > 0.3. Accepted 700 vs 990: 0.2929 <= 0.5.
      // Quarantined 100/1000 = 0.1, 0.09 above 0.01 > 0.05. No events 10/50 = 0.2, 0.1 from 0.1 <= 0.2.
      today: day('2026-11-04', 50, 10, { read: 1000, accepted: 700, quarantined: 100 }),
      baseline,
      config: block,
    });
    expect(outcome.verdict).toBe('block');
    const r = byCheck(outcome);
    expect(r.accounts).toMatchObject({ passed: false, value: 50, baseline: 100, threshold: 0.3 });
    expect(r.acceptedEvents).toMatchObject({ passed: true, value: 700, baseline: 990 });
    expect(r.quarantinedShare).toMatchObject({ passed: false, value: 0.1, baseline: 0.01 });
    expect(r.noEventsShare).toMatchObject({ passed: true, value: 0.2, baseline: 0.1 });
    expect(r.healthScoreDistance.passed).toBe(true);
    expect(r.accounts.detail).toBe('accounts 50 vs baseline 100: deviation 0.5 > 0.3');
  });

  it('warns instead under severity warn, and fails on the health-score distance alone', () => {
    const outcome = evaluateDataChecks({
      today: day('2026-11-04', 100, 10, { read: 1000, accepted: 1000, quarantined: 10 }, Array<number>(10).fill(50)),
      baseline,
      config: DEFAULT_DATA_CHECKS,
    });
    expect(outcome.verdict).toBe('warn');
    expect(outcome.results.filter((r) => !r.passed).map((r) => r.check)).toEqual(['healthScoreDistance']);
  });

  it('does not compare counts a day lacks (a rerun from a later task)', () => {
    const outcome = evaluateDataChecks({ today: day('2026-11-04', 100, 10, undefined), baseline, config: block });
    expect(outcome.verdict).toBe('pass');
    expect(byCheck(outcome).acceptedEvents).toMatchObject({
      passed: true,
      value: null,
      detail: 'acceptedEvents not measured',
    });
  });
});

describe('dataCheckAlert', () => {
  it('names the failed checks, never their values', () => {
    const outcome = evaluateDataChecks({
      today: day('2026-11-04', 50, 10, { read: 1000, accepted: 700, quarantined: 100 }),
      baseline,
      config: block,
    });
    const alert = dataCheckAlert({
      tenantId: 't',
      day: '2026-11-04',
      pipelineVersion: 'v1',
      workflowId: 'wf',
      runId: 'run-1',
      outcome,
      raisedAt: '2026-11-05T00:00:00.000Z',
    });
    expect(alert).toMatchObject({ id: 'wf/check-blocked/run-1', kind: 'check-blocked' });
    expect(alert.reason).toBe(
      'failed accounts, quarantinedShare against 3 baseline days; release with daybreak checks release',
    );
  });
});

describe('checks in the tenants file', () => {
  const entry = (checks: unknown) => ({ tenants: [{ id: 'acme', timeZone: 'UTC', checks }] });

  it('takes a severity and some thresholds, the rest from the defaults', () => {
    const { tenants } = parseTenantsFile(entry({ severity: 'block', thresholds: { accountsChange: 0.2 } }));
    expect(tenants[0].checks).toEqual({
      severity: 'block',
      thresholds: { ...DEFAULT_DATA_CHECKS.thresholds, accountsChange: 0.2 },
    });
    expect(parseTenantsFile(entry(undefined)).tenants[0].checks).toBeUndefined();
  });

  it('refuses a bad severity, an unknown threshold and a negative one, naming each field', () => {
    const parse = () =>
      parseTenantsFile(
        entry({ severity: 'stop', thresholds: { acountsChange: 1, healthScoreDistance: -1 } }),
        'tenants.json',
      );
    expect(parse).toThrow(TenantsFileError);
    expect(parse).toThrow(/checks\.severity "stop" must be "warn" or "block"/);
    expect(parse).toThrow(/unknown key checks\.thresholds\.acountsChange/);
    expect(parse).toThrow(/checks\.thresholds\.healthScoreDistance -1 must be a number >= 0/);
  });
});

describe('checks in the run ledger', () => {
  it("carries the run's checks into its entry, and none for a run without", () => {
    const checks = { ...evaluateDataChecks({ today: day('2026-11-04', 50, 10, undefined), baseline, config: block }) };
    const request: RecordRunLedgerInput = {
      workflowId: 'daybreak/tenant-day/acme/2026-11-04/v1/primary',
      runId: 'run-1',
      tenantId: 'acme',
      day: '2026-11-04',
      timeZone: 'UTC',
      pipelineVersion: 'v1',
      runKind: 'primary',
      trigger: 'schedule',
      state: 'completed',
      startedAt: '2026-11-05T00:00:00.000Z',
      endedAt: '2026-11-05T00:01:00.000Z',
      inputs: [],
      tasks: [],
      outputs: [],
      checks,
    };
    expect(buildLedgerEntry(request, new Map()).checks).toEqual(checks);
    expect(buildLedgerEntry({ ...request, checks: undefined }, new Map())).not.toHaveProperty('checks');
  });
});
