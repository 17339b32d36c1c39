import type { Client, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { readAccountDocumentBatches, readAccountDocuments } from '../../schemas/account-document-reader';
import { assertDay } from '../../common/days';
import { IncompatibleSchemaError, InvalidInputError } from '../../common/errors';
import { assertPipelineVersion } from '../../common/ids';
import type { OutputLocation } from '../../common/keys';
import { attributesKey, outputKey } from '../../common/keys';
import type {
  EnsureServedAliasResult,
  EnsureServingIndexResult,
  IndexAccountDocumentsInput,
  IndexAccountDocumentsResult,
  ServedVersionInput,
  ServedVersionResult,
  ServingActivities,
  SetupTenantServingInput,
  ServedAccountAttributes,
  SetupTenantServingResult,
  SwapServedAliasInput,
  SwapServedAliasResult,
  TenantVersionInput,
} from '../../workflows/serving/serving-contracts';
import {
  MAPPING_GENERATION,
  MIGRATING_SUFFIX,
  assertIndexPrefix,
  dayDocumentVersion,
  historyAliasName,
  historyDocumentId,
  historyIndexName,
  pipelineVersionOfIndex,
  servedAliasName,
  servingIndexName,
} from '../../workflows/serving/serving-contracts';
import { assertTenantId } from '../../common/tenant-id';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';
import { storedLayoutOf } from '../tenant-days/bucket-reads';
import { bucketPath } from '../../metrics/buckets';
import { mergeSortedBlocks } from '../../metrics/sorted-merge';
import type { AttributeLookup } from './sorted-lookup';
import { sortedLookup } from './sorted-lookup';
import { accountDocumentMapping } from './account-mapping';

export interface ElasticsearchServingDeps {
  es: Client;
  store: ObjectStore;
  indexPrefix: string;
  /** Documents per bulk request (default 1000). */
  bulkSize?: number;
}

function statusOf(error: unknown): number | undefined {
  return error instanceof errors.ResponseError ? error.meta.statusCode : undefined;
}

function errorTypeOf(error: unknown): string | undefined {
  if (!(error instanceof errors.ResponseError)) return undefined;
  const body = error.meta.body as { error?: { type?: string } } | undefined;
  return body?.error?.type;
}

const NO_ATTRIBUTES: ServedAccountAttributes = { plan: null, contractValue: null, renewalDate: null, seats: null };
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The served attributes of one snapshot row; a renewal date that is no ISO date is refused, naming it. */
function servedAttributes(row: Record<string, unknown>, key: string, tenantId: string): ServedAccountAttributes {
  const renewalDate = row.renewalDate ?? null;
  if (renewalDate !== null && (typeof renewalDate !== 'string' || !ISO_DATE.test(renewalDate))) {
    throw new InvalidInputError(
      `attributes ${key} of tenant ${tenantId}: account ${String(row.accountId)} has renewalDate ${JSON.stringify(renewalDate)}, not an ISO date (YYYY-MM-DD)`,
    );
  }
  return {
    plan: typeof row.plan === 'string' ? row.plan : null,
    contractValue: typeof row.contractValue === 'number' ? row.contractValue : null,
    renewalDate,
    seats: typeof row.seats === 'number' ? row.seats : null,
  };
}

/** Per-tenant, per-version indices: one shard is plenty for one tenant's accounts; replicas when there is a second node. */
const INDEX_SETTINGS: estypes.IndicesIndexSettings = { number_of_shards: 1, auto_expand_replicas: '0-1' };

/**
 * Activities that serve account documents from Elasticsearch: one index per tenant and pipeline
 * version, and a served alias per tenant pointing at exactly one of them. Tenants query through
 * their alias only, so no query of one tenant can reach another tenant's documents; shadow runs
 * index into their own version's index, which no alias serves until promotion.
 */
export function createElasticsearchServingActivities({
  es,
  store,
  indexPrefix,
  bulkSize = 1000,
}: ElasticsearchServingDeps) {
  const prefix = assertIndexPrefix(indexPrefix);

  async function indexExists(index: string): Promise<boolean> {
    return es.indices.exists({ index });
  }

  /** Creates the index with the current mapping; false when it is already there. */
  async function createIndex(index: string): Promise<boolean> {
    try {
      await es.indices.create({ index, settings: INDEX_SETTINGS, mappings: accountDocumentMapping() });
      return true;
    } catch (error) {
      if (errorTypeOf(error) !== 'resource_already_exists_exception') throw error;
      return false;
    }
  }

  /** The index's mapping generation (1 for indices from before generations), undefined when it does not exist. */
  async function mappingGeneration(index: string): Promise<number | undefined> {
    try {
      const response = await es.indices.getMapping({ index });
      const meta = response[index]?.mappings._meta as { daybreakMapping?: unknown } | undefined;
      return typeof meta?.daybreakMapping === 'number' ? meta.daybreakMapping : 1;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Brings an index of the current generation up to the current schema (new fields only). */
  async function putCurrentMapping(index: string, tenantId: string): Promise<void> {
    const mapping = accountDocumentMapping();
    try {
      await es.indices.putMapping({
        index,
        dynamic: mapping.dynamic,
        _meta: mapping._meta,
        dynamic_templates: mapping.dynamic_templates,
        properties: mapping.properties,
      });
    } catch (error) {
      if (statusOf(error) === 400) {
        throw new IncompatibleSchemaError(
          `index ${index} of tenant ${tenantId} has a mapping incompatible with account-document.avsc: ${(error as Error).message}`,
        );
      }
      throw error;
    }
  }

  /**
   * Copies every document, keeping its version (in the latest view, the day), so a copy never lets
   * an older day win and copying twice changes nothing (equal versions are refused, and skipped).
   * A scroll and bulk writes rather than _reindex: the local distribution has no reindex module.
   */
  async function copyDocuments(from: string, to: string, tenantId: string): Promise<void> {
    let page = await es.search({ index: from, scroll: '2m', size: bulkSize, version: true, sort: ['_doc'] });
    const scrollIds = new Set<string>();
    let copied = 0;
    try {
      while (page.hits.hits.length > 0) {
        if (page._scroll_id) scrollIds.add(page._scroll_id);
        const operations = page.hits.hits.flatMap((hit) => [
          { index: { _index: to, _id: hit._id, version: hit._version, version_type: 'external' as const } },
          hit._source,
        ]);
        const response = await es.bulk({ operations, refresh: false });
        const failed = response.items.find((item) => item.index?.error && item.index.status !== 409);
        if (failed) {
          throw new IncompatibleSchemaError(
            `migrating index ${from} of tenant ${tenantId} to ${to}: document ${failed.index!._id}: ${failed.index!.error!.type} ${failed.index!.error!.reason ?? ''}`.trim(),
          );
        }
        copied += page.hits.hits.length;
        heartbeat({ migrating: from, to, copied });
        page = await es.scroll({ scroll_id: page._scroll_id!, scroll: '2m' });
      }
    } finally {
      if (page._scroll_id) scrollIds.add(page._scroll_id);
      if (scrollIds.size > 0) await es.clearScroll({ scroll_id: [...scrollIds] }).catch(() => undefined);
    }
    await es.indices.refresh({ index: to });
  }

  /** In one atomic call: the aliases of `from` move to `to`, and `from` is deleted. */
  async function replaceIndex(from: string, to: string): Promise<void> {
    try {
      const aliases = Object.keys((await es.indices.getAlias({ index: from }))[from]?.aliases ?? {});
      await es.indices.updateAliases({
        actions: [...aliases.map((alias) => ({ add: { index: to, alias } })), { remove_index: { index: from } }],
      });
    } catch (error) {
      // Another worker finished this step first.
      if (statusOf(error) !== 404) throw error;
    }
  }

  /**
   * Makes `index` exist with the current mapping generation, migrating an older one in two steps
   * that each end in an atomic alias move (so the served alias always points at a complete copy):
   * copy to `<index>.migrating` and replace the old index by it; recreate `<index>`, copy back and
   * replace the copy. The state on the server says which step is next, so a crashed or concurrent
   * migration resumes. A tenant's writes go through its lane, one run at a time, so none lands in
   * an index while it is copied. Returns whether the index was created.
   */
  async function ensureCurrentIndex(index: string, tenantId: string): Promise<boolean> {
    const copy = `${index}${MIGRATING_SUFFIX}`;
    for (let step = 0; step < 6; step++) {
      const generation = await mappingGeneration(index);
      const copyGeneration = await mappingGeneration(copy);
      if (generation === undefined && copyGeneration === undefined) {
        if (await createIndex(index)) return true;
      } else if (generation !== undefined && generation >= MAPPING_GENERATION && copyGeneration === undefined) {
        await putCurrentMapping(index, tenantId);
        return false;
      } else if (generation !== undefined && generation < MAPPING_GENERATION) {
        await createIndex(copy);
        await copyDocuments(index, copy, tenantId);
        await replaceIndex(index, copy);
      } else {
        await createIndex(index);
        await copyDocuments(copy, index, tenantId);
        await replaceIndex(copy, index);
      }
    }
    // Retryable: another worker is between two steps of the same migration.
    throw new Error(`index ${index} of tenant ${tenantId} is still being migrated by another worker`);
  }

  /** The version's latest-view index and its history index, both at the current mapping. */
  async function ensureIndex(tenantId: string, pipelineVersion: string): Promise<EnsureServingIndexResult> {
    const index = servingIndexName(prefix, tenantId, pipelineVersion);
    const created = await ensureCurrentIndex(index, tenantId);
    await ensureCurrentIndex(historyIndexName(prefix, tenantId, pipelineVersion), tenantId);
    return { index, created };
  }

  /** The run's account attributes by account id: its own attributes dataset, else the tenant's snapshot of the day. */
  /**
   * The served attributes of the run's accounts, looked up in accountId order: the documents are
   * sorted by accountId and so is the run's attributes dataset (one file, or the k-way merge of its
   * bucket files), so serving walks both once, side by side, holding a block of each, whatever the
   * number of accounts. A run made before the attributes dataset existed falls back to the raw
   * snapshot, which is not sorted and is held in a map.
   */
  async function attributeLookup(loc: OutputLocation): Promise<AttributeLookup> {
    const checked = (key: string) =>
      async function* (batches: AsyncIterable<Array<Record<string, unknown>>>) {
        for await (const batch of batches) {
          for (const row of batch) {
            if (row.tenantId !== loc.tenantId) {
              throw new InvalidInputError(
                `attributes ${key} of tenant ${loc.tenantId} day ${loc.day} hold a row of tenant ${String(row.tenantId)}`,
              );
            }
          }
          yield batch as Array<Record<string, unknown> & { accountId: string }>;
        }
      };
    const buckets = await storedLayoutOf(store, loc, 'attributes', 'attributes');
    if (buckets !== null) {
      const keys = Array.from({ length: buckets }, (_, b) => outputKey(loc, bucketPath('attributes', b, buckets)));
      const sources = await Promise.all(
        keys.map(async (key) => checked(key)(readAccountDocumentBatches(await store.get(key), key))),
      );
      const rows =
        buckets === 1 ? sources[0] : mergeSortedBlocks(sources, (r) => r.accountId, { describe: (s) => keys[s] });
      return sortedLookup(rows, (row, key) => servedAttributes(row, key, loc.tenantId), keys[0]);
    }
    const key = attributesKey(loc.tenantId, loc.day);
    let source;
    try {
      source = await store.get(key);
    } catch (error) {
      if (error instanceof NotFoundError) return { get: () => undefined, close: () => {} };
      throw error;
    }
    const byAccount = new Map<string, ServedAccountAttributes>();
    for await (const batch of checked(key)(readAccountDocumentBatches(source, key)))
      for (const row of batch) byAccount.set(String(row.accountId), servedAttributes(row, key, loc.tenantId));
    return { get: (accountId) => byAccount.get(accountId), close: () => {} };
  }

  async function currentAlias(tenantId: string): Promise<ServedVersionResult> {
    const alias = servedAliasName(prefix, tenantId);
    let indices: string[];
    try {
      indices = Object.keys(await es.indices.getAlias({ name: alias }));
    } catch (error) {
      if (statusOf(error) === 404) return { alias, index: null, pipelineVersion: null };
      throw error;
    }
    if (indices.length !== 1) {
      throw new InvalidInputError(
        `alias ${alias} of tenant ${tenantId} points at ${indices.length} indices (${indices.join(', ')}); it must point at exactly one`,
      );
    }
    const index = indices[0];
    // Mid-migration the alias serves the index's copy (see ensureCurrentIndex).
    const pipelineVersion = pipelineVersionOfIndex(prefix, tenantId, index.replace(/\.migrating$/, ''));
    if (!pipelineVersion) {
      throw new InvalidInputError(
        `alias ${alias} of tenant ${tenantId} points at ${index}, which is not one of its serving indices`,
      );
    }
    return { alias, index, pipelineVersion };
  }

  async function aliasExists(name: string): Promise<boolean> {
    return es.indices.existsAlias({ name });
  }

  /**
   * The served alias and the history alias, created together; a tenant served before the history
   * existed gets its history alias on the version its served alias serves.
   */
  async function ensureAlias(tenantId: string, pipelineVersion: string): Promise<EnsureServedAliasResult> {
    const current = await currentAlias(tenantId);
    const historyAlias = historyAliasName(prefix, tenantId);
    if (current.index && current.pipelineVersion) {
      if (!(await aliasExists(historyAlias))) {
        const historyIndex = historyIndexName(prefix, tenantId, current.pipelineVersion);
        await ensureCurrentIndex(historyIndex, tenantId);
        await es.indices.updateAliases({ actions: [{ add: { index: historyIndex, alias: historyAlias } }] });
      }
      return { alias: current.alias, index: current.index, pipelineVersion: current.pipelineVersion, created: false };
    }
    const index = servingIndexName(prefix, tenantId, pipelineVersion);
    await es.indices.updateAliases({
      actions: [
        { add: { index, alias: current.alias } },
        { remove: { index: '*', alias: historyAlias, must_exist: false } },
        { add: { index: historyIndexName(prefix, tenantId, pipelineVersion), alias: historyAlias } },
      ],
    });
    return { alias: current.alias, index, pipelineVersion, created: true };
  }

  function heartbeat(details: Record<string, unknown>): void {
    const ctx = Context.current();
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('indexAccountDocuments was cancelled');
    ctx.heartbeat(details);
  }

  const activities = {
    /**
     * Creates the tenant's index for a pipeline version with the account-document mapping.
     * Idempotent: an existing index is kept (its mapping gains any new schema fields).
     */
    async ensureServingIndex(input: TenantVersionInput): Promise<EnsureServingIndexResult> {
      return ensureIndex(assertTenantId(input.tenantId), assertPipelineVersion(input.pipelineVersion));
    },

    /**
     * Points the tenant's served alias at this version's index if the tenant has no alias yet; an
     * existing alias is left where it is (moving it is swapServedAlias's job). Idempotent.
     */
    async ensureServedAlias(input: TenantVersionInput): Promise<EnsureServedAliasResult> {
      return ensureAlias(assertTenantId(input.tenantId), assertPipelineVersion(input.pipelineVersion));
    },

    /**
     * Streams a run's account documents from the object store, with the account attributes of the
     * run's snapshot (plan, contractValue, renewalDate, seats), and bulk-indexes each twice:
     * into the version's latest view, document id = accountId, and into its history, id
     * accountId/day; either way a rerun replaces instead of duplicating. In the latest view the
     * document version is the day (YYYYMMDD, external_gte): a rerun of the same day overwrites, an
     * older day never overwrites a newer one (counted as skippedStale). Refreshes both indices
     * before returning, so the documents are searchable. Heartbeats the number of documents done.
     */
    async indexAccountDocuments(input: IndexAccountDocumentsInput): Promise<IndexAccountDocumentsResult> {
      const tenantId = assertTenantId(input.tenantId);
      const day = assertDay(input.day);
      const pipelineVersion = assertPipelineVersion(input.pipelineVersion);
      if (input.runKind !== 'primary' && input.runKind !== 'shadow')
        throw new InvalidInputError(`runKind ${JSON.stringify(input.runKind)} is invalid`);
      const key = input.documentsKey;
      const index = servingIndexName(prefix, tenantId, pipelineVersion);
      const historyIndex = historyIndexName(prefix, tenantId, pipelineVersion);
      // Also migrates indices of an earlier mapping generation before anything is written to them.
      await ensureIndex(tenantId, pipelineVersion);
      const version = dayDocumentVersion(day);
      const attributes = await attributeLookup({ tenantId, day, pipelineVersion, runKind: input.runKind });
      let source;
      try {
        source = await store.get(key);
      } catch (error) {
        if (error instanceof NotFoundError)
          throw new InvalidInputError(`account documents ${key} of tenant ${tenantId} day ${day} do not exist`);
        throw error;
      }

      let indexed = 0;
      let historyIndexed = 0;
      let skippedStale = 0;
      let done = 0;
      const send = async (operations: unknown[], documents: number): Promise<void> => {
        const response = await es.bulk({ operations, refresh: false });
        const failures: string[] = [];
        let retryable = false;
        for (const item of response.items) {
          const result = item.index!;
          if (!result.error) {
            if (result._index === historyIndex) historyIndexed++;
            else indexed++;
          } else if (result.status === 409 && result.error.type === 'version_conflict_engine_exception') skippedStale++;
          else {
            if (result.status === 429 || result.status >= 500) retryable = true;
            failures.push(`${result._id}: ${result.error.type} ${result.error.reason ?? ''}`.trim());
          }
        }
        if (failures.length > 0) {
          const message = `indexing ${key} of tenant ${tenantId} day ${day} into ${index}: ${failures.length} documents failed, first: ${failures[0]}`;
          // Throttling and node errors are worth a retry (the ids make it idempotent); a mapping error is not.
          throw retryable ? new Error(message) : new IncompatibleSchemaError(message);
        }
        done += documents;
        heartbeat({ index, documents: done, indexed, skippedStale });
      };

      // One bulk request in flight while the next batch decodes.
      let inFlight: Promise<void> = Promise.resolve();
      let batch: unknown[] = [];
      let inBatch = 0;
      try {
        for await (const doc of readAccountDocuments(source, key)) {
          if (doc.tenantId !== tenantId || doc.day !== day || doc.pipelineVersion !== pipelineVersion) {
            // Never let a mixed-up file put one tenant's (or day's, or version's) documents in another's index.
            throw new InvalidInputError(
              `${key} holds a document of tenant ${String(doc.tenantId)} day ${String(doc.day)} version ${String(doc.pipelineVersion)}, expected ${tenantId} ${day} ${pipelineVersion}`,
            );
          }
          const found = attributes.get(String(doc.accountId));
          const served = { ...doc, ...((found instanceof Promise ? await found : found) ?? NO_ATTRIBUTES) };
          batch.push(
            { index: { _index: index, _id: doc.accountId, version, version_type: 'external_gte' } },
            served,
            { index: { _index: historyIndex, _id: historyDocumentId(String(doc.accountId), day) } },
            served,
          );
          if (++inBatch === bulkSize) {
            await inFlight;
            inFlight = send(batch, inBatch);
            batch = [];
            inBatch = 0;
          }
        }
        await inFlight;
        if (inBatch > 0) await send(batch, inBatch);
      } finally {
        await inFlight.catch(() => {});
        source.destroy();
        await attributes.close();
      }
      await es.indices.refresh({ index: [index, historyIndex] });
      Context.current().log.info('indexed account documents', {
        tenantId,
        day,
        index,
        indexed,
        skippedStale,
        historyIndex,
        historyIndexed,
      });
      return { index, indexed, skippedStale, historyIndex, historyIndexed, attempt: Context.current().info.attempt };
    },

    /**
     * Moves the tenant's served alias to the given version's index in one atomic updateAliases call
     * (remove from every index + add), so a query sees either the old index or the new one, never
     * both or neither. Promotion and rollback are the same call with the versions exchanged; nothing
     * is recomputed. Idempotent: swapping to the version already served changes nothing.
     */
    async swapServedAlias(input: SwapServedAliasInput): Promise<SwapServedAliasResult> {
      const tenantId = assertTenantId(input.tenantId);
      const toPipelineVersion = assertPipelineVersion(input.toPipelineVersion);
      const toIndex = servingIndexName(prefix, tenantId, toPipelineVersion);
      if (!(await indexExists(toIndex))) {
        throw new InvalidInputError(
          `cannot serve ${toPipelineVersion} to tenant ${tenantId}: index ${toIndex} does not exist (its runs have not been indexed)`,
        );
      }
      // The history follows the served version; a version indexed before histories existed gets an empty one.
      const toHistoryIndex = historyIndexName(prefix, tenantId, toPipelineVersion);
      await ensureCurrentIndex(toHistoryIndex, tenantId);
      const historyAlias = historyAliasName(prefix, tenantId);
      const from = await currentAlias(tenantId);
      await es.indices.updateAliases({
        actions: [
          { remove: { index: '*', alias: from.alias, must_exist: false } },
          { add: { index: toIndex, alias: from.alias } },
          { remove: { index: '*', alias: historyAlias, must_exist: false } },
          { add: { index: toHistoryIndex, alias: historyAlias } },
        ],
      });
      Context.current().log.info('swapped served alias', {
        tenantId,
        alias: from.alias,
        fromIndex: from.index,
        toIndex,
      });
      return {
        alias: from.alias,
        fromIndex: from.index,
        fromPipelineVersion: from.pipelineVersion,
        toIndex,
        toPipelineVersion,
        historyAlias,
        toHistoryIndex,
      };
    },

    /** The version the tenant's alias serves, or nulls when it has no alias. */
    async servedVersion(input: ServedVersionInput): Promise<ServedVersionResult> {
      return currentAlias(assertTenantId(input.tenantId));
    },

    /**
     * Setup for `daybreak tenants sync`: creates the tenant's index for each version and, if the
     * tenant has no served alias yet, points it at `servedVersion`. Never moves an existing alias.
     * Idempotent.
     */
    async setupTenantServing(input: SetupTenantServingInput): Promise<SetupTenantServingResult> {
      const tenantId = assertTenantId(input.tenantId);
      const served = assertPipelineVersion(input.servedVersion);
      const versions = [...new Set([...input.pipelineVersions.map(assertPipelineVersion), served])];
      const indices: string[] = [];
      const createdIndices: string[] = [];
      for (const version of versions) {
        const result = await ensureIndex(tenantId, version);
        indices.push(result.index);
        if (result.created) createdIndices.push(result.index);
      }
      const alias = await ensureAlias(tenantId, served);
      return {
        alias: alias.alias,
        indices,
        createdIndices,
        servedIndex: alias.index,
        servedPipelineVersion: alias.pipelineVersion,
        aliasCreated: alias.created,
      };
    },
  } satisfies ServingActivities;
  return activities;
}

export type ElasticsearchServingActivities = ReturnType<typeof createElasticsearchServingActivities>;
