import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import type { MetricsExporterConfig } from '@temporalio/worker';
import { LogTimestamp, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { NON_RETRYABLE_ERROR_TYPES } from '../common/errors';
import type { DaybreakLogLevel, LogFormat } from './config';
import { LOG_LEVELS } from './config';
import type { Clock } from './repeat-summarizer';
import { RepeatSummarizer } from './repeat-summarizer';

export interface LoggerOptions {
  format: LogFormat;
  level: DaybreakLogLevel;
  /** Where a finished line goes (without its newline); stderr by default. */
  write?: (line: string) => void;
  now?: () => Date;
  /**
   * Repeats of a transient error within this window are counted and written as one summary line
   * (src/workers/repeat-summarizer.ts); 0 writes every one. Default REPEAT_WINDOW_MS.
   */
  repeatWindowMs?: number;
  /** The summarizer's clock (tests pass a fake one). */
  clock?: Clock;
}

export const REPEAT_WINDOW_MS = 30_000;

/** A Temporal Logger that can write its pending repeat summaries at once (before the process exits). */
export type DaybreakLogger = Logger & { flush(): void };

/** One log event as it is written: the fields a log system indexes. */
export interface LogRecord {
  time: string;
  level: string;
  msg: string;
  tenantId?: string;
  day?: string;
  [field: string]: unknown;
}

// Errors a retry or a fix of the input takes care of: their message says it all, a stack would only
// bury it. A JavaScript error like TypeError is a bug in our code: its stack is kept.
const PROGRAMMING_ERRORS = new Set([
  'TypeError',
  'ReferenceError',
  'SyntaxError',
  'RangeError',
  'EvalError',
  'URIError',
]);

// Daybreak's workflow ids start with kind and tenant; a run's also has its day:
// daybreak/tenant-day/acme/2026-11-21/v1/primary, daybreak/lane/acme (see src/common/ids.ts).
const WORKFLOW_ID = /^daybreak\/(tenant-day|lane|backfill)\/([a-z0-9-]{1,63})(?:\/(\d{4}-\d{2}-\d{2}))?(?:\/|$)/;

/** Tenant and day of a Daybreak workflow id, so every SDK line about a run carries them as fields. */
export function tenantAndDay(workflowId: unknown): { tenantId?: string; day?: string } {
  const m = typeof workflowId === 'string' ? WORKFLOW_ID.exec(workflowId) : null;
  if (!m) return {};
  // A backfill's first date is a range's start, not the day a line is about.
  return m[3] && m[1] !== 'backfill' ? { tenantId: m[2], day: m[3] } : { tenantId: m[2] };
}

function errorLike(value: unknown): value is Error {
  return (
    value instanceof Error || (typeof value === 'object' && value !== null && 'message' in value && 'stack' in value)
  );
}

function errorType(error: Error): string {
  return error instanceof ApplicationFailure && error.type ? error.type : error.name;
}

/** Whether a failed activity will be tried again by its retry policy (unless its attempts run out). */
export function isRetryable(error: unknown): boolean {
  if (!errorLike(error)) return true;
  if (error instanceof ApplicationFailure && error.nonRetryable) return false;
  return !NON_RETRYABLE_ERROR_TYPES.includes(errorType(error));
}

/** An error as fields: type, message and the causes' messages; the stack only for a programming error. */
export function errorFields(error: unknown, withStack = false): Record<string, unknown> {
  if (!errorLike(error)) return { message: String(error) };
  const fields: Record<string, unknown> = { type: errorType(error), message: error.message };
  const causes: string[] = [];
  for (let c: unknown = error.cause; errorLike(c) && causes.length < 5; c = c.cause)
    causes.push(`${errorType(c)}: ${c.message}`);
  if (causes.length) fields.causes = causes;
  if (withStack || PROGRAMMING_ERRORS.has(error.name)) fields.stack = error.stack;
  return fields;
}

/**
 * The record of one event. An activity failure its retry policy will retry is expected: it is
 * logged at INFO with `retryable: true` and no stack; one that will not be retried at WARN.
 */
export function toRecord(level: LogLevel, message: string, meta: LogMetadata | undefined, now: Date): LogRecord {
  const fields: Record<string, unknown> = { ...(meta ?? {}) };
  let lvl: LogLevel = level;
  let msg = message;
  const error = fields.error ?? fields.err;
  delete fields.err;
  if (error !== undefined) {
    if (
      message === 'Activity failed' &&
      level === 'WARN' &&
      !(errorLike(error) && PROGRAMMING_ERRORS.has(error.name))
    ) {
      const retryable = isRetryable(error);
      lvl = retryable ? 'INFO' : 'WARN';
      msg = retryable ? 'Activity failed; it will be retried' : 'Activity failed; not retried';
      fields.retryable = retryable;
      fields.error = errorFields(error);
    } else {
      fields.error = errorFields(error, level === 'ERROR');
    }
  }
  const { tenantId, day } = { ...tenantAndDay(fields.workflowId), ...pick(fields) };
  return {
    time: now.toISOString(),
    level: lvl.toLowerCase(),
    msg,
    ...(tenantId ? { tenantId } : {}),
    ...(day ? { day } : {}),
    ...fields,
  };
}

function pick(fields: Record<string, unknown>): { tenantId?: string; day?: string } {
  const out: { tenantId?: string; day?: string } = {};
  if (typeof fields.tenantId === 'string') out.tenantId = fields.tenantId;
  if (typeof fields.day === 'string') out.day = fields.day;
  return out;
}

/** JSON that never throws: bigints as strings, cycles cut. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'object' && v !== null) {
      if (seen.has(v)) return '[circular]';
      seen.add(v);
    }
    return v;
  });
}

/** One line per event: JSON for a log system, or `time LEVEL msg key=value ...` for a person. */
export function formatRecord(record: LogRecord, format: LogFormat): string {
  if (format === 'json') return safeJson(record);
  const { time, level, msg, ...rest } = record;
  const pairs = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : safeJson(v)}`);
  // Stacks are the only multi-line values; a person reads them better unescaped, after the line.
  return [time, level.toUpperCase().padEnd(5), msg, ...pairs].join(' ').replace(/\\n/g, '\n    ');
}

/**
 * A Temporal Logger that writes one formatted line per event at or above `level`; repeats of a
 * transient error within `repeatWindowMs` become one summary line.
 */
export function createLogger(options: LoggerOptions): DaybreakLogger {
  const threshold = LOG_LEVELS.indexOf(options.level);
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const summarizer = new RepeatSummarizer({
    emit: (record) => write(formatRecord(record, options.format)),
    windowMs: options.repeatWindowMs ?? REPEAT_WINDOW_MS,
    clock: options.clock,
  });
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    // The runtime's log collector stamps each entry when it was emitted, before buffering it.
    const stamp: unknown = meta?.[LogTimestamp];
    const time = typeof stamp === 'bigint' ? new Date(Number(stamp / 1_000_000n)) : now();
    summarizer.push(toRecord(level, message, meta, time));
  };
  return {
    flush: () => summarizer.flush(),
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

/**
 * Installs the logger as the Temporal runtime's, before any worker or connection exists: SDK,
 * workflow and activity logs, and the native core's (forwarded), all go through it.
 */
export function installLogger(options: LoggerOptions, metrics?: MetricsExporterConfig): DaybreakLogger {
  const logger = createLogger(options);
  const coreLevel: LogLevel = options.level === 'SILENT' ? 'ERROR' : options.level;
  Runtime.install({
    logger,
    telemetryOptions: {
      logging: { filter: makeTelemetryFilterString({ core: coreLevel }), forward: {} },
      // The runtime is installed once per process: its metrics exporter is given here, with the logger.
      ...(metrics ? { metrics } : {}),
    },
  });
  return logger;
}
