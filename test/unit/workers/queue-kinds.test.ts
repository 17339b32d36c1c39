import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/workers/config';
import { workerQueues } from '../../../src/workers/queues';

const layout = {
  taskQueue: 'daybreak',
  versions: ['v1', 'v2'],
  coordination: false,
  maxConcurrentActivities: 8,
  maxConcurrentBackfillActivities: 1,
};

describe('DAYBREAK_WORKER_QUEUE_KINDS', () => {
  it('polls both of each version queues by default', () => {
    expect(readConfig({}).worker.queueKinds).toEqual(['live', 'backfill']);
    const queues = workerQueues({ ...layout, queueKinds: readConfig({}).worker.queueKinds });
    expect(queues.map((q) => q.taskQueue)).toEqual([
      'daybreak-v1',
      'daybreak-v1-backfill',
      'daybreak-v2',
      'daybreak-v2-backfill',
    ]);
  });

  it('lets a worker poll only the live or only the backfill queues', () => {
    const live = readConfig({ DAYBREAK_WORKER_QUEUE_KINDS: 'live' }).worker.queueKinds;
    const backfill = readConfig({ DAYBREAK_WORKER_QUEUE_KINDS: ' backfill ' }).worker.queueKinds;
    expect(workerQueues({ ...layout, queueKinds: live }).map((q) => q.taskQueue)).toEqual([
      'daybreak-v1',
      'daybreak-v2',
    ]);
    expect(workerQueues({ ...layout, queueKinds: backfill }).map((q) => [q.taskQueue, q.maxActivities])).toEqual([
      ['daybreak-v1-backfill', 1],
      ['daybreak-v2-backfill', 1],
    ]);
  });

  it('keeps the coordination queue independent of the kinds', () => {
    const queues = workerQueues({ ...layout, versions: [], coordination: true, queueKinds: ['backfill'] });
    expect(queues.map((q) => [q.taskQueue, q.kind])).toEqual([['daybreak', 'coordination']]);
  });

  it('refuses a kind it does not know, naming the variable', () => {
    expect(() => readConfig({ DAYBREAK_WORKER_QUEUE_KINDS: 'live,shadow' })).toThrow(
      /DAYBREAK_WORKER_QUEUE_KINDS="live,shadow" must be live, backfill or live,backfill/,
    );
    expect(() => readConfig({ DAYBREAK_WORKER_QUEUE_KINDS: ',' })).toThrow(/DAYBREAK_WORKER_QUEUE_KINDS/);
  });
});
