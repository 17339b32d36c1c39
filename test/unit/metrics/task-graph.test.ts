import { describe, expect, it } from 'vitest';
import type { TaskGraph, TaskSpec } from '../../../src/metrics/task-graph';
import { downstreamOf, runTaskGraph, topologicalOrder } from '../../../src/metrics/task-graph';
import { getPipeline, pipelineTaskGraph } from '../../../src/metrics/pipelines';

const t = (name: string, requires: string[] = []): TaskSpec => ({
  name,
  requires,
  output: `${name}.avro`,
  partitioned: false,
  description: name,
});

// a -> b -> d, a -> c -> d, e independent
const diamond: TaskGraph = {
  name: 'diamond',
  tasks: [t('a'), t('b', ['a']), t('c', ['a']), t('d', ['b', 'c']), t('e')],
};

/** A runTask whose tasks finish when the test says so, recording what runs at the same time. */
function controlled() {
  const waiting = new Map<string, () => void>();
  const active = new Set<string>();
  let maxActive = 0;
  const seenInputs: Record<string, string[]> = {};
  const runTask = (task: TaskSpec, inputs: Readonly<Record<string, string>>) => {
    active.add(task.name);
    maxActive = Math.max(maxActive, active.size);
    seenInputs[task.name] = Object.keys(inputs).sort();
    return new Promise<string>((resolve) => {
      waiting.set(task.name, () => {
        active.delete(task.name);
        waiting.delete(task.name);
        resolve(`${task.name}-out`);
      });
    });
  };
  const flush = () => new Promise<void>((r) => setImmediate(r));
  return { waiting, active, runTask, flush, seenInputs, maxActive: () => maxActive };
}

describe('runTaskGraph', () => {
  it('runs tasks in dependency order with independent branches in parallel', async () => {
    const c = controlled();
    const run = runTaskGraph({ graph: diamond, runTask: c.runTask });
    await c.flush();
    expect([...c.active].sort()).toEqual(['a', 'e']);
    c.waiting.get('a')!();
    await c.flush();
    expect([...c.active].sort()).toEqual(['b', 'c', 'e']);
    c.waiting.get('b')!();
    await c.flush();
    expect(c.active.has('d')).toBe(false);
    c.waiting.get('c')!();
    await c.flush();
    expect(c.active.has('d')).toBe(true);
    expect(c.seenInputs['d']).toEqual(['b', 'c']);
    c.waiting.get('d')!();
    c.waiting.get('e')!();
    const result = await run;
    expect(result.ran).toEqual(['a', 'e', 'b', 'c', 'd']);
    expect(result.results).toEqual({ a: 'a-out', b: 'b-out', c: 'c-out', d: 'd-out', e: 'e-out' });
  });

  it('respects the concurrency limit', async () => {
    const c = controlled();
    const run = runTaskGraph({ graph: diamond, runTask: c.runTask, concurrency: 1 });
    for (let i = 0; i < 5; i++) {
      await c.flush();
      expect(c.active.size).toBe(1);
      c.waiting.get([...c.active][0])!();
    }
    await run;
    expect(c.maxActive()).toBe(1);
  });

  it('starts from a task onward, reusing the outputs of the tasks before it', async () => {
    const ran: string[] = [];
    const result = await runTaskGraph({
      graph: diamond,
      fromTask: 'c',
      runTask: (task, inputs) => {
        ran.push(`${task.name}(${Object.keys(inputs).join(',')})`);
        return Promise.resolve(task.name);
      },
    });
    // d sees c's result; b was reused, so d reads b's persisted output itself.
    expect(ran).toEqual(['c()', 'd(c)']);
    expect(result.reused).toEqual(['a', 'b', 'e']);
    expect(downstreamOf(diamond, 'a')).toEqual(new Set(['a', 'b', 'c', 'd']));
  });

  it('stops starting tasks after a failure, waits for the running ones and throws the error', async () => {
    const ran: string[] = [];
    await expect(
      runTaskGraph({
        graph: diamond,
        runTask: async (task) => {
          ran.push(task.name);
          if (task.name === 'a') throw new Error('a broke');
          await Promise.resolve();
          return task.name;
        },
      }),
    ).rejects.toThrow('a broke');
    expect(ran).toEqual(['a', 'e']);
  });

  it('rejects unknown tasks, unknown requirements and cycles', async () => {
    await expect(runTaskGraph({ graph: diamond, fromTask: 'zz', runTask: () => Promise.resolve(1) })).rejects.toThrow(
      /has no task "zz"/,
    );
    expect(() => topologicalOrder({ name: 'x', tasks: [t('a', ['nope'])] })).toThrow(/unknown nope/);
    expect(() => topologicalOrder({ name: 'x', tasks: [t('a', ['b']), t('b', ['a'])] })).toThrow(/cycle/);
  });
});

describe('pipeline task graphs', () => {
  it('v1 and v2 declare the same tasks, in an order the workflow can walk', () => {
    for (const version of ['v1', 'v2']) {
      expect(pipelineTaskGraph(version)).toEqual([
        { name: 'aggregate-partitions', requires: [], partitioned: true, output: 'partials/' },
        { name: 'attributes', requires: [], partitioned: false, output: 'attributes.avro' },
        { name: 'daily-usage', requires: ['aggregate-partitions'], partitioned: false, output: 'daily-usage.avro' },
        { name: 'rolling-windows', requires: ['daily-usage'], partitioned: false, output: 'rolling.avro' },
        {
          name: 'account-documents',
          requires: ['daily-usage', 'rolling-windows', 'attributes'],
          partitioned: false,
          output: 'accounts.avro',
        },
      ]);
    }
    expect(() => getPipeline('v9')).toThrow(/no metric pipeline/);
  });
});
