import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getPipeline } from '../../src/metrics/pipelines';
import { encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import { tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import { rawEventsKey } from '../../src/common/keys';
import { localDayWindow } from '../../src/common/local-day';
import { DaybreakMetrics } from '../../src/common/metric-names';
import type { RawEvent } from '../../src/common/events';
import { readAll } from '../../src/storage/object-store';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createS3ObjectStore } from '../../src/workers/clients';
import { slaMonitorWorkflow, tenantDayWorkflow } from '../../src/workflows';
import { removeBucket } from '../support/day-outputs';
import { ACCOUNTS, writeAttributes, writeRawDay } from '../support/metric-fixtures';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { type Scrape, metricNamesInDashboard, metricNamesInRules, parseExposition } from '../support/prometheus-text';

/**
 * Issue 17, point 5: a real worker process (src/workers/main.ts) serves /metrics on a port of the
 * test's own; one tenant-day (v1 primary, v2 in shadow, compared) runs through it with the real
 * activities; the scrape has the SDK's series and Daybreak's, with the numbers derived by hand from
 * the data written, and every metric the dashboard and the alert rules in deploy/observability/ use.
 */

const ROOT = path.resolve(__dirname, '../..');
const DAY = '2026-03-10';
const ZONE = 'Europe/Berlin';
/** In-day events of writeRawDay; it adds 20 next-day events, read and counted out of window. */
const EVENTS = 600;
const NEXT_DAY_EVENTS = 20;
/** Records of another tenant in the tenant's files: read, then quarantined. */
const FOREIGN = 7;

let stack: Stack;
let store: S3ObjectStore;
let bucket: string;
let workDir: string;
let worker: ChildProcess | undefined;
let workerExit: Promise<void> | undefined;
let scrape: Scrape;
const tenantId = uniqueName('metrics');
const base = uniqueName('metrics');
const indexPrefix = uniqueName('daybreak-metrics');
const started: string[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function writeForeignRecords(): Promise<void> {
  const w = localDayWindow(DAY, ZONE);
  const records: RawEvent[] = Array.from({ length: FOREIGN }, (_, i) => ({
    eventId: `foreign-${i}`,
    tenantId: 'some-other-tenant',
    accountId: 'acc-00',
    userId: 'user-x',
    type: 'login',
    occurredAt: w.startMs + 3_600_000 * 5 + i,
    value: 1,
    properties: {},
    sessionId: null,
  }));
  const type = avro.Type.forSchema(loadSchema('raw-event.v3.avsc'));
  const iso = new Date(w.startMs + 3_600_000 * 5).toISOString();
  const key = rawEventsKey(tenantId, { date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) }, 'foreign.avro');
  await store.put(key, await readAll(encodeContainer(type, records, 'deflate')));
}

function logTail(): string {
  try {
    return readFileSync(path.join(workDir, 'worker.log'), 'utf8').split('\n').slice(-40).join('\n');
  } catch {
    return '(no log)';
  }
}

async function fetchMetrics(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url);
    return response.ok ? await response.text() : undefined;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  stack = await connectStack();
  bucket = uniqueName('daybreak-metrics');
  store = await createS3ObjectStore({ ...stack.config.s3, bucket });
  workDir = mkdtempSync(path.join(tmpdir(), 'daybreak-metrics-'));
  await writeRawDay(store, tenantId, DAY, ZONE, EVENTS);
  await writeAttributes(store, tenantId, DAY);
  await writeForeignRecords();

  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  const log = openSync(path.join(workDir, 'worker.log'), 'a');
  // The freshness monitor checks this tenant only (the lane-less day below is late for it).
  const tenantsFile = path.join(workDir, 'tenants.json');
  writeFileSync(
    tenantsFile,
    JSON.stringify({ tenants: [{ id: tenantId, displayName: 'Metrics test', timeZone: ZONE, runHour: 0 }] }),
  );
  worker = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(ROOT, 'src/workers/main.ts')], {
    env: {
      ...process.env,
      DAYBREAK_STORE: 's3',
      DAYBREAK_S3_BUCKET: bucket,
      DAYBREAK_TASK_QUEUE: base,
      DAYBREAK_PIPELINE_VERSIONS: 'v1,v2',
      // Also the base queue, for the freshness monitor's run.
      DAYBREAK_WORKER_COORDINATION: 'true',
      DAYBREAK_TENANTS_FILE: tenantsFile,
      DAYBREAK_ES_INDEX_PREFIX: indexPrefix,
      DAYBREAK_METRICS_ADDRESS: `127.0.0.1:${port}`,
      DAYBREAK_PARTITION_THREADS: '0',
      // Several partitions: the counts are summed over them.
      DAYBREAK_MIN_PARTITION_BYTES: '1',
      DAYBREAK_LOG_LEVEL: 'WARN',
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  const child = worker;
  workerExit = new Promise((resolve) => child.once('exit', () => resolve()));

  // The exporter listens once the runtime is installed, before the workers poll.
  const deadline = Date.now() + 60_000;
  while (!(await fetchMetrics(url))) {
    if (child.exitCode !== null) throw new Error(`the worker exited; its log:\n${logTail()}`);
    if (Date.now() > deadline) throw new Error(`no /metrics at ${url} within 60 s; worker log:\n${logTail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }

  const primaryId = tenantDayWorkflowId(tenantId, DAY, 'v1', 'primary');
  const shadowId = tenantDayWorkflowId(tenantId, DAY, 'v2', 'shadow');
  started.push(primaryId, shadowId);
  await stack.client.workflow.execute(tenantDayWorkflow, {
    taskQueue: versionTaskQueue(base, 'v1'),
    workflowId: primaryId,
    args: [
      {
        tenantId,
        day: DAY,
        timeZone: ZONE,
        badDataPolicy: 'quarantine',
        pipelineVersion: 'v1',
        runKind: 'primary',
        trigger: 'test',
        maxPartitions: 4,
        baseTaskQueue: base,
        shadow: { pipelineVersion: 'v2' },
      },
    ],
  });
  await stack.client.workflow.getHandle(shadowId).result();
  // One freshness check well after the day's deadline (03-11 00:00 Berlin + 6 h): the day ran
  // outside any lane, so the monitor finds it not served, late.
  const monitorId = uniqueName('metrics');
  started.push(`${monitorId}-sla`);
  await stack.client.workflow.execute(slaMonitorWorkflow, {
    taskQueue: base,
    workflowId: `${monitorId}-sla`,
    args: [{ monitorId, asOf: '2026-03-11T12:00:00Z' }],
  });

  // Workflow metrics reach the exporter after their workflow task completes: wait for the last one.
  const until = Date.now() + 30_000;
  for (;;) {
    const text = await fetchMetrics(url);
    scrape = parseExposition(text ?? '');
    const ended = scrape.samples.filter((s) => s.name === DaybreakMetrics.TenantDays);
    if (
      ended.length >= 2 &&
      scrape.names.has(DaybreakMetrics.ComparisonVerdicts) &&
      scrape.names.has(DaybreakMetrics.SlaMisses)
    )
      break;
    if (Date.now() > until)
      throw new Error(`the runs' metrics did not appear; scrape:\n${text}\nworker log:\n${logTail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, 240_000);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    try {
      process.kill(-worker.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    await workerExit;
  }
  for (const id of started) {
    try {
      await stack.client.workflow.getHandle(id).terminate('test cleanup');
    } catch {
      // completed
    }
  }
  if (store) await removeBucket({ ...stack.config.s3, bucket }, store);
  const indices = await stack.es.cat.indices({ index: `${indexPrefix}-*`, format: 'json', h: 'index' });
  const names = indices.map((r) => r.index ?? '').filter(Boolean);
  if (names.length) await stack.es.indices.delete({ index: names, ignore_unavailable: true });
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await stack?.close();
});

/** The value of the one sample of `name` whose labels include `labels`. */
function value(name: string, labels: Record<string, string>): number {
  const found = scrape.samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (found.length !== 1)
    throw new Error(`${found.length} samples of ${name} with ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
  return found[0].value;
}

describe('the worker /metrics endpoint', () => {
  it("serves the Temporal SDK's runtime metrics", () => {
    const sdk = [...scrape.names].filter((n) => n.startsWith('temporal_'));
    expect(sdk).toContain('temporal_workflow_completed_total');
    expect(sdk).toContain('temporal_activity_execution_latency_bucket');
    expect(sdk).toContain('temporal_worker_task_slots_available');
  });

  it('counts events read, accepted and quarantined of each run, as written', () => {
    for (const run of [
      { pipeline_version: 'v1', run_kind: 'primary', trigger: 'test' },
      { pipeline_version: 'v2', run_kind: 'shadow', trigger: 'test' },
    ]) {
      expect(value(DaybreakMetrics.EventsRead, run)).toBe(EVENTS + NEXT_DAY_EVENTS + FOREIGN);
      expect(value(DaybreakMetrics.EventsAccepted, run)).toBe(EVENTS);
      expect(value(DaybreakMetrics.EventsQuarantined, run)).toBe(FOREIGN);
      // Every account of the attribute snapshot gets a document.
      expect(value(DaybreakMetrics.DocumentsIndexed, run)).toBe(ACCOUNTS.length);
      expect(value(DaybreakMetrics.TenantDays, { ...run, outcome: 'completed' })).toBe(1);
    }
  });

  it('records one duration of every task of the run, serving included', () => {
    const tasks = [...getPipeline('v1').graph.tasks.map((t) => t.name), 'serve'];
    for (const task of tasks) {
      const labels = { pipeline_version: 'v1', run_kind: 'primary', task };
      expect(value(`${DaybreakMetrics.TaskDuration}_count`, labels), task).toBe(1);
      expect(value(`${DaybreakMetrics.TaskDuration}_sum`, labels), task).toBeGreaterThan(0);
      expect(value(`${DaybreakMetrics.TaskDuration}_bucket`, { ...labels, le: '+Inf' }), task).toBe(1);
    }
    const buckets = scrape.samples.filter((s) => s.name === `${DaybreakMetrics.TaskDuration}_bucket`);
    // The worker's buckets (src/common/metric-names.ts), not the SDK's default ones that stop at 10 s.
    expect(new Set(buckets.map((b) => b.labels.le))).toContain('3600');
  });

  it('counts the comparison of the shadow with its primary by verdict', () => {
    const verdicts = scrape.samples.filter((s) => s.name === DaybreakMetrics.ComparisonVerdicts);
    expect(verdicts.map((v) => [v.labels.primary_version, v.labels.shadow_version, v.value])).toEqual([
      ['v1', 'v2', 1],
    ]);
    expect(['clean', 'expected-differences', 'unexpected-differences']).toContain(verdicts[0].labels.verdict);
  });

  it("counts the primary's data checks by verdict and each check, and the monitor's late day", () => {
    // The tenant's first day: too little history, every check passes.
    const run = { pipeline_version: 'v1', run_kind: 'primary' };
    expect(value(DaybreakMetrics.DataChecks, { ...run, verdict: 'pass' })).toBe(1);
    const failed = scrape.samples.filter((s) => s.name === DaybreakMetrics.DataChecksFailed);
    expect(failed.map((s) => s.labels.check).sort()).toHaveLength(5);
    expect(failed.every((s) => s.value === 0)).toBe(true);
    expect(value(DaybreakMetrics.SlaMisses, {})).toBe(1);
    expect(value(DaybreakMetrics.SlaRecoveries, {})).toBe(0);
  });

  it('exposes every Daybreak series, and none with the tenant in a label', () => {
    for (const name of Object.values(DaybreakMetrics)) {
      const exposed = name === DaybreakMetrics.TaskDuration ? `${name}_bucket` : name;
      expect(scrape.names, name).toContain(exposed);
    }
    const withTenant = scrape.samples.filter((s) => Object.values(s.labels).some((v) => v.includes(tenantId)));
    expect(withTenant).toEqual([]);
  });

  it('exposes every metric the Grafana dashboard and the Prometheus alert rules query', () => {
    const dashboard = metricNamesInDashboard(path.join(ROOT, 'deploy/observability/grafana-dashboard.json'));
    const rules = metricNamesInRules(path.join(ROOT, 'deploy/observability/prometheus-rules.yml'));
    expect(dashboard.size).toBeGreaterThan(5);
    expect(rules.size).toBeGreaterThan(2);
    expect([...dashboard, ...rules].filter((n) => !scrape.names.has(n))).toEqual([]);
  });
});
