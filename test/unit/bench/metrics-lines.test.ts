import { describe, expect, it } from 'vitest';
import { keyValueLines, parseKeyValueRuns, stepKey, stepSeconds } from '../../../bench/metrics-lines';

describe('stepSeconds', () => {
  it('gives each step the wall time from its first start to its last end, in the order steps started', () => {
    const calls = [
      { step: 'daily-usage', startS: 4, endS: 6 },
      { step: 'aggregate', startS: 0.5, endS: 3 },
      { step: 'daily-usage', startS: 4.5, endS: 7.25 },
      { step: 'aggregate', startS: 0.5, endS: 2 },
      { step: 'plan_buckets', startS: 0, endS: 0.25 },
      { step: 'attributes', startS: 0.5, endS: 1 },
    ];
    // daily-usage: 4 -> 7.25 (two buckets side by side count once); aggregate: 0.5 -> 3.
    expect(stepSeconds(calls)).toEqual([
      ['plan_buckets', 0.25],
      ['aggregate', 2.5],
      ['attributes', 0.5],
      ['daily_usage', 3.25],
    ]);
    expect(stepSeconds([])).toEqual([]);
  });

  it('makes step names into key parts', () => {
    expect(stepKey('account-documents')).toBe('account_documents');
    expect(stepKey('Rolling Windows!')).toBe('rolling_windows');
  });
});

describe('key=value lines', () => {
  it('reads back what the benchmark writes, one record per size (each starts at events=)', () => {
    const size = (events: number, accounts: number, under: boolean) =>
      keyValueLines([
        ['events', events],
        ['accounts', accounts],
        ['events_per_s', 691379],
        ['ratio_vs_decode', '1.105'],
        ['peak_rss_mb', '337.0'],
        ['rss_mb_per_1k_accounts', '16.85'],
        ['buckets', 4],
        ['spills', 0],
        ['budget_mb', 3072],
        ['rss_under_budget', under],
        ['step_daily_usage_s', '1.25'],
      ]);
    const output = [
      '== 1000000 events a day, 20000 accounts',
      'daily job: 1300000 events read in 1.9 s',
      ...size(1_300_000, 20_000, true),
      '',
      '== 10000000 events a day, 1000000 accounts',
      'peak RSS 4000 MB (budget 3072 MB)',
      ...size(12_970_000, 1_000_000, false),
    ].join('\n');
    const runs = parseKeyValueRuns(output);
    expect(runs).toHaveLength(2);
    expect(runs[0]).toEqual({
      events: '1300000',
      accounts: '20000',
      events_per_s: '691379',
      ratio_vs_decode: '1.105',
      peak_rss_mb: '337.0',
      rss_mb_per_1k_accounts: '16.85',
      buckets: '4',
      spills: '0',
      budget_mb: '3072',
      rss_under_budget: 'true',
      step_daily_usage_s: '1.25',
    });
    expect(runs[1]).toMatchObject({ events: '12970000', accounts: '1000000', rss_under_budget: 'false' });
  });

  it('refuses keys and values that would not read back', () => {
    expect(() => keyValueLines([['Peak RSS', 1]])).toThrow('is not a lowercase identifier');
    expect(() => keyValueLines([['note', 'two words']])).toThrow('has a space');
    expect(() => keyValueLines([['note', 'a=b']])).toThrow('has a space or "="');
  });
});
