import { describe, expect, it } from 'vitest';
import type { CpuProfile } from '../../../scripts/cpuprofile-top';
import { formatRows, summarizeProfiles } from '../../../scripts/cpuprofile-top';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

/** root -> main -> fold -> fold (recursion) and main -> decode; plus the idle pseudo-frame. */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 6] },
    { id: 2, callFrame: frame('main', 'file:///repo/bench/x.ts', 9), children: [3, 5] },
    { id: 3, callFrame: frame('fold', 'file:///repo/src/fold.ts', 19), children: [4] },
    { id: 4, callFrame: frame('fold', 'file:///repo/src/fold.ts', 19) },
    { id: 5, callFrame: frame('decode', 'file:///x/node_modules/avsc/lib/types.js', 99) },
    { id: 6, callFrame: frame('(idle)') },
  ],
  startTime: 0,
  endTime: 10_000,
  // Sample i lasts timeDeltas[i + 1] microseconds.
  samples: [4, 3, 5, 6, 2, 4],
  timeDeltas: [0, 1000, 2000, 3000, 4000, 500],
};

describe('cpuprofile-top', () => {
  it('sums self time per function and counts a recursive function once per sample in its total', () => {
    const rows = summarizeProfiles([profile]);
    const byKey = Object.fromEntries(rows.map((r) => [r.key.replace(/ .*\//, ' '), r]));
    // fold: samples 0 (1 ms, as the inner call) and 1 (2 ms) and 5 (0 ms: the last sample has no end).
    expect(byKey['fold fold.ts:20']).toMatchObject({ selfMs: 3, totalMs: 3 });
    expect(byKey['decode types.js:100']).toMatchObject({ selfMs: 3, totalMs: 3 });
    expect(byKey['main x.ts:10']).toMatchObject({ selfMs: 0.5, totalMs: 6.5 });
    expect(rows.find((r) => r.key === '(idle)')).toMatchObject({ selfMs: 4 });
    expect(rows.find((r) => r.key.startsWith('decode'))!.key).toBe('decode node_modules/avsc/lib/types.js:100');
  });

  it('groups by file, and leaves idle time out of the percentages', () => {
    const rows = summarizeProfiles([profile, profile], 'file');
    expect(rows.find((r) => r.key === 'node_modules/avsc/lib/types.js')).toMatchObject({ selfMs: 6, totalMs: 6 });
    const lines = formatRows(rows, 2);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^\s+6\s+46\.2\s+46\.2 {2}/); // 6 of 13 busy ms
    expect(lines[3]).toBe('        13 ms busy, 8 ms idle');
  });
});
