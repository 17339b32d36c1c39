/**
 * Peers side by side (issue 15, point 7): the same generated tenant-day through Daybreak's metric job
 * in-process, Spark local[2] (the same metrics in Spark SQL over the same raw Avro files, spark-avro)
 * and DuckDB (threads=2, over the same events converted to uncompressed Parquet outside the timing),
 * interleaved over --reps repetitions. Checks that the engines agree on every document field
 * (bench/peers/agree.ts) and prints paired ratios.
 *
 *   npm run bench:peers                                   # the default sizes, each in its own process
 *   npm run bench:peers -- --events N --accounts A        # one size
 *   npm run bench:peers -- --reps 5 --threads 2           # repetitions; Daybreak's partition threads
 *   npm run bench:peers -- --skip-without-python          # SKIPPED (exit 0) when the peers are not installed
 *   npm run bench:peers -- --profile-spark                # also Spark's time up to each stage (scan, dedupe, usage, documents)
 *
 * The peers run from a venv that bench/peers/setup.sh installs on the first run (pyspark, the
 * spark-avro jar, DuckDB, fastavro, pyarrow: ~760 MB from PyPI and Maven Central) into
 * $DAYBREAK_PEERS_HOME (default ~/.cache/daybreak/peers). Generated days are cached in
 * $TMPDIR/daybreak-bench-cache/<events>-<accounts>-<seed>/, as bench:metrics caches them.
 *
 * The bench day is the data's only day (days: 1), so its windows are today only: 7 and 30-day
 * numbers are today's, the previous week is empty (trendWoW and healthDelta null). The peers'
 * SQL reads no history; Daybreak's job still looks for it and finds none, as on a tenant's first day.
 *
 * Last lines, key=value per size: events, accounts, reps, daybreak_s, spark_s, duckdb_s (medians),
 * spark_vs_daybreak and daybreak_vs_duckdb (medians of the per-repetition ratios), spark_startup_s,
 * parquet_convert_s, agree. Exits non-zero, with the first 10 differences, when an engine disagrees.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { FsObjectStore } from '../src/storage/fs-object-store';
import { runMetricDayInProcess } from '../src/activities/tenant-days/in-process';
import { hoursToRead } from '../src/metrics/partition-plan';
import { DEFAULT_MEMORY_BUDGET_MB } from '../src/workers/config';
import { attributesKey, outputKey, outputPrefix, rawHourPrefix } from '../src/common/keys';
import type { OutputLocation } from '../src/common/keys';
import { localDayWindow } from '../src/common/local-day';
import { readAccountDocuments } from '../src/schemas/account-document-reader';
import { BENCH_DAY, benchDay, generateInto } from './bench-day';
import { ACTIVITY_SLOTS, shareOf, startBenchWorker } from './bench-worker';
import type { Agreement, Document } from './peers/agree';
import { compareDocuments, median } from './peers/agree';

const DAY = BENCH_DAY;
const SIZES: { events: number; accounts: number }[] = [
  { events: 1_000_000, accounts: 20_000 },
  { events: 10_000_000, accounts: 20_000 },
  { events: 10_000_000, accounts: 1_000_000 },
];
const PEERS_HOME = process.env.DAYBREAK_PEERS_HOME ?? path.join(homedir(), '.cache', 'daybreak', 'peers');
const PYTHON = path.join(PEERS_HOME, 'venv', 'bin', 'python');
const SETUP = path.join(__dirname, 'peers', 'setup.sh');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

function installed(): boolean {
  return existsSync(PYTHON) && existsSync(path.join(PEERS_HOME, 'installed.txt')) && avroJar() !== undefined;
}

function avroJar(): string | undefined {
  const dir = path.join(PEERS_HOME, 'jars');
  if (!existsSync(dir)) return undefined;
  const jar = readdirSync(dir).find((f) => /^spark-avro_.*\.jar$/.test(f));
  return jar && path.join(dir, jar);
}

/** A peer process: JSON requests on its stdin, JSON replies on descriptor 3, its own output to a log file. */
class Peer {
  private readonly child: ChildProcess;
  private readonly replies: AsyncIterator<string>;

