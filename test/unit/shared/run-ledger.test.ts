import { describe, expect, it } from 'vitest';
import type { RecordRunLedgerInput } from '../../../src/workflows/run-ledger/run-ledger-contracts';
import {
  MAX_EARLIER_ATTEMPTS,
  buildLedgerEntry,
  mergeLedgerEntry,
  runLedgerKey,
  runsIndexName,
} from '../../../src/workflows/run-ledger/run-ledger-contracts';

const prefix = 'outputs/version=v1/kind=primary/tenant=acme/day=2026-03-08/';

function request(overrides: Partial<RecordRunLedgerInput> = {}): RecordRunLedgerInput {
  return {
    workflowId: 'daybreak/tenant-day/acme/2026-03-08/v1/primary',
    runId: 'run-1',
    tenantId: 'acme',
    day: '2026-03-08',
    timeZone: 'America/New_York',
    pipelineVersion: 'v1',
    runKind: 'primary',
    trigger: 'rerun',
    requestedBy: 'alice',
    state: 'completed',
    startedAt: '2026-03-09T06:00:00.000Z',
    endedAt: '2026-03-09T06:00:10.000Z',
    inputs: [
      { key: 'raw/tenant=acme/date=2026-03-08/hour=05/a.avro', size: 100, etag: 'e1' },
      { key: 'raw/tenant=acme/date=2026-03-08/hour=06/b.avro', size: 250, etag: 'e2' },
    ],
    counts: { read: 10, accepted: 7, quarantined: 1, duplicates: 1, outOfWindow: 1 },
    tasks: [
      {
        task: 'aggregate-partitions',
        startedAt: '2026-03-09T06:00:00.000Z',
        endedAt: '2026-03-09T06:00:02.500Z',
        attempt: 2,
        outputKey: `${prefix}partials`,
        records: 5,
      },
      {
        task: 'daily-usage',
        startedAt: '2026-03-09T06:00:02.500Z',
        endedAt: '2026-03-09T06:00:03.000Z',
        attempt: 1,
        outputKey: `${prefix}daily-usage.avro`,
        records: 4,
      },
      {
        task: 'serve',
        startedAt: '2026-03-09T06:00:03.000Z',
        endedAt: '2026-03-09T06:00:04.000Z',
        outputKey: 'idx',
        records: 4,
      },
    ],
    outputs: [
      { key: `${prefix}partials/part-0000-of-0002.avro`, records: 3 },
      { key: `${prefix}partials/part-0001-of-0002.avro`, records: 2 },
      { key: `${prefix}daily-usage.avro`, records: 4 },
    ],
    served: { index: 'idx', indexed: 4, skippedStale: 0 },
    ...overrides,
  };
}

const listing = new Map([
  [`${prefix}partials/part-0000-of-0002.avro`, { size: 30, etag: 'p0' }],
  [`${prefix}partials/part-0001-of-0002.avro`, { size: 20, etag: 'p1' }],
  [`${prefix}daily-usage.avro`, { size: 40, etag: 'du' }],
  [`${prefix}partials-old.avro`, { size: 999 }],
]);

