/**
 * Metric engine benchmark: a full tenant-day (plan, aggregate partitions, merge, rolling windows,
 * documents, over account buckets) from an fs object store to written account documents, against
 * avsc's stock createFileDecoder merely decoding the same raw files in the same run.
 *
 *   npm run bench:metrics                        # 1M events/20k accounts and 10M/1M, each in its own process
 *   npm run bench:metrics -- --large             # and 40M events/5M accounts
 *   npm run bench:metrics -- --events N --accounts A   # one size (accounts default: events / 50, 25 to 20,000)
 *   npm run bench:metrics -- --threads T         # T partition threads (default: one per core; 0: none)
 *   npm run bench:metrics -- --budget-mb M       # the worker's memory budget (DAYBREAK_MEMORY_BUDGET_MB, default 3072)
 *   npm run bench:metrics -- --buckets B         # force B account buckets (default: chosen from accounts and budget)
 *   npm run bench:metrics -- --min-partition-mb M   # partitions of at least M MiB of input (default 128)
 *   npm run bench:metrics -- --workers 2         # the day on 1, then on 2 worker processes (default size 10M/1M)
 *
 * `--events` is the generator's events per day; the benchmark's day (a Tuesday) reads about 1.3x
 * as many. Generated days are cached in $TMPDIR/daybreak-bench-cache/<events>-<accounts>-<seed>/
 * (bench:peers reads the same cache; delete the folder to regenerate), and each run works on a
 * scratch store whose input objects link to the cache's files, so outputs never land in the cache.
 *
 * The last lines are key=value (bench/metrics-lines.ts parses them): events, accounts,
 * events_per_s, ratio_vs_decode, peak_rss_mb, rss_mb_per_1k_accounts, buckets, spills, budget_mb,
 * rss_under_budget, step_<step>_s per step; with --workers, wall_s_1, wall_s_<W>, ratio_1_vs_<W>,
 * cpu_cores_<n> (CPU seconds of every process and thread over the wall time), machine_cores and
 * ratio_1_vs_<W>_bound (min(W, machine cores) / cpu_cores_1: the most W processes can gain here).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import * as path from 'node:path';
import * as avro from 'avsc';
import { FsObjectStore } from '../src/storage/fs-object-store';
import type { RunMetricDayResult } from '../src/activities/tenant-days/in-process';
import { runMetricDayInProcess } from '../src/activities/tenant-days/in-process';
import { hoursToRead } from '../src/metrics/partition-plan';
import { DEFAULT_MEMORY_BUDGET_MB } from '../src/workers/config';
import { rawHourPrefix } from '../src/common/keys';
import type { BenchDay } from './bench-day';
import { BENCH_DAY, benchDay, generateInto } from './bench-day';
import { ACTIVITY_SLOTS, shareOf, startBenchWorker } from './bench-worker';
import type { FanOutActivities } from './activity-processes';
import { ActivityProcesses } from './activity-processes';
import type { LineValue, TimedCall } from './metrics-lines';
import { keyValueLines, stepSeconds } from './metrics-lines';

const DAY = BENCH_DAY;
const SIZES = [
  { events: 1_000_000, accounts: 20_000 },
  { events: 10_000_000, accounts: 1_000_000 },
];
const LARGE = { events: 40_000_000, accounts: 5_000_000 };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

/** A scratch store whose files are links to the cached day's (outputs of a run land here only). */
function scratchOf(day: BenchDay): string {
  const scratch = mkdtempSync(path.join(tmpdir(), 'daybreak-bench-metrics-'));
  const link = (rel: string) => {
    for (const entry of readdirSync(path.join(day.root, rel), { withFileTypes: true })) {
      const child = path.join(rel, entry.name);
      if (entry.isDirectory()) {
        if (rel === '' && entry.name === 'peers-parquet') continue;
        mkdirSync(path.join(scratch, child), { recursive: true });
        link(child);
      } else if (entry.name !== 'generated.json') symlinkSync(path.join(day.root, child), path.join(scratch, child));
    }
  };
  link('');
  return scratch;
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
  return { records, seconds: seconds(started) };
}

/** The activities, each call's step and span (seconds since `origin`) appended to `calls`. */
function timed(activities: FanOutActivities, calls: TimedCall[], origin: () => bigint): FanOutActivities {
  const at = () => Number(process.hrtime.bigint() - origin()) / 1e9;
  const wrap =
    <I extends object, O>(step: (input: I) => string, f: (input: I) => Promise<O>) =>
    async (input: I): Promise<O> => {
      const startS = at();
      const out = await f(input);
      calls.push({ step: step(input), startS, endS: at() });
      return out;
    };
  type A = FanOutActivities;
  return {
    planBuckets: wrap(
      () => 'plan_buckets',
      (i: Parameters<A['planBuckets']>[0]) => activities.planBuckets(i),
    ),
    planPartitions: wrap(
      () => 'plan',
      (i: Parameters<A['planPartitions']>[0]) => activities.planPartitions(i),
    ),
    aggregatePartition: wrap(
      () => 'aggregate',
      (i: Parameters<A['aggregatePartition']>[0]) => activities.aggregatePartition(i),
    ),
    runMetricTask: wrap(
      (i: Parameters<A['runMetricTask']>[0]) => i.phase ?? i.task,
      (i: Parameters<A['runMetricTask']>[0]) => activities.runMetricTask(i),
    ),
  };
}

