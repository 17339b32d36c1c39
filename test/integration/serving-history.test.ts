import * as avro from 'avsc';
import type { estypes } from '@elastic/elasticsearch';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountDocumentMapping } from '../../src/activities/serving/account-mapping';
import { createElasticsearchServingActivities } from '../../src/activities/serving/serving';
import { encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import type { AccountAttributes } from '../../src/common/events';
import { outputKey } from '../../src/common/keys';
import type { ServedAccountAttributes, ServingActivities } from '../../src/workflows/serving/serving-contracts';
import {
  dayDocumentVersion,
  historyAliasName,
  historyIndexName,
  servedAliasName,
  servingIndexName,
} from '../../src/workflows/serving/serving-contracts';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { accountDocuments, accountId, putAccountDocuments } from '../support/account-documents';

const PREFIX = 'daybreak-test';
const ACCOUNTS = 40;
const DAYS = ['2026-11-19', '2026-11-20', '2026-11-21'];
const DAY_MS = 86_400_000;
const attributesType = avro.Type.forSchema(loadSchema('account-attributes.avsc'));

type Served = AccountDocument & ServedAccountAttributes;

let stack: Stack;
let serving: ServingActivities;
const createdIndices = new Set<string>();

beforeAll(async () => {
  stack = await connectStack();
  serving = createElasticsearchServingActivities({ es: stack.es, store: stack.store, indexPrefix: PREFIX });
});
afterAll(async () => {
  const names = [...createdIndices].flatMap((i) => [i, `${i}.migrating`]);
  if (names.length) await stack.es.indices.delete({ index: names, ignore_unavailable: true });
  await stack.close();
});

function act<I, R>(fn: (input: I) => Promise<R>, input: I): Promise<R> {
  return new MockActivityEnvironment().run(fn, input);
}

function tenant(): string {
  const tenantId = uniqueName('hist');
  for (const v of ['v1', 'v2']) {
    createdIndices.add(servingIndexName(PREFIX, tenantId, v));
    createdIndices.add(historyIndexName(PREFIX, tenantId, v));
  }
  return tenantId;
}

/** Account i's health score on day k: a value a chart can be checked against. */
const score = (i: number, k: number) => (i * 7 + k * 13) % 101;
/** Account i was first active on 2026-01-01 plus i days (UTC midnight). */
const firstActivity = (i: number) => Date.parse('2026-01-01T00:00:00Z') + i * DAY_MS;

async function writeDay(tenantId: string, k: number, pipelineVersion = 'v1', bump = 0): Promise<string> {
  const day = DAYS[k];
  const key = outputKey({ tenantId, day, pipelineVersion, runKind: 'primary' }, 'accounts.avro');
  return putAccountDocuments(
    stack.store,
    key,
    accountDocuments(ACCOUNTS, { tenantId, day, pipelineVersion }, (d, i) => ({
      ...d,
      healthScore: score(i, k) + bump,
      firstActivityAt: firstActivity(i),
      lastActivityAt: Date.parse(`${day}T12:00:00Z`),
    })),
  );
}

/** The run's attribute snapshot, as the attributes task writes it: every account but the last. */
async function writeAttributes(tenantId: string, day: string, pipelineVersion = 'v1'): Promise<void> {
  const rows: AccountAttributes[] = Array.from({ length: ACCOUNTS - 1 }, (_, i) => ({
    tenantId,
    accountId: accountId(i),
    accountName: `Account ${i}`,
    lifecycleStage: 'mature',
    plan: i % 2 === 0 ? 'starter' : 'pro',
    contractValue: 1000 + i,
    renewalDate: i % 4 === 0 ? null : `2027-01-${String(i % 28 || 28).padStart(2, '0')}`,
    seats: i + 1,
  }));
  const key = outputKey({ tenantId, day, pipelineVersion, runKind: 'primary' }, 'attributes.avro');
  await stack.store.put(key, encodeContainer(attributesType, rows));
}

async function index(tenantId: string, k: number, documentsKey: string, pipelineVersion = 'v1') {
  return act((i: Parameters<ServingActivities['indexAccountDocuments']>[0]) => serving.indexAccountDocuments(i), {
    tenantId,
    day: DAYS[k],
    pipelineVersion,
    runKind: 'primary',
    documentsKey,
  });
}

async function setup(tenantId: string) {
  return act((i: Parameters<ServingActivities['setupTenantServing']>[0]) => serving.setupTenantServing(i), {
    tenantId,
    pipelineVersions: ['v1', 'v2'],
    servedVersion: 'v1',
  });
}

async function count(index: string, query?: estypes.QueryDslQueryContainer): Promise<number> {
  return (await stack.es.count({ index, query })).count;
}

describe('serving a consumer can query', () => {
  it('keeps one document per account and day in the history alias; a rerun overwrites instead of duplicating', async () => {
    const tenantId = tenant();
    await setup(tenantId);
    for (let k = 0; k < DAYS.length; k++) {
      const result = await index(tenantId, k, await writeDay(tenantId, k));
      expect(result).toMatchObject({
        historyIndex: historyIndexName(PREFIX, tenantId, 'v1'),
        historyIndexed: ACCOUNTS,
      });
    }
    const history = historyAliasName(PREFIX, tenantId);
    expect(await count(history)).toBe(ACCOUNTS * DAYS.length);
    expect(await count(servedAliasName(PREFIX, tenantId))).toBe(ACCOUNTS);
    // Rerun the middle day with other scores: the same ids, so still one document per account and day.
    await index(tenantId, 1, await writeDay(tenantId, 1, 'v1', 1000));
    expect(await count(history)).toBe(ACCOUNTS * DAYS.length);
    expect(await count(history, { term: { day: DAYS[1] } })).toBe(ACCOUNTS);
    expect(await count(history, { range: { healthScore: { gte: 1000 } } })).toBe(ACCOUNTS);
    const one = await stack.es.get<Served>({
      index: historyIndexName(PREFIX, tenantId, 'v1'),
      id: `${accountId(3)}/${DAYS[1]}`,
    });
    expect(one._source).toMatchObject({ accountId: accountId(3), day: DAYS[1], healthScore: score(3, 1) + 1000 });
  });

  it("lets a client chart an account's score over days", async () => {
    const tenantId = tenant();
    await setup(tenantId);
    for (let k = 0; k < DAYS.length; k++) await index(tenantId, k, await writeDay(tenantId, k));
    const response = await stack.es.search<Pick<Served, 'day' | 'healthScore'>>({
      index: historyAliasName(PREFIX, tenantId),
      query: { term: { accountId: accountId(5) } },
      sort: [{ day: 'asc' }],
      _source: ['day', 'healthScore'],
      size: 100,
    });
    // Account 5: (5*7 + k*13) % 101 = 35, 48, 61.
    expect(response.hits.hits.map((h) => h._source)).toEqual([
      { day: '2026-11-19', healthScore: 35 },
      { day: '2026-11-20', healthScore: 48 },
      { day: '2026-11-21', healthScore: 61 },
    ]);
    // A date histogram over the days, as a dashboard would draw it.
    const buckets = await stack.es.search({
      index: historyAliasName(PREFIX, tenantId),
      size: 0,
      query: { term: { accountId: accountId(5) } },
      aggs: {
        byDay: {
          date_histogram: { field: 'day', calendar_interval: 'day' },
          aggs: { s: { max: { field: 'healthScore' } } },
        },
      },
    });
    const agg = buckets.aggregations!.byDay as { buckets: { key_as_string: string; s: { value: number } }[] };
    expect(agg.buckets.map((b) => b.s.value)).toEqual([35, 48, 61]);
  });

  it('date fields take ISO dates as well as epoch millis in range queries', async () => {
    const tenantId = tenant();
    await setup(tenantId);
    for (let k = 0; k < DAYS.length; k++) await index(tenantId, k, await writeDay(tenantId, k));
    const alias = servedAliasName(PREFIX, tenantId);
    // Accounts first active on or after 2026-01-11 are accounts 10..39: 30 of them.
    expect(await count(alias, { range: { firstActivityAt: { gte: '2026-01-11' } } })).toBe(30);
    expect(await count(alias, { range: { firstActivityAt: { gte: '2026-01-11T00:00:00Z' } } })).toBe(30);
    expect(await count(alias, { range: { firstActivityAt: { gte: firstActivity(10) } } })).toBe(30);
    expect(await count(alias, { range: { lastActivityAt: { gte: '2026-11-21', lt: '2026-11-22' } } })).toBe(ACCOUNTS);
    const history = historyAliasName(PREFIX, tenantId);
    expect(await count(history, { range: { day: { gte: '2026-11-20' } } })).toBe(2 * ACCOUNTS);
    expect(await count(history, { range: { day: { gte: Date.parse('2026-11-20T00:00:00Z') } } })).toBe(2 * ACCOUNTS);
  });

  it('serves the account attributes of the run (plan, contract value, renewal date, seats)', async () => {
    const tenantId = tenant();
    await setup(tenantId);
    await writeAttributes(tenantId, DAYS[2]);
    await index(tenantId, 2, await writeDay(tenantId, 2));
    const alias = servedAliasName(PREFIX, tenantId);
    const byId = async (i: number) =>
      (await stack.es.search<Served>({ index: alias, query: { term: { accountId: accountId(i) } } })).hits.hits[0]
        ._source!;
    expect(await byId(3)).toMatchObject({ plan: 'pro', contractValue: 1003, renewalDate: '2027-01-03', seats: 4 });
    expect(await byId(4)).toMatchObject({ plan: 'starter', contractValue: 1004, renewalDate: null, seats: 5 });
    // The last account has no row in the snapshot.
    expect(await byId(ACCOUNTS - 1)).toMatchObject({ plan: null, contractValue: null, renewalDate: null, seats: null });
    // Queryable. Rows are accounts 0..38: pro = the odd ones (19); contract value >= 1030 = 30..38 (9);
    // renewal before 2027-01-10 = day-of-month 1..9 without every 4th account: 1,2,3,5,6,7,9 and 29,30,31,33,34,35,37 (14).
    expect(await count(alias, { term: { plan: 'pro' } })).toBe(19);
    expect(await count(alias, { range: { contractValue: { gte: 1030 } } })).toBe(9);
    expect(await count(alias, { range: { renewalDate: { lt: '2027-01-10' } } })).toBe(14);
    expect(await count(historyAliasName(PREFIX, tenantId), { term: { plan: 'pro' } })).toBe(19);
  });

  it('migrates an index of the earlier mapping (epoch-millis dates) in place, keeping documents, versions and the alias', async () => {
    const tenantId = tenant();
    const legacyIndex = servingIndexName(PREFIX, tenantId, 'v1');
    const alias = servedAliasName(PREFIX, tenantId);
    // The mapping as it was before generations: dates as epoch millis only, no attributes, no _meta.
    const legacy = accountDocumentMapping();
    delete legacy._meta;
    for (const f of ['plan', 'contractValue', 'renewalDate', 'seats']) delete legacy.properties![f];
    legacy.properties!.firstActivityAt = { type: 'date', format: 'epoch_millis' };
    legacy.properties!.lastActivityAt = { type: 'date', format: 'epoch_millis' };
    legacy.properties!.day = { type: 'date', format: 'strict_date' };
    await stack.es.indices.create({ index: legacyIndex, mappings: legacy, aliases: { [alias]: {} } });
    const newer = DAYS[1];
    const operations = [...accountDocuments(ACCOUNTS, { tenantId, day: newer, pipelineVersion: 'v1' })].flatMap(
      (d, i) => [
        {
          index: {
            _index: legacyIndex,
            _id: d.accountId,
            version: dayDocumentVersion(newer),
            version_type: 'external_gte',
          },
        },
        { ...d, firstActivityAt: firstActivity(i) },
      ],
    );
    await stack.es.bulk({ operations, refresh: true });
    // What a consumer met before: an ISO date in a range query on an epoch_millis field fails.
    await expect(count(alias, { range: { firstActivityAt: { gte: '2026-01-11' } } })).rejects.toThrow(
      /parse_exception/,
    );

    // The next run migrates before it writes: an older day's documents are still refused (versions kept).
    const stale = await index(tenantId, 0, await writeDay(tenantId, 0));
    expect(stale).toMatchObject({ indexed: 0, skippedStale: ACCOUNTS, historyIndexed: ACCOUNTS });
    const mapping = await stack.es.indices.getMapping({ index: legacyIndex });
    expect(mapping[legacyIndex].mappings._meta).toEqual({ daybreakMapping: 2 });
    // Elasticsearch leaves its default date format (ours) out of the mapping it returns.
    const firstActivityAt = mapping[legacyIndex].mappings.properties!.firstActivityAt as {
      type: string;
      format?: string;
    };
    expect(firstActivityAt.type).toBe('date');
    expect(firstActivityAt.format ?? 'strict_date_optional_time||epoch_millis').toBe(
      'strict_date_optional_time||epoch_millis',
    );
    expect(await stack.es.indices.exists({ index: `${legacyIndex}.migrating` })).toBe(false);
    expect(Object.keys(await stack.es.indices.getAlias({ name: alias }))).toEqual([legacyIndex]);
    expect(await count(alias)).toBe(ACCOUNTS);
    expect(await count(alias, { term: { day: newer } })).toBe(ACCOUNTS);
    expect(await count(alias, { range: { firstActivityAt: { gte: '2026-01-11' } } })).toBe(30);
    // The served alias existed before the history did: the history alias follows it on first use.
    await act((i: Parameters<ServingActivities['ensureServedAlias']>[0]) => serving.ensureServedAlias(i), {
      tenantId,
      pipelineVersion: 'v2',
    });
    expect(Object.keys(await stack.es.indices.getAlias({ name: historyAliasName(PREFIX, tenantId) }))).toEqual([
      historyIndexName(PREFIX, tenantId, 'v1'),
    ]);
    // A second ensure is a no-op.
    await act((i: Parameters<ServingActivities['ensureServingIndex']>[0]) => serving.ensureServingIndex(i), {
      tenantId,
      pipelineVersion: 'v1',
    });
    expect(await count(alias)).toBe(ACCOUNTS);
  });

  it('promotion and rollback move the history alias with the served alias', async () => {
    const tenantId = tenant();
    await setup(tenantId);
    await index(tenantId, 0, await writeDay(tenantId, 0, 'v1'), 'v1');
    await index(tenantId, 0, await writeDay(tenantId, 0, 'v2', 500), 'v2');
    const history = historyAliasName(PREFIX, tenantId);
    const swap = (to: string) =>
      act((i: Parameters<ServingActivities['swapServedAlias']>[0]) => serving.swapServedAlias(i), {
        tenantId,
        toPipelineVersion: to,
      });
    expect(await count(history, { range: { healthScore: { gte: 500 } } })).toBe(0);
    await swap('v2');
    expect(Object.keys(await stack.es.indices.getAlias({ name: history }))).toEqual([
      historyIndexName(PREFIX, tenantId, 'v2'),
    ]);
    expect(await count(history, { range: { healthScore: { gte: 500 } } })).toBe(ACCOUNTS);
    await swap('v1');
    expect(await count(history, { range: { healthScore: { gte: 500 } } })).toBe(0);
  });
});
