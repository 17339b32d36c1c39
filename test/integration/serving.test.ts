import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createElasticsearchServingActivities } from '../../src/activities/serving/serving';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import { outputKey } from '../../src/common/keys';
import type { RunKind } from '../../src/common/search-attributes';
import type { ServingActivities } from '../../src/workflows/serving/serving-contracts';
import {
  historyAliasName,
  historyIndexName,
  servedAliasName,
  servingIndexName,
} from '../../src/workflows/serving/serving-contracts';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { accountDocuments, accountId, putAccountDocuments } from '../support/account-documents';

const PREFIX = 'daybreak-test';
const ACCOUNTS = 1_200;
let stack: Stack;
let serving: ServingActivities;
const createdIndices = new Set<string>();

beforeAll(async () => {
  stack = await connectStack();
  serving = createElasticsearchServingActivities({
    es: stack.es,
    store: stack.store,
    indexPrefix: PREFIX,
    bulkSize: 500,
  });
});
afterAll(async () => {
  // Named deletes: Elasticsearch refuses wildcard deletes by default (action.destructive_requires_name).
  if (createdIndices.size) await stack.es.indices.delete({ index: [...createdIndices], ignore_unavailable: true });
  await stack.close();
});

/** Runs an activity in a mock activity context (heartbeats and the logger need one). */
function act<I, R>(fn: (input: I) => Promise<R>, input: I): Promise<R> {
  return new MockActivityEnvironment().run(fn, input);
}

function tenant(): string {
  const tenantId = uniqueName('srv');
  for (const v of ['v1', 'v2']) {
    createdIndices.add(servingIndexName(PREFIX, tenantId, v));
    createdIndices.add(historyIndexName(PREFIX, tenantId, v));
  }
  return tenantId;
}

async function writeRun(
  tenantId: string,
  day: string,
  pipelineVersion: string,
  runKind: RunKind,
  change?: (d: AccountDocument, i: number) => AccountDocument | undefined,
  count = ACCOUNTS,
): Promise<string> {
  const key = outputKey({ tenantId, day, pipelineVersion, runKind }, 'accounts.avro');
  return putAccountDocuments(stack.store, key, accountDocuments(count, { tenantId, day, pipelineVersion }, change));
}

async function index(tenantId: string, day: string, pipelineVersion: string, runKind: RunKind, documentsKey: string) {
  return act((i: Parameters<ServingActivities['indexAccountDocuments']>[0]) => serving.indexAccountDocuments(i), {
    tenantId,
    day,
    pipelineVersion,
    runKind,
    documentsKey,
  });
}

async function searchAlias(tenantId: string, size = 10_000) {
  const response = await stack.es.search<AccountDocument>({
    index: servedAliasName(PREFIX, tenantId),
    size,
    query: { match_all: {} },
    track_total_hits: true,
  });
  return response.hits.hits.map((h) => h._source!);
}

async function count(indexOrAlias: string): Promise<number> {
  return (await stack.es.count({ index: indexOrAlias })).count;
}

