import type { Client, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { InvalidInputError } from '../../common/errors';
import { outputPrefix } from '../../common/keys';
import type {
  RecordRunLedgerInput,
  RecordRunLedgerResult,
  RunLedgerEntry,
} from '../../workflows/run-ledger/run-ledger-contracts';
import {
  buildLedgerEntry,
  mergeLedgerEntry,
  runLedgerKey,
  runsIndexName,
} from '../../workflows/run-ledger/run-ledger-contracts';
import type { ObjectStore } from '../../storage/object-store';
import { NotFoundError } from '../../storage/object-store';

export interface RunLedgerDeps {
  store: ObjectStore;
  es: Client;
  indexPrefix: string;
}

/**
 * Only what `daybreak runs` filters and sorts by is indexed; the rest of an entry (keys, tasks,
 * attempts) is kept in _source only, so thousands of input keys never grow the mapping.
 */
const RUNS_MAPPING: estypes.MappingTypeMapping = {
  dynamic: false,
  properties: {
    workflowId: { type: 'keyword' },
    runId: { type: 'keyword' },
    tenantId: { type: 'keyword' },
    day: { type: 'date', format: 'strict_date' },
    pipelineVersion: { type: 'keyword' },
    runKind: { type: 'keyword' },
    trigger: { type: 'keyword' },
    requestedBy: { type: 'keyword' },
    state: { type: 'keyword' },
    startedAt: { type: 'date' },
    endedAt: { type: 'date' },
    durationMs: { type: 'long' },
  },
};

function statusOf(error: unknown): number | undefined {
  return error instanceof errors.ResponseError ? error.meta.statusCode : undefined;
}

/**
 * The run ledger's one activity (src/workflows/run-ledger/run-ledger-contracts.ts): at the end of a tenant-day run,
 * completed or failed, it lists what the run's output prefix holds (sizes, ETags of the outputs),
 * builds the entry, merges it with the last stored entry of the same workflow id (an earlier run
 * becomes an attempt), and writes it to the object store next to the outputs, then to the runs
 * index under the workflow id. Idempotent: a retry writes the same entry again.
 */
export function createRunLedgerActivities({ store, es, indexPrefix }: RunLedgerDeps) {
  const index = runsIndexName(indexPrefix);

  async function ensureRunsIndex(): Promise<void> {
    if (await es.indices.exists({ index })) return;
    try {
      await es.indices.create({
        index,
        settings: { number_of_shards: 1, auto_expand_replicas: '0-1' },
        mappings: RUNS_MAPPING,
      });
    } catch (error) {
      // Another run created it first.
      if (!(await es.indices.exists({ index }))) throw error;
    }
  }

  async function previousEntry(key: string, workflowId: string): Promise<RunLedgerEntry | undefined> {
    try {
      const stored = JSON.parse((await store.getBytes(key)).toString('utf8')) as RunLedgerEntry;
      if (stored.workflowId === workflowId) return stored;
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    // The object may be gone while the index still has the entry (outputs cleaned up by hand), or
    // be another workflow id's (a run started by hand under an id of its own, at the same outputs).
    try {
      const found = await es.get<RunLedgerEntry>({ index, id: workflowId });
      return found._source;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  return {
    async recordRunLedger(input: RecordRunLedgerInput): Promise<RecordRunLedgerResult> {
      const loc = {
        tenantId: input.tenantId,
        day: input.day,
        pipelineVersion: input.pipelineVersion,
        runKind: input.runKind,
      };
      const prefix = outputPrefix(loc); // validates tenant, day, version and kind
      if (!input.workflowId || input.workflowId.length > 500 || !input.runId)
        throw new InvalidInputError(`the ledger entry of ${prefix} has no valid workflow id and run id`);
      const listing = new Map<string, { size: number; etag?: string }>();
      for await (const o of store.list(prefix)) listing.set(o.key, { size: o.size, etag: o.etag });
      const key = runLedgerKey(loc);
      listing.delete(key);
      const built = buildLedgerEntry(input, listing);
      const entry = mergeLedgerEntry(built, await previousEntry(key, input.workflowId));
      await store.put(key, Buffer.from(JSON.stringify(entry, null, 2) + '\n'), { contentType: 'application/json' });
      await ensureRunsIndex();
      await es.index({ index, id: input.workflowId, document: entry, refresh: 'wait_for' });
      return { key, index, earlierAttempts: entry.attempts.length };
    },
  };
}

export type RunLedgerActivities = ReturnType<typeof createRunLedgerActivities>;
