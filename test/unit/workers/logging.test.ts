import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Runtime } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../src/common/errors';
import { readConfig } from '../../../src/workers/config';
import type { LoggerOptions } from '../../../src/workers/logging';
import { createLogger, installLogger, tenantAndDay } from '../../../src/workers/logging';

const DAY_RUN = 'daybreak/tenant-day/acme/2026-11-21/v1/primary';

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const logger = createLogger({
    format: 'json',
    level: 'INFO',
    write: (line) => lines.push(line),
    now: () => new Date('2026-11-22T05:00:00.000Z'),
    ...options,
  });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('the JSON logger', () => {
  it('writes one parseable line per event, with tenant and day as fields', () => {
    const { logger, lines, records } = capture();
    logger.info('indexed account documents', { tenantId: 'acme', day: '2026-11-21', indexed: 2499 });
    logger.warn('tenant-day failed; the lane will retry it', { workflowId: DAY_RUN, attempt: 2 });
    logger.debug('below the level', { workflowId: DAY_RUN });
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toContain('\n');
    expect(records()).toEqual([
      {
        time: '2026-11-22T05:00:00.000Z',
        level: 'info',
        msg: 'indexed account documents',
        tenantId: 'acme',
        day: '2026-11-21',
        indexed: 2499,
      },
      {
        time: '2026-11-22T05:00:00.000Z',
        level: 'warn',
        msg: 'tenant-day failed; the lane will retry it',
        tenantId: 'acme',
        day: '2026-11-21',
        workflowId: DAY_RUN,
        attempt: 2,
      },
    ]);
  });

  it('reads tenant and day from Daybreak workflow ids only', () => {
    expect(tenantAndDay(DAY_RUN)).toEqual({ tenantId: 'acme', day: '2026-11-21' });
    expect(tenantAndDay('daybreak/lane/globex')).toEqual({ tenantId: 'globex' });
    expect(tenantAndDay('daybreak/backfill/acme/2026-11-01/2026-11-05')).toEqual({ tenantId: 'acme' });
    expect(tenantAndDay('daybreak/rollout/v2')).toEqual({});
    expect(tenantAndDay('test')).toEqual({});
  });

  it('logs an activity failure that will be retried at info, without a stack', () => {
    const { logger, lines, records } = capture();
    const error = ApplicationFailure.retryable('S3 answered 503 Slow Down', 'S3ServiceException');
    logger.warn('Activity failed', { error, workflowId: DAY_RUN, activityType: 'runMetricTask', attempt: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(lines[0]).not.toContain('    at ');
    expect(records()[0]).toMatchObject({
      level: 'info',
      msg: 'Activity failed; it will be retried',
      retryable: true,
      tenantId: 'acme',
      day: '2026-11-21',
      attempt: 3,
      error: { type: 'S3ServiceException', message: 'S3 answered 503 Slow Down' },
    });
    expect((records()[0].error as Record<string, unknown>).stack).toBeUndefined();
  });

  it('logs a failure that will not be retried at warn, and a programming error with its stack', () => {
    const { logger, records } = capture();
    logger.warn('Activity failed', { error: new InvalidInputError('day "2026-13-01" is not a date') });
    logger.warn('Activity failed', { error: ApplicationFailure.nonRetryable('no such task', 'InvalidInputError') });
    logger.warn('Activity failed', { error: new TypeError("Cannot read properties of undefined (reading 'x')") });
    const [invalid, failure, bug] = records();
    expect(invalid).toMatchObject({ level: 'warn', msg: 'Activity failed; not retried', retryable: false });
    expect(failure).toMatchObject({ level: 'warn', retryable: false, error: { type: 'InvalidInputError' } });
    expect((invalid.error as Record<string, unknown>).stack).toBeUndefined();
    expect(bug).toMatchObject({ level: 'warn', msg: 'Activity failed', error: { type: 'TypeError' } });
    expect((bug.error as Record<string, unknown>).stack).toMatch(/TypeError/);
  });

  it("formats the SDK's own activity failure line the same way", async () => {
    const { logger, lines, records } = capture();
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: DAY_RUN, runId: 'r' } }, { logger });
    await expect(
      env.run(() => Promise.reject(ApplicationFailure.retryable('connection reset', 'NetworkError'))),
    ).rejects.toThrow('connection reset');
    const failed = records().find((r) => String(r.msg).startsWith('Activity failed'));
    expect(failed).toMatchObject({ level: 'info', retryable: true, tenantId: 'acme', day: '2026-11-21' });
    expect(lines.join('\n')).not.toContain('    at ');
  });

  it('writes pretty lines on request, and is silent at SILENT', () => {
    const pretty = capture({ format: 'pretty' });
    pretty.logger.info('swapped served alias', { tenantId: 'acme', index: 'daybreak-accounts-v2.acme' });
    expect(pretty.lines).toEqual([
      '2026-11-22T05:00:00.000Z INFO  swapped served alias tenantId=acme index=daybreak-accounts-v2.acme',
    ]);
    const silent = capture({ level: 'SILENT' });
    silent.logger.error('nothing', {});
    expect(silent.lines).toEqual([]);
  });

  it('is the Temporal runtime logger once installed', () => {
    const lines: string[] = [];
    installLogger({ format: 'json', level: 'INFO', write: (line) => lines.push(line) });
    Runtime.instance().logger.info('Worker state changed', { state: 'RUNNING', taskQueue: 'daybreak-v1' });
    // The runtime buffers lines briefly to order them with the native core's.
    (Runtime.instance().logger as { flush?: () => void }).flush?.();
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', msg: 'Worker state changed', state: 'RUNNING' });
  });
});

describe('log settings', () => {
  it('leave format and level to the process when unset, and refuse unknown values by name', () => {
    expect(readConfig({}).log).toEqual({ format: undefined, level: undefined });
    expect(readConfig({ DAYBREAK_LOG_FORMAT: 'Pretty', DAYBREAK_LOG_LEVEL: 'warn' }).log).toEqual({
      format: 'pretty',
      level: 'WARN',
    });
    expect(() => readConfig({ DAYBREAK_LOG_FORMAT: 'xml' })).toThrow(
      /DAYBREAK_LOG_FORMAT="xml" must be one of json, pretty/,
    );
    expect(() => readConfig({ DAYBREAK_LOG_LEVEL: 'loud' })).toThrow(/DAYBREAK_LOG_LEVEL/);
  });
});
