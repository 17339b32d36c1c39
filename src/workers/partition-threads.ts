import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PartitionRunner } from '../activities/tenant-days/aggregate-partition';
import type { BucketTaskRunner } from '../activities/tenant-days/bucket-tasks';
import type {
  AggregatePartitionInput,
  AggregatePartitionResult,
  RunMetricTaskInput,
  RunMetricTaskResult,
} from '../workflows/tenant-days/pipeline-contracts';
import { InvalidInputError, reviveError, type SerializedError } from '../common/errors';
import type { DaybreakConfig } from './config';

/** How a partition thread opens the object store (clients cannot cross threads, their settings can). */
export type StoreSpec = { kind: 'fs'; root: string } | { kind: 's3'; s3: DaybreakConfig['s3'] };

export interface PartitionThreadsOptions {
  /** Threads at most, each aggregating one partition at a time; default os.availableParallelism(). */
  threads?: number;
  store: StoreSpec;
  /**
   * The schema registry's prefix in that store (default SchemaRegistry's, `registry`). Every thread
   * checks each raw file's writer schema against it, as the activity's own thread does: a pool
   * that did not would accept as data what the activity quarantines or fails on.
   */
  registryPrefix?: string;
  /**
   * The memory one partition's aggregation may use before it spills its states as runs (see
   * aggregatePartitionIn); undefined: never spills.
   */
  memoryShareBytes?: number;
}

/** What a partition thread receives once, as workerData. */
export interface PartitionThreadData {
  store: StoreSpec;
  /** Undefined: SchemaRegistry's default prefix. */
  registryPrefix?: string;
  /** See PartitionThreadsOptions.memoryShareBytes. */
  memoryShareBytes?: number;
}

export type ToThread =
  { type: 'aggregate'; input: AggregatePartitionInput } | { type: 'task'; input: RunMetricTaskInput };
export type FromThread =
  | { type: 'ready' }
  | { type: 'progress'; progress: { done: number; total: number } }
  | { type: 'result'; result: AggregatePartitionResult | RunMetricTaskResult }
  | {
      type: 'error';
      /** A registered error with its fields (common/errors.ts), any other by name and message. */
      error: SerializedError & {
        /** A network error's code and address (ECONNREFUSED, 127.0.0.1, 7070), so an outage is recognized. */
        code?: string;
        address?: string;
        port?: number;
      };
    };

/** An error from a thread as the class the activity's failure handling recognizes. */
function revive(e: Extract<FromThread, { type: 'error' }>['error']): Error {
  const error = reviveError(e);
  if (e.code) Object.assign(error, { code: e.code, address: e.address, port: e.port });
  return error;
}

