import { describe, expect, it } from 'vitest';
import type { RecordRunLedgerInput } from '../../src/workflows/run-ledger/run-ledger-contracts';
import { loadHistoryJson } from './history-files';

interface HistoryEvent {
  activityTaskScheduledEventAttributes?: { activityType: { name: string }; input?: { payloads: { data: string }[] } };
}

/** The input the recorded run handed its recordRunLedger activity. */
function ledgerInput(file: string): RecordRunLedgerInput {
  const { events } = loadHistoryJson(file) as { events: HistoryEvent[] };
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType.name === 'recordRunLedger');
  const data = scheduled!.activityTaskScheduledEventAttributes!.input!.payloads[0].data;
  return JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as RecordRunLedgerInput;
}

describe("a bucketed day's run ledger (recorded by the current workflow code)", () => {
  it('names each partition under the partials/ prefix with its runs and buckets', () => {
    const { outputs, tasks } = ledgerInput('tenant-day.bucketed.v4.sdk-1.24.0.json');
    const partials = outputs.filter((o) => o.key.endsWith('/'));
    expect(partials).toHaveLength(2);
    expect(partials.map((o) => o.partition?.index).sort()).toEqual([0, 1]);
    for (const o of partials)
      expect([o.key.endsWith('/2026-11-26/') || o.key, o.runs, o.buckets]).toEqual([true, 1, 4]);
    // Each bucket stage is one task of the graph with the records of its 4 calls.
    expect(tasks.find((t) => t.task === 'daily-usage')?.records).toBe(4);
    expect(tasks.find((t) => t.task === 'aggregate-partitions')?.outputKey).toMatch(/\/partials$/);
  });

  it('keeps the partial files of one bucket as before', () => {
    const { outputs } = ledgerInput('tenant-day.single-bucket.v4.sdk-1.24.0.json');
    const partials = outputs.filter((o) => o.key.startsWith('partials/'));
    expect(partials.map((o) => [o.key.endsWith('/'), o.records, o.runs, o.buckets, o.partition])).toEqual([
      [false, 1, undefined, undefined, undefined],
    ]);
  });
});
