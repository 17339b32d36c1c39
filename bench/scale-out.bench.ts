/**
 * Scale-out benchmark: a wave of 30 tenant-days on the Temporal cluster profile, run once with 1
 * worker process and once with 3, each wave in a namespace of its own. It prints the wall-time
 * ratio (1 worker / 3 workers; the 1-worker wave is the baseline of the same run) and the live
 * task queue's backlog every ~2 s, read the way KEDA's `temporal` scaler reads it
 * (src/client/scaler-backlog.ts), so the figures are what a ScaledObject would scale by.
 *
 *   npm run bench:scale-out                              # 30 tenant-days, waves of 1 and 3 workers
 *   npm run bench:scale-out -- --events-per-tenant N     # size of one tenant-day (default 20000)
 *   npm run bench:scale-out -- --workers 1,3             # the waves, in worker processes
 *   DAYBREAK_TEMPORAL_ADDRESS=127.0.0.1:7233 npm run bench:scale-out   # against the dev server instead
 *
 * A worker is one process of src/workers/main.ts (through tsx, as `npm run worker` starts it)
 * with one partition thread and 2 activity slots: a unit of capacity one would size a pod by.
 * On a 2-core machine shared with the cluster, Elasticsearch and S3, 3 processes cannot be 3x
 * faster: they can only use what CPU one worker leaves idle. The output says how busy the machine
 * was during each wave (cpu_busy_*), which bounds the ratio here; on machines with a core per
 * worker the same wave shows the scaling a cluster would get.
 *
 * Everything it creates (the namespaces, a bucket of its own, Elasticsearch indices under a prefix
 * of its own) carries a fresh run id and is removed at the end, pass or fail, or on Ctrl-C.
 * With --skip-without-cluster (how `npm run bench` runs it) it prints a line saying why and exits
 * 0 when no Temporal server answers; run alone it fails loudly with the command that starts one.
 *
 * The last lines are key=value: cores, tenant_days, events_per_tenant, events, wall_s_<n>,
 * ratio_1_vs_<n>, peak_backlog_<n>, final_backlog_<n>, cpu_busy_<n> for each wave of n workers.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Socket } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ensureNamespace } from '../src/client/namespaces';
import { scalerBacklog } from '../src/client/scaler-backlog';
import { generate } from '../src/generator/generate';
import { versionTaskQueue } from '../src/common/ids';
import type { TenantConfig } from '../src/workflows/tenants/tenant-config';
import type { TenantDayResult } from '../src/workflows/tenant-days/tenant-day-contracts';
import { createElasticsearchClient, createS3Client, createS3ObjectStore } from '../src/workers/clients';
import type { DaybreakConfig } from '../src/workers/config';
import { readConfig } from '../src/workers/config';
import type { tenantDayWorkflow } from '../src/workflows';
import type { BacklogSample } from './scale-out-samples';
import { backlogTimeline, busyShare, summarizeBacklog } from './scale-out-samples';

const DEFAULT_ADDRESS = '127.0.0.1:7333';
const START_CLUSTER = 'npm run stack:up -- --profile cluster';
const TENANT_DAYS = 30;
// Small tenant-days (400 accounts each), so the wave is a wave of many short runs, like a day's
// first hour across 200 tenants, and the 1-worker wave lasts 1-3 minutes on 2 cores.
const DEFAULT_EVENTS_PER_TENANT = 20_000;
const DAY = '2026-03-10';
const VERSION = 'v1';
const BASE_QUEUE = 'daybreak-bench';
const SAMPLE_EVERY_MS = 2_000;
const WORKER_ACTIVITY_SLOTS = 2;
const MAIN = path.resolve(__dirname, '../src/workers/main.ts');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (fromMs: number) => (Date.now() - fromMs) / 1000;

/** Whether something accepts TCP connections at host:port within `timeoutMs`. */
function answers(address: string, timeoutMs = 3_000): Promise<boolean> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at);
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** /proc/stat's aggregate cpu line (jiffies by state), or [] where there is none. */
function cpuTimes(): number[] {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    return line.trim().split(/\s+/).slice(1).map(Number);
  } catch {
    return [];
  }
}

