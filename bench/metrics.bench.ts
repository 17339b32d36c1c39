/**
 * Metric engine benchmark: a full tenant-day (plan, aggregate partitions, merge, rolling windows,
 * documents) from an fs object store to written account documents, against avsc's stock
 * createFileDecoder merely decoding the same raw files in the same run.
 *
 *   npm run bench:metrics                  # 1M and 10M events, each in its own process
 *   npm run bench:metrics -- --events N    # one size
 *   npm run bench:metrics -- --threads T   # T partition threads (default: one per core; 0: none)
 *   npm run bench:metrics -- --min-partition-mb M   # partitions of at least M MiB of input (default 128)
 *
 * The last lines are key=value: events, events_per_s, ratio_vs_decode, peak_rss_mb, accounts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import * as avro from 'avsc';
import { FsObjectStore } from '../src/storage/fs-object-store';
import { generate } from '../src/generator/generate';
import type { MetricActivities } from '../src/activities/tenant-days/metric-activities';
import { createMetricActivities } from '../src/activities/tenant-days/metric-activities';
import { hoursToRead } from '../src/metrics/partition-plan';
import { runMetricDayInProcess } from '../src/activities/tenant-days/in-process';
import { PartitionThreadPool } from '../src/workers/partition-threads';
import { rawHourPrefix } from '../src/common/keys';

const DAY = '2026-03-10';
const SIZES = [1_000_000, 10_000_000];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

async function decodeBaseline(root: string, keys: string[]): Promise<{ records: number; seconds: number }> {
  const started = process.hrtime.bigint();
  let records = 0;
  for (const key of keys) {
    await new Promise<void>((resolve, reject) => {
      avro
        .createFileDecoder(path.join(root, ...key.split('/')))
        .on('data', () => {
          records++;
        })
        .on('error', reject)
        .on('end', resolve);
    });
  }
  return { records, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

async function runSize(events: number): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'daybreak-bench-metrics-'));
  try {
    // Generated in a child process so the generator's memory does not count in this one's peak RSS.
    const gen = spawnSync(
      process.execPath,
      [...process.execArgv, __filename, '--generate', root, '--events', String(events)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      },
    );
    if (gen.status !== 0) throw new Error(`generation failed with status ${gen.status}`);
    const { tenantId, timeZone } = JSON.parse(gen.stdout.trim().split('\n').pop()!) as {
      tenantId: string;
      timeZone: string;
    };
    const store = new FsObjectStore(root);
    const keys: string[] = [];
    for (const hour of hoursToRead(DAY, timeZone)) {
      for await (const o of store.list(rawHourPrefix(tenantId, hour))) if (o.key.endsWith('.avro')) keys.push(o.key);
    }
    const baseline = await decodeBaseline(root, keys);
    // As the worker does (DAYBREAK_PARTITION_THREADS): one partition thread per core, started
    // before the job, the way a worker starts them before it polls.
    const threads = Number(arg('threads') ?? availableParallelism());
    const pool = threads > 0 ? new PartitionThreadPool({ threads, store: { kind: 'fs', root } }) : undefined;
    await pool?.start();
    const timings: string[] = [];
    const minMb = arg('min-partition-mb');
    const minPartitionBytes = minMb === undefined ? undefined : Math.round(Number(minMb) * 1024 * 1024);
    const activities = timed(
      createMetricActivities({ store, partitionRunner: pool?.runner, minPartitionBytes }),
      timings,
    );
    const started = process.hrtime.bigint();
    const job = await runMetricDayInProcess({
      activities,
      concurrency: Math.max(1, threads),
      tenantId,
      day: DAY,
      timeZone,
      pipelineVersion: 'v1',
      runKind: 'primary',
      maxPartitions: 8,
      badDataPolicy: 'quarantine',
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await pool?.close();
    const read = job.partitions.reduce((n, p) => n + p.counts.read, 0);
    const accepted = job.partitions.reduce((n, p) => n + p.counts.accepted, 0);
    const accounts = job.tasks.find((t) => t.task === 'account-documents')!.records;
    const jobRate = read / seconds;
    const decodeRate = baseline.records / baseline.seconds;
    const rss = peakRssMb();
    console.log(`tenant ${tenantId} (${timeZone}), local day ${DAY}: ${keys.length} raw files`);
    console.log(
      `avsc createFileDecoder: ${baseline.records} records in ${baseline.seconds.toFixed(2)} s = ${Math.round(decodeRate)} records/s`,
    );
    console.log(
      `daily job: ${read} events read (${accepted} accepted) in ${seconds.toFixed(2)} s over ${job.partitions.length} partitions on ${threads} partition threads = ${Math.round(jobRate)} events/s`,
    );
    console.log(`activities (s, overlapping where run at once): ${timings.join(', ')}`);
    console.log(
      `peak RSS ${rss.toFixed(1)} MB for ${accounts} accounts = ${((rss * 1024) / accounts).toFixed(1)} KB per account`,
    );
    console.log(`events=${read}`);
    console.log(`events_per_s=${Math.round(jobRate)}`);
    console.log(`ratio_vs_decode=${(jobRate / decodeRate).toFixed(3)}`);
    console.log(`peak_rss_mb=${rss.toFixed(1)}`);
    console.log(`rss_kb_per_account=${((rss * 1024) / accounts).toFixed(1)}`);
    console.log(`accounts=${accounts}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The activities, each call's duration appended to `timings`. */
function timed(activities: MetricActivities, timings: string[]): MetricActivities {
  const wrap =
    <I extends object, O>(name: string, f: (input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      const t = process.hrtime.bigint();
      const out = await f(input);
      const { task, partition } = input as { task?: string; partition?: { index: number } };
      const label = task ?? (partition ? `partition ${partition.index}` : name);
      timings.push(`${label} ${(Number(process.hrtime.bigint() - t) / 1e9).toFixed(2)}`);
      return out;
    };
  return {
    planPartitions: wrap('plan', (i: Parameters<MetricActivities['planPartitions']>[0]) =>
      activities.planPartitions(i),
    ),
    aggregatePartition: wrap('aggregate', (i: Parameters<MetricActivities['aggregatePartition']>[0]) =>
      activities.aggregatePartition(i),
    ),
    runMetricTask: wrap('task', (i: Parameters<MetricActivities['runMetricTask']>[0]) => activities.runMetricTask(i)),
  };
}

async function generateInto(root: string, events: number): Promise<void> {
  const summary = await generate(
    { tenants: 1, days: 1, eventsPerDay: events, seed: 'bench-metrics', startDay: DAY },
    new FsObjectStore(root),
  );
  const tenant = summary.tenants[0];
  console.log(JSON.stringify({ tenantId: tenant.id, timeZone: tenant.timeZone, events: summary.events }));
}

async function main(): Promise<void> {
  const generateRoot = arg('generate');
  const events = arg('events');
  if (generateRoot) return generateInto(generateRoot, Number(events));
  if (events) return runSize(Number(events));
  // Each size in its own process, so each peak RSS is its own.
  for (const size of SIZES) {
    const forwarded = ['threads', 'min-partition-mb'].flatMap((name) => {
      const value = arg(name);
      return value === undefined ? [] : [`--${name}`, value];
    });
    const args = [...process.execArgv, __filename, '--events', String(size), ...forwarded];
    const child = spawnSync(process.execPath, args, {
      stdio: 'inherit',
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
