import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_MIN_PARTITION_BYTES } from '../workflows/tenant-days/pipeline-contracts';
import {
  DEFAULT_INPUT_DEADLINE_HOURS,
  DEFAULT_OUTAGE_RIDE_OUT_MINUTES,
} from '../workflows/tenant-days/tenant-day-contracts';
import type { LaneDefaults } from '../client/lanes';
import type { Endpoints } from '../common/outage';
import { metricsAddress } from './metrics-exporter';
import { VERSION_QUEUE_KINDS, type VersionQueueKind } from './queues';
import type { TemporalConnection } from './temporal-connection';
import { resolveTemporalConnection } from './temporal-connection';

export type LogFormat = 'json' | 'pretty';
/** Temporal's levels, plus `SILENT` (nothing at all). */
export type DaybreakLogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];
export const LOG_LEVELS: readonly DaybreakLogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];

/**
 * Daybreak's configuration, read from the environment in one place. Every variable is listed in the
 * README; defaults match deploy/local/stack.env so a fresh clone works without any.
 */
export interface DaybreakConfig {
  /** The connection (address, namespace, TLS, API key, headers: see temporal-connection.ts) and Daybreak's queue and links. */
  temporal: TemporalConnection & { taskQueue: string; uiUrl: string };
  /** Where data lives: the embedded filesystem store (default) or S3. */
  store: { kind: 'fs' | 's3'; fsRoot: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string; bucket: string };
  elasticsearch: { url: string; indexPrefix: string };
  worker: {
    maxConcurrentActivities: number;
    maxConcurrentWorkflowTasks: number;
    /** Activity slots per worker on each backfill queue: the cap on backfill work across tenants. */
    maxConcurrentBackfillActivities: number;
    /** Whether this worker also polls the base queue (lanes, triggers, rollouts). */
    coordination: boolean;
    /** Which of each version's queues it polls: a deployment can run live and backfill workers apart. */
    queueKinds: VersionQueueKind[];
    /** Input bytes below which a tenant-day is not split into more partitions. */
    minPartitionBytes: number;
    /** Worker threads that aggregate partitions (one partition each at a time); 0: on the activity's thread. */
    partitionThreads: number;
    /** A workflow bundle built ahead (scripts/build-workflow-bundle.ts), loaded instead of bundling at start. */
    workflowBundle: string | undefined;
    /** Seconds a SIGTERMed worker lets running activities finish before it cancels them (they are retried elsewhere). */
    shutdownGraceSeconds: number;
    /** MB the worker process may use; split into each metric task's share (src/metrics/spill-policy.ts). */
    memoryBudgetMb: number;
  };
  /** Alert sinks besides the worker log (activities/alerts/send-alert.ts). */
  alerts: { webhookUrl: string | undefined };
  /** The worker's Prometheus /metrics: the exporter's bind address, or undefined for none. */
  metrics: { address: string | undefined };
  /** Logging, as set; each process chooses what is unset (worker: json, INFO; demo: pretty, WARN). */
  log: { format: LogFormat | undefined; level: DaybreakLogLevel | undefined };
  pipeline: {
    /** Pipeline versions this worker serves, each on its own task queue. */
    versions: string[];
    /** Primary version of a tenant whose lane has no rollout state yet. */
    defaultPrimaryVersion: string;
    tenantsFile: string;
    /** Hours after a local day's end that its tenant-day waits for missing inputs before it fails. */
    inputDeadlineHours: number;
    /** Minutes an activity keeps retrying through a dependency outage before its run fails. */
    outageRideOutMinutes: number;
  };
}

/**
 * 25 s: within Kubernetes' default terminationGracePeriodSeconds (30 s), with 5 s left to cancel
 * what is still running, report it and close before SIGKILL. Most activities take seconds; one
 * that needs longer is cancelled and retried elsewhere at once, sooner than the 20 s heartbeat
 * timeout would retry it after a kill. Raise it together with the pod's grace period.
 */
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 25;

/** A 2-core, 4 GB worker, with room left for the kernel and page cache. */
export const DEFAULT_MEMORY_BUDGET_MB = 3072;

/** The clone's root (the folder with package.json): this file is src/workers/config.ts, or dist/workers/config.js built. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

/**
 * A configured path, absolute. Relative ones (the defaults included) are taken from the project root,
 * not the current directory, so the worker and `bin/daybreak` agree wherever they are started from.
 */
