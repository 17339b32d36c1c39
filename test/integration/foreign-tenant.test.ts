import * as avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricActivities } from '../../src/activities/tenant-days/metric-activities';
import { createMetricActivities } from '../../src/activities/tenant-days/metric-activities';
import { runMetricDayInProcess } from '../../src/activities/tenant-days/in-process';
import { decodeContainer, encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import type { RawEvent } from '../../src/common/events';
import { outputKey, quarantineKey, rawEventsKey } from '../../src/common/keys';
import { FOREIGN_TENANT_FILE } from '../../src/workflows/tenants/record-tenant';
import { readAll } from '../../src/storage/object-store';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createS3ObjectStore } from '../../src/workers/clients';
import { readConfig } from '../../src/workers/config';
import { PartitionThreadPool } from '../../src/workers/partition-threads';
import { ACCOUNTS, writeAttributes, writeRawDay } from '../support/metric-fixtures';
import { uniqueName } from '../support/stack';

const rawType = avro.Type.forSchema(loadSchema('raw-event.v3.avsc'));
const documentType = avro.Type.forSchema(loadSchema('account-document.avsc'));

const DAY = '2026-03-10';
const ZONE = 'America/New_York'; // EDT: the day is 2026-03-10T04:00Z .. 2026-03-11T04:00Z
const FOREIGN_RECORDS = 37;
const OWN_RECORDS_IN_PLANTED_FILE = 5;

/**
 * A raw file under one tenant's prefix whose records say another tenant (issue 18): the records of
 * the other tenant never reach this tenant's numbers, on the activity's thread and in partition
 * threads alike; they are quarantined and listed with the reason, or fail the run under 'fail'.
 */
describe('records of another tenant in a tenant raw prefix (S3 via versitygw)', () => {
  const config = readConfig();
  const bucket = uniqueName('daybreak-foreign');
  const hooli = uniqueName('hooli');
  const stark = uniqueName('stark');
  const run = { tenantId: hooli, day: DAY, timeZone: ZONE, pipelineVersion: 'v1', runKind: 'primary' as const };
  const plantedKey = rawEventsKey(hooli, { date: DAY, hour: 15 }, 'planted-foreign.avro');
  let store: S3ObjectStore;
  let pool: PartitionThreadPool;
  let inProcess: MetricActivities;
  let threaded: MetricActivities;
  /** hooli's own events of the day, by account: what its documents must count, derived from the fixture. */
  const expectedByAccount = new Map<string, number>();
  let expectedTotal = 0;
  const planted: RawEvent[] = [];

  beforeAll(async () => {
    store = await createS3ObjectStore({ ...config.s3, bucket });
    const own = await writeRawDay(store, hooli, DAY, ZONE, 1500);
    await writeAttributes(store, hooli, DAY);
    // One file of 42 records in the middle of the day: 37 say stark, 5 (spread among them) say hooli.
    const at = Date.parse(`${DAY}T15:00:00Z`);
    for (let i = 0; i < FOREIGN_RECORDS + OWN_RECORDS_IN_PLANTED_FILE; i++) {
      const ownRecord = i % 8 === 3; // i = 3, 11, 19, 27, 35
      planted.push({
        eventId: `planted-${i}`,
        tenantId: ownRecord ? hooli : stark,
        accountId: ACCOUNTS[i % ACCOUNTS.length],
        userId: `planted-user-${i}`,
        type: 'login',
        occurredAt: at + i * 1000,
        value: 1,
        properties: {},
        sessionId: null,
      });
    }
    expect(planted.filter((e) => e.tenantId === stark)).toHaveLength(FOREIGN_RECORDS);
    await store.put(plantedKey, await readAll(encodeContainer(rawType, planted, 'deflate')));
    for (const e of [...own, ...planted.filter((p) => p.tenantId === hooli)]) {
      expectedByAccount.set(e.accountId, (expectedByAccount.get(e.accountId) ?? 0) + 1);
      expectedTotal++;
    }
    inProcess = createMetricActivities({ store, minPartitionBytes: 0 });
    pool = new PartitionThreadPool({ threads: 2, store: { kind: 's3', s3: { ...config.s3, bucket } } });
    threaded = createMetricActivities({ store, minPartitionBytes: 0, partitionRunner: pool.runner });
  });

  afterAll(async () => {
    await pool?.close();
    const keys: string[] = [];
    for await (const info of store.list('')) keys.push(info.key);
    for (const key of keys) await store.delete(key);
  });

  async function documents(): Promise<AccountDocument[]> {
    const docs: AccountDocument[] = [];
    for await (const d of decodeContainer<AccountDocument>(
      await store.get(outputKey(run, 'accounts.avro')),
      documentType,
    ))
      docs.push(d);
    return docs;
  }

  it('quarantines exactly the foreign records, in-process and in partition threads, with the same output', async () => {
    expect(expectedTotal).toBe(1500 + OWN_RECORDS_IN_PLANTED_FILE);
    const outputs: Buffer[] = [];
    for (const [activities, maxPartitions] of [
      [inProcess, 1],
      [threaded, 4],
    ] as const) {
      const job = await runMetricDayInProcess({ activities, ...run, maxPartitions, badDataPolicy: 'quarantine' });
      if (maxPartitions > 1) expect(job.partitions.length).toBeGreaterThan(1);
      const sum = (field: 'accepted' | 'quarantined' | 'duplicates') =>
        job.partitions.reduce((n, p) => n + p.counts[field], 0);
      expect(sum('accepted')).toBe(expectedTotal);
      expect(sum('quarantined')).toBe(FOREIGN_RECORDS);
      expect(sum('duplicates')).toBe(0);
      const target = quarantineKey(hooli, DAY, plantedKey, FOREIGN_TENANT_FILE);
      expect(job.partitions.flatMap((p) => p.quarantineKeys)).toEqual([target]);

      const lines = (await store.getBytes(target))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { reason: string; key: string; eventId: string; tenantId: string });
      expect(lines.map((l) => l.eventId)).toEqual(planted.filter((e) => e.tenantId === stark).map((e) => e.eventId));
      for (const l of lines) {
        expect(l).toMatchObject({ key: plantedKey, tenantId: stark });
        expect(l.reason).toBe(
          `record tenantId "${stark}" is not "${hooli}", the tenant whose raw prefix holds the object`,
        );
      }

      const docs = await documents();
      expect(docs.reduce((n, d) => n + d.eventsTotal, 0)).toBe(expectedTotal);
      expect(new Map(docs.map((d) => [d.accountId, d.eventsTotal]))).toEqual(expectedByAccount);
      expect(docs.every((d) => d.tenantId === hooli)).toBe(true);
      outputs.push(await store.getBytes(outputKey(run, 'accounts.avro')));
    }
    expect(outputs[1].equals(outputs[0])).toBe(true);
  });

  it('fails the run under policy fail, naming both tenants and the object key', async () => {
    for (const activities of [inProcess, threaded]) {
      const error = await runMetricDayInProcess({ activities, ...run, maxPartitions: 1, badDataPolicy: 'fail' }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toContain(`tenant ${hooli}: object ${plantedKey} at byte `);
      expect(error!.message).toContain(`belongs to tenant ${stark}`);
      expect((error as { type?: string }).type).toBe('CorruptDataError');
    }
  });
});
