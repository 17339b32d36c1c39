/**
 * Repeated transient errors, summarized. During a 15 s Temporal server outage the SDK's core logs
 * every poller's retry ("gRPC call poll_activity_task_queue retried 6 times"): 150 of 161 lines.
 * The first occurrence of a message is written at once; its repeats within `windowMs` (same level,
 * message and error once volatile parts are masked, same workflow and activity) are counted, and at
 * the end of the window one line says how many there were. The summary is written when the window
 * ends whether or not the repeats go on, so the count of the last burst is never lost; while they go
 * on, there is one summary per window.
 */
/** A log record as logging.ts builds it (its LogRecord): what the summarizer reads and writes. */
export interface LogRecord {
  time: string;
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // A pending summary must not keep a finished process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RepeatSummarizerOptions {
  /** Where records go on: the first occurrence, anything not summarized, and the summaries. */
  emit: (record: LogRecord) => void;
  windowMs: number;
  clock?: Clock;
}

interface Burst {
  first: LogRecord;
  repeats: number;
  lastTime?: string;
  /** When the window that counts these repeats began. */
  since: number;
  timer: unknown;
}

// Parts of a message that differ between repeats of the same event: instants, ids, counts, ports.
const VOLATILE: [RegExp, string][] = [
  [/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?/g, '<time>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
  [/\b[0-9a-f]{12,}\b/gi, '<hex>'],
  [/\d+/g, '#'],
];

/** A message with its volatile parts masked: repeats of one event have the same one. */
export function normalizeMessage(message: string): string {
  return VOLATILE.reduce((m, [pattern, mask]) => m.replace(pattern, mask), message);
}

/**
 * Transient trouble worth summarizing: warnings and errors (the core's poll retries among them) and
 * activity failures the retry policy will retry. Other info lines are events of their own.
 */
export function isSummarizable(record: LogRecord): boolean {
  return record.level === 'warn' || record.level === 'error' || record.retryable === true;
}

function errorMessage(record: LogRecord): string {
  const error = record.error;
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string')
    return error.message;
  return typeof error === 'string' ? error : '';
}

/** Repeats of one event share this: level, masked message and error, and the run and activity they are about. */
export function repeatKey(record: LogRecord): string {
  return [
    record.level,
    normalizeMessage(record.msg),
    normalizeMessage(errorMessage(record)),
    typeof record.workflowId === 'string' ? record.workflowId : '',
    typeof record.activityType === 'string' ? record.activityType : '',
  ].join('\u0000');
}

export class RepeatSummarizer {
  private readonly bursts = new Map<string, Burst>();
  private readonly clock: Clock;

  constructor(private readonly options: RepeatSummarizerOptions) {
    this.clock = options.clock ?? systemClock;
  }

  push(record: LogRecord): void {
    if (this.options.windowMs <= 0 || !isSummarizable(record)) {
      this.options.emit(record);
      return;
    }
    const key = repeatKey(record);
    const burst = this.bursts.get(key);
    if (burst) {
      burst.repeats++;
      burst.lastTime = record.time;
      return;
    }
    this.options.emit(record);
    this.open(key, record);
  }

  /** Writes every pending summary now (before the process exits). */
  flush(): void {
    for (const [key, burst] of [...this.bursts]) {
      this.clock.clearTimeout(burst.timer);
      this.bursts.delete(key);
      if (burst.repeats > 0) this.options.emit(this.summary(burst));
    }
  }

  private open(key: string, first: LogRecord): void {
    const timer = this.clock.setTimeout(() => this.windowEnded(key), this.options.windowMs);
    this.bursts.set(key, { first, repeats: 0, since: this.clock.now(), timer });
  }

  private windowEnded(key: string): void {
    const burst = this.bursts.get(key);
    if (!burst) return;
    this.bursts.delete(key);
    if (burst.repeats === 0) return;
    this.options.emit(this.summary(burst));
    // Still repeating: the next window counts on, so a long outage is one line per window.
    this.open(key, burst.first);
  }

  private summary(burst: Burst): LogRecord {
    const seconds = Math.max(1, Math.round((this.clock.now() - burst.since) / 1000));
    return {
      ...burst.first,
      time: new Date(this.clock.now()).toISOString(),
      msg: `${burst.first.msg} (repeated ${burst.repeats === 1 ? 'once' : `${burst.repeats} times`} in the last ${seconds}s)`,
      repeated: burst.repeats,
      windowSeconds: seconds,
      ...(burst.lastTime ? { lastRepeatAt: burst.lastTime } : {}),
    };
  }
}