describe('serving account documents from Elasticsearch', () => {
  it('sets up indices and the alias idempotently, and a reindex never duplicates', async () => {
    const tenantId = tenant();
    const setup = () =>
      act((i: Parameters<ServingActivities['setupTenantServing']>[0]) => serving.setupTenantServing(i), {
        tenantId,
        pipelineVersions: ['v1', 'v2'],
        servedVersion: 'v1',
      });
    const first = await setup();
    expect(first).toMatchObject({
      alias: `${PREFIX}-accounts-${tenantId}`,
      indices: [`${PREFIX}-accounts-v1.${tenantId}`, `${PREFIX}-accounts-v2.${tenantId}`],
      servedIndex: `${PREFIX}-accounts-v1.${tenantId}`,
      aliasCreated: true,
    });
    expect(first.createdIndices).toHaveLength(2);
    const second = await setup();
    expect(second).toMatchObject({ createdIndices: [], aliasCreated: false, servedIndex: first.servedIndex });

    const key = await writeRun(tenantId, '2026-11-21', 'v1', 'primary');
    const once = await index(tenantId, '2026-11-21', 'v1', 'primary', key);
    const indexedOnce = {
      index: first.servedIndex,
      indexed: ACCOUNTS,
      skippedStale: 0,
      historyIndex: historyIndexName(PREFIX, tenantId, 'v1'),
      historyIndexed: ACCOUNTS,
      // The activity attempt, for the run ledger (MockActivityEnvironment runs attempt 1).
      attempt: 1,
    };
    expect(once).toEqual(indexedOnce);
    expect(await count(first.servedIndex)).toBe(ACCOUNTS);
    const again = await index(tenantId, '2026-11-21', 'v1', 'primary', key);
    expect(again).toEqual(indexedOnce);
    expect(await count(first.servedIndex)).toBe(ACCOUNTS);
    expect(await count(servedAliasName(PREFIX, tenantId))).toBe(ACCOUNTS);

    const mapping = await stack.es.indices.getMapping({ index: first.servedIndex });
    const properties = mapping[first.servedIndex].mappings.properties!;
    expect(properties.accountId).toEqual({ type: 'keyword' });
    expect(properties.accountName).toMatchObject({ type: 'text', fields: { keyword: { type: 'keyword' } } });
    expect(properties.healthScore).toEqual({ type: 'integer' });
    const hits = await stack.es.search({
      index: first.servedIndex,
      size: 0,
      query: { range: { 'eventsByType.login': { gte: 0 } } },
    });
    expect(hits.hits.total).toMatchObject({ value: ACCOUNTS });
  });

  it('a rerun of an older day never overwrites a newer day', async () => {
    const tenantId = tenant();
    const newer = await writeRun(tenantId, '2026-11-21', 'v1', 'primary', (d) => ({ ...d, healthScore: 77 }));
    // The older day has one account the newer day does not: that one is indexed.
    const older = await writeRun(
      tenantId,
      '2026-11-20',
      'v1',
      'primary',
      (d) => ({ ...d, healthScore: 11 }),
      ACCOUNTS + 1,
    );
    await index(tenantId, '2026-11-21', 'v1', 'primary', newer);
    await act((i: Parameters<ServingActivities['ensureServedAlias']>[0]) => serving.ensureServedAlias(i), {
      tenantId,
      pipelineVersion: 'v1',
    });
    const stale = await index(tenantId, '2026-11-20', 'v1', 'primary', older);
    expect(stale).toMatchObject({ indexed: 1, skippedStale: ACCOUNTS });
    const docs = await searchAlias(tenantId);
    expect(docs).toHaveLength(ACCOUNTS + 1);
    expect(docs.filter((d) => d.day === '2026-11-21' && d.healthScore === 77)).toHaveLength(ACCOUNTS);
    expect(docs.filter((d) => d.day === '2026-11-20')).toEqual([
      expect.objectContaining({ accountId: accountId(ACCOUNTS) }),
    ]);

    // Rerunning the newer day still overwrites it (same version, external_gte).
    const rerun = await writeRun(tenantId, '2026-11-21', 'v1', 'primary', (d) => ({ ...d, healthScore: 78 }));
    expect(await index(tenantId, '2026-11-21', 'v1', 'primary', rerun)).toMatchObject({
      indexed: ACCOUNTS,
      skippedStale: 0,
    });
    expect((await searchAlias(tenantId)).filter((d) => d.healthScore === 78)).toHaveLength(ACCOUNTS);
  });

  it("a tenant's alias never returns another tenant's documents", async () => {
    const a = tenant();
    const b = tenant();
    for (const t of [a, b]) {
      await act((i: Parameters<ServingActivities['setupTenantServing']>[0]) => serving.setupTenantServing(i), {
        tenantId: t,
        pipelineVersions: ['v1'],
        servedVersion: 'v1',
      });
      await index(
        t,
        '2026-11-21',
        'v1',
        'primary',
        await writeRun(t, '2026-11-21', 'v1', 'primary', undefined, t === a ? 300 : 500),
      );
    }
    const docsA = await searchAlias(a);
    expect(docsA).toHaveLength(300);
    expect(docsA.every((d) => d.tenantId === a)).toBe(true);
    // The same account ids exist in B: a term query through A's alias still only finds A's.
    const byId = await stack.es.search<AccountDocument>({
      index: servedAliasName(PREFIX, a),
      query: { term: { accountId: accountId(400) } },
    });
    expect(byId.hits.hits).toHaveLength(0);
    const both = await stack.es.search<AccountDocument>({
      index: servedAliasName(PREFIX, a),
      query: { terms: { tenantId: [a, b] } },
      size: 1000,
    });
    expect(new Set(both.hits.hits.map((h) => h._source!.tenantId))).toEqual(new Set([a]));
    expect(await count(servedAliasName(PREFIX, b))).toBe(500);
  });

  it('refuses documents of another tenant, day or version, and names the file', async () => {
    const tenantId = tenant();
    const other = uniqueName('srv');
    const key = outputKey({ tenantId, day: '2026-11-21', pipelineVersion: 'v1', runKind: 'primary' }, 'accounts.avro');
    await putAccountDocuments(stack.store, key, accountDocuments(10, { tenantId: other }));
    await expect(index(tenantId, '2026-11-21', 'v1', 'primary', key)).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
    await expect(index(tenantId, '2026-11-21', 'v1', 'primary', key)).rejects.toThrow(
      new RegExp(`holds a document of tenant ${other}`),
    );
    await expect(index('Bad*Tenant', '2026-11-21', 'v1', 'primary', key)).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
  });

  it('shadow is not served before promotion; the swap is one atomic alias update; rollback restores the old values', async () => {
    const tenantId = tenant();
    const day = '2026-11-21';
    const alias = servedAliasName(PREFIX, tenantId);
    const v1Index = servingIndexName(PREFIX, tenantId, 'v1');
    const v2Index = servingIndexName(PREFIX, tenantId, 'v2');
    // What a primary tenant-day does: its index, the alias (first time only), the documents.
    for (const [version, kind, score] of [
      ['v1', 'primary', 40],
      ['v2', 'shadow', 90],
    ] as const) {
      await act((i: Parameters<ServingActivities['ensureServingIndex']>[0]) => serving.ensureServingIndex(i), {
        tenantId,
        pipelineVersion: version,
      });
      if (kind === 'primary') {
        await act((i: Parameters<ServingActivities['ensureServedAlias']>[0]) => serving.ensureServedAlias(i), {
          tenantId,
          pipelineVersion: version,
        });
      }
      await index(
        tenantId,
        day,
        version,
        kind,
        await writeRun(tenantId, day, version, kind, (d) => ({ ...d, healthScore: score })),
      );
    }
    const served = () =>
      act((i: Parameters<ServingActivities['servedVersion']>[0]) => serving.servedVersion(i), { tenantId });
    expect(await served()).toEqual({ alias, index: v1Index, pipelineVersion: 'v1' });
    expect(await count(v2Index)).toBe(ACCOUNTS);
    expect(new Set((await searchAlias(tenantId)).map((d) => `${d.pipelineVersion}:${d.healthScore}`))).toEqual(
      new Set(['v1:40']),
    );

    // A reader querying through the alias all along must see one whole version every time.
    let reading = true;
    const seen = new Set<string>();
    const reader = (async () => {
      while (reading) {
        const docs = await searchAlias(tenantId);
        const versions = new Set(docs.map((d) => d.pipelineVersion));
        seen.add(`${docs.length}:${[...versions].join('+')}`);
      }
    })();

    const swap = (to: string) =>
      act((i: Parameters<ServingActivities['swapServedAlias']>[0]) => serving.swapServedAlias(i), {
        tenantId,
        toPipelineVersion: to,
      });
    const updateAliases = vi.spyOn(stack.es.indices, 'updateAliases');
    const promoted = await swap('v2');
    expect(updateAliases).toHaveBeenCalledTimes(1);
    updateAliases.mockRestore();
    expect(promoted).toEqual({
      alias,
      fromIndex: v1Index,
      fromPipelineVersion: 'v1',
      toIndex: v2Index,
      toPipelineVersion: 'v2',
      historyAlias: historyAliasName(PREFIX, tenantId),
      toHistoryIndex: historyIndexName(PREFIX, tenantId, 'v2'),
    });
    expect(await served()).toMatchObject({ index: v2Index, pipelineVersion: 'v2' });
    expect(new Set((await searchAlias(tenantId)).map((d) => `${d.pipelineVersion}:${d.healthScore}`))).toEqual(
      new Set(['v2:90']),
    );

    const rolledBack = await swap('v1');
    expect(rolledBack).toMatchObject({ fromIndex: v2Index, toIndex: v1Index });
    expect(new Set((await searchAlias(tenantId)).map((d) => `${d.pipelineVersion}:${d.healthScore}`))).toEqual(
      new Set(['v1:40']),
    );
    for (let i = 0; i < 5; i++) {
      await swap('v2');
      await swap('v1');
    }
    reading = false;
    await reader;
    expect(seen.size).toBeGreaterThan(0);
    expect([...seen].every((s) => s === `${ACCOUNTS}:v1` || s === `${ACCOUNTS}:v2`)).toBe(true);

    // Swapping to the version already served is a no-op; to a version never indexed is refused.
    expect(await swap('v1')).toMatchObject({ fromIndex: v1Index, toIndex: v1Index });
    await expect(swap('v3')).rejects.toThrow(/index daybreak-test-accounts-v3\..* does not exist/);
    expect(await served()).toMatchObject({ pipelineVersion: 'v1' });
  });
});