/** What is removed at the end, added as it is created; run once, from `finally` or a signal. */
class Cleanup {
  private readonly steps: { what: string; run: () => Promise<void> }[] = [];
  private done: Promise<string[]> | undefined;
  add(what: string, run: () => Promise<void>): void {
    this.steps.push({ what, run });
  }
  /** Last added, first removed; every step is tried. Resolves with what could not be removed. */
  run(): Promise<string[]> {
    this.done ??= (async () => {
      const problems: string[] = [];
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
        } catch (error) {
          problems.push(`${step.what}: ${(error as Error).message}`);
        }
      }
      return problems;
    })();
    return this.done;
  }
}

interface WorkerProcess {
  child: ChildProcess;
  logFile: string;
  exited: () => boolean;
  stop(): Promise<void>;
}

function startWorker(env: NodeJS.ProcessEnv, logFile: string): WorkerProcess {
  const out = openSync(logFile, 'a');
  // Its own process group, so a signal reaches the node process tsx starts, not only tsx.
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), MAIN], {
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  return {
    child,
    logFile,
    exited: () => exited,
    async stop() {
      if (exited) return;
      signal('SIGTERM');
      const killed = setTimeout(() => signal('SIGKILL'), 30_000);
      await exit;
      clearTimeout(killed);
    },
  };
}

function logTail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** The workers' environment: their namespace, the bench's bucket and index prefix, one sized worker each. */
function workerEnv(input: {
  address: string;
  namespace: string;
  bucket: string;
  indexPrefix: string;
}): NodeJS.ProcessEnv {
  // A TEMPORAL_* connection profile in the caller's environment must not send the workers elsewhere.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('TEMPORAL_')));
  return {
    ...inherited,
    DAYBREAK_TEMPORAL_ADDRESS: input.address,
    DAYBREAK_TEMPORAL_NAMESPACE: input.namespace,
    DAYBREAK_TASK_QUEUE: BASE_QUEUE,
    DAYBREAK_PIPELINE_VERSIONS: VERSION,
    // Only the version's queues: the bench starts tenant-days itself, no lanes or schedules.
    DAYBREAK_WORKER_COORDINATION: 'false',
    DAYBREAK_STORE: 's3',
    DAYBREAK_S3_BUCKET: input.bucket,
    DAYBREAK_ES_INDEX_PREFIX: input.indexPrefix,
    DAYBREAK_PARTITION_THREADS: '1',
    DAYBREAK_MAX_CONCURRENT_ACTIVITIES: String(WORKER_ACTIVITY_SLOTS),
    // Every worker would bind the same default /metrics port.
    DAYBREAK_METRICS_ADDRESS: 'off',
    DAYBREAK_LOG_LEVEL: process.env.DAYBREAK_LOG_LEVEL ?? 'WARN',
  };
}

/** Distinct worker identities polling a task queue for one task type (current DescribeTaskQueue API). */
async function pollerIdentities(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  taskQueueType: temporal.api.enums.v1.TaskQueueType,
): Promise<Set<string>> {
  const response = await connection.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType,
  });
  return new Set((response.pollers ?? []).map((p) => p.identity ?? ''));
}

/** Waits until `workers.length` processes poll the queue for workflow and activity tasks. */
async function waitUntilPolling(
  connection: Connection,
  namespace: string,
  taskQueue: string,
  workers: WorkerProcess[],
  timeoutMs = 300_000,
): Promise<number> {
  const started = Date.now();
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  for (;;) {
    const dead = workers.find((w) => w.exited());
    if (dead) throw new Error(`a worker exited while starting; its log (${dead.logFile}):\n${logTail(dead.logFile)}`);
    const [wf, act] = await Promise.all([
      pollerIdentities(connection, namespace, taskQueue, TASK_QUEUE_TYPE_WORKFLOW),
      pollerIdentities(connection, namespace, taskQueue, TASK_QUEUE_TYPE_ACTIVITY),
    ]);
    if (wf.size >= workers.length && act.size >= workers.length) return seconds(started);
    if (Date.now() - started > timeoutMs)
      throw new Error(
        `after ${timeoutMs / 1000} s, ${wf.size} of ${workers.length} workers poll ${taskQueue} in ${namespace}; ` +
          `first worker's log (${workers[0].logFile}):\n${logTail(workers[0].logFile)}`,
      );
    await sleep(1_000);
  }
}

interface WaveResult {
  workers: number;
  wallS: number;
  startupS: number;
  events: number;
  indexed: number;
  samples: BacklogSample[];
  cpuBusy: number | undefined;
}