describe('run ledger entries', () => {
  it('puts the ledger next to the outputs and names the runs index after the prefix', () => {
    expect(runLedgerKey({ tenantId: 'acme', day: '2026-03-08', pipelineVersion: 'v1', runKind: 'primary' })).toBe(
      `${prefix}run-ledger.json`,
    );
    expect(runsIndexName('daybreak')).toBe('daybreak-runs');
    expect(() => runsIndexName('Bad Prefix')).toThrow();
  });

  it('sums inputs and outputs, sizes each task from what it wrote, and times tasks and the run', () => {
    const entry = buildLedgerEntry(request(), listing);
    expect(entry.inputs).toEqual({ objects: 2, bytes: 350, keys: request().inputs });
    // 30 + 20 under partials/ (not the sibling partials-old.avro); 40 for daily-usage.
    expect(entry.tasks.map((t) => [t.task, t.state, t.durationMs, t.attempt, t.bytes])).toEqual([
      ['aggregate-partitions', 'completed', 2500, 2, 50],
      ['daily-usage', 'completed', 500, 1, 40],
      ['serve', 'completed', 1000, undefined, undefined],
    ]);
    expect(entry.outputs).toEqual({
      objects: 3,
      bytes: 90,
      keys: [
        { key: `${prefix}partials/part-0000-of-0002.avro`, records: 3, bytes: 30, etag: 'p0' },
        { key: `${prefix}partials/part-0001-of-0002.avro`, records: 2, bytes: 20, etag: 'p1' },
        { key: `${prefix}daily-usage.avro`, records: 4, bytes: 40, etag: 'du' },
      ],
    });
    expect(entry.durationMs).toBe(10_000);
    expect(entry).toMatchObject({ state: 'completed', trigger: 'rerun', requestedBy: 'alice', attempts: [] });
  });

  it('records a bucketed or spilled partition as the partials/ prefix with its counts and the files it wrote', () => {
    const partials = `${prefix}partials/`;
    const file = (b: number, p: number, r: number) =>
      `${partials}bucket-000${b}-of-0002/part-000${p}-of-0002-run-00${r}.avro`;
    const bucketed = new Map([
      // Partition 1: 2 buckets x 2 runs (it spilled once); partition 2: 2 buckets x 1 run.
      [file(1, 1, 1), { size: 10 }],
      [file(1, 1, 2), { size: 11 }],
      [file(2, 1, 1), { size: 12 }],
      [file(2, 1, 2), { size: 13 }],
      [file(1, 2, 1), { size: 20 }],
      [file(2, 2, 1), { size: 21 }],
      // A stale layout's file and a legacy single partial are no file of either partition.
      [`${partials}bucket-0001-of-0004/part-0001-of-0002-run-001.avro`, { size: 500 }],
      [`${partials}part-0001-of-0002.avro`, { size: 600 }],
    ]);
    const entry = buildLedgerEntry(
      request({
        outputs: [
          { key: partials, records: 7, partition: { index: 0, count: 2 }, runs: 2, buckets: 2 },
          { key: partials, records: 5, partition: { index: 1, count: 2 }, runs: 1, buckets: 2 },
        ],
      }),
      bucketed,
    );
    expect(entry.outputs).toEqual({
      objects: 6,
      bytes: 46 + 41,
      keys: [
        { key: partials, records: 7, partition: { index: 0, count: 2 }, runs: 2, buckets: 2, objects: 4, bytes: 46 },
        { key: partials, records: 5, partition: { index: 1, count: 2 }, runs: 1, buckets: 2, objects: 2, bytes: 41 },
      ],
    });
    // A partition whose files are gone (a failed run's): no bytes, no objects.
    const missing = buildLedgerEntry(
      request({ outputs: [{ key: partials, records: 1, partition: { index: 0, count: 2 }, runs: 1, buckets: 8 }] }),
      bucketed,
    );
    expect(missing.outputs.keys).toEqual([
      { key: partials, records: 1, partition: { index: 0, count: 2 }, runs: 1, buckets: 8, objects: 0 },
    ]);
  });

  it('marks the task a failed run stopped in as failed, ending with the run', () => {
    const entry = buildLedgerEntry(
      request({
        state: 'failed',
        error: 'CorruptDataError: bad block',
        tasks: [
          { task: 'aggregate-partitions', startedAt: '2026-03-09T06:00:00.000Z', outputKey: `${prefix}partials` },
        ],
        outputs: [],
        counts: undefined,
        served: undefined,
      }),
      new Map(),
    );
    expect(entry.tasks).toEqual([
      {
        task: 'aggregate-partitions',
        state: 'failed',
        startedAt: '2026-03-09T06:00:00.000Z',
        endedAt: '2026-03-09T06:00:10.000Z',
        durationMs: 10_000,
        outputKey: `${prefix}partials`,
      },
    ]);
    expect(entry).toMatchObject({ state: 'failed', error: 'CorruptDataError: bad block' });
    expect(entry.counts).toBeUndefined();
  });

  it('keeps an earlier run of the same workflow id as an attempt, and replaces a retry of the same run', () => {
    const first = mergeLedgerEntry(buildLedgerEntry(request({ state: 'failed' }), listing), undefined);
    const second = buildLedgerEntry(
      request({ runId: 'run-2', startedAt: '2026-03-10T06:00:00.000Z', endedAt: '2026-03-10T06:00:05.000Z' }),
      listing,
    );
    const merged = mergeLedgerEntry(second, first);
    expect(merged.runId).toBe('run-2');
    expect(merged.attempts.map((a) => [a.runId, a.state, a.durationMs])).toEqual([['run-1', 'failed', 10_000]]);
    // The activity retried: the same run written again changes nothing.
    expect(mergeLedgerEntry(second, merged)).toEqual(merged);
    expect(() => mergeLedgerEntry(second, { ...first, workflowId: 'other' })).toThrow(/other/);
  });

  it('keeps at most MAX_EARLIER_ATTEMPTS earlier runs, the latest ones', () => {
    let stored = mergeLedgerEntry(buildLedgerEntry(request({ runId: 'r00' }), listing), undefined);
    for (let i = 1; i <= MAX_EARLIER_ATTEMPTS + 5; i++) {
      const at = new Date(Date.parse('2026-03-09T06:00:00Z') + i * 3_600_000).toISOString();
      stored = mergeLedgerEntry(
        buildLedgerEntry(request({ runId: `r${String(i).padStart(2, '0')}`, startedAt: at, endedAt: at }), listing),
        stored,
      );
    }
    expect(stored.attempts).toHaveLength(MAX_EARLIER_ATTEMPTS);
    expect(stored.attempts[0].runId).toBe('r05');
    expect(stored.attempts.at(-1)!.runId).toBe('r24');
  });
});