export function projectPath(configured: string): string {
  return path.resolve(PROJECT_ROOT, configured);
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): DaybreakConfig {
  const temporalPort = env.DAYBREAK_TEMPORAL_PORT ?? '7233';
  const uiPort = env.DAYBREAK_TEMPORAL_UI_PORT ?? '8233';
  return {
    temporal: {
      ...resolveTemporalConnection(env, {
        address: `127.0.0.1:${temporalPort}`,
        namespace: 'default',
        origin: 'the default, 127.0.0.1:$DAYBREAK_TEMPORAL_PORT',
      }),
      taskQueue: env.DAYBREAK_TASK_QUEUE ?? 'daybreak',
      uiUrl: env.DAYBREAK_TEMPORAL_UI_URL ?? `http://127.0.0.1:${uiPort}`,
    },
    store: {
      kind: storeKind(env.DAYBREAK_STORE),
      fsRoot: projectPath(env.DAYBREAK_FS_ROOT ?? path.join('.daybreak', 'store')),
    },
    s3: {
      endpoint: env.DAYBREAK_S3_ENDPOINT ?? `http://127.0.0.1:${env.DAYBREAK_S3_PORT ?? '7070'}`,
      region: env.DAYBREAK_S3_REGION ?? 'us-east-1',
      accessKeyId: env.DAYBREAK_S3_ACCESS_KEY ?? 'daybreak',
      secretAccessKey: env.DAYBREAK_S3_SECRET_KEY ?? 'daybreak-local-secret',
      bucket: env.DAYBREAK_S3_BUCKET ?? 'daybreak',
    },
    elasticsearch: {
      url: env.DAYBREAK_ES_URL ?? `http://127.0.0.1:${env.DAYBREAK_ES_PORT ?? '9200'}`,
      indexPrefix: env.DAYBREAK_ES_INDEX_PREFIX ?? 'daybreak',
    },
    worker: {
      maxConcurrentActivities: positiveInt(env, 'DAYBREAK_MAX_CONCURRENT_ACTIVITIES', 8),
      maxConcurrentWorkflowTasks: positiveInt(env, 'DAYBREAK_MAX_CONCURRENT_WORKFLOW_TASKS', 20),
      maxConcurrentBackfillActivities: positiveInt(env, 'DAYBREAK_MAX_CONCURRENT_BACKFILL_ACTIVITIES', 1),
      coordination: (env.DAYBREAK_WORKER_COORDINATION ?? 'true') !== 'false',
      queueKinds: queueKinds(env.DAYBREAK_WORKER_QUEUE_KINDS),
      minPartitionBytes: nonNegativeInt(env, 'DAYBREAK_MIN_PARTITION_BYTES', DEFAULT_MIN_PARTITION_BYTES),
      partitionThreads: nonNegativeInt(env, 'DAYBREAK_PARTITION_THREADS', availableParallelism()),
      workflowBundle: env.DAYBREAK_WORKFLOW_BUNDLE ? projectPath(env.DAYBREAK_WORKFLOW_BUNDLE) : undefined,
      shutdownGraceSeconds: nonNegativeInt(env, 'DAYBREAK_SHUTDOWN_GRACE_SECONDS', DEFAULT_SHUTDOWN_GRACE_SECONDS),
      memoryBudgetMb: positiveInt(env, 'DAYBREAK_MEMORY_BUDGET_MB', DEFAULT_MEMORY_BUDGET_MB),
    },
    alerts: { webhookUrl: webhookUrl(env, 'DAYBREAK_ALERT_WEBHOOK_URL') },
    metrics: { address: metricsAddress(env.DAYBREAK_METRICS_ADDRESS) },
    log: {
      format: oneOf(env, 'DAYBREAK_LOG_FORMAT', LOG_FORMATS, (v) => v.toLowerCase()),
      level: oneOf(env, 'DAYBREAK_LOG_LEVEL', LOG_LEVELS, (v) => v.toUpperCase()),
    },
    pipeline: {
      versions: (env.DAYBREAK_PIPELINE_VERSIONS ?? 'v1,v2')
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
      defaultPrimaryVersion: env.DAYBREAK_PRIMARY_VERSION ?? 'v1',
      tenantsFile: projectPath(env.DAYBREAK_TENANTS_FILE ?? path.join('deploy', 'tenants.json')),
      inputDeadlineHours: nonNegativeInt(env, 'DAYBREAK_INPUT_DEADLINE_HOURS', DEFAULT_INPUT_DEADLINE_HOURS),
      outageRideOutMinutes: positiveInt(env, 'DAYBREAK_OUTAGE_RIDE_OUT_MINUTES', DEFAULT_OUTAGE_RIDE_OUT_MINUTES),
    },
  };
}

/** What a lane is started with, by the worker's activities and the CLI alike. */
export function laneDefaultsOf(config: DaybreakConfig): LaneDefaults {
  return {
    taskQueue: config.temporal.taskQueue,
    primaryVersion: config.pipeline.defaultPrimaryVersion,
    outageRideOutMinutes: config.pipeline.outageRideOutMinutes,
  };
}

/** The dependencies a connection failure is named after ("S3 at 127.0.0.1:7070: connection refused"). */
export function dependencyEndpoints(config: DaybreakConfig): Endpoints {
  return {
    ...(config.store.kind === 's3' ? { S3: config.s3.endpoint } : {}),
    Elasticsearch: config.elasticsearch.url,
    Temporal: config.temporal.address,
  };
}

function oneOf<T extends string>(
  env: NodeJS.ProcessEnv,
  name: string,
  allowed: readonly T[],
  normalize: (raw: string) => string,
): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = normalize(raw);
  if (!(allowed as readonly string[]).includes(value))
    throw new Error(`${name}=${JSON.stringify(raw)} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function webhookUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  // The value is not quoted back: a webhook URL's path is often its secret.
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new Error(`${name} must be an http:// or https:// URL`);
  return url.toString();
}

function queueKinds(raw: string | undefined): VersionQueueKind[] {
  if (raw === undefined || raw.trim() === '') return [...VERSION_QUEUE_KINDS];
  const kinds = raw.split(',').map((k) => k.trim());
  const bad = kinds.filter((k) => !(VERSION_QUEUE_KINDS as readonly string[]).includes(k));
  if (bad.length > 0 || kinds.length === 0)
    throw new Error(
      `DAYBREAK_WORKER_QUEUE_KINDS=${JSON.stringify(raw)} must be live, backfill or live,backfill (the version queues polled)`,
    );
  return VERSION_QUEUE_KINDS.filter((k) => kinds.includes(k));
}

function storeKind(raw: string | undefined): 'fs' | 's3' {
  if (raw === undefined || raw === '' || raw === 'fs') return 'fs';
  if (raw === 's3') return 's3';
  throw new Error(`DAYBREAK_STORE=${JSON.stringify(raw)} must be "fs" or "s3"`);
}

function nonNegativeInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name}=${JSON.stringify(raw)} must be a non-negative integer`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name}=${JSON.stringify(raw)} must be a positive integer`);
  return value;
}