async function runWave(input: {
  workers: number;
  connection: Connection;
  address: string;
  runId: string;
  bucket: string;
  tenants: TenantConfig[];
  logDir: string;
  cleanup: Cleanup;
}): Promise<WaveResult> {
  const { connection } = input;
  const namespace = `daybreak-bench-scale-${input.runId}-w${input.workers}`;
  // An index prefix per wave: each wave creates its serving indices, as the first wave of a day would.
  const indexPrefix = `daybreak-bench-scale-${input.runId}-w${input.workers}`;
  const taskQueue = versionTaskQueue(BASE_QUEUE, VERSION);
  await ensureNamespace(connection, namespace, { retentionDays: 1 });
  input.cleanup.add(`namespace ${namespace}`, () => deleteNamespace(connection, namespace));
  const env = workerEnv({ address: input.address, namespace, bucket: input.bucket, indexPrefix });
  const workers: WorkerProcess[] = [];
  const stopWorkers = async () => {
    await Promise.all(workers.map((w) => w.stop()));
  };
  input.cleanup.add(`worker processes of the ${input.workers}-worker wave`, stopWorkers);
  for (let i = 0; i < input.workers; i++)
    workers.push(startWorker(env, path.join(input.logDir, `w${input.workers}-${i + 1}.log`)));
  const startupS = await waitUntilPolling(connection, namespace, taskQueue, workers);
  console.log(
    `  ${input.workers} worker process${input.workers > 1 ? 'es' : ''} polling ${taskQueue} after ${startupS.toFixed(1)} s (not timed)`,
  );

  const client = new Client({ connection, namespace });
  const samples: BacklogSample[] = [];
  const cpuBefore = cpuTimes();
  const t0 = Date.now();
  let finished = false;
  let completed = 0;
  const sampler = (async () => {
    // Until every run has completed and the backlog reads zero again (or 60 s after the last run).
    let finishedAt: number | undefined;
    for (;;) {
      const atS = seconds(t0);
      const backlog = await scalerBacklog(connection, { namespace, taskQueue });
      samples.push({ atS, total: backlog.total, byType: backlog.byType, completed });
      if (finished) {
        finishedAt ??= Date.now();
        if (backlog.total === 0 || Date.now() - finishedAt > 60_000) return;
      }
      await sleep(Math.max(0, SAMPLE_EVERY_MS - (seconds(t0) - atS) * 1000));
    }
  })();
  let results: TenantDayResult[];
  let wallS: number;
  let cpuAfter: number[];
  try {
    const handles: WorkflowHandle<typeof tenantDayWorkflow>[] = await Promise.all(
      input.tenants.map((tenant) =>
        client.workflow.start<typeof tenantDayWorkflow>('tenantDayWorkflow', {
          taskQueue,
          workflowId: `daybreak-bench/scale-out/${tenant.id}/${DAY}`,
          args: [
            {
              tenantId: tenant.id,
              day: DAY,
              timeZone: tenant.timeZone,
              badDataPolicy: tenant.badDataPolicy,
              pipelineVersion: VERSION,
              runKind: 'primary',
              trigger: 'test',
              baseTaskQueue: BASE_QUEUE,
            },
          ],
        }),
      ),
    );
    results = await Promise.all(
      handles.map(async (h) => {
        try {
          const result = await h.result();
          completed++;
          return result;
        } catch (error) {
          throw new Error(`tenant-day ${h.workflowId} in ${namespace} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
      }),
    );
    wallS = seconds(t0);
    cpuAfter = cpuTimes();
  } finally {
    finished = true;
    await sampler;
  }
  await stopWorkers();
  return {
    workers: input.workers,
    wallS,
    startupS,
    events: results.reduce((n, r) => n + r.counts.read, 0),
    indexed: results.reduce((n, r) => n + (r.served?.indexed ?? 0), 0),
    samples,
    cpuBusy: busyShare(cpuBefore, cpuAfter),
  };
}

/** Terminates what still runs in the namespace (a failed wave), then deletes the namespace. */
async function deleteNamespace(connection: Connection, namespace: string): Promise<void> {
  const client = new Client({ connection, namespace });
  try {
    for await (const w of client.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
      try {
        await client.workflow.getHandle(w.workflowId, w.runId).terminate('scale-out benchmark finished');
      } catch {
        // closed meanwhile
      }
    }
    await connection.operatorService.deleteNamespace({ namespace });
  } catch (error) {
    // Gone already (a cluster recreated meanwhile has none of it): nothing left to remove.
    if ((error as { code?: unknown }).code !== GRPC_NOT_FOUND) throw error;
  }
}

const GRPC_NOT_FOUND = 5;

/** Deletes every key and then the bucket; again when a write still under way (a cut-short generation) refills it. */
async function deleteBucket(s3: ReturnType<typeof createS3Client>, bucket: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await deleteKeys(s3, bucket);
    try {
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
      return;
    } catch (error) {
      if (attempt >= 5) throw error;
      await sleep(2_000);
    }
  }
}

async function deleteKeys(s3: ReturnType<typeof createS3Client>, bucket: string, prefix?: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }));
    deleted += keys.length;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

async function deleteIndices(config: DaybreakConfig, prefix: string): Promise<void> {
  const es = createElasticsearchClient(config.elasticsearch);
  try {
    const rows = await es.cat.indices({ index: `${prefix}*`, format: 'json', h: 'index', expand_wildcards: 'all' });
    const names = rows.map((r) => r.index ?? '').filter((name) => name.startsWith(prefix));
    for (let i = 0; i < names.length; i += 20)
      await es.indices.delete({ index: names.slice(i, i + 20), ignore_unavailable: true });
  } finally {
    await es.close();
  }
}

async function main(): Promise<void> {
  const address = process.env.DAYBREAK_TEMPORAL_ADDRESS ?? DEFAULT_ADDRESS;
  const config = readConfig({ ...process.env, DAYBREAK_TEMPORAL_ADDRESS: address });
  if (!(await answers(address))) {
    const why = `no Temporal server answers at ${address}`;
    if (process.argv.includes('--skip-without-cluster')) {
      console.log(
        `scale-out: SKIPPED, ${why}. Start the cluster profile (${START_CLUSTER}) and run npm run bench:scale-out.`,
      );
      return;
    }
    throw new Error(
      `${why}. The scale-out benchmark runs on the cluster profile: start it with \`${START_CLUSTER}\` ` +
        `(or point DAYBREAK_TEMPORAL_ADDRESS at another server, e.g. 127.0.0.1:7233 for the dev server).`,
    );
  }
  for (const [what, url] of [
    ['S3', config.s3.endpoint],
    ['Elasticsearch', config.elasticsearch.url],
  ] as const) {
    if (!(await answers(new URL(url).host)))
      throw new Error(`${what} does not answer at ${url}: start the local stack (npm run stack:up).`);
  }
  const eventsPerTenant = Number(arg('events-per-tenant') ?? DEFAULT_EVENTS_PER_TENANT);
  const waves = (arg('workers') ?? '1,3').split(',').map(Number);
  if (!waves.every((n) => Number.isInteger(n) && n > 0)) throw new Error('--workers takes a list like 1,3');

  const runId = randomBytes(3).toString('hex');
  const bucket = `daybreak-bench-scale-${runId}`;
  const logDir = mkdtempSync(path.join(tmpdir(), 'daybreak-bench-scale-'));
  const cleanup = new Cleanup();
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`\n${signal}: removing what the benchmark created`);
    void cleanup.run().then((problems) => {
      for (const p of problems) console.error(`cleanup: could not remove ${p}`);
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const connection = await Connection.connect({ address });
  const s3 = createS3Client(config.s3);
  cleanup.add('log folder', () => rm(logDir, { recursive: true, force: true }));
  cleanup.add(`Temporal connection`, () => connection.close());
  cleanup.add(`Elasticsearch indices daybreak-bench-scale-${runId}-*`, () =>
    deleteIndices(config, `daybreak-bench-scale-${runId}-`),
  );
  let failed = false;
  try {
    const cores = availableParallelism();
    console.log(
      `scale-out: ${TENANT_DAYS} tenant-days (local day ${DAY}) per wave on Temporal at ${address}, ` +
        `waves of ${waves.join(' and ')} workers, each in a namespace of its own (run id ${runId})`,
    );
    console.log(
      `a worker = one process of src/workers/main.ts polling the ${VERSION} queues, with 1 partition thread ` +
        `(DAYBREAK_PARTITION_THREADS=1) and ${WORKER_ACTIVITY_SLOTS} activity slots (DAYBREAK_MAX_CONCURRENT_ACTIVITIES)`,
    );
    console.log(
      `machine: ${cores} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; the workers share them with the Temporal services, Elasticsearch and S3, ` +
        `so ${Math.max(...waves)} workers cannot be ${Math.max(...waves)}x faster here`,
    );

    const store = await createS3ObjectStore({ ...config.s3, bucket });
    cleanup.add(`bucket ${bucket}`, () => deleteBucket(s3, bucket));
    const genStarted = Date.now();
    const summary = await generate(
      { tenants: TENANT_DAYS, days: 1, eventsPerDay: eventsPerTenant, seed: 'bench-scale-out', startDay: DAY },
      store,
    );
    console.log(
      `generated ${summary.events} events for ${summary.tenants.length} tenants (${eventsPerTenant} a tenant-day) ` +
        `into s3://${bucket} in ${seconds(genStarted).toFixed(1)} s (not timed)`,
    );

    const results: WaveResult[] = [];
    for (const workers of waves) {
      console.log(`\n== wave with ${workers} worker${workers > 1 ? 's' : ''}`);
      // Each wave writes its outputs afresh: the previous wave's would only be overwritten.
      await deleteKeys(s3, bucket, 'outputs/');
      await deleteKeys(s3, bucket, 'quarantine/');
      const wave = await runWave({
        workers,
        connection,
        address,
        runId,
        bucket,
        tenants: summary.tenants,
        logDir,
        cleanup,
      });
      results.push(wave);
      const backlog = summarizeBacklog(wave.samples);
      console.log(
        `  ${TENANT_DAYS}/${TENANT_DAYS} tenant-days completed in ${wave.wallS.toFixed(1)} s: ` +
          `${Math.round(wave.events / wave.wallS)} events/s, ${wave.indexed} documents indexed, machine CPU ` +
          `${wave.cpuBusy === undefined ? 'unknown' : `${Math.round(wave.cpuBusy * 100)}% busy`}`,
      );
      console.log(
        `  backlog of ${versionTaskQueue(BASE_QUEUE, VERSION)} as KEDA's temporal scaler reads it ` +
          `(DescribeTaskQueue, enhanced mode, report stats: ApproximateBacklogCount summed over activity, ` +
          `workflow and nexus tasks), every ${SAMPLE_EVERY_MS / 1000} s: time since the wave's start, ` +
          `tenant-days done, backlog:`,
      );
      for (const line of backlogTimeline(wave.samples)) console.log(`    ${line}`);
      console.log(
        `  peak ${backlog.peak} at ${backlog.peakAtS.toFixed(0)} s, final ${backlog.final}` +
          (backlog.roseAndFell ? ': rose with the wave and fell to zero' : ': did NOT rise and fall back to zero'),
      );
    }

    const base = results[0];
    console.log('');
    for (const r of results.slice(1))
      console.log(
        `${base.workers} worker${base.workers > 1 ? 's' : ''} / ${r.workers} workers wall time: ` +
          `${base.wallS.toFixed(1)} s / ${r.wallS.toFixed(1)} s = ${(base.wallS / r.wallS).toFixed(2)} ` +
          `(ideal ${(r.workers / base.workers).toFixed(0)} with a core per worker; this machine has ${cores})`,
      );
    console.log(`cores=${cores}`);
    console.log(`tenant_days=${TENANT_DAYS}`);
    console.log(`events_per_tenant=${eventsPerTenant}`);
    console.log(`events=${base.events}`);
    for (const r of results) {
      const backlog = summarizeBacklog(r.samples);
      console.log(`wall_s_${r.workers}=${r.wallS.toFixed(1)}`);
      if (r !== base) console.log(`ratio_${base.workers}_vs_${r.workers}=${(base.wallS / r.wallS).toFixed(3)}`);
      console.log(`peak_backlog_${r.workers}=${backlog.peak}`);
      console.log(`final_backlog_${r.workers}=${backlog.final}`);
      if (r.cpuBusy !== undefined) console.log(`cpu_busy_${r.workers}=${r.cpuBusy.toFixed(2)}`);
    }
  } catch (error) {
    failed = true;
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  } finally {
    const problems = await cleanup.run();
    s3.destroy();
    for (const p of problems) console.error(`cleanup: could not remove ${p}`);
    if (problems.length) failed = true;
    else console.log(`cleanup: removed the namespaces, bucket ${bucket} and indices of run ${runId}`);
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
