import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { ActivityFailure, ApplicationFailure, DefaultFailureConverter, RetryState } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { supervise } from '../../../src/activities/supervised';
import { applicationFailure, toApplicationFailure } from '../../../src/common/application-failures';
import * as errors from '../../../src/common/errors';
import {
  AlreadyExistsError,
  CorruptDataError,
  ErrorTypes,
  IncompatibleSchemaError,
  InvalidInputError,
  NON_RETRYABLE_ERROR_TYPES,
  REGISTERED_ERRORS,
  failureTypeOf,
  isPermanentFailureType,
  reviveError,
  serializeError,
  type ErrorKind,
  type FailureKind,
  type LocalErrorEntry,
} from '../../../src/common/errors';
import { HISTORIES_DIR, historyFiles } from '../../replay/history-files';
import { testLogger } from '../../support/logging';

/** One error of each registered local kind, with every field set (a new kind without one does not compile). */
const samples: { [K in Exclude<ErrorKind, FailureKind>]: Error } = {
  InvalidInput: new InvalidInputError('tenant id "a/b" must match [a-z0-9-]'),
  CorruptData: new CorruptDataError('raw/acme/x.avro has a bad sync marker at byte 812', 'raw/acme/x.avro', 812),
  IncompatibleSchema: new IncompatibleSchemaError('field amount changed from long to string'),
  AlreadyExists: new AlreadyExistsError('ledger/acme/2026-03-08.json'),
};

const localKinds = Object.keys(samples) as (keyof typeof samples)[];
const failureKinds = (Object.keys(REGISTERED_ERRORS) as ErrorKind[]).filter(
  (k): k is FailureKind => REGISTERED_ERRORS[k].kind === 'failure',
);

/** Through a real MessageChannel, as a partition thread's postMessage sends it. */
async function acrossThread<T>(value: T): Promise<T> {
  const { port1, port2 } = new MessageChannel();
  try {
    const received = new Promise<T>((resolve) => port2.once('message', resolve));
    port1.postMessage(value);
    return await received;
  } finally {
    port1.close();
    port2.close();
  }
}