interface JobRun {
  job: RunMetricDayResult;
  seconds: number;
  calls: TimedCall[];
}

async function runJob(
  day: BenchDay,
  activities: FanOutActivities,
  options: { concurrency: number; bucketConcurrency: number },
): Promise<JobRun> {
  const calls: TimedCall[] = [];
  const buckets = arg('buckets');
  const started = process.hrtime.bigint();
  const job = await runMetricDayInProcess({
    activities: timed(activities, calls, () => started),
    concurrency: options.concurrency,
    bucketConcurrency: options.bucketConcurrency,
    ...(buckets !== undefined ? { buckets: Number(buckets) } : {}),
    tenantId: day.tenantId,
    day: DAY,
    timeZone: day.timeZone,
    pipelineVersion: 'v1',
    runKind: 'primary',
    maxPartitions: 8,
    badDataPolicy: 'quarantine',
  });
  return { job, seconds: seconds(started), calls };
}

function minPartitionBytes(): number | undefined {
  const minMb = arg('min-partition-mb');
  return minMb === undefined ? undefined : Math.round(Number(minMb) * 1024 * 1024);
}

async function runSize(events: number, accounts: number): Promise<void> {
  const day = benchDay({ events, accounts, script: __filename });
  const { tenantId, timeZone } = day;
  const budgetMb = Number(arg('budget-mb') ?? process.env.DAYBREAK_MEMORY_BUDGET_MB ?? DEFAULT_MEMORY_BUDGET_MB);
  const workers = arg('workers');
  const scratches: string[] = [];
  try {
    const scratch = scratchOf(day);
    scratches.push(scratch);
    const store = new FsObjectStore(scratch);
    const keys: string[] = [];
    for (const hour of hoursToRead(DAY, timeZone)) {
      for await (const o of store.list(rawHourPrefix(tenantId, hour))) if (o.key.endsWith('.avro')) keys.push(o.key);
    }
    const baseline = await decodeBaseline(scratch, keys);
    const decodeRate = baseline.records / baseline.seconds;
    console.log(
      `tenant ${tenantId} (${timeZone}), local day ${DAY}: ${keys.length} raw files, ${accounts} accounts, cached in ${day.root}`,
    );
    if (day.genSeconds !== undefined)
      console.log(`generation (once, cached): ${day.genSeconds} s, peak RSS ${day.genPeakRssMb} MB`);
    console.log(
      `avsc createFileDecoder: ${baseline.records} records in ${baseline.seconds.toFixed(2)} s = ${Math.round(decodeRate)} records/s`,
    );
    const common: [string, LineValue][] = [
      ['events', baseline.records],
      ['accounts', accounts],
    ];
    const gen: [string, LineValue][] =
      day.genSeconds !== undefined
        ? [
            ['gen_s', day.genSeconds],
            ['gen_peak_rss_mb', day.genPeakRssMb ?? 0],
          ]
        : [];

    if (workers !== undefined) {
      const w = Number(workers);
      const threads = Number(arg('threads') ?? 1);
      const walls: number[] = [];
      const lines: [string, LineValue][] = [];
      for (const count of w === 1 ? [1] : [1, w]) {
        const root = count === 1 && walls.length === 0 ? scratch : scratchOf(day);
        if (root !== scratch) scratches.push(root);
        const processes = new ActivityProcesses(count, {
          root,
          threads,
          memoryShareBytes: shareOf(budgetMb, threads),
          minPartitionBytes: minPartitionBytes(),
        });
        try {
          await processes.ready();
          const run = await runJob(day, processes.activities, {
            concurrency: count * Math.max(1, threads),
            bucketConcurrency: count * ACTIVITY_SLOTS,
          });
          walls.push(run.seconds);
          const rss = await processes.close();
          console.log(
            `${count} worker process${count > 1 ? 'es' : ''} of ${threads} partition thread${threads === 1 ? '' : 's'}: ${run.seconds.toFixed(2)} s, ${run.job.layout.buckets} buckets, ${run.job.partitions.length} partitions, peak RSS per process ${rss.map((r) => r.toFixed(0)).join(', ')} MB`,
          );
          // Cores the processes kept busy on average: on a machine of C cores, W processes can be at
          // most C / that times faster than one, however well the day spreads.
          const cores = processes.cpuSeconds.reduce((n, s) => n + s, 0) / run.seconds;
          lines.push([`wall_s_${count}`, run.seconds.toFixed(2)]);
          lines.push([`peak_rss_mb_${count}`, Math.max(...rss).toFixed(1)]);
          lines.push([`cpu_cores_${count}`, cores.toFixed(2)]);
          if (count === 1) {
            lines.push(['buckets', run.job.layout.buckets], ['partitions', run.job.partitions.length]);
            lines.push(['machine_cores', availableParallelism()]);
            lines.push([`ratio_1_vs_${w}_bound`, (Math.min(w, availableParallelism()) / cores).toFixed(3)]);
          }
        } finally {
          await processes.close();
        }
      }
      if (walls.length === 2) lines.push([`ratio_1_vs_${w}`, (walls[0] / walls[1]).toFixed(3)]);
      for (const line of keyValueLines([...common, ...lines, ...gen])) console.log(line);
      return;
    }

    // As the worker does (DAYBREAK_PARTITION_THREADS): one partition thread per core, started
    // before the job, the way a worker starts them before it polls.
    const threads = Number(arg('threads') ?? availableParallelism());
    const share = shareOf(budgetMb, threads);
    const worker = await startBenchWorker({
      store,
      root: scratch,
      threads,
      memoryShareBytes: share,
      minPartitionBytes: minPartitionBytes(),
    });
    const run = await runJob(day, worker.activities, {
      concurrency: Math.max(1, threads),
      bucketConcurrency: ACTIVITY_SLOTS,
    });
    await worker.close();
    const { job } = run;
    const read = job.partitions.reduce((n, p) => n + p.counts.read, 0);
    const accepted = job.partitions.reduce((n, p) => n + p.counts.accepted, 0);
    const documents = job.tasks.filter((t) => t.task === 'account-documents').at(-1)?.records ?? 0;
    const spills = job.partitions.reduce((n, p) => n + (p.runs ?? 1) - 1, 0);
    const jobRate = read / run.seconds;
    const rss = peakRssMb();
    const steps = stepSeconds(run.calls);
    console.log(
      `daily job: ${read} events read (${accepted} accepted) in ${run.seconds.toFixed(2)} s over ${job.partitions.length} partitions on ${threads} partition threads, ${job.layout.buckets} account buckets, ${spills} spills = ${Math.round(jobRate)} events/s`,
    );
    console.log(
      `steps (wall s from first start to last end): ${steps.map(([s, t]) => `${s} ${t.toFixed(2)}`).join(', ')}`,
    );
    console.log(
      `peak RSS ${rss.toFixed(1)} MB (budget ${budgetMb} MB) for ${accounts} accounts, ${documents} documents = ${((rss * 1024) / accounts).toFixed(1)} KB per account`,
    );
    for (const line of keyValueLines([
      ...common,
      ['events_per_s', Math.round(jobRate)],
      ['ratio_vs_decode', (jobRate / decodeRate).toFixed(3)],
      ['peak_rss_mb', rss.toFixed(1)],
      ['rss_mb_per_1k_accounts', ((rss * 1000) / accounts).toFixed(2)],
      ['rss_kb_per_account', ((rss * 1024) / accounts).toFixed(1)],
      ['documents', documents],
      ['job_s', run.seconds.toFixed(2)],
      ['threads', threads],
      ['partitions', job.partitions.length],
      ['buckets', job.layout.buckets],
      ['spills', spills],
      ['budget_mb', budgetMb],
      ['rss_under_budget', rss <= budgetMb],
      ...steps.map(([step, s]): [string, LineValue] => [`step_${step}_s`, s.toFixed(2)]),
      ...gen,
    ]))
      console.log(line);
  } finally {
    for (const s of scratches) rmSync(s, { recursive: true, force: true });
  }
}

