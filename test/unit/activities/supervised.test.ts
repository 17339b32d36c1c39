import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { supervise } from '../../../src/activities/supervised';
import { ErrorTypes } from '../../../src/common/errors';
import { NON_OUTAGE_ATTEMPTS } from '../../../src/common/outage';
import { testLogger } from '../../support/logging';

/** An activity environment with a heartbeat timeout (or none) and an attempt; records its heartbeats. */
function environment(info: { heartbeatTimeoutMs?: number; attempt?: number } = {}) {
  const env = new MockActivityEnvironment(
    { heartbeatTimeoutMs: undefined, attempt: 1, ...info },
    { logger: testLogger },
  );
  const beats: unknown[] = [];
  env.on('heartbeat', (details: unknown) => beats.push(details));
  return { env, beats };
}

/** A promise the test settles, standing for the activity's work. */
function gate<T = void>() {
  let open!: (value: T) => void;
  let fail!: (error: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7070'), {
    code: 'ECONNREFUSED',
    address: '127.0.0.1',
    port: 7070,
  });
const endpoints = { S3: 'http://127.0.0.1:7070', Elasticsearch: 'http://127.0.0.1:9200' };

describe('supervise: keep-alive heartbeats', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('beats four times per heartbeat timeout, re-sending the last progress details, and stops when the activity ends', async () => {
    const { env, beats } = environment({ heartbeatTimeoutMs: 20_000 });
    const step = gate();
    const work = gate<string>();
    const { task } = supervise({
      task: async () => {
        Context.current().heartbeat({ done: 1, total: 3 });
        await step.promise;
        Context.current().heartbeat({ done: 2, total: 3 });
        return work.promise;
      },
    });
    const running = env.run(task);
    await vi.advanceTimersByTimeAsync(0);
    expect(beats).toEqual([{ done: 1, total: 3 }]);
    await vi.advanceTimersByTimeAsync(15_000);
    // One every 5 s, each with the activity's latest details.
    expect(beats).toEqual(Array.from({ length: 4 }, () => ({ done: 1, total: 3 })));
    step.open();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(beats.slice(4)).toEqual([
      { done: 2, total: 3 },
      { done: 2, total: 3 },
    ]);

    work.open('finished');
    await expect(running).resolves.toBe('finished');
    const count = beats.length;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(beats).toHaveLength(count);
  });

  it('beats before any progress (no details), and stops when the activity fails', async () => {
    const { env, beats } = environment({ heartbeatTimeoutMs: 8_000 });
    const work = gate();
    const { task } = supervise({ task: () => work.promise });
    const running = env.run(task);
    await vi.advanceTimersByTimeAsync(4_000);
    expect(beats).toEqual([undefined, undefined]);
    work.fail(new Error('planted bug'));
    await expect(running).rejects.toThrow('planted bug');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(beats).toHaveLength(2);
  });

  it('never beats more often than once a second', async () => {
    const { env, beats } = environment({ heartbeatTimeoutMs: 2_000 });
    const work = gate();
    const { task } = supervise({ task: () => work.promise });
    const running = env.run(task);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(beats).toHaveLength(3);
    work.open();
    await running;
  });

  it('does not beat an activity that has no heartbeat timeout', async () => {
    const { env, beats } = environment({ heartbeatTimeoutMs: undefined });
    const work = gate();
    const { task } = supervise({ task: () => work.promise });
    const running = env.run(task);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(beats).toEqual([]);
    work.open();
    await running;
  });
});

describe('supervise: failures', () => {
  it('rethrows a connection failure as a retryable DependencyUnavailable naming the dependency', async () => {
    const { task } = supervise({ task: () => Promise.reject(refused()) }, { endpoints });
    for (const attempt of [1, NON_OUTAGE_ATTEMPTS, 40]) {
      const error = await environment({ attempt })
        .env.run(task)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApplicationFailure);
      // No attempt cap: an outage is ridden out for as long as the retry policy's schedule-to-close allows.
      expect(error).toMatchObject({
        type: ErrorTypes.DependencyUnavailable,
        message: 'S3 at 127.0.0.1:7070: connection refused',
        nonRetryable: false,
      });
      expect((error as ApplicationFailure).cause).toMatchObject({ code: 'ECONNREFUSED' });
    }
  });

  it('retries any other failure as before until attempt NON_OUTAGE_ATTEMPTS, then ends it, non-retryable', async () => {
    expect(NON_OUTAGE_ATTEMPTS).toBe(6);
    const bug = new TypeError("Cannot read properties of undefined (reading 'accounts')");
    const { task } = supervise({ task: () => Promise.reject(bug) }, { endpoints });
    for (let attempt = 1; attempt < NON_OUTAGE_ATTEMPTS; attempt++)
      await expect(environment({ attempt }).env.run(task)).rejects.toBe(bug);
    const last = await environment({ attempt: NON_OUTAGE_ATTEMPTS })
      .env.run(task)
      .catch((e: unknown) => e);
    expect(last).toBeInstanceOf(ApplicationFailure);
    expect(last).toMatchObject({
      type: 'TypeError',
      nonRetryable: true,
      message: `${bug.message} (attempt 6: only dependency outages are retried longer)`,
    });
    expect((last as ApplicationFailure).cause).toBe(bug);

    // A retryable ApplicationFailure keeps its type; a non-retryable one is left as it is.
    const throttled = ApplicationFailure.retryable('slow down', 'SlowDown');
    const { slow } = supervise({ slow: () => Promise.reject(throttled) });
    await expect(environment({ attempt: 7 }).env.run(slow)).rejects.toMatchObject({
      type: 'SlowDown',
      nonRetryable: true,
    });
    const corrupt = ApplicationFailure.nonRetryable('bad block', ErrorTypes.CorruptData);
    const { bad } = supervise({ bad: () => Promise.reject(corrupt) });
    await expect(environment({ attempt: 1 }).env.run(bad)).rejects.toBe(corrupt);
    await expect(environment({ attempt: 9 }).env.run(bad)).rejects.toBe(corrupt);
  });

  it('lets a cancellation through untouched, at any attempt', async () => {
    for (const attempt of [1, NON_OUTAGE_ATTEMPTS]) {
      const { env } = environment({ attempt, heartbeatTimeoutMs: 20_000 });
      const { task } = supervise({ task: () => Context.current().cancelled }, { endpoints });
      const running = env.run(task);
      env.cancel('CANCELLED');
      const error = await running.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CancelledFailure);
    }
  });

  it('is a plain call outside an activity (in-process runs)', async () => {
    const error = refused();
    const { task, ok } = supervise({ task: () => Promise.reject(error), ok: (x: number) => Promise.resolve(x * 2) });
    await expect(task()).rejects.toBe(error);
    await expect(ok(21)).resolves.toBe(42);
  });
});
