import type { Client, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { Context } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { readAccountDocuments } from '../../schemas/account-document-reader';
import { assertDay } from '../../shared/days';
import { IncompatibleSchemaError, InvalidInputError } from '../../shared/errors';
import { assertPipelineVersion } from '../../shared/ids';
import type {
  EnsureServedAliasResult,
  EnsureServingIndexResult,
  IndexAccountDocumentsInput,
  IndexAccountDocumentsResult,
  ServedVersionInput,
  ServedVersionResult,
  ServingActivities,
  SetupTenantServingInput,
  SetupTenantServingResult,
  SwapServedAliasInput,
  SwapServedAliasResult,
  TenantVersionInput,
} from '../../shared/serving-contracts';
import {
  assertIndexPrefix,
  dayDocumentVersion,
  pipelineVersionOfIndex,
  servedAliasName,
  servingIndexName,
} from '../../shared/serving-contracts';
import { assertTenantId } from '../../shared/tenant-id';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';
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

  async function ensureIndex(tenantId: string, pipelineVersion: string): Promise<EnsureServingIndexResult> {
    const index = servingIndexName(prefix, tenantId, pipelineVersion);
    const mapping = accountDocumentMapping();
    try {
      await es.indices.create({ index, settings: INDEX_SETTINGS, mappings: mapping });
      return { index, created: true };
    } catch (error) {
      if (errorTypeOf(error) !== 'resource_already_exists_exception') throw error;
    }
    // Already there (a retry, a rerun, another worker): bring its mapping up to the current schema.
    try {
      await es.indices.putMapping({
        index,
        dynamic: mapping.dynamic,
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
    return { index, created: false };
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
    const pipelineVersion = pipelineVersionOfIndex(prefix, tenantId, index);
    if (!pipelineVersion) {
      throw new InvalidInputError(
        `alias ${alias} of tenant ${tenantId} points at ${index}, which is not one of its serving indices`,
      );
    }
    return { alias, index, pipelineVersion };
  }

  async function ensureAlias(tenantId: string, pipelineVersion: string): Promise<EnsureServedAliasResult> {
    const current = await currentAlias(tenantId);
    if (current.index && current.pipelineVersion) {
      return { alias: current.alias, index: current.index, pipelineVersion: current.pipelineVersion, created: false };
    }
    const index = servingIndexName(prefix, tenantId, pipelineVersion);
    await es.indices.updateAliases({ actions: [{ add: { index, alias: current.alias } }] });
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
     * Streams a run's account documents from the object store and bulk-indexes them into the
     * version's index, document id = accountId, so a rerun replaces instead of duplicating. The
     * document version is the day (YYYYMMDD, external_gte): a rerun of the same day overwrites, an
     * older day never overwrites a newer one (counted as skippedStale). Refreshes the index before
     * returning, so the documents are searchable. Heartbeats the number of documents done.
     */
    async indexAccountDocuments(input: IndexAccountDocumentsInput): Promise<IndexAccountDocumentsResult> {
      const tenantId = assertTenantId(input.tenantId);
      const day = assertDay(input.day);
      const pipelineVersion = assertPipelineVersion(input.pipelineVersion);
      if (input.runKind !== 'primary' && input.runKind !== 'shadow')
        throw new InvalidInputError(`runKind ${JSON.stringify(input.runKind)} is invalid`);
      const key = input.documentsKey;
      const index = servingIndexName(prefix, tenantId, pipelineVersion);
      if (!(await indexExists(index))) await ensureIndex(tenantId, pipelineVersion);
      const version = dayDocumentVersion(day);
      let source;
      try {
        source = await store.get(key);
      } catch (error) {
        if (error instanceof NotFoundError)
          throw new InvalidInputError(`account documents ${key} of tenant ${tenantId} day ${day} do not exist`);
        throw error;
      }

      let indexed = 0;
      let skippedStale = 0;
      let done = 0;
      const send = async (operations: unknown[], documents: number): Promise<void> => {
        const response = await es.bulk({ operations, refresh: false });
        const failures: string[] = [];
        let retryable = false;
        for (const item of response.items) {
          const result = item.index!;
          if (!result.error) indexed++;
          else if (result.status === 409 && result.error.type === 'version_conflict_engine_exception') skippedStale++;
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
          batch.push({ index: { _index: index, _id: doc.accountId, version, version_type: 'external_gte' } }, doc);
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
      }
      await es.indices.refresh({ index });
      Context.current().log.info('indexed account documents', { tenantId, day, index, indexed, skippedStale });
      return { index, indexed, skippedStale };
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
      const from = await currentAlias(tenantId);
      await es.indices.updateAliases({
        actions: [
          { remove: { index: '*', alias: from.alias, must_exist: false } },
          { add: { index: toIndex, alias: from.alias } },
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
