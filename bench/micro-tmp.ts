import { FsObjectStore } from '../src/storage/fs-object-store';
import { readRawEventColumns } from '../src/schemas/event-reader';
import { ColumnPartitionAggregator } from '../src/metrics/column-aggregator';
import { hoursToRead } from '../src/activities/s3/metrics';
import { rawHourPrefix } from '../src/shared/keys';
async function main() {
  const store = new FsObjectStore('/tmp/dbprof');
  const keys: string[] = [];
  for (const h of hoursToRead('2026-03-10', 'America/New_York')) for await (const o of store.list(rawHourPrefix('acme', h))) keys.push(o.key);
  for (const mode of ['read', 'agg', 'read', 'agg']) {
    const t = process.hrtime.bigint();
    const r = readRawEventColumns({ store, tenantId: 'acme', keys, policy: 'fail', quarantineDate: '2026-03-10', window: { startMs: Date.parse('2026-03-10T04:00:00Z'), endMs: Date.parse('2026-03-11T04:00:00Z') } });
    const agg = new ColumnPartitionAggregator();
    let n = 0;
    for await (const b of r.blocks) { n += b.count; if (mode === 'agg') agg.addBlock(b); }
    const t2 = process.hrtime.bigint();
    if (mode === 'agg') agg.states();
    console.log(mode, n, Number(t2 - t) / 1e6, 'ms; states', Number(process.hrtime.bigint() - t2) / 1e6);
  }
}
main();
