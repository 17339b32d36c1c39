import type { Client } from '@elastic/elasticsearch';
import { assertTenantId } from '../../shared/tenant-id';
import type { IndexSkeletonSummaryInput, IndexSkeletonSummaryResult } from '../../shared/skeleton-contracts';

export interface ElasticsearchSkeletonDeps {
  es: Client;
  indexPrefix: string;
}

/** Activities that write to Elasticsearch. */
export function createElasticsearchSkeletonActivities({ es, indexPrefix }: ElasticsearchSkeletonDeps) {
  return {
    /**
     * Indexes the skeleton's run summary. The document id is the tenant-day, so a retry or rerun
     * overwrites the same document instead of adding one.
     */
    async indexSkeletonSummary(input: IndexSkeletonSummaryInput): Promise<IndexSkeletonSummaryResult> {
      const index = `${indexPrefix}-skeleton`;
      const documentId = `${assertTenantId(input.tenantId)}:${input.day}`;
      await es.index({
        index,
        id: documentId,
        refresh: 'wait_for',
        document: {
          tenantId: input.tenantId,
          day: input.day,
          eventsKey: input.eventsKey,
          events: input.events,
          bulkBytes: input.bulkBytes,
        },
      });
      return { index, documentId };
    },
  };
}

export type ElasticsearchSkeletonActivities = ReturnType<typeof createElasticsearchSkeletonActivities>;
