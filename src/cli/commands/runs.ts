import type { Client as ElasticsearchClient, estypes } from '@elastic/elasticsearch';
import { errors } from '@elastic/elasticsearch';
import { assertDay } from '../../common/days';
import type { RunLedgerEntry } from '../../workflows/run-ledger/run-ledger-contracts';
import { runsIndexName } from '../../workflows/run-ledger/run-ledger-contracts';
import { assertTenantId } from '../../common/tenant-id';
import { createElasticsearchClient } from '../../workers/clients';
import { readConfig } from '../../workers/config';
import type { CommandSpec } from '../args';
import { UsageError } from '../args';
import type { Command } from '../command';
import { requireOption } from '../command';
import { formatRunsGrid } from '../runs-grid';

/** Runs shown at most: more than a year of days with a shadow beside each. */
export const MAX_RUNS_SHOWN = 1000;

/** The tenant's ledger entries, by day (the latest MAX_RUNS_SHOWN of the range); none when nothing was recorded yet. */
export async function readRunLedger(
  es: ElasticsearchClient,
  indexPrefix: string,
  query: { tenantId: string; from?: string; to?: string },
): Promise<RunLedgerEntry[]> {
  const day: estypes.QueryDslRangeQuery = {};
  if (query.from) day.gte = query.from;
  if (query.to) day.lte = query.to;
  try {
    const found = await es.search<RunLedgerEntry>({
      index: runsIndexName(indexPrefix),
      size: MAX_RUNS_SHOWN,
      query: {
        bool: {
          filter: [{ term: { tenantId: query.tenantId } }, ...(query.from || query.to ? [{ range: { day } }] : [])],
        },
      },
      sort: [{ day: 'desc' }, { runKind: 'asc' }, { pipelineVersion: 'asc' }],
    });
    return found.hits.hits.flatMap((h) => (h._source ? [h._source] : [])).reverse();
  } catch (error) {
    if (error instanceof errors.ResponseError && error.meta.statusCode === 404) return [];
    throw error;
  }
}

export const runsCommand: Command = {
  spec: {
    name: 'runs',
    description: `The run ledger of a tenant: a days-by-tasks grid of its tenant-day runs (primary and shadow),
each task's duration (FAILED for the task a failed run stopped in, (aN) when its last activity attempt
was N), the run's state, total duration, number of runs of that day and who asked. Read from the
Elasticsearch runs index; --json prints the ledger entries themselves.`,
    options: [
      { name: 'tenant', placeholder: 'T', required: true, description: 'the tenant' },
      { name: 'from', placeholder: 'YYYY-MM-DD', description: 'first day (default: the earliest recorded)' },
      { name: 'to', placeholder: 'YYYY-MM-DD', description: 'last day, inclusive (default: the latest recorded)' },
      { name: 'json', kind: 'boolean', description: 'prints the ledger entries as JSON, for scripts' },
    ],
  } satisfies CommandSpec,
  async run(args) {
    const tenantId = assertTenantId(requireOption(args, 'tenant'));
    const from = args.has('from') ? assertDay(args.get('from'), '--from') : undefined;
    const to = args.has('to') ? assertDay(args.get('to'), '--to') : undefined;
    if (from && to && from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
    const config = readConfig();
    const es = createElasticsearchClient(config.elasticsearch);
    try {
      const entries = await readRunLedger(es, config.elasticsearch.indexPrefix, { tenantId, from, to });
      if (args.has('json')) {
        console.log(JSON.stringify(entries, null, 2));
        return;
      }
      const range = from || to ? ` ${from ?? '…'}..${to ?? '…'}` : '';
      console.log(`runs of ${tenantId}${range} (${runsIndexName(config.elasticsearch.indexPrefix)}):`);
      for (const line of formatRunsGrid(entries)) console.log(line);
    } finally {
      await es.close();
    }
  },
};
