import { describe, expect, it } from 'vitest';
import { formatDuration, formatRunsGrid } from '../../../src/cli/runs-grid';

type Entry = Parameters<typeof formatRunsGrid>[0][number];

const task = (name: string, durationMs: number, extra: Partial<Entry['tasks'][number]> = {}) => ({
  task: name,
  state: 'completed' as const,
  startedAt: '2026-03-09T06:00:00.000Z',
  endedAt: '2026-03-09T06:00:00.000Z',
  durationMs,
  attempt: 1,
  ...extra,
});

describe('the runs grid', () => {
  it('formats durations as an operator reads them', () => {
    expect([850, 12_340, 245_000, 3_720_000].map(formatDuration)).toEqual(['850ms', '12.3s', '4m05s', '1h02m']);
  });

  it('prints days by tasks, primary before shadow, failed tasks, retries, runs and who asked', () => {
    const entries: Entry[] = [
      {
        day: '2026-03-08',
        pipelineVersion: 'v2',
        runKind: 'shadow',
        state: 'completed',
        durationMs: 3000,
        trigger: 'schedule',
        tasks: [task('aggregate', 1200), task('serve', 800)],
        attempts: [],
      },
      {
        day: '2026-03-08',
        pipelineVersion: 'v1',
        runKind: 'primary',
        state: 'completed',
        durationMs: 2000,
        trigger: 'rerun',
        requestedBy: 'alice',
        tasks: [task('aggregate', 1500, { attempt: 3 }), task('serve', 500)],
        attempts: [{ runId: 'r1' } as Entry['attempts'][number]],
      },
      {
        day: '2026-03-07',
        pipelineVersion: 'v1',
        runKind: 'primary',
        state: 'failed',
        durationMs: 65_000,
        trigger: 'schedule',
        requestedBy: 'schedule',
        tasks: [task('aggregate', 64_000, { state: 'failed', attempt: undefined })],
        attempts: [],
      },
    ];
    expect(formatRunsGrid(entries)).toEqual([
      'day         version  kind     aggregate     serve  state      total  runs  by',
      '2026-03-07  v1       primary  FAILED 1m04s  -      failed     1m05s  1     schedule/schedule',
      '2026-03-08  v1       primary  1.5s (a3)     500ms  completed  2.0s   2     rerun/alice',
      '2026-03-08  v2       shadow   1.2s          800ms  completed  3.0s   1     schedule',
    ]);
  });

  it('says so when nothing was recorded', () => {
    expect(formatRunsGrid([])).toEqual(['no runs recorded']);
  });
});
