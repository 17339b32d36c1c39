import { InvalidInputError } from '../common/errors';

/**
 * A metric task graph declared in code, Luigi-style: each task names the tasks it requires and
 * the dataset it writes (a path under the run's output prefix, see outputKey in src/common/keys.ts).
 * Datasets are written at deterministic keys, so a task that is not re-run is "reused": its
 * persisted output is what the tasks after it read.
 */
export interface TaskSpec {
  readonly name: string;
  readonly requires: readonly string[];
  /** Dataset written, relative to the run's output prefix ('daily-usage.avro', 'partials/'). */
  readonly output: string;
  /** True for the partition fan-out: the caller plans partitions and aggregates each one. */
  readonly partitioned: boolean;
  readonly description: string;
}

export interface TaskGraph {
  readonly name: string;
  readonly tasks: readonly TaskSpec[];
}

/** Throws InvalidInputError on duplicate names, unknown requirements or a cycle; returns tasks in a topological order. */
export function topologicalOrder(graph: TaskGraph): TaskSpec[] {
  const byName = new Map<string, TaskSpec>();
  for (const t of graph.tasks) {
    if (byName.has(t.name)) throw new InvalidInputError(`task graph ${graph.name}: duplicate task ${t.name}`);
    byName.set(t.name, t);
  }
  for (const t of graph.tasks) {
    for (const r of t.requires) {
      if (!byName.has(r)) throw new InvalidInputError(`task graph ${graph.name}: task ${t.name} requires unknown ${r}`);
    }
  }
  const order: TaskSpec[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: TaskSpec, path: string[]) => {
    const s = state.get(t.name);
    if (s === 'done') return;
    if (s === 'visiting') {
      throw new InvalidInputError(`task graph ${graph.name}: cycle ${[...path, t.name].join(' -> ')}`);
    }
    state.set(t.name, 'visiting');
    for (const r of t.requires) visit(byName.get(r)!, [...path, t.name]);
    state.set(t.name, 'done');
    order.push(t);
  };
  for (const t of graph.tasks) visit(t, []);
  return order;
}

/** `fromTask` and every task that depends on it, directly or not. */
export function downstreamOf(graph: TaskGraph, fromTask: string): Set<string> {
  if (!graph.tasks.some((t) => t.name === fromTask)) {
    throw new InvalidInputError(
      `task graph ${graph.name} has no task ${JSON.stringify(fromTask)}; tasks: ${graph.tasks.map((t) => t.name).join(', ')}`,
    );
  }
  const selected = new Set([fromTask]);
  for (const t of topologicalOrder(graph)) {
    if (t.requires.some((r) => selected.has(r))) selected.add(t.name);
  }
  return selected;
}

export interface RunTaskGraphOptions<R> {
  graph: TaskGraph;
  /** Run this task and everything downstream of it; the others' persisted outputs are reused. */
  fromTask?: string;
  /**
   * Runs one task. `inputs` holds the results of the required tasks that ran in this execution;
   * a required task that was reused is absent, and the task reads its persisted output instead.
   */
  runTask: (task: TaskSpec, inputs: Readonly<Record<string, R>>) => Promise<R>;
  /** Most tasks running at once; default unlimited. */
  concurrency?: number;
}

export interface RunTaskGraphResult<R> {
  results: Record<string, R>;
  /** Task names in the order they were started. */
  ran: string[];
  reused: string[];
}

/**
 * Runs a task graph: each task once its requirements are done, independent branches in parallel
 * (up to `concurrency`), ready tasks started in declaration order. Pure and promise-based, with no
 * timers or I/O of its own, so it runs inside a Temporal workflow (where `runTask` calls an
 * activity, and the start order is deterministic) as well as in-process. On a failure no new task
 * starts; the running ones are awaited and the first error is thrown.
 */
export async function runTaskGraph<R>(options: RunTaskGraphOptions<R>): Promise<RunTaskGraphResult<R>> {
  const { graph, runTask } = options;
  const concurrency = options.concurrency ?? Infinity;
  if (!(concurrency >= 1)) throw new InvalidInputError(`concurrency ${concurrency} must be at least 1`);
  topologicalOrder(graph);
  const selected = options.fromTask ? downstreamOf(graph, options.fromTask) : new Set(graph.tasks.map((t) => t.name));
  const reused = graph.tasks.filter((t) => !selected.has(t.name)).map((t) => t.name);
  const done = new Set(reused);
  const results: Record<string, R> = {};
  const ran: string[] = [];
  const pending = graph.tasks.filter((t) => selected.has(t.name));
  const running = new Map<string, Promise<void>>();
  let failure: { error: unknown } | null = null;

  const start = (task: TaskSpec) => {
    ran.push(task.name);
    const inputs: Record<string, R> = {};
    for (const r of task.requires) if (r in results) inputs[r] = results[r]!;
    const promise = (async () => {
      try {
        results[task.name] = await runTask(task, inputs);
        done.add(task.name);
      } catch (error) {
        failure ??= { error };
      } finally {
        running.delete(task.name);
      }
    })();
    running.set(task.name, promise);
  };

  while (pending.length > 0 || running.size > 0) {
    if (failure === null) {
      for (let i = 0; i < pending.length && running.size < concurrency;) {
        const task = pending[i];
        if (task.requires.every((r) => done.has(r))) {
          pending.splice(i, 1);
          start(task);
        } else i++;
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return { results, ran, reused };
}