  constructor(
    readonly name: string,
    script: string,
    args: string[],
    readonly log: string,
  ) {
    const out = openSync(log, 'a');
    // -B: no __pycache__ folders in the clone.
    this.child = spawn('nice', [PYTHON, '-B', path.join(__dirname, 'peers', script), ...args], {
      stdio: ['pipe', out, out, 'pipe'],
      cwd: path.join(__dirname, 'peers'),
    });
    const fd3 = this.child.stdio[3] as NodeJS.ReadableStream;
    this.replies = createInterface({ input: fd3 })[Symbol.asyncIterator]();
  }

  private async reply(): Promise<Record<string, unknown>> {
    const next = await this.replies.next();
    if (next.done) throw new Error(`the ${this.name} peer exited; its log: ${this.log}\n${tail(this.log)}`);
    return JSON.parse(next.value) as Record<string, unknown>;
  }

  async ready(): Promise<void> {
    await this.reply();
  }

  async request(op: string, body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    this.child.stdin!.write(JSON.stringify({ op, ...body }) + '\n');
    const reply = await this.reply();
    if (!reply.ok) throw new Error(`${this.name} ${op} failed: ${String(reply.error)}\n${String(reply.trace)}`);
    return reply;
  }

  async close(): Promise<void> {
    this.child.stdin!.end();
    await new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
  }
}

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-30).join('\n') : '';
}

async function* jsonLines(file: string): AsyncIterable<Document> {
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (line) yield JSON.parse(line) as Document;
  }
}

