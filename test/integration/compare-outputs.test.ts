import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3CompareActivities } from '../../src/activities/compare/compare-outputs';
import { parseCsv } from '../../src/compare';
import type { CompareRunOutputsInput, CompareRunOutputsResult } from '../../src/compare/compare-contracts';
import { outputKey } from '../../src/common/keys';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { accountDocuments, accountId, putAccountDocuments } from '../support/account-documents';

let stack: Stack;
beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  await stack.close();
});

describe('compareRunOutputs on S3 (versitygw)', () => {
  it('streams both outputs from S3 and writes the CSV and summary there', async () => {
    const tenantId = uniqueName('cmp');
    const day = '2026-11-21';
    const accounts = 20_000;
    const primaryKey = outputKey({ tenantId, day, pipelineVersion: 'v1', runKind: 'primary' }, 'accounts.avro');
    const shadowKey = outputKey({ tenantId, day, pipelineVersion: 'v2', runKind: 'shadow' }, 'accounts.avro');
    await putAccountDocuments(stack.store, primaryKey, accountDocuments(accounts, { tenantId }));
    // Planted: a changed eventsTotal on every 1000th account, and one account lost by the shadow.
    await putAccountDocuments(
      stack.store,
      shadowKey,
      accountDocuments(accounts, { tenantId, pipelineVersion: 'v2' }, (d, i) =>
        i === 4242 ? undefined : i % 1000 === 1 ? { ...d, eventsTotal: d.eventsTotal + 1 } : d,
      ),
    );
    const activities = createS3CompareActivities({ store: stack.store });
    const input: CompareRunOutputsInput = {
      tenantId,
      day,
      primaryPipelineVersion: 'v1',
      shadowPipelineVersion: 'v2',
      policy: 'v1-to-v2',
    };
    const result: CompareRunOutputsResult = await new MockActivityEnvironment().run(
      (i: CompareRunOutputsInput) => activities.compareRunOutputs(i),
      input,
    );
    expect(result).toMatchObject({
      verdict: 'unexpected-differences',
      accountsCompared: accounts - 1,
      missingInShadow: 1,
      missingInPrimary: 0,
      unexpected: 21,
    });
    const rows = parseCsv((await stack.store.getBytes(result.csvKey)).toString('utf8')).slice(1);
    const planted = [
      ...Array.from({ length: 20 }, (_, k) => [accountId(k * 1000 + 1), 'eventsTotal']),
      [accountId(4242), '*'],
    ].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    expect(rows.map((r) => [r[2], r[3]])).toEqual(planted);
    expect(await stack.store.exists(result.summaryKey)).toBe(true);
  });
});
