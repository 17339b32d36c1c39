import { describe, expect, it } from 'vitest';
import { chooseBucketCount } from '../../../src/metrics/partition-plan';

const MB = 1024 * 1024;

describe('chooseBucketCount: buckets sized for the memory share', () => {
  it('keeps a 20k-account tenant in one bucket (the layout and cost of before)', () => {
    // 20,000 x 2 KiB = 39 MiB, under half of a 133 MiB share.
    expect(chooseBucketCount({ accountsEstimate: 20_000, shareBytes: 133 * MB })).toBe(1);
  });

  it('splits 1M accounts so a bucket takes at most half the share', () => {
    // 1,000,000 x 2048 B / (133 MiB / 2) = 30.1 -> 32 buckets (31,250 accounts, 61 MiB each).
    expect(chooseBucketCount({ accountsEstimate: 1_000_000, shareBytes: 133 * MB })).toBe(32);
    // A 2 GiB share: memory allows one bucket, but no bucket holds over 250k accounts: 4.
    expect(chooseBucketCount({ accountsEstimate: 1_000_000, shareBytes: 2048 * MB })).toBe(4);
  });

  it('grows with accounts, capped at the maximum', () => {
    // 5,000,000 x 2048 B / 256 MiB = 38.1 -> 64.
    expect(chooseBucketCount({ accountsEstimate: 5_000_000, shareBytes: 512 * MB })).toBe(64);
    expect(chooseBucketCount({ accountsEstimate: 500_000_000, shareBytes: 16 * MB })).toBe(1024);
    expect(chooseBucketCount({ accountsEstimate: 0, shareBytes: 16 * MB })).toBe(1);
  });
});