async function runSize(events: number, accounts: number): Promise<void> {
  const reps = Number(arg('reps') ?? 3);
  const threads = Number(arg('threads') ?? availableParallelism());
  const day = benchDay({ events, accounts, script: __filename, logGenerated: true });
  const { tenantId, timeZone } = day;
  const cacheStore = new FsObjectStore(day.root);
  const rawKeys: string[] = [];
  for (const hour of hoursToRead(DAY, timeZone)) {
    for await (const o of cacheStore.list(rawHourPrefix(tenantId, hour)))
      if (o.key.endsWith('.avro')) rawKeys.push(o.key);
  }
  const attrKey = attributesKey(tenantId, DAY);
  const { startMs, endMs } = localDayWindow(DAY, timeZone);

  // Daybreak runs on a scratch store whose objects (raw events, attributes, the schema registry the
  // partition threads check writers against) link to the cache's files, so its outputs never land
  // in the shared cache.
  const scratch = mkdtempSync(path.join(tmpdir(), 'daybreak-bench-peers-'));
  // Gone however the run ends (a failure exits from main); the peers stop when their stdin closes.
  process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
  for await (const o of cacheStore.list('')) {
    if (o.key.startsWith('outputs/') || o.key.startsWith('peers-parquet/')) continue;
    mkdirSync(path.dirname(path.join(scratch, o.key)), { recursive: true });
    symlinkSync(path.join(day.root, o.key), path.join(scratch, o.key));
  }

  // The Parquet copy for DuckDB, made once per cached day and outside every timing.
  const parquetRoot = path.join(day.root, 'peers-parquet');
  const parquetOf = (key: string) => path.join(parquetRoot, key.replace(/\.avro$/, '.parquet'));
  let convertSeconds = 0;
  if (!existsSync(path.join(parquetRoot, 'converted.json'))) {
    const started = process.hrtime.bigint();
    rmSync(parquetRoot, { recursive: true, force: true });
    const conv = spawnSync(
      'nice',
      [PYTHON, '-B', path.join(__dirname, 'peers', 'to_parquet.py'), day.root, parquetRoot, ...rawKeys, attrKey],
      {
        stdio: 'inherit',
      },
    );
    if (conv.status !== 0) throw new Error(`the Parquet conversion failed (status ${conv.status})`);
    convertSeconds = seconds(started);
    writeFileSync(
      path.join(parquetRoot, 'converted.json'),
      JSON.stringify({ keys: rawKeys.length + 1, seconds: convertSeconds }) + '\n',
    );
  } else {
    convertSeconds = (JSON.parse(readFileSync(path.join(parquetRoot, 'converted.json'), 'utf8')) as { seconds: number })
      .seconds;
  }

  const sparkStarted = process.hrtime.bigint();
  const spark = new Peer(
    'spark',
    'spark_day.py',
    [JSON.stringify({ avroJar: avroJar() })],
    path.join(scratch, 'spark.log'),
  );
  await spark.ready();
  const sparkStartup = seconds(sparkStarted);
  const sparkInfo = await spark.request('startup');
  const duckdb = new Peer('duckdb', 'duckdb_day.py', [], path.join(scratch, 'duckdb.log'));
  await duckdb.ready();
  const duckdbInfo = await duckdb.request('startup');

  // The worker's default budget (DAYBREAK_MEMORY_BUDGET_MB), divided as a worker divides it.
  const budgetMb = Number(process.env.DAYBREAK_MEMORY_BUDGET_MB ?? DEFAULT_MEMORY_BUDGET_MB);
  const worker = await startBenchWorker({
    store: new FsObjectStore(scratch),
    root: scratch,
    threads,
    memoryShareBytes: shareOf(budgetMb, threads),
  });
  const { activities } = worker;
  const run: OutputLocation & { timeZone: string } = {
    tenantId,
    day: DAY,
    timeZone,
    pipelineVersion: 'v1',
    runKind: 'primary',
  };
  const sparkOut = path.join(scratch, 'spark-documents');
  const duckdbOut = path.join(scratch, 'duckdb-documents.parquet');

  const sparkDay = {
    tenantId,
    day: DAY,
    startMs,
    endMs,
    rawBase: path.join(day.root, `raw/tenant=${tenantId}`),
    rawFiles: rawKeys.map((k) => path.join(day.root, k)),
    attributesFile: path.join(day.root, attrKey),
    out: sparkOut,
  };
  const times = { daybreak: [] as number[], spark: [] as number[], duckdb: [] as number[] };
  let daybreakAccounts = 0;
  for (let r = 0; r < reps; r++) {
    rmSync(path.join(scratch, outputPrefix(run)), { recursive: true, force: true });
    const started = process.hrtime.bigint();
    const job = await runMetricDayInProcess({
      activities,
      concurrency: Math.max(1, threads),
      bucketConcurrency: ACTIVITY_SLOTS,
      ...run,
      maxPartitions: 8,
      badDataPolicy: 'quarantine',
    });
    times.daybreak.push(seconds(started));
    // The last account-documents task is the assembly, which counts every bucket's documents.
    daybreakAccounts = job.tasks.filter((t) => t.task === 'account-documents').at(-1)?.records ?? 0;
    const s = await spark.request('run', sparkDay);
    times.spark.push(s.seconds as number);
    rmSync(duckdbOut, { force: true });
    const d = await duckdb.request('run', {
      tenantId,
      day: DAY,
      startMs,
      endMs,
      parquetFiles: rawKeys.map(parquetOf),
      attributesParquet: parquetOf(attrKey),
      out: duckdbOut,
    });
    times.duckdb.push(d.seconds as number);
    console.log(
      `rep ${r + 1}/${reps}: daybreak ${times.daybreak[r].toFixed(2)} s, spark ${times.spark[r].toFixed(2)} s, duckdb ${times.duckdb[r].toFixed(2)} s`,
    );
  }
  await worker.close();
  // Where Spark's time goes (--profile-spark): the same query cut short after each stage, untimed by the ratios.
  const sparkStages = process.argv.includes('--profile-spark')
    ? ((await spark.request('profile', sparkDay)).stages as Record<string, number>)
    : {};

  // The last repetition's documents, compared outside the timing.
  const accountsKey = outputKey(run, 'accounts.avro');
  const daybreakDocs = () => readAccountDocuments(createReadStream(path.join(scratch, accountsKey)), accountsKey);
  const verdicts: [string, Agreement][] = [];
  for (const [peer, out] of [
    [spark, sparkOut],
    [duckdb, duckdbOut],
  ] as const) {
    const jsonl = path.join(scratch, `${peer.name}-documents.jsonl`);
    await peer.request('dump', { parquet: out, jsonl });
    verdicts.push([peer.name, await compareDocuments(daybreakDocs(), jsonLines(jsonl))]);
  }
  await spark.close();
  await duckdb.close();

  const ratio = (num: number[], den: number[]) => median(num.map((v, i) => v / den[i]));
  console.log(
    `tenant ${tenantId} (${timeZone}), local day ${DAY}: ${day.events} events generated, ${rawKeys.length} raw files, ${daybreakAccounts} documents`,
  );
  console.log(
    `spark ${String(sparkInfo.version)} local[2], duckdb ${String(duckdbInfo.version)} threads=2, daybreak ${threads} partition threads`,
  );
  for (const [name, v] of verdicts) {
    console.log(
      `${name}: ${v.compared} documents compared, ${v.differenceCount} differences; ${v.estimates} distinct counts above 256 within 5%, largest relative error ${(v.maxRelativeError * 100).toFixed(2)}%`,
    );
    for (const line of v.differences) console.log(`  ${line}`);
  }
  const agree = verdicts.every(([, v]) => v.agree);
  console.log(`events=${day.events}`);
  console.log(`accounts=${accounts}`);
  console.log(`documents=${daybreakAccounts}`);
  console.log(`reps=${reps}`);
  console.log(`daybreak_s=${median(times.daybreak).toFixed(2)}`);
  console.log(`spark_s=${median(times.spark).toFixed(2)}`);
  console.log(`duckdb_s=${median(times.duckdb).toFixed(2)}`);
  console.log(`spark_vs_daybreak=${ratio(times.spark, times.daybreak).toFixed(2)}`);
  console.log(`daybreak_vs_duckdb=${ratio(times.daybreak, times.duckdb).toFixed(2)}`);
  console.log(`spark_startup_s=${sparkStartup.toFixed(1)}`);
  console.log(`parquet_convert_s=${convertSeconds.toFixed(1)}`);
  for (const [stage, t] of Object.entries(sparkStages)) console.log(`spark_until_${stage}_s=${t.toFixed(2)}`);
  console.log(`hll_max_rel_err=${Math.max(...verdicts.map(([, v]) => v.maxRelativeError)).toFixed(4)}`);
  console.log(`agree=${agree}`);
  if (!agree) process.exit(1);
}

