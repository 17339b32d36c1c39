import { describe, expect, it } from 'vitest';
import type { BacklogSample } from '../../../bench/scale-out-samples';
import { backlogTimeline, busyShare, summarizeBacklog } from '../../../bench/scale-out-samples';

const sample = (atS: number, total: number, completed = 0): BacklogSample => ({
  atS,
  total,
  byType: total ? { activity: total } : {},
  completed,
});

describe('summarizeBacklog', () => {
  it('finds the first peak and says whether the backlog rose and came back to zero', () => {
    const samples = [sample(0, 0), sample(2, 30), sample(4, 12), sample(6, 30), sample(8, 0, 30)];
    expect(summarizeBacklog(samples)).toEqual({ peak: 30, peakAtS: 2, final: 0, roseAndFell: true, samples: 5 });
  });

  it('does not call a backlog that never rose, or never fell, a wave', () => {
    expect(summarizeBacklog([sample(0, 0), sample(2, 0)]).roseAndFell).toBe(false);
    expect(summarizeBacklog([sample(0, 4), sample(2, 3)]).roseAndFell).toBe(false);
    expect(summarizeBacklog([]).roseAndFell).toBe(false);
  });
});

describe('backlogTimeline', () => {
  it('draws each sample as a bar scaled to the peak', () => {
    const lines = backlogTimeline([sample(0, 10), sample(2, 5, 3), sample(4, 0, 30)], 10);
    expect(lines).toEqual([
      '   t=0s   0 done   10 ##########  (activity 10)',
      '   t=2s   3 done    5 #####  (activity 5)',
      '   t=4s  30 done    0 ',
    ]);
  });
});

describe('busyShare', () => {
  it('is the share of non-idle time between two /proc/stat readings', () => {
    // user nice system idle iowait: +30 +0 +10 +50 +10 jiffies, so 40 of 100 busy.
    expect(busyShare([100, 0, 50, 1000, 20], [130, 0, 60, 1050, 30])).toBeCloseTo(0.4, 10);
  });

  it('is unknown without readings', () => {
    expect(busyShare([], [])).toBeUndefined();
  });
});
