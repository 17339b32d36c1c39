import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { testLogger } from '../../support/logging';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CompareSummaryDocument } from '../../../src/activities/compare/compare-outputs';
import { createS3CompareActivities } from '../../../src/activities/compare/compare-outputs';
import { DIFFERENCE_CSV_COLUMNS, parseCsv } from '../../../src/compare';
import type { AccountDocument } from '../../../src/workflows/serving/account-document';
import type { CompareRunOutputsInput, CompareRunOutputsResult } from '../../../src/compare/compare-contracts';
import { compareReportKeys } from '../../../src/compare/compare-contracts';
import { outputKey } from '../../../src/common/keys';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { accountDocuments, accountId, putAccountDocuments } from '../../support/account-documents';

const day = '2026-11-21';
const ACCOUNTS = 2_500;
const store = new FsObjectStore(mkdtempSync(path.join(tmpdir(), 'daybreak-compare-')));
const activities = createS3CompareActivities({ store });

async function readSummary(key: string): Promise<CompareSummaryDocument> {
  return JSON.parse((await store.getBytes(key)).toString('utf8')) as CompareSummaryDocument;
}

let tenantSeq = 0;
const newTenant = () => `cmp-${++tenantSeq}`;

function keys(tenantId: string) {
  return {
    primary: outputKey({ tenantId, day, pipelineVersion: 'v1', runKind: 'primary' }, 'accounts.avro'),
    shadow: outputKey({ tenantId, day, pipelineVersion: 'v2', runKind: 'shadow' }, 'accounts.avro'),
    rerun: outputKey({ tenantId, day, pipelineVersion: 'v1', runKind: 'shadow' }, 'accounts.avro'),
  };
}

async function run(input: CompareRunOutputsInput) {
  const env = new MockActivityEnvironment(undefined, { logger: testLogger });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const result: CompareRunOutputsResult = await env.run(
    (i: CompareRunOutputsInput) => activities.compareRunOutputs(i),
    input,
  );
  return { result, heartbeats };
}

async function csvRows(key: string): Promise<string[][]> {
  const text = (await store.getBytes(key)).toString('utf8');
  const [header, ...rows] = parseCsv(text);
  expect(header).toEqual([...DIFFERENCE_CSV_COLUMNS]);
  return rows;
}

/** v2's intended change: a different health on accounts with billing events. */
function v2Change(doc: AccountDocument): AccountDocument {
  return doc.billingEvents > 0
    ? { ...doc, pipelineVersion: 'v2', healthScore: (doc.healthScore + 7) % 101, healthDelta: 3 }
    : { ...doc, pipelineVersion: 'v2' };
}