async function main(): Promise<void> {
  const generateRoot = arg('generate');
  const events = arg('events');
  const accounts = arg('accounts');
  if (generateRoot) return generateInto({ root: generateRoot, events: Number(events), accounts: Number(accounts) });
  if (!installed()) {
    if (process.argv.includes('--skip-without-python')) {
      console.log(
        `peers: SKIPPED, Spark and DuckDB are not installed in ${PEERS_HOME}; install them with bash bench/peers/setup.sh (about 760 MB from PyPI and Maven Central), or run npm run bench:peers, which does it first`,
      );
      return;
    }
    const setup = spawnSync('bash', [SETUP], { stdio: 'inherit' });
    if (setup.status !== 0) throw new Error(`bench/peers/setup.sh failed (status ${setup.status})`);
  }
  if (events) return runSize(Number(events), Number(accounts ?? 20_000));
  // Each size in its own process, so each size's memory and threads start fresh.
  const forwarded = ['reps', 'threads'].flatMap((name) => {
    const value = arg(name);
    return value === undefined ? [] : [`--${name}`, value];
  });
  if (process.argv.includes('--profile-spark')) forwarded.push('--profile-spark');
  for (const size of SIZES) {
    const started = process.hrtime.bigint();
    console.log(`\n== ${size.events} events, ${size.accounts} accounts`);
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        __filename,
        '--events',
        String(size.events),
        '--accounts',
        String(size.accounts),
        ...forwarded,
      ],
      { stdio: 'inherit' },
    );
    console.log(`size_wall_s=${seconds(started).toFixed(0)}`);
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
