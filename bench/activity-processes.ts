/**
 * Metric activities in forked worker processes, for bench:metrics --workers W: each child runs
 * createMetricActivities over the same fs store with its own partition threads, and the parent
 * hands each activity call to a child over IPC ({id, activity, input} -> {id, result} or
 * {id, error}). Calls go to the child with the fewest calls in flight, ties in turn, which is how
 * workers polling one task queue share a day's activities; the real Temporal version is
 * bench:scale-out.
 */
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import type { MetricActivities } from '../src/activities/tenant-days/metric-activities';
import { FsObjectStore } from '../src/storage/fs-object-store';
import { startBenchWorker } from './bench-worker';

export type FanOutActivities = Pick<
  MetricActivities,
  'planBuckets' | 'planPartitions' | 'aggregatePartition' | 'runMetricTask'
>;
type ActivityName = keyof FanOutActivities;
const ACTIVITY_NAMES: readonly ActivityName[] = [
  'planBuckets',
  'planPartitions',
  'aggregatePartition',
  'runMetricTask',
];

export interface ActivityProcessOptions {
  /** Root of the fs object store every child reads and writes. */
  root: string;
  /** Partition threads per child (0: aggregate on the child's main thread). */
  threads: number;
  /** Each task's memory share (shareOf). */
  memoryShareBytes: number;
  minPartitionBytes?: number;
}

interface CallMessage {
  id: number;
  activity: ActivityName;
  input: unknown;
}
type ChildMessage =
  | { id: number; result: unknown }
  | { id: number; error: { name: string; message: string; stack?: string } }
  | { ready: true }
  | { closed: true; maxRssMb: number; cpuSeconds: number };

interface Child {
  process: ChildProcess;
  inFlight: number;
  ready: Promise<void>;
  exited?: string;
}

/** W forked processes running the metric activities; `activities` dispatches to them. */
export class ActivityProcesses {
  private readonly children: Child[];
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; child: Child }>();
  private nextId = 1;
  private turn = 0;
  private readonly maxRss: number[] = [];
  /** Each closed child's CPU time, every thread of it (user + system), in seconds. */
  readonly cpuSeconds: number[] = [];
  private closing?: Promise<number[]>;

  constructor(count: number, options: ActivityProcessOptions) {
    if (!Number.isInteger(count) || count < 1) throw new Error(`worker processes ${count} must be a positive integer`);
    this.children = Array.from({ length: count }, () => this.spawn(options));
  }

  private spawn(options: ActivityProcessOptions): Child {
    const forked = fork(__filename, ['--activity-process', JSON.stringify(options)], {
      execArgv: process.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const child: Child = {
      process: forked,
      inFlight: 0,
      ready: new Promise<void>((resolve, reject) => {
        forked.on('message', (m: ChildMessage) => 'ready' in m && resolve());
        forked.once('exit', (code) => reject(new Error(`worker process exited (status ${code}) before it was ready`)));
      }),
    };
    child.ready.catch(() => undefined); // seen by ready(); a child that exits after close() is no error
    child.process.on('message', (message: ChildMessage) => {
      if ('closed' in message || 'ready' in message) return;
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      child.inFlight--;
      if ('error' in message) {
        const error = new Error(message.error.message);
        error.name = message.error.name;
        error.stack = message.error.stack;
        call.reject(error);
      } else call.resolve(message.result);
    });
    child.process.on('exit', (code, signal) => {
      child.exited = `worker process ${child.process.pid} exited (${signal ?? `status ${code}`})`;
      for (const [id, call] of this.pending) {
        if (call.child !== child) continue;
        this.pending.delete(id);
        call.reject(new Error(child.exited));
      }
    });
    return child;
  }

  /** Resolves once every child has started its partition threads (what a worker does before it polls). */
  async ready(): Promise<void> {
    await Promise.all(this.children.map((c) => c.ready));
  }

  /** The child for the next call: fewest calls in flight, ties taken in turn. */
  private choose(): Child {
    const live = this.children.filter((c) => !c.exited);
    if (!live.length) throw new Error(this.children[0].exited ?? 'no worker process');
    let best: Child | undefined;
    for (let k = 0; k < this.children.length; k++) {
      const c = this.children[(this.turn + k) % this.children.length];
      if (!c.exited && (!best || c.inFlight < best.inFlight)) best = c;
    }
    this.turn = (this.children.indexOf(best!) + 1) % this.children.length;
    return best!;
  }

  call<R>(activity: ActivityName, input: unknown): Promise<R> {
    const child = this.choose();
    const id = this.nextId++;
    child.inFlight++;
    return new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve, reject, child });
      child.process.send({ id, activity, input } satisfies CallMessage);
    });
  }

  /** The activities the fan-out calls, each call run in one of the children. */
  get activities(): FanOutActivities {
    const out = {} as Record<ActivityName, (input: unknown) => Promise<unknown>>;
    for (const name of ACTIVITY_NAMES) out[name] = (input) => this.call(name, input);
    return out as unknown as FanOutActivities;
  }

  /** Stops every child (after its partition threads) and gives each one's peak RSS in MB. */
  async close(): Promise<number[]> {
    if (this.closing) return this.closing;
    this.closing = this.stop();
    return this.closing;
  }

  private async stop(): Promise<number[]> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exited) return resolve();
            c.process.on('message', (m: ChildMessage) => {
              if (!('closed' in m)) return;
              this.maxRss.push(m.maxRssMb);
              this.cpuSeconds.push(m.cpuSeconds);
            });
            c.process.once('exit', () => resolve());
            c.process.send({ close: true });
          }),
      ),
    );
    return this.maxRss;
  }
}

async function childMain(options: ActivityProcessOptions): Promise<void> {
  const store = new FsObjectStore(options.root);
  const worker = await startBenchWorker({ store, ...options });
  const activities: FanOutActivities = worker.activities;
  const send = (m: ChildMessage) => process.send!(m);
  send({ ready: true });
  process.on('message', (m: CallMessage | { close: true }) => {
    if ('close' in m) {
      void (async () => {
        await worker.close();
        const usage = process.resourceUsage();
        const cpuSeconds = (usage.userCPUTime + usage.systemCPUTime) / 1e6;
        process.send!({ closed: true, maxRssMb: usage.maxRSS / 1024, cpuSeconds } satisfies ChildMessage, () =>
          process.exit(0),
        );
      })();
      return;
    }
    const run = activities[m.activity] as (input: unknown) => Promise<unknown>;
    run(m.input).then(
      (result) => send({ id: m.id, result }),
      (error: unknown) => {
        const e = error instanceof Error ? error : new Error(String(error));
        send({ id: m.id, error: { name: e.name, message: e.message, stack: e.stack } });
      },
    );
  });
}

if (require.main === module && process.argv[2] === '--activity-process') {
  childMain(JSON.parse(process.argv[3]) as ActivityProcessOptions).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
