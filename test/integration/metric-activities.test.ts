import * as avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { createMetricActivities } from '../../src/activities/tenant-days/metric-activities';
import { runMetricDayInProcess } from '../../src/activities/tenant-days/in-process';
import { decodeContainer, loadSchema } from '../../src/schemas/avro-container';
import { outputKey } from '../../src/common/keys';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import { writeAttributes, writeRawDay } from '../support/metric-fixtures';

const documentType = avro.Type.forSchema(loadSchema('account-document.avsc'));

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('metric activities against S3 (versitygw)', () => {
  it('runs a tenant-day end to end and writes the same bytes with 1 and 4 partitions', async () => {
    const tenantId = uniqueName('metrics');
    const day = '2026-11-01'; // fall back in New York: 25 hours
    const run = { tenantId, day, timeZone: 'America/New_York', pipelineVersion: 'v1', runKind: 'primary' as const };
    const inDay = await writeRawDay(stack.store, tenantId, day, run.timeZone, 1500);
    await writeAttributes(stack.store, tenantId, day);
    const activities = createMetricActivities({ store: stack.store, minPartitionBytes: 0 });
    const first = await runMetricDayInProcess({ activities, ...run, maxPartitions: 1, badDataPolicy: 'fail' });
    expect(first.partitions.reduce((n, p) => n + p.counts.accepted, 0)).toBe(inDay.length);
    const bytes = await stack.store.getBytes(outputKey(run, 'accounts.avro'));
    await runMetricDayInProcess({ activities, ...run, maxPartitions: 4, badDataPolicy: 'fail' });
    expect((await stack.store.getBytes(outputKey(run, 'accounts.avro'))).equals(bytes)).toBe(true);
    const docs: AccountDocument[] = [];
    for await (const d of decodeContainer<AccountDocument>(
      await stack.store.get(outputKey(run, 'accounts.avro')),
      documentType,
    ))
      docs.push(d);
    expect(docs.reduce((n, d) => n + d.eventsTotal, 0)).toBe(inDay.length);
    expect(docs.map((d) => d.accountId)).toEqual([...docs.map((d) => d.accountId)].sort());
  });
});
