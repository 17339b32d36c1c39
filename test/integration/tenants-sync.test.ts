import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNamespace } from '../../src/client/namespaces';
import { dailyScheduleId } from '../../src/common/ids';
import { ALL_SEARCH_ATTRIBUTE_KEYS } from '../../src/common/search-attributes';
import type { Stack } from '../support/stack';
import { connectStack, uniqueName } from '../support/stack';
import { TEST_RUN_ID_ENV, testNamespaceName } from '../support/test-run';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const DAYBREAK_NAMES = ALL_SEARCH_ATTRIBUTE_KEYS.map((k) => k.name);

let stack: Stack;
const namespaces: string[] = [];

/** A namespace of this run (the run's teardown removes it too, should afterAll not get to it). */
function runNamespace(what: string): string {
  const name = `${testNamespaceName(process.env[TEST_RUN_ID_ENV]!)}-${what}${randomBytes(3).toString('hex')}`;
  namespaces.push(name);
  return name;
}

async function customAttributes(namespace: string): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const listed = await stack.client.connection.operatorService.listSearchAttributes({ namespace });
      return Object.keys(listed.customAttributes ?? {});
    } catch (error) {
      // A namespace just registered reaches every server role a moment later.
      if ((error as { code?: number }).code !== 5 || attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

async function scheduleIds(namespace: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of new Client({ connection: stack.client.connection, namespace }).schedule.list())
    ids.push(s.scheduleId);
  return ids.sort();
}

beforeAll(async () => {
  stack = await connectStack();
});
afterAll(async () => {
  try {
    for (const namespace of namespaces) {
      const client = new Client({ connection: stack.client.connection, namespace });
      try {
        for (const id of await scheduleIds(namespace)) await client.schedule.getHandle(id).delete();
        await stack.client.connection.operatorService.deleteNamespace({ namespace });
      } catch {
        // Never created (the test failed before), or already gone; the run's teardown reports leftovers.
      }
    }
  } finally {
    await stack.close();
  }
});

/** `daybreak tenants sync` as an operator runs it, in `namespace`, on a tenants file of `tenants`. */
async function sync(namespace: string, tenants: object[], prefix: string, indexPrefix: string) {
  // One queue per prefix: a sync with another queue would (rightly) update the schedules.
  const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-sync-'));
  const tenantsFile = path.join(dir, 'tenants.json');
  writeFileSync(tenantsFile, JSON.stringify({ tenants }));
  const env = {
    ...process.env,
    DAYBREAK_TENANTS_FILE: tenantsFile,
    DAYBREAK_TEMPORAL_NAMESPACE: namespace,
    DAYBREAK_TASK_QUEUE: `${prefix}-q`,
    DAYBREAK_ES_INDEX_PREFIX: indexPrefix,
    DAYBREAK_FS_ROOT: path.join(dir, 'store'),
  };
  return run(path.join(ROOT, 'bin/daybreak'), ['tenants', 'sync', '--prefix', prefix], { env, cwd: ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({
      code: error.code ?? -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? '',
    }),
  );
}

describe('daybreak tenants sync is all or nothing (real Temporal dev server)', () => {
  it('changes nothing when one tenant of the file has a zone in the wrong case, and says which and why', async () => {
    // A namespace with Daybreak's attributes: before the fix, the first tenant's schedule was created here.
    const namespace = runNamespace('sync-bad');
    await ensureNamespace(stack.client.connection, namespace, { retentionDays: 1 });
    const prefix = uniqueName('syncbad');
    const indexPrefix = uniqueName('daybreak-syncbad');
    const [good, bad, later, bad2] = ['good', 'bad', 'later', 'bad2'].map((t) => uniqueName(`sync-${t}`));
    const result = await sync(
      namespace,
      [
        { id: good, timeZone: 'America/New_York' },
        { id: bad, timeZone: 'america/new_york' },
        { id: later, timeZone: 'Europe/Berlin' },
        { id: bad2, timeZone: 'europe/berlin' },
      ],
      prefix,
      indexPrefix,
    );
    expect(result.code).not.toBe(0);
    // Nothing changed: no schedule (the first tenant's was created before the fix), no index.
    expect(await scheduleIds(namespace)).toEqual([]);
    const indices = await stack.es.cat.indices({ index: `${indexPrefix}*`, format: 'json', h: 'index' });
    expect(indices).toEqual([]);
    expect(result.stderr).toContain(
      `tenants[1] ("${bad}"): timeZone "america/new_york" is not an IANA time zone name: names are case-sensitive (did you mean America/New_York?)`,
    );
    expect(result.stderr).toContain(
      `tenants[3] ("${bad2}"): timeZone "europe/berlin" is not an IANA time zone name: names are case-sensitive (did you mean Europe/Berlin?)`,
    );
    expect(result.stderr).toContain('2 problems');
  });

  it('registers the search attributes of a namespace that lacks them, then creates the schedules', async () => {
    const namespace = runNamespace('sync-bare');
    // Registered the way any operator would, without Daybreak's search attributes.
    await stack.client.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    expect((await customAttributes(namespace)).filter((n) => DAYBREAK_NAMES.includes(n))).toEqual([]);
    const prefix = uniqueName('syncbare');
    const indexPrefix = uniqueName('daybreak-syncbare');
    const [ny, utc] = ['ny', 'utc'].map((t) => uniqueName(`sync-${t}`));
    const result = await sync(
      namespace,
      [
        { id: ny, timeZone: 'America/New_York', runHour: 2 },
        { id: utc, timeZone: 'Etc/UTC', enabled: false },
      ],
      prefix,
      indexPrefix,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `search attributes: registered ${DAYBREAK_NAMES.join(', ')} in namespace ${namespace}`,
    );
    expect(result.stdout).toContain('schedules: created 4, updated 0, paused 0, deleted 0');
    expect(await customAttributes(namespace)).toEqual(expect.arrayContaining(DAYBREAK_NAMES));
    expect(await scheduleIds(namespace)).toEqual(
      [
        dailyScheduleId(ny, prefix),
        dailyScheduleId(utc, prefix),
        `${prefix}-reconciler`,
        `${prefix}-sla-monitor`,
      ].sort(),
    );
    const client = new Client({ connection: stack.client.connection, namespace });
    const described = await client.schedule.getHandle(dailyScheduleId(ny, prefix)).describe();
    expect(described.spec.timezone).toBe('America/New_York');
    expect(described.spec.calendars?.[0]?.hour).toEqual([{ start: 2, end: 2, step: 1 }]);
    expect((await client.schedule.getHandle(dailyScheduleId(utc, prefix)).describe()).state.paused).toBe(true);
    // Again: nothing left to register or create.
    const again = await sync(
      namespace,
      [
        { id: ny, timeZone: 'America/New_York', runHour: 2 },
        { id: utc, timeZone: 'Etc/UTC', enabled: false },
      ],
      prefix,
      indexPrefix,
    );
    expect(again.stdout).not.toContain('search attributes: registered');
    expect(again.stdout).toContain('schedules: created 0, updated 0, paused 0, deleted 0');
  });
});