describe('compareRunOutputs on the filesystem store', () => {
  it('lists exactly the planted unexpected differences, with RFC 4180 quoting and Unicode intact', async () => {
    const tenantId = newTenant();
    const k = keys(tenantId);
    await putAccountDocuments(store, k.primary, accountDocuments(ACCOUNTS, { tenantId }));
    await putAccountDocuments(
      store,
      k.shadow,
      (function* () {
        yield* accountDocuments(ACCOUNTS, { tenantId }, (doc, i) => {
          const d = v2Change(doc);
          if (i === 3) return { ...d, eventsTotal: d.eventsTotal + 1 };
          if (i === 9) return { ...d, accountName: d.accountName.normalize('NFD') }; // Café "Zoë", Ltd 9 -> NFD
          if (i === 12) return { ...d, healthScore: d.healthScore === 0 ? 1 : 0 }; // no billing events
          if (i === 21) return { ...d, eventsByType: { ...d.eventsByType, login: d.eventsByType.login + 2 } };
          if (i === 30) return undefined; // missing in shadow
          return d;
        });
        yield {
          ...v2Change(accountDocuments(1, { tenantId }).next().value as AccountDocument),
          accountId: accountId(999_999),
        };
      })(),
    );
    const { result, heartbeats } = await run({
      tenantId,
      day,
      primaryPipelineVersion: 'v1',
      shadowPipelineVersion: 'v2',
      policy: 'v1-to-v2',
    });
    const p = [...accountDocuments(40, { tenantId })];
    expect(p[12].billingEvents).toBe(0);
    expect(p[9].accountName).toBe('Café "Zoë", Ltd 9');
    const expectedRows = [
      [
        tenantId,
        day,
        accountId(3),
        'eventsTotal',
        String(p[3].eventsTotal),
        String(p[3].eventsTotal + 1),
        '1',
        'exact',
      ],
      [tenantId, day, accountId(9), 'accountName', 'Café "Zoë", Ltd 9', 'Cafe\u0301 "Zoe\u0308", Ltd 9', '', 'exact'],
      [
        tenantId,
        day,
        accountId(12),
        'healthScore',
        String(p[12].healthScore),
        p[12].healthScore === 0 ? '1' : '0',
        String((p[12].healthScore === 0 ? 1 : 0) - p[12].healthScore),
        'only-accounts(with-billing-events)',
      ],
      [
        tenantId,
        day,
        accountId(21),
        'eventsByType.login',
        String(p[21].eventsByType.login),
        String(p[21].eventsByType.login + 2),
        '2',
        'exact',
      ],
      [tenantId, day, accountId(30), '*', 'present', 'missing', '', 'missing-in-shadow'],
      [tenantId, day, accountId(999_999), '*', 'missing', 'present', '', 'missing-in-primary'],
    ];
    expect(await csvRows(result.csvKey)).toEqual(expectedRows);
    const raw = (await store.getBytes(result.csvKey)).toString('utf8');
    expect(raw).toContain('"Café ""Zoë"", Ltd 9"');
    expect(raw.split('\r\n')).toHaveLength(expectedRows.length + 2);

    const billingAccounts = [...accountDocuments(ACCOUNTS, { tenantId })].filter(
      (d, i) => d.billingEvents > 0 && i !== 30,
    );
    expect(result).toMatchObject({
      verdict: 'unexpected-differences',
      policy: 'v1-to-v2',
      csvKey: compareReportKeys(tenantId, day, 'compare-v1-vs-v2').csvKey,
      summaryKey: `reports/compare-v1-vs-v2/tenant=${tenantId}/day=${day}/summary.json`,
      accountsCompared: ACCOUNTS - 1,
      missingInPrimary: 1,
      missingInShadow: 1,
      unexpected: 6,
      noise: 0,
    });
    // healthDelta changes to 3 wherever it was not already 3; healthScore always changes (+7 mod 101).
    const healthDeltaChanges = billingAccounts.filter((d) => d.healthDelta !== 3).length;
    expect(result.expected).toBe(billingAccounts.length + healthDeltaChanges);
    expect(heartbeats.length).toBeGreaterThanOrEqual(0);

    const summary = await readSummary(result.summaryKey);
    expect(summary.verdict).toBe('unexpected-differences');
    const health = summary.outcome!.fields.find((f) => f.field === 'healthScore')!;
    expect(health).toMatchObject({
      differing: billingAccounts.length + 1,
      expected: billingAccounts.length,
      unexpected: 1,
    });
    expect(Object.keys(health.quantiles!)).toEqual(['p10', 'p50', 'p90']);
    expect(summary.outcome!.checks[0]).toMatchObject({ passed: true });
  });

  it('is clean for identical outputs under the identical policy, and a rerun overwrites the same report', async () => {
    const tenantId = newTenant();
    const k = keys(tenantId);
    await putAccountDocuments(store, k.primary, accountDocuments(ACCOUNTS, { tenantId }));
    await putAccountDocuments(store, k.shadow, accountDocuments(ACCOUNTS, { tenantId, pipelineVersion: 'v2' }));
    const input = { tenantId, day, primaryPipelineVersion: 'v1', shadowPipelineVersion: 'v2', policy: 'identical' };
    const first = await run(input);
    expect(first.result).toMatchObject({ verdict: 'clean', accountsCompared: ACCOUNTS, unexpected: 0, expected: 0 });
    expect(await csvRows(first.result.csvKey)).toEqual([]);
    const second = await run(input);
    expect(second.result).toEqual(first.result);
    expect(await store.getBytes(second.result.summaryKey)).toEqual(await store.getBytes(first.result.summaryKey));
  });

  it('heartbeats progress on large inputs', async () => {
    const tenantId = newTenant();
    const k = keys(tenantId);
    await putAccountDocuments(store, k.primary, accountDocuments(25_000, { tenantId }));
    await putAccountDocuments(store, k.shadow, accountDocuments(25_000, { tenantId, pipelineVersion: 'v2' }));
    const { heartbeats } = await run({
      tenantId,
      day,
      primaryPipelineVersion: 'v1',
      shadowPipelineVersion: 'v2',
      policy: 'identical',
    });
    expect(heartbeats).toEqual([
      { phase: 'compare', accounts: 10_000, unexpected: 0 },
      { phase: 'compare', accounts: 20_000, unexpected: 0 },
    ]);
  });

  it('reports fields that differ between two runs of the primary version as noise', async () => {
    const tenantId = newTenant();
    const k = keys(tenantId);
    const jitter = (doc: AccountDocument, i: number, version: string) => ({
      ...doc,
      pipelineVersion: version,
      lastActivityAt: doc.lastActivityAt === null ? null : doc.lastActivityAt + (i % 4),
    });
    await putAccountDocuments(store, k.primary, accountDocuments(ACCOUNTS, { tenantId }));
    await putAccountDocuments(
      store,
      k.rerun,
      accountDocuments(ACCOUNTS, { tenantId }, (d, i) => jitter(d, i, 'v1')),
    );
    await putAccountDocuments(
      store,
      k.shadow,
      accountDocuments(ACCOUNTS, { tenantId }, (d, i) => {
        const shadow = jitter(d, i + 1, 'v2');
        return i === 100 ? { ...shadow, sessions: shadow.sessions + 1 } : shadow;
      }),
    );
    const base = { tenantId, day, primaryPipelineVersion: 'v1', shadowPipelineVersion: 'v2', policy: 'identical' };
    const without = await run(base);
    expect(without.result.unexpected).toBeGreaterThan(1000);

    const { result } = await run({ ...base, noiseBaseline: { firstKey: k.primary, secondKey: k.rerun } });
    expect(result.verdict).toBe('unexpected-differences');
    expect(result.unexpected).toBe(1);
    expect(result.noise).toBe(without.result.unexpected - 1);
    expect(await csvRows(result.csvKey)).toEqual([
      [tenantId, day, accountId(100), 'sessions', expect.any(String), expect.any(String), '1', 'exact'],
    ]);
    const summary = await readSummary(result.summaryKey);
    expect(summary.noiseBaseline!.noiseFields).toEqual(['lastActivityAt']);
  });

  it('shadow-failed when the shadow output is missing, unreadable, or the caller says so', async () => {
    const tenantId = newTenant();
    const k = keys(tenantId);
    await putAccountDocuments(store, k.primary, accountDocuments(ACCOUNTS, { tenantId }));
    const base = { tenantId, day, primaryPipelineVersion: 'v1', shadowPipelineVersion: 'v2', policy: 'v1-to-v2' };

    const missing = await run(base);
    expect(missing.result).toMatchObject({ verdict: 'shadow-failed', accountsCompared: 0 });
    expect(missing.result.shadowFailure).toMatch(/does not exist/);
    expect(await csvRows(missing.result.csvKey)).toEqual([]);

    const said = await run({ ...base, shadowFailed: true, shadowFailure: 'child workflow timed out' });
    expect(said.result).toMatchObject({ verdict: 'shadow-failed', shadowFailure: 'child workflow timed out' });

    // A shadow file cut off in the middle: the rows found before the break must not survive.
    await putAccountDocuments(
      store,
      k.shadow,
      accountDocuments(ACCOUNTS, { tenantId }, (d, i) => (i === 1 ? { ...d, sessions: -1 } : d)),
    );
    const bytes = await store.getBytes(k.shadow);
    await store.put(k.shadow, Buffer.concat([bytes.subarray(0, bytes.length - 200), Buffer.alloc(50, 7)]));
    const corrupt = await run(base);
    expect(corrupt.result.verdict).toBe('shadow-failed');
    expect(corrupt.result.shadowFailure).toMatch(/shadow output/);
    expect(await csvRows(corrupt.result.csvKey)).toEqual([]);
    const summary = await readSummary(corrupt.result.summaryKey);
    expect(summary.verdict).toBe('shadow-failed');
  });

  it('fails permanently for bad input: unknown policy, bad tenant, missing primary output', async () => {
    const base = {
      tenantId: newTenant(),
      day,
      primaryPipelineVersion: 'v1',
      shadowPipelineVersion: 'v2',
      policy: 'identical',
    };
    await expect(run({ ...base, policy: 'nope' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(run({ ...base, tenantId: 'a/../b' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(run(base)).rejects.toThrow(/primary output .* of tenant cmp-\d+ day 2026-11-21 does not exist/);

    const k = keys(base.tenantId);
    await putAccountDocuments(store, k.shadow, accountDocuments(ACCOUNTS, { tenantId: base.tenantId }));
    await putAccountDocuments(store, k.primary, accountDocuments(ACCOUNTS, { tenantId: base.tenantId }));
    const bytes = await store.getBytes(k.primary);
    await store.put(k.primary, bytes.subarray(0, bytes.length - 100));
    await expect(run(base)).rejects.toMatchObject({ name: 'CorruptDataError', key: k.primary });
    await expect(run(base)).rejects.toThrow(/truncated/);
  });
});

describe('compareRunOutputs reads writer schemas', () => {
  let tenantId: string;
  beforeAll(() => {
    tenantId = newTenant();
  });
  it('compares a field the shadow version added to the schema', async () => {
    const avro = await import('avsc');
    const { loadSchema } = await import('../../../src/schemas/avro-container');
    const schema = loadSchema('account-document.avsc') as { fields: unknown[] };
    const extended = avro.Type.forSchema({
      ...schema,
      fields: [...schema.fields, { name: 'churnRisk', type: 'double', default: 0 }],
    } as never);
    const k = keys(tenantId);
    await putAccountDocuments(store, k.primary, accountDocuments(10, { tenantId }));
    await putAccountDocuments(
      store,
      k.shadow,
      [...accountDocuments(10, { tenantId, pipelineVersion: 'v2' })].map((d) => ({ ...d, churnRisk: 0.25 })),
      extended,
    );
    const { result } = await run({
      tenantId,
      day,
      primaryPipelineVersion: 'v1',
      shadowPipelineVersion: 'v2',
      policy: 'identical',
    });
    const rows = await csvRows(result.csvKey);
    expect(rows).toHaveLength(10);
    expect(rows.every((r) => r[3] === 'churnRisk' && r[4] === '' && r[5] === '0.25')).toBe(true);
  });
});
