import { describe, expect, it } from 'vitest';
import { ROLLING_LOOKBACK_DAYS, historySources, ownSources, planHistory } from '../../../src/metrics/history-lookup';
import { InvalidInputError } from '../../../src/common/errors';

const label = (sources: { pipelineVersion: string; runKind: string }[]) =>
  sources.map((s) => `${s.pipelineVersion}/${s.runKind}`);

describe('history lookup: which stored run each earlier day comes from', () => {
  it.each([
    // [version computed, primaryPipelineVersion given, known versions, sources in order]
    ['v1', undefined, ['v1', 'v2'], ['v1/primary', 'v1/shadow', 'v2/primary']],
    ['v2', undefined, ['v1', 'v2'], ['v2/primary', 'v2/shadow', 'v1/primary']],
    ['v2', 'v1', ['v1', 'v2'], ['v2/primary', 'v2/shadow', 'v1/primary']],
    // A shadow of v1 after v2's promotion: its own history first, v2 (today's primary) only for days v1 never ran.
    ['v1', 'v2', ['v1', 'v2'], ['v1/primary', 'v1/shadow', 'v2/primary']],
    // The version compared with comes before the registry order; no version twice, never the run's own as warm-up.
    ['v3', 'v2', ['v1', 'v2', 'v3'], ['v3/primary', 'v3/shadow', 'v2/primary', 'v1/primary']],
    ['v1', 'v1', ['v1', 'v2', 'v3'], ['v1/primary', 'v1/shadow', 'v2/primary', 'v3/primary']],
    ['v1', undefined, ['v1'], ['v1/primary', 'v1/shadow']],
  ] as const)(
    '%s compared with %s among %j reads %j',
    (pipelineVersion, primaryPipelineVersion, knownVersions, expected) => {
      expect(label(historySources({ pipelineVersion, primaryPipelineVersion, knownVersions }))).toEqual(expected);
    },
  );

  it('reads the previous documents (healthDelta) only from the version itself, primary first', () => {
    expect(label(ownSources('v2'))).toEqual(['v2/primary', 'v2/shadow']);
    const plan = planHistory({
      day: '2026-03-01',
      pipelineVersion: 'v2',
      primaryPipelineVersion: 'v1',
      knownVersions: ['v1', 'v2'],
    });
    expect(plan.documents.day).toBe('2026-02-28');
    expect(label(plan.documents.sources)).toEqual(['v2/primary', 'v2/shadow']);
  });

  it('plans 29 days of daily usage and 90 days of rolling states, latest first, across month and year ends', () => {
    const plan = planHistory({ day: '2026-01-02', pipelineVersion: 'v1', knownVersions: ['v1', 'v2'] });
    expect(plan.usage).toHaveLength(29);
    expect(plan.usage[0].day).toBe('2026-01-01');
    expect(plan.usage[1].day).toBe('2025-12-31');
    expect(plan.usage[28].day).toBe('2025-12-04');
    expect(ROLLING_LOOKBACK_DAYS).toBe(90);
    expect(plan.rolling).toHaveLength(90);
    expect(plan.rolling[0].day).toBe('2026-01-01');
    // 2026-01-02 minus 90 days: December has 31, November 30, October 31 (92), so October 4.
    expect(plan.rolling[89].day).toBe('2025-10-04');
    for (const d of [...plan.usage, ...plan.rolling])
      expect(label(d.sources)).toEqual(['v1/primary', 'v1/shadow', 'v2/primary']);
  });

  it('refuses a version that is not known', () => {
    expect(() => historySources({ pipelineVersion: 'v9', knownVersions: ['v1', 'v2'] })).toThrow(InvalidInputError);
  });
});