/** Accounts when only --events is given: what the generator picks without --accounts. */
function defaultAccounts(events: number): number {
  return Math.min(20_000, Math.max(25, Math.round(events / 50)));
}

async function main(): Promise<void> {
  const generateRoot = arg('generate');
  const events = arg('events');
  const accounts = arg('accounts');
  if (generateRoot)
    return generateInto({ root: generateRoot, events: Number(events), accounts: Number(accounts), measure: true });
  if (events) return runSize(Number(events), Number(accounts ?? defaultAccounts(Number(events))));
  // Each size in its own process, so each peak RSS is its own.
  const sizes = flag('workers') ? [SIZES[1]] : [...SIZES, ...(flag('large') ? [LARGE] : [])];
  const forwarded = ['threads', 'min-partition-mb', 'budget-mb', 'buckets', 'workers'].flatMap((name) => {
    const value = arg(name);
    return value === undefined ? [] : [`--${name}`, value];
  });
  for (const size of sizes) {
    const args = [
      ...process.execArgv,
      __filename,
      '--events',
      String(size.events),
      '--accounts',
      String(size.accounts),
      ...forwarded,
    ];
    console.log(`\n== ${size.events} events a day, ${size.accounts} accounts`);
    const child = spawnSync(process.execPath, args, { stdio: 'inherit' });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
