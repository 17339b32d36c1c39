import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as avro from 'avsc';
import { afterEach, describe, expect, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { testLogger } from '../../support/logging';
import { ApplicationFailure } from '@temporalio/common';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { decodeContainer, loadSchema } from '../../../src/schemas/avro-container';
import type { MetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { createMetricActivities } from '../../../src/activities/tenant-days/metric-activities';
import { groupIntoPartitions, hoursToRead } from '../../../src/metrics/partition-plan';
import { runMetricDayInProcess } from '../../../src/activities/tenant-days/in-process';
import { generate } from '../../../src/generator/generate';
import { outputKey, rawHourPrefix } from '../../../src/common/keys';
import { readAll } from '../../../src/storage/object-store';
import { ACCOUNT_DAY_STATE_SCHEMA, emptyAccountDayState } from '../../../src/metrics/account-state';
import type { AggregatePartitionInput, RunRef } from '../../../src/workflows/tenant-days/pipeline-contracts';
import type { AccountDocument } from '../../../src/workflows/serving/account-document';
import { BILLING_ACCOUNTS, writeAttributes, writeRawDay } from '../../support/metric-fixtures';

const documentType = avro.Type.forSchema(loadSchema('account-document.avsc'));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newStore(): FsObjectStore {
  const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-metrics-'));
  dirs.push(dir);
  return new FsObjectStore(dir);
}

const day = '2026-03-08'; // spring forward in New York: 23 hours
const timeZone = 'America/New_York';
const run = (tenantId: string, pipelineVersion = 'v1', runKind: 'primary' | 'shadow' = 'primary', d = day): RunRef => ({
  tenantId,
  day: d,
  timeZone,
  pipelineVersion,
  runKind,
});

async function fixture(tenantId = 'acme') {
  const store = newStore();
  const inDay = await writeRawDay(store, tenantId, day, timeZone);
  await writeAttributes(store, tenantId, day);
  return { store, activities: createMetricActivities({ store, minPartitionBytes: 0 }), inDay };
}

async function datasetBytes(store: FsObjectStore, r: RunRef) {
  const out: Record<string, string> = {};
  for (const name of ['daily-usage.avro', 'rolling.avro', 'attributes.avro', 'accounts.avro']) {
    out[name] = (await store.getBytes(outputKey(r, name))).toString('hex');
  }
  return out;
}

async function documents(store: FsObjectStore, r: RunRef): Promise<AccountDocument[]> {
  const docs: AccountDocument[] = [];
  for await (const d of decodeContainer<AccountDocument>(await store.get(outputKey(r, 'accounts.avro')), documentType))
    docs.push(d);
  return docs;
}

/** Runs the day by hand: partitions aggregated in the given order, partial keys passed shuffled. */
async function runShuffled(activities: MetricActivities, r: RunRef, maxPartitions: number, seed: number) {
  const plan = await activities.planPartitions({ ...r, maxPartitions });
  const shuffle = <T>(xs: T[]) =>
    xs
      .map((x, i) => ({ x, k: (i * 7919 + seed * 31) % 101 }))
      .sort((a, b) => a.k - b.k)
      .map((p) => p.x);
  const results = [];
  for (const p of shuffle(plan.partitions))
    results.push(await activities.aggregatePartition({ ...r, partition: p, badDataPolicy: 'fail' }));
  const partialKeys = shuffle(results.map((x) => x.partialKey));
  for (const task of ['attributes', 'daily-usage', 'rolling-windows', 'account-documents']) {
    await activities.runMetricTask({ ...r, task, partialKeys: task === 'daily-usage' ? partialKeys : undefined });
  }
  return { plan, results };
}

describe('metric activities on the filesystem store', () => {
  it('plans the local day plus two trailing UTC hours, in at most maxPartitions balanced partitions', async () => {
    const { activities, store } = await fixture();
    const hours = hoursToRead(day, timeZone);
    expect(hours).toHaveLength(25); // 23 + 2 trailing
    expect(hours[0]).toEqual({ date: '2026-03-08', hour: 5 });
    expect(hours[24]).toEqual({ date: '2026-03-09', hour: 5 });
    // A stray object outside the window's hours is not planned.
    await store.put(rawHourPrefix('acme', { date: '2026-03-09', hour: 6 }) + 'x.avro', Buffer.from('x'));
    const plan = await activities.planPartitions({ ...run('acme'), maxPartitions: 7 });
    expect(plan.partitions).toHaveLength(7);
    const keys = plan.partitions.flatMap((p) => p.inputKeys);
    expect(new Set(keys).size).toBe(plan.inputObjects);
    expect(keys.some((k) => k.includes('date=2026-03-09/hour=06/'))).toBe(false);
    expect(plan.partitions.map((p) => [p.index, p.count])).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => [i, 7]));
  });

  it('plans contiguous partitions, each with the objects of the duplicate horizon before it to check copies against', () => {
    const objects = Array.from({ length: 25 }, (_, h) => ({
      key: `${rawHourPrefix('acme', { date: h < 19 ? '2026-03-08' : '2026-03-09', hour: (5 + h) % 24 })}f.avro`,
      size: 100 + ((h * 37) % 50),
    }));
    const plan = groupIntoPartitions([...objects].reverse(), 5);
    expect(plan.map((p) => p.inputKeys.length).every((n) => n > 0)).toBe(true);
    // Contiguous: concatenated in partition order, the keys are the sorted keys.
    expect(plan.flatMap((p) => p.inputKeys)).toEqual(objects.map((o) => o.key));
    expect(plan[0].dedupeKeys).toBeUndefined();
    for (const p of plan.slice(1)) {
      const first = objects.findIndex((o) => o.key === p.inputKeys[0]);
      // One object an hour: those filed within the horizon (2 h) before the partition's first object.
      expect(p.dedupeKeys).toEqual(objects.slice(Math.max(0, first - 2), first).map((o) => o.key));
    }
    // Never an empty partition, even when one object outweighs the rest.
    const skewed = groupIntoPartitions([{ key: objects[0].key, size: 1e9 }, ...objects.slice(1, 4)], 4);
    expect(skewed.map((p) => p.inputKeys.length)).toEqual([1, 1, 1, 1]);
  });

  it('accepts the same events, and writes the same bytes, with 1, 3 or 7 partitions when copies fall in other partitions', async () => {
    const store = newStore();
    // The generator's producer retries put a copy of an event in the next hour's object, and late
    // events arrive up to two hours on: with contiguous partitions some copies cross a boundary.
    const summary = await generate(
      { tenants: 1, days: 1, eventsPerDay: 30_000, seed: 'cross-partition', startDay: day },
      store,
    );
    const { id: tenantId, timeZone: zone } = summary.tenants[0];
    expect(summary.duplicates).toBeGreaterThan(20);
    const r: RunRef = { tenantId, day, timeZone: zone, pipelineVersion: 'v1', runKind: 'primary' };
    const activities = createMetricActivities({ store, minPartitionBytes: 0 });
    let reference: { accepted: number; duplicates: number; bytes: Record<string, string> } | undefined;
    for (const maxPartitions of [1, 3, 7]) {
      const job = await runMetricDayInProcess({
        ...r,
        activities,
        concurrency: 2,
        maxPartitions,
        badDataPolicy: 'quarantine',
      });
      expect(job.partitions).toHaveLength(maxPartitions);
      const accepted = job.partitions.reduce((n, p) => n + p.counts.accepted, 0);
      const duplicates = job.partitions.reduce((n, p) => n + p.counts.duplicates, 0);
      const got = { accepted, duplicates, bytes: await datasetBytes(store, r) };
      if (reference === undefined) reference = got;
      else expect(got, `${maxPartitions} partitions`).toEqual(reference);
    }
  });

  it('does not split a day into partitions smaller than minPartitionBytes of input', async () => {
    const { store } = await fixture();
    const small = await createMetricActivities({ store }).planPartitions({ ...run('acme'), maxPartitions: 8 });
    expect(small.partitions).toHaveLength(1); // far below the 128 MiB default
    const third = Math.ceil(small.inputBytes / 3);
    const plan = await createMetricActivities({ store, minPartitionBytes: third }).planPartitions({
      ...run('acme'),
      maxPartitions: 8,
    });
    expect(plan.partitions).toHaveLength(3);
    const capped = await createMetricActivities({ store, minPartitionBytes: 1 }).planPartitions({
      ...run('acme'),
      maxPartitions: 5,
    });
    expect(capped.partitions).toHaveLength(5);
    expect(() => createMetricActivities({ store, minPartitionBytes: -1 })).toThrow(/minPartitionBytes -1/);
  });

  it('gives byte-identical outputs with 1, 3 and 7 partitions in any order, and on every rerun', async () => {
    const { activities, store, inDay } = await fixture();
    const r = run('acme');
    const first = await runShuffled(activities, r, 1, 0);
    const counts = first.results[0].counts;
    expect(counts.accepted).toBe(inDay.length);
    expect(counts.outOfWindow).toBe(20);
    const reference = await datasetBytes(store, r);
    for (const [max, seed] of [
      [3, 1],
      [7, 2],
      [7, 3],
      [1, 4],
    ] as const) {
      const { plan } = await runShuffled(activities, r, max, seed);
      expect(plan.partitions).toHaveLength(max);
      expect(await datasetBytes(store, r), `${max} partitions, order ${seed}`).toEqual(reference);
    }
    // A rerun with fewer partitions removed the 7-partition partials it superseded.
    const left = [];
    for await (const o of store.list(outputKey(r, 'partials') + '/')) left.push(o.key.split('/').pop());
    expect(left).toEqual(['part-0001-of-0001.avro']);
    const docs = await documents(store, r);
    expect(docs.map((d) => d.accountId)).toEqual([...docs.map((d) => d.accountId)].sort());
    expect(docs.reduce((n, d) => n + d.eventsTotal, 0)).toBe(inDay.length);
    const acc0 = inDay.filter((e) => e.accountId === 'acc-00');
    expect(docs.find((d) => d.accountId === 'acc-00')).toMatchObject({
      eventsTotal: acc0.length,
      activeUsers: new Set(acc0.map((e) => e.userId)).size,
      sessions: new Set(acc0.map((e) => e.sessionId ?? `user:${e.userId}`)).size,
      firstActivityAt: Math.min(...acc0.map((e) => e.occurredAt)),
      lastActivityAt: Math.max(...acc0.map((e) => e.occurredAt)),
    });
  });

  it('reruns from any task, reusing the persisted outputs before it', async () => {
    const { activities, store } = await fixture();
    const r = run('acme');
    const full = await runMetricDayInProcess({ activities, ...r, maxPartitions: 3, badDataPolicy: 'fail' });
    expect(full.ran).toEqual([
      'aggregate-partitions',
      'attributes',
      'daily-usage',
      'rolling-windows',
      'account-documents',
    ]);
    const reference = await datasetBytes(store, r);
    await store.delete(outputKey(r, 'accounts.avro'));
    await store.delete(outputKey(r, 'rolling.avro'));
    const rerun = await runMetricDayInProcess({
      activities,
      ...r,
      maxPartitions: 3,
      badDataPolicy: 'fail',
      fromTask: 'rolling-windows',
    });
    expect(rerun.ran).toEqual(['rolling-windows', 'account-documents']);
    expect(rerun.partitions).toEqual([]);
    expect(await datasetBytes(store, r)).toEqual(reference);
    // From daily-usage without partial keys: the partials are found under the run's prefix.
    const fromMerge = await runMetricDayInProcess({
      activities,
      ...r,
      maxPartitions: 3,
      badDataPolicy: 'fail',
      fromTask: 'daily-usage',
    });
    expect(fromMerge.ran).toEqual(['daily-usage', 'rolling-windows', 'account-documents']);
    expect(await datasetBytes(store, r)).toEqual(reference);
  });

  it('v1 and v2 documents differ exactly on the accounts with billing events', async () => {
    const { activities, store } = await fixture();
    await runMetricDayInProcess({ activities, ...run('acme', 'v1'), maxPartitions: 3, badDataPolicy: 'fail' });
    await runMetricDayInProcess({
      activities,
      ...run('acme', 'v2', 'shadow'),
      maxPartitions: 2,
      badDataPolicy: 'fail',
    });
    const v1 = await documents(store, run('acme', 'v1'));
    const v2 = await documents(store, run('acme', 'v2', 'shadow'));
    expect(v2.map((d) => d.accountId)).toEqual(v1.map((d) => d.accountId));
    const differing = v1.filter(
      (d, i) => JSON.stringify({ ...d, pipelineVersion: '' }) !== JSON.stringify({ ...v2[i], pipelineVersion: '' }),
    );
    const billing = v1.filter((d) => d.billingEvents > 0).map((d) => d.accountId);
    expect(billing.sort()).toEqual([...BILLING_ACCOUNTS].sort());
    expect(differing.map((d) => d.accountId)).toEqual(billing);
    for (const d of differing) {
      const other = v2.find((x) => x.accountId === d.accountId)!;
      expect({ ...other, healthScore: d.healthScore, healthDelta: d.healthDelta, pipelineVersion: 'v1' }).toEqual(d);
    }
  });

  it('rolls windows over stored daily states; a new shadow version warms up from the primary', async () => {
    const store = newStore();
    const activities = createMetricActivities({ store });
    const days = ['2026-03-06', '2026-03-07', '2026-03-08'];
    for (const [i, d] of days.entries()) {
      await writeRawDay(store, 'acme', d, timeZone, 600, i + 1);
      await writeAttributes(store, 'acme', d);
      await runMetricDayInProcess({
        activities,
        ...run('acme', 'v1', 'primary', d),
        maxPartitions: 2,
        badDataPolicy: 'fail',
      });
    }
    const primary = await documents(store, run('acme', 'v1', 'primary', day));
    const acc = primary.find((d) => d.accountId === 'acc-01')!;
    expect(acc.events7d).toBeGreaterThan(acc.eventsTotal);
    expect(acc.healthDelta).not.toBeNull();
    // v2 shadow starting on the last day warms up from the primary's history, named or not (History lookup).
    await runMetricDayInProcess({
      activities,
      ...run('acme', 'v2', 'shadow'),
      maxPartitions: 2,
      badDataPolicy: 'fail',
    });
    const unnamed = (await documents(store, run('acme', 'v2', 'shadow'))).find((d) => d.accountId === 'acc-01')!;
    expect(unnamed.events7d).toBe(acc.events7d);
    await runMetricDayInProcess({
      activities,
      ...run('acme', 'v2', 'shadow'),
      maxPartitions: 2,
      badDataPolicy: 'fail',
      primaryPipelineVersion: 'v1',
    });
    const warm = (await documents(store, run('acme', 'v2', 'shadow'))).find((d) => d.accountId === 'acc-01')!;
    expect([warm.events7d, warm.activeUsers7d, warm.firstActivityAt]).toEqual([
      acc.events7d,
      acc.activeUsers7d,
      acc.firstActivityAt,
    ]);
    expect(warm.healthDelta).toBeNull(); // never compared with another version's score
  });

  it('reads daily states stored before fingerprints (exact values as strings) in rolling windows', async () => {
    const store = newStore();
    const activities = createMetricActivities({ store });
    const previousDay = '2026-03-07';
    // What a release before fingerprints wrote: Distinct { values: [string], hll }.
    const legacyDistinct = {
      type: 'record',
      name: 'Distinct',
      namespace: 'daybreak.metrics',
      fields: [
        { name: 'values', type: { type: 'array', items: 'string' } },
        { name: 'hll', type: ['null', 'bytes'], default: null },
      ],
    };
    const legacyType = avro.Type.forSchema({
      ...ACCOUNT_DAY_STATE_SCHEMA,
      fields: ACCOUNT_DAY_STATE_SCHEMA.fields.map((f) => (f.name === 'users' ? { ...f, type: legacyDistinct } : f)),
    } as avro.Schema);
    const legacy = {
      ...emptyAccountDayState('acc-01'),
      events: 5,
      users: { values: ['legacy-user-1', 'legacy-user-2', 'legacy-user-3'], hll: null },
      sessions: { values: ['legacy-session'], hll: null },
      firstAt: Date.parse('2026-03-07T15:00:00Z'),
      lastAt: Date.parse('2026-03-07T16:00:00Z'),
    };
    const encoder = new avro.streams.BlockEncoder(legacyType, { codec: 'deflate' });
    const done = readAll(encoder);
    encoder.end(legacy);
    await store.put(outputKey(run('acme', 'v1', 'primary', previousDay), 'daily-usage.avro'), await done);

    await writeRawDay(store, 'acme', day, timeZone, 600, 1);
    await writeAttributes(store, 'acme', day);
    await runMetricDayInProcess({ activities, ...run('acme'), maxPartitions: 1, badDataPolicy: 'fail' });
    const acc = (await documents(store, run('acme'))).find((d) => d.accountId === 'acc-01')!;
    // The fixture's user ids never start with "legacy-": the windows are the two disjoint days added up.
    expect(acc.activeUsers).toBeGreaterThan(0);
    expect(acc.activeUsers7d).toBe(acc.activeUsers + 3);
    expect(acc.events7d).toBe(acc.eventsTotal + 5);
    expect(acc.firstActivityAt).toBe(legacy.firstAt);
  });

  it('heartbeats { done, total } input objects while aggregating', async () => {
    const { activities } = await fixture();
    const plan = await activities.planPartitions({ ...run('acme'), maxPartitions: 2 });
    const env = new MockActivityEnvironment(undefined, { logger: testLogger });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const input: AggregatePartitionInput = { ...run('acme'), partition: plan.partitions[0], badDataPolicy: 'fail' };
    await env.run((i: AggregatePartitionInput) => activities.aggregatePartition(i), input);
    const total = plan.partitions[0].inputKeys.length;
    expect(beats[0]).toEqual({ done: 0, total });
    expect(beats[beats.length - 1]).toEqual({ done: total, total });
  });

  it('fails permanently, naming tenant, day and key, on bad input', async () => {
    const store = newStore();
    const activities = createMetricActivities({ store });
    const attempt = activities.runMetricTask({ ...run('acme'), task: 'attributes' });
    await expect(attempt).rejects.toBeInstanceOf(ApplicationFailure);
    await expect(attempt).rejects.toMatchObject({
      type: 'InvalidInputError',
      nonRetryable: true,
      message: expect.stringMatching(/attributes\/tenant=acme\/date=2026-03-08.*tenant acme day 2026-03-08/) as unknown,
    });
    await expect(activities.runMetricTask({ ...run('acme', 'v7'), task: 'attributes' })).rejects.toMatchObject({
      type: 'InvalidInputError',
      nonRetryable: true,
    });
    await expect(activities.runMetricTask({ ...run('acme'), task: 'aggregate-partitions' })).rejects.toMatchObject({
      message: expect.stringMatching(/partition fan-out/) as unknown,
    });
    await expect(activities.planPartitions({ ...run('acme'), maxPartitions: 0 })).rejects.toMatchObject({
      nonRetryable: true,
    });
    // Corrupt raw data under policy 'fail' is a permanent CorruptDataError naming the key.
    const key = rawHourPrefix('acme', { date: day, hour: 12 }) + 'bad.avro';
    await store.put(key, Buffer.from('Obj\x01 definitely not avro'));
    await expect(
      activities.aggregatePartition({
        ...run('acme'),
        partition: { index: 0, count: 1, inputKeys: [key] },
        badDataPolicy: 'fail',
      }),
    ).rejects.toMatchObject({
      type: 'CorruptDataError',
      nonRetryable: true,
      message: expect.stringContaining(key) as unknown,
    });
  });
});
