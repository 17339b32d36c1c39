import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { generate } from '../../src/generator/generate';
import { tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { TenantConfig } from '../../src/workflows/tenants/tenant-config';
import type { TenantDayInput, TenantDayResult } from '../../src/workflows/tenant-days/tenant-day-contracts';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createS3ObjectStore } from '../../src/workers/clients';
import { tenantDayWorkflow } from '../../src/workflows';
import { type DayOutputs, deleteDayOutputs, removeBucket, snapshotDayOutputs } from './day-outputs';
import type { Stack } from './stack';
import { uniqueName } from './stack';
import { type HoldSpec, type WorkerProcess, startWorkerProcess, workflowBundleFile } from './worker-process';

/**
 * The set-up a fault test shares: one generated tenant in a bucket of its own, an index prefix and a
 * task queue of its own, worker processes configured for them, and the tenant-day (a primary v1,
 * optionally with v2 in shadow) to run, break and compare with an undisturbed run.
 */
export interface FaultDay {
  bucket: string;
  store: S3ObjectStore;
  indexPrefix: string;
  base: string;
  tenant: TenantConfig;
  day: string;
  dir: string;
  workflowBundle: string;
  input(options?: { shadow?: boolean }): TenantDayInput;
  /** A worker process on this day's queues; `env` overrides (the Temporal address, say). */
  worker(name: string, holds?: HoldSpec[], env?: NodeJS.ProcessEnv): WorkerProcess;
  /** Starts the day under a fresh workflow id. */
  start(client: Client, options?: { shadow?: boolean }): Promise<{ workflowId: string }>;
  /**
   * Waits for the run (and its shadow, if any) to finish; with `withinMs`, fails once that has passed,
   * naming the activities still pending (a lost attempt waiting out its timeout shows there).
   */
  finish(
    client: Client,
    workflowId: string,
    options?: { shadow?: boolean; withinMs?: number },
  ): Promise<TenantDayResult>;
  snapshot(stack: Stack): Promise<DayOutputs>;
  /** Deletes the outputs and indices, so the next run must write them all again. */
  clearOutputs(stack: Stack): Promise<void>;
  remove(stack: Stack): Promise<void>;
}

export async function createFaultDay(stack: Stack, name: string): Promise<FaultDay> {
  const bucket = uniqueName(name);
  const store = await createS3ObjectStore({ ...stack.config.s3, bucket });
  // Two days: the second has a previous day for its rolling windows to look back on.
  const summary = await generate(
    { tenants: 1, days: 2, eventsPerDay: 2500, seed: name, startDay: '2026-05-04' },
    store,
  );
  const tenant = summary.tenants[0];
  const day = '2026-05-05';
  const dir = mkdtempSync(path.join(tmpdir(), `daybreak-${name}-`));
  const indexPrefix = uniqueName(name);
  const base = uniqueName(name);
  const workflowBundle = await workflowBundleFile(dir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DAYBREAK_STORE: 's3',
    DAYBREAK_S3_BUCKET: bucket,
    DAYBREAK_TASK_QUEUE: base,
    DAYBREAK_ES_INDEX_PREFIX: indexPrefix,
    DAYBREAK_PIPELINE_VERSIONS: 'v1,v2',
    DAYBREAK_WORKER_COORDINATION: 'false',
    // Small test data would otherwise be one partition.
    DAYBREAK_MIN_PARTITION_BYTES: '1',
    DAYBREAK_PARTITION_THREADS: '1',
    DAYBREAK_LOG_LEVEL: 'WARN',
  };
  const input = (options: { shadow?: boolean } = {}): TenantDayInput => ({
    tenantId: tenant.id,
    day,
    timeZone: tenant.timeZone,
    badDataPolicy: 'quarantine',
    pipelineVersion: 'v1',
    runKind: 'primary',
    trigger: 'test',
    baseTaskQueue: base,
    maxPartitions: 3,
    partitionConcurrency: 2,
    ...(options.shadow ? { shadow: { pipelineVersion: 'v2' } } : {}),
  });
  const shadowId = tenantDayWorkflowId(tenant.id, day, 'v2', 'shadow');
  return {
    bucket,
    store,
    indexPrefix,
    base,
    tenant,
    day,
    dir,
    workflowBundle,
    input,
    worker: (workerName, holds = [], extra = {}) =>
      startWorkerProcess({
        env: { ...env, ...extra },
        logFile: path.join(dir, `${workerName}.log`),
        holds,
        workflowBundle,
      }),
    async start(client, options) {
      const workflowId = uniqueName(`${name}-day`);
      await client.workflow.start(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId,
        args: [input(options)],
      });
      return { workflowId };
    },
    async finish(client, workflowId, options) {
      // Aborted when late: a long poll left behind would outlive the test's connection.
      const abort = new AbortController();
      const both = client.withAbortSignal(abort.signal, async () => {
        const result = await client.workflow.getHandle<typeof tenantDayWorkflow>(workflowId).result();
        if (options?.shadow) await client.workflow.getHandle(shadowId).result();
        return result;
      });
      if (options?.withinMs === undefined) return both;
      both.catch(() => undefined);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abort.abort();
          void pendingActivities(client, [workflowId, ...(options.shadow ? [shadowId] : [])]).then((pending) =>
            reject(
              new Error(`the day did not finish within ${options.withinMs! / 1000} s; pending: ${pending || 'none'}`),
            ),
          );
        }, options.withinMs);
      });
      try {
        return await Promise.race([both, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    snapshot: (s) => snapshotDayOutputs(store, s.es, indexPrefix),
    clearOutputs: (s) => deleteDayOutputs(store, s.es, indexPrefix),
    async remove(s) {
      await deleteDayOutputs(store, s.es, indexPrefix).catch(() => undefined);
      await removeBucket({ ...s.config.s3, bucket }, store);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function pendingActivities(client: Client, workflowIds: string[]): Promise<string> {
  const out: string[] = [];
  for (const id of workflowIds) {
    try {
      const d = await client.workflow.getHandle(id).describe();
      for (const a of d.raw.pendingActivities ?? [])
        out.push(`${a.activityType?.name} (attempt ${a.attempt}, ${String(a.state)}) in ${id}`);
    } catch (error) {
      out.push(`${id}: ${(error as Error).message}`);
    }
  }
  return out.join('; ');
}
