import { describe, expect, it } from 'vitest';
import { MIN_MEMORY_SHARE_BYTES, memoryShareBytes, shouldSpill } from '../../../src/metrics/spill-policy';

const MB = 1024 * 1024;

describe('memoryShareBytes', () => {
  it('splits the budget less the 400 MB baseline evenly between threads and activity slots', () => {
    // (3072 - 400) MB / (2 threads + 6 slots) = 334 MB.
    expect(memoryShareBytes({ budgetMb: 3072, partitionThreads: 2, activitySlots: 6 })).toBe(334 * MB);
    // 24,576 MB, 1 thread, 3 slots: 6,044 MB each.
    expect(memoryShareBytes({ budgetMb: 24_576, partitionThreads: 1, activitySlots: 3 })).toBe(6044 * MB);
    // Inline aggregation (no threads): the slots alone; an odd split is floored to whole bytes.
    // 500 MB / 3 = 174,762,666.67 bytes.
    expect(memoryShareBytes({ budgetMb: 900, partitionThreads: 0, activitySlots: 3 })).toBe(174_762_666);
  });

  it('never goes below 16 MB, however small the budget or many the tasks', () => {
    expect(MIN_MEMORY_SHARE_BYTES).toBe(16 * MB);
    expect(memoryShareBytes({ budgetMb: 500, partitionThreads: 2, activitySlots: 18 })).toBe(16 * MB); // 5 MB each
    expect(memoryShareBytes({ budgetMb: 100, partitionThreads: 2, activitySlots: 2 })).toBe(16 * MB); // below the baseline
    expect(memoryShareBytes({ budgetMb: 3072, partitionThreads: 0, activitySlots: 0 })).toBe(2672 * MB);
  });

  it('refuses inputs that are not non-negative integers', () => {
    expect(() => memoryShareBytes({ budgetMb: 1.5, partitionThreads: 1, activitySlots: 1 })).toThrow(/budgetMb 1.5/);
    expect(() => memoryShareBytes({ budgetMb: 3072, partitionThreads: -1, activitySlots: 1 })).toThrow(
      /partitionThreads -1/,
    );
  });
});

describe('shouldSpill', () => {
  it('spills only past the share', () => {
    expect(shouldSpill({ estimatedBytes: 16 * MB, shareBytes: 16 * MB })).toBe(false);
    expect(shouldSpill({ estimatedBytes: 16 * MB + 1, shareBytes: 16 * MB })).toBe(true);
  });
});
