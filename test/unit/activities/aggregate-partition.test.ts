import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { readAll } from '../../../src/storage/object-store';
import { createMetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { aggregatePartitionIn } from '../../../src/activities/tenant-days/aggregate-partition';
import { DAY_STATE_SYNC, dayStateForAvro, dayStateType } from '../../../src/activities/tenant-days/datasets';
import {
  containerRecords,
  encodeContainer,
  encodeContainerBytes,
  loadSchema,
} from '../../../src/schemas/avro-container';
import { outputKey, rawEventsKey } from '../../../src/common/keys';
import type { AccountDayState } from '../../../src/metrics/account-state';
import { bucketOfAccount, partialRunPath } from '../../../src/metrics/buckets';
import { AccountStatesMerger } from '../../../src/metrics/states-merger';
import { partialPath } from '../../../src/metrics/pipelines';
import type { AggregatePartitionInput, RunRef } from '../../../src/workflows/tenant-days/pipeline-contracts';
import * as avro from 'avsc';
import { writeRawDay } from '../../support/metric-fixtures';

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

const day = '2026-03-08';
const run: RunRef = { tenantId: 'acme', day, timeZone: 'America/New_York', pipelineVersion: 'v1', runKind: 'primary' };
const rawType = avro.Type.forSchema(loadSchema('raw-event.v3.avsc'));

/** A day of raw events, plus a later file in each of three hours with copies of that hour's events. */
async function rawDayWithCopies(): Promise<{ store: FsObjectStore; input: AggregatePartitionInput; copies: number }> {
  const root = mkdtempSync(path.join(tmpdir(), 'daybreak-spill-'));
  roots.push(root);
  const store = new FsObjectStore(root);
  const events = await writeRawDay(store, 'acme', day, run.timeZone, 4000);
  let copies = 0;
  for (const hour of [9, 14, 20]) {
    // Stored in their own hour (not late arrivals), so the copies follow their originals' files.
    const copied = events.filter((e, i) => i % 50 !== 0 && new Date(e.occurredAt).getUTCHours() === hour);
    const key = rawEventsKey('acme', { date: day, hour }, 'events-9.avro');
    await store.put(key, await readAll(encodeContainer(rawType, copied, 'deflate')));
    copies += copied.length;
  }
  const activities = createMetricActivities({ store, minPartitionBytes: 0 });
  const plan = await activities.planPartitions({ ...run, maxPartitions: 1 });
  return { store, input: { ...run, partition: plan.partitions[0], badDataPolicy: 'fail' }, copies };
}

async function statesOf(store: FsObjectStore, key: string): Promise<AccountDayState[]> {
  return [...containerRecords<AccountDayState>(await store.getBytes(key), dayStateType, key)];
}

describe('aggregatePartitionIn with buckets and spills', () => {
  it('writes runs of every bucket that fold into the unspilled partial, dropping copies across every spill', async () => {
    const { store, input, copies } = await rawDayWithCopies();
    const whole = await aggregatePartitionIn({ store }, input, () => {});
    // One bucket and no spill: today's single partial file, no runs or buckets in the result.
    expect(whole.partialKey).toBe(outputKey(run, partialPath(0, 1)));
    expect(whole).not.toHaveProperty('runs');
    expect(whole.counts.duplicates).toBe(copies);
    const expected = await statesOf(store, whole.partialKey);

    // A share below a fresh aggregator's estimate: a spill after every block.
    const spilled = await aggregatePartitionIn({ store, memoryShareBytes: 1 }, { ...input, buckets: 8 }, () => {});
    expect(spilled.partialKey).toBe(outputKey(run, 'partials') + '/');
    expect(spilled.buckets).toBe(8);
    expect(spilled.runs).toBeGreaterThan(20);
    // The reader's duplicate check spans the spills: the copies are dropped, none accepted.
    expect(spilled.counts).toEqual(whole.counts);
    const runs = spilled.runs!;
    let accounts = 0;
    for (let b = 0; b < 8; b++) {
      const merger = new AccountStatesMerger();
      for (let r = 0; r < runs; r++) {
        // Every (bucket, run) file is there, empty or not.
        const states = await statesOf(
          store,
          outputKey(run, partialRunPath({ index: b, count: 8 }, { index: 0, count: 1 }, r)),
        );
        expect(states.every((s) => bucketOfAccount(s.accountId, 8) === b)).toBe(true);
        accounts += states.length;
        merger.add(states);
      }
      const mine = expected.filter((s) => bucketOfAccount(s.accountId, 8) === b);
      const folded = merger.result();
      expect(folded.map((s) => s.accountId)).toEqual(mine.map((s) => s.accountId));
      // As bytes too: what the bucket's daily usage writes is the unspilled partial's accounts.
      const bytes = (states: AccountDayState[]) =>
        encodeContainerBytes(dayStateType, states.map(dayStateForAvro), { sync: DAY_STATE_SYNC });
      expect((await bytes(folded)).equals(await bytes(mine))).toBe(true);
    }
    // Accounts are counted per run: more than the partition's accounts, as many as the files hold.
    expect(spilled.accounts).toBe(accounts);
    expect(spilled.accounts).toBeGreaterThan(whole.accounts);

    // A retry with a larger share writes fewer runs and deletes the later runs of the attempt before.
    const again = await aggregatePartitionIn({ store }, { ...input, buckets: 8 }, () => {});
    expect(again.runs).toBe(1);
    expect(again.accounts).toBe(whole.accounts);
    const left: string[] = [];
    for await (const o of store.list(outputKey(run, 'partials') + '/bucket-')) left.push(o.key);
    expect(left).toHaveLength(8);
  });

  it('spills a one-bucket partition as runs of the bucket-0001-of-0001 set', async () => {
    const { store, input } = await rawDayWithCopies();
    const result = await aggregatePartitionIn({ store, memoryShareBytes: 1 }, input, () => {});
    expect(result.buckets).toBe(1);
    expect(result.runs).toBeGreaterThan(1);
    const first = outputKey(run, partialRunPath({ index: 0, count: 1 }, { index: 0, count: 1 }, 0));
    expect(first).toMatch(/partials\/bucket-0001-of-0001\/part-0001-of-0001-run-001\.avro$/);
    expect((await statesOf(store, first)).length).toBeGreaterThan(0);
  });

  it('refuses a bucket count that is not a power of two up to 1024, naming the partition and run', async () => {
    const { store, input } = await rawDayWithCopies();
    for (const buckets of [0, 3, 2048]) {
      await expect(aggregatePartitionIn({ store }, { ...input, buckets }, () => {})).rejects.toThrow(
        `buckets ${buckets} of partition 0 of tenant acme day ${day}`,
      );
    }
  });
});
