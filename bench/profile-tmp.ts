import { existsSync } from 'node:fs';
import { FsObjectStore } from '../src/storage/fs-object-store';
import { generate } from '../src/generator/generate';
import { createS3MetricActivities, runMetricJobInProcess } from '../src/activities/s3/metrics';
const root = '/tmp/dbprof';
async function main() {
  if (!existsSync(root)) await generate({ tenants: 1, days: 1, eventsPerDay: 1_000_000, seed: 'bench-metrics', startDay: '2026-03-10' }, new FsObjectStore(root));
  const store = new FsObjectStore(root);
  const acts = createS3MetricActivities({ store });
  const timed: any = {};
  for (const [k, f] of Object.entries(acts)) timed[k] = async (i: any) => { const t = Date.now(); const r = await (f as any)(i); console.log(k, i.task ?? i.partition?.index ?? '', Date.now() - t, 'ms'); return r; };
  const t = Date.now();
  await runMetricJobInProcess({ activities: timed, tenantId: 'acme', day: '2026-03-10', timeZone: 'America/New_York', pipelineVersion: 'v1', runKind: 'primary', maxPartitions: 8, badDataPolicy: 'quarantine' });
  console.log('total', Date.now() - t, 'rss', process.resourceUsage().maxRSS / 1024);
}
main();
