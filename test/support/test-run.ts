import { randomBytes } from 'node:crypto';
import {
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { ensureNamespace } from '../../src/client/namespaces';
import { createElasticsearchClient, createS3Client } from '../../src/workers/clients';
import type { DaybreakConfig } from '../../src/workers/config';

/**
 * One test run (one `vitest run` of the integration project) owns a Temporal namespace and every
 * name `uniqueName()` hands out during it: all of them carry the run's id, so the teardown can find
 * and remove exactly what this run created, and nothing of another run going on at the same time.
 */
export const TEST_RUN_ID_ENV = 'DAYBREAK_TEST_RUN_ID';
export const TEST_NAMESPACE_PREFIX = 'daybreak-test-';

/** A fresh run id: 6 hex digits (names are `<prefix>-<run id><6 hex>`). */
export function newTestRunId(): string {
  return randomBytes(3).toString('hex');
}

export function assertTestRunId(runId: string): string {
  if (!/^[0-9a-f]{6}$/.test(runId)) throw new Error(`test run id ${JSON.stringify(runId)} is not 6 hex digits`);
  return runId;
}

export function testNamespaceName(runId: string): string {
  return `${TEST_NAMESPACE_PREFIX}${assertTestRunId(runId)}`;
}

/** Whether a bucket, index or key name was handed out by `uniqueName()` during this run. */
export function ownedByRun(runId: string, name: string): boolean {
  return new RegExp(`-${assertTestRunId(runId)}[0-9a-f]{6}(?![0-9a-f])`).test(name);
}

/** Whether a namespace belongs to this run: the run's own, or one a test made under it. */
export function namespaceOfRun(runId: string, namespace: string): boolean {
  const own = testNamespaceName(runId);
  return namespace === own || namespace.startsWith(`${own}-`);
}

/** Creates the run's namespace with Daybreak's search attributes. */
export async function createTestNamespace(config: DaybreakConfig, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    await ensureNamespace(connection, namespace, { retentionDays: 1 });
  } finally {
    await connection.close();
  }
}

export interface CleanupReport {
  namespaces: string[];
  schedulesDeleted: number;
  workflowsTerminated: number;
  indicesDeleted: string[];
  bucketsDeleted: string[];
  keysDeleted: number;
  /** What could not be removed; the teardown reports it instead of hiding it. */
  problems: string[];
}

async function mapLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function cleanNamespace(connection: Connection, namespace: string, report: CleanupReport): Promise<void> {
  const client = new Client({ connection, namespace });
  const schedules: string[] = [];
  for await (const s of client.schedule.list()) schedules.push(s.scheduleId);
  await mapLimited(schedules, 8, async (id) => {
    try {
      await client.schedule.getHandle(id).delete();
      report.schedulesDeleted++;
    } catch (error) {
      // Deleted by its test a moment ago: Elasticsearch visibility (the cluster profile) still lists it.
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  });
  const running: { workflowId: string; runId: string }[] = [];
  for await (const w of client.workflow.list({ query: 'ExecutionStatus = "Running"' }))
    running.push({ workflowId: w.workflowId, runId: w.runId });
  await mapLimited(running, 8, async (w) => {
    try {
      await client.workflow.getHandle(w.workflowId, w.runId).terminate('test run finished');
      report.workflowsTerminated++;
    } catch {
      // Closed between the list and the terminate (or a child its parent's end took down).
    }
  });
  await connection.operatorService.deleteNamespace({ namespace });
  report.namespaces.push(namespace);
}

async function cleanTemporal(config: DaybreakConfig, runId: string, report: CleanupReport): Promise<void> {
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const namespaces: string[] = [];
    let nextPageToken: Uint8Array | undefined;
    do {
      const page = await connection.workflowService.listNamespaces({ pageSize: 100, nextPageToken });
      for (const n of page.namespaces ?? []) {
        const name = n.namespaceInfo?.name ?? '';
        if (namespaceOfRun(runId, name)) namespaces.push(name);
      }
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (nextPageToken);
    for (const namespace of namespaces) {
      try {
        await cleanNamespace(connection, namespace, report);
      } catch (error) {
        report.problems.push(`namespace ${namespace}: ${(error as Error).message}`);
      }
    }
  } finally {
    await connection.close();
  }
}

async function cleanElasticsearch(config: DaybreakConfig, runId: string, report: CleanupReport): Promise<void> {
  const es = createElasticsearchClient(config.elasticsearch);
  try {
    const rows = await es.cat.indices({ format: 'json', h: 'index', expand_wildcards: 'all' });
    const owned = rows.map((r) => r.index ?? '').filter((name) => ownedByRun(runId, name));
    // Named deletes, a few at a time: the cluster may refuse wildcards, and URLs have a length limit.
    for (let i = 0; i < owned.length; i += 20) {
      const names = owned.slice(i, i + 20);
      await es.indices.delete({ index: names, ignore_unavailable: true });
      report.indicesDeleted.push(...names);
    }
  } catch (error) {
    report.problems.push(`Elasticsearch: ${(error as Error).message}`);
  } finally {
    await es.close();
  }
}

async function deleteKeys(
  s3: ReturnType<typeof createS3Client>,
  bucket: string,
  keep: (key: string) => boolean,
): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => o.Key!).filter((k) => !keep(k));
    await mapLimited(keys, 16, async (Key) => {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
      deleted++;
    });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

async function cleanS3(config: DaybreakConfig, runId: string, report: CleanupReport): Promise<void> {
  const s3 = createS3Client(config.s3);
  try {
    const buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name ?? '');
    for (const bucket of buckets.filter((b) => ownedByRun(runId, b))) {
      try {
        report.keysDeleted += await deleteKeys(s3, bucket, () => false);
        await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
        report.bucketsDeleted.push(bucket);
      } catch (error) {
        const name = error instanceof S3ServiceException ? error.name : '';
        if (name !== 'NoSuchBucket') report.problems.push(`bucket ${bucket}: ${(error as Error).message}`);
      }
    }
    // The shared bucket: only keys that name this run's tenants or prefixes.
    if (buckets.includes(config.s3.bucket)) {
      report.keysDeleted += await deleteKeys(s3, config.s3.bucket, (key) => !ownedByRun(runId, key));
    }
  } catch (error) {
    report.problems.push(`S3: ${(error as Error).message}`);
  } finally {
    s3.destroy();
  }
}

/**
 * Removes everything the run created: its namespaces (schedules deleted and running workflows
 * terminated first, then the namespace itself), and the Elasticsearch indices, S3 buckets and
 * shared-bucket keys whose names carry the run's id. Each store is cleaned even if another fails.
 */
export async function cleanupTestRun(config: DaybreakConfig, runId: string): Promise<CleanupReport> {
  assertTestRunId(runId);
  const report: CleanupReport = {
    namespaces: [],
    schedulesDeleted: 0,
    workflowsTerminated: 0,
    indicesDeleted: [],
    bucketsDeleted: [],
    keysDeleted: 0,
    problems: [],
  };
  try {
    await cleanTemporal(config, runId, report);
  } catch (error) {
    report.problems.push(`Temporal: ${(error as Error).message}`);
  }
  await cleanElasticsearch(config, runId, report);
  await cleanS3(config, runId, report);
  return report;
}