/** Through the SDK's failure converter, as an activity failure is written to and read from history. */
function acrossHistory(failure: ApplicationFailure): ApplicationFailure {
  const converter = new DefaultFailureConverter();
  const wrapped = new ActivityFailure(
    'activity failed',
    'runMetricTask',
    '7',
    RetryState.NON_RETRYABLE_FAILURE,
    'w',
    failure,
  );
  const read = converter.failureToError(
    converter.errorToFailure(wrapped, defaultPayloadConverter),
    defaultPayloadConverter,
  );
  expect(read).toBeInstanceOf(ActivityFailure);
  const cause = (read as ActivityFailure).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

describe('error registry', () => {
  it('registers every error class the errors module exports, under its own name', () => {
    const classes = Object.entries(errors).filter(
      ([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof Error,
    );
    expect(classes.map(([name]) => name)).toEqual(expect.arrayContaining(['CorruptDataError', 'InvalidInputError']));
    const locals = Object.values(REGISTERED_ERRORS).filter((e) => e.kind === 'local') as LocalErrorEntry[];
    for (const [name, errorClass] of classes) {
      const entry = locals.find((e) => e.errorClass === errorClass);
      expect(entry, `${name} is exported from common/errors.ts but not in REGISTERED_ERRORS`).toBeDefined();
      expect(entry!.type).toBe(name);
    }
    // Every local kind has a sample here, so the round trips below cover it.
    expect(localKinds.sort()).toEqual(
      (Object.keys(REGISTERED_ERRORS) as ErrorKind[]).filter((k) => REGISTERED_ERRORS[k].kind === 'local').sort(),
    );
  });

  it('keeps the failure type names recorded histories, run ledgers and retry policies carry', () => {
    // New entries may come; these names may never change.
    expect(ErrorTypes).toMatchObject({
      InvalidInput: 'InvalidInputError',
      CorruptData: 'CorruptDataError',
      IncompatibleSchema: 'IncompatibleSchemaError',
      InputsNotArrived: 'InputsNotArrivedError',
      AlreadyExists: 'AlreadyExistsError',
      DependencyUnavailable: 'DependencyUnavailableError',
      AlertRejected: 'AlertRejectedError',
    });
    expect(NON_RETRYABLE_ERROR_TYPES).toEqual(
      expect.arrayContaining([
        'InvalidInputError',
        'CorruptDataError',
        'IncompatibleSchemaError',
        'InputsNotArrivedError',
        'AlertRejectedError',
      ]),
    );
  });

  it('every failure type in a recorded history is registered (or a JavaScript built-in), with its retryability', () => {
    const builtins = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError']);
    const seen = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      const info = o.applicationFailureInfo as { type?: string; nonRetryable?: boolean } | undefined;
      if (info?.type) {
        seen.add(info.type);
        const entry = errors.registeredError(info.type);
        expect(entry !== undefined || builtins.has(info.type), `${info.type} in a history is not registered`).toBe(
          true,
        );
        if (entry && !entry.retryable) expect(info.nonRetryable).toBe(true);
      }
      for (const type of (o.nonRetryableErrorTypes as string[] | undefined) ?? []) {
        seen.add(type);
        expect(errors.registeredError(type)?.retryable, `${type} in a retry policy`).toBe(false);
      }
      Object.values(o).forEach(walk);
    };
    for (const file of historyFiles()) walk(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
    expect(seen).toContain('CorruptDataError');
    expect(seen).toContain('AlertRejectedError');
  });

  it.each(localKinds)('%s crosses a worker thread as its own class, message, fields and stack', async (kind) => {
    const error = samples[kind];
    const entry = REGISTERED_ERRORS[kind] as LocalErrorEntry;
    const revived = reviveError(await acrossThread(serializeError(error)));
    expect(revived).toBeInstanceOf(entry.errorClass);
    expect(revived.name).toBe(entry.type);
    expect(revived.message).toBe(error.message);
    expect(revived.stack).toBe(error.stack);
    expect(entry.fields(revived)).toEqual(entry.fields(error));
    expect({ ...revived }).toEqual({ ...error });
  });

  it('an unregistered error crosses a thread by name and message', async () => {
    const bug = new TypeError('x is not a function');
    const revived = reviveError(await acrossThread(serializeError(bug)));
    expect(revived).toMatchObject({ name: 'TypeError', message: 'x is not a function' });
  });

  it.each(localKinds)('%s leaves an activity as an ApplicationFailure of its type, retryability and fields', (kind) => {
    const error = samples[kind];
    const entry = REGISTERED_ERRORS[kind] as LocalErrorEntry;
    const failure = toApplicationFailure(error) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure.cause).toBe(error);
    const read = acrossHistory(failure);
    expect(read.type).toBe(entry.type);
    expect(read.message).toBe(error.message);
    expect(read.nonRetryable).toBe(!entry.retryable);
    expect(read.details).toEqual([JSON.parse(JSON.stringify(entry.fields(error)))]);
    // What a workflow sees: the type at the root of the chain, permanent exactly when not retryable.
    expect(failureTypeOf(new ActivityFailure('failed', 't', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', read))).toBe(
      entry.type,
    );
    expect(isPermanentFailureType(entry.type)).toBe(!entry.retryable);
  });

  it.each(failureKinds)('%s is raised as an ApplicationFailure of its type and retryability', (kind) => {
    const entry = REGISTERED_ERRORS[kind];
    const read = acrossHistory(applicationFailure(kind, `${kind} for alert a-1`, new Error('underneath')));
    expect(read).toMatchObject({ type: entry.type, message: `${kind} for alert a-1`, nonRetryable: !entry.retryable });
    expect(read.cause?.message).toBe('underneath');
    expect(isPermanentFailureType(entry.type)).toBe(!entry.retryable);
  });

  it('supervised activities fail with the registered failure whichever factory threw the error', async () => {
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: undefined, attempt: 1 }, { logger: testLogger });
    const { task } = supervise({
      task: (): Promise<never> => Promise.reject(samples.CorruptData),
    });
    const failed = await env.run(task).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApplicationFailure);
    expect(failed).toMatchObject({
      type: 'CorruptDataError',
      nonRetryable: true,
      details: [{ key: 'raw/acme/x.avro', offset: 812 }],
    });
  });
});