/** The thread's code: the compiled module, or from TypeScript sources (tsx, vitest) through tsx's require hook. */
function threadEntry(): { code: string; eval: boolean } {
  const file = path.join(__dirname, `partition-thread${path.extname(__filename)}`);
  if (!file.endsWith('.ts')) return { code: file, eval: false };
  const tsx = createRequire(__filename).resolve('tsx/cjs');
  return { code: `require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, eval: true };
}

/**
 * A pool of worker threads that run the metric engine's CPU-bound work: partitions (reading,
 * decoding, aggregating) and bucket tasks (the per-bucket merges, windows and documents). A Node
 * process otherwise runs it all on one core, so a worker with several tasks in flight used one
 * core whatever the machine, and a long task on the activity's thread held up its event loop
 * (heartbeats, polling). Threads are started on first use and kept; one that dies is replaced by
 * the next task. A result is byte-for-byte what the activity's own thread would write: the thread
 * runs the same aggregatePartitionIn and bucket task bodies on its own store and schema registry
 * clients.
 */
export class PartitionThreadPool {
  readonly threads: number;
  private readonly idle: Worker[] = [];
  private readonly live = new Set<Worker>();
  private readonly waiting: ((worker: Worker) => void)[] = [];
  private closed = false;

  constructor(private readonly options: PartitionThreadsOptions) {
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isSafeInteger(this.threads) || this.threads < 1) {
      throw new InvalidInputError(`partition threads ${this.threads} must be a positive integer`);
    }
  }

  /** The pool as the metric activities' partitionRunner. */
  readonly runner: PartitionRunner = (input, progress, signal) => this.aggregate(input, progress, signal);

  /** The pool as the metric activities' bucketTaskRunner. */
  readonly taskRunner: BucketTaskRunner = (input, signal) => this.runTask(input, signal);

  /** Aggregates a partition on a free thread; an abort stops that thread (the pool starts another). */
  aggregate(
    input: AggregatePartitionInput,
    progress: (details: { done: number; total: number }) => void,
    signal?: AbortSignal,
  ): Promise<AggregatePartitionResult> {
    return this.dispatch<AggregatePartitionResult>(
      { type: 'aggregate', input },
      `partition ${input.partition.index}`,
      progress,
      signal,
    );
  }

  /** Runs one bucket task (runMetricTask's body) on a free thread; an abort stops that thread. */
  runTask(input: RunMetricTaskInput, signal?: AbortSignal): Promise<RunMetricTaskResult> {
    const bucket = input.bucket ? ` bucket ${input.bucket.index}/${input.bucket.count}` : '';
    return this.dispatch<RunMetricTaskResult>(
      { type: 'task', input },
      `task ${input.task}${input.phase ? ` (${input.phase})` : ''}${bucket}`,
      () => {},
      signal,
    );
  }

  private async dispatch<R>(
    message: ToThread,
    what: string,
    progress: (details: { done: number; total: number }) => void,
    signal?: AbortSignal,
  ): Promise<R> {
    signal?.throwIfAborted();
    const worker = await this.acquire();
    return new Promise<R>((resolve, reject) => {
      const done = () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        this.discard(worker);
        const reason: unknown = signal!.reason;
        reject(reason instanceof Error ? reason : new Error(`${what} aborted: ${String(reason)}`));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort);
      const onMessage = (reply: FromThread) => {
        if (reply.type === 'ready') return;
        if (reply.type === 'progress') return progress(reply.progress);
        done();
        this.release(worker);
        if (reply.type === 'result') resolve(reply.result as R);
        else reject(revive(reply.error));
      };
      const onError = (error: Error) => {
        done();
        this.discard(worker);
        reject(error);
      };
      const onExit = (code: number) => {
        done();
        this.discard(worker);
        reject(new Error(`partition thread exited with code ${code} while running ${what}`));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage(message);
    });
  }

  /** Starts every thread and waits until each has loaded its code (worker start-up, benchmarks). */
  async start(): Promise<void> {
    const started: Worker[] = [];
    while (this.live.size < this.threads) started.push(this.spawn());
    await Promise.all(
      started.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const onMessage = (m: FromThread) => {
              if (m.type !== 'ready') return;
              worker.off('message', onMessage);
              worker.off('error', reject);
              resolve();
            };
            worker.on('message', onMessage);
            worker.once('error', reject);
          }),
      ),
    );
    for (const worker of started) this.release(worker);
  }

  /** Stops every thread; partitions in flight fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.live].map((w) => w.terminate()));
    this.live.clear();
    this.idle.length = 0;
  }

  private acquire(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('the partition thread pool is closed'));
    const worker = this.idle.pop() ?? (this.live.size < this.threads ? this.spawn() : undefined);
    if (worker) {
      worker.ref();
      return Promise.resolve(worker);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) return next(worker);
    // An idle thread does not keep the process alive.
    worker.unref();
    this.idle.push(worker);
  }

  private discard(worker: Worker): void {
    this.live.delete(worker);
    void worker.terminate();
    const next = this.waiting.shift();
    if (next && !this.closed) {
      const fresh = this.spawn();
      fresh.ref();
      next(fresh);
    }
  }

  private spawn(): Worker {
    const entry = threadEntry();
    const data: PartitionThreadData = {
      store: this.options.store,
      registryPrefix: this.options.registryPrefix,
      memoryShareBytes: this.options.memoryShareBytes,
    };
    const worker = new Worker(entry.code, { eval: entry.eval, workerData: data });
    this.live.add(worker);
    return worker;
  }
}
