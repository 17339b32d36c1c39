import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElasticsearchServingActivities } from '../../src/activities/serving/serving';
import { createTemporalLaneActivities } from '../../src/activities/lanes/lanes';
import { laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { laneWorkflowId, rolloutWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { OperatorAction } from '../../src/workflows/rollouts/rollout-contracts';
import { historyIndexName, servedAliasName, servingIndexName } from '../../src/workflows/serving/serving-contracts';
import { readConfig } from '../../src/workers/config';
import { rolloutWorkflow } from '../../src/workflows/rollouts/rollout';
import {
  dayVerdictSignal,
  finishUpdate,
  promoteUpdate,
  resumeUpdate,
  rollbackUpdate,
  rolloutStateQuery,
} from '../../src/workflows/rollouts/rollout-signals';
import { recordingActivities } from '../support/recording-activities';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';
import { createTestNamespace } from '../support/test-run';

/**
 * Issue 13, point 7: an operator steers a rollout. A rolled-back tenant goes back to shadow and is
 * promoted again, with its served alias (real Elasticsearch) and its lane (a real lane workflow)
 * following each step; the `daybreak rollout` command shows who acted, when and why, and speaks
 * its own flags.
 */

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const SETTINGS = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };

let stack: Stack;
let workflowBundle: WorkflowBundleWithSourceMap;
const cleanups: (() => Promise<unknown>)[] = [];
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await connectStack();
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await stack.close();
});

const terminateLater = (handle: WorkflowHandle) =>
  cleanups.push(() => handle.terminate('test cleanup').catch(() => undefined));

const waitFor = (what: string, predicate: () => Promise<boolean>) => waitUntil(predicate, { what, timeoutMs: 60_000 });

describe('a rolled-back tenant resumed and promoted again', () => {
  it('goes rolled-back -> shadow -> eligible by clean days -> promoted, alias and lane following', async () => {
    const base = uniqueName('rollout-resume');
    const tenantId = uniqueName('resume');
    const indexPrefix = uniqueName('daybreak-resume');
    const indices = ['v1', 'v2'].flatMap((v) => [
      servingIndexName(indexPrefix, tenantId, v),
      historyIndexName(indexPrefix, tenantId, v),
    ]);
    cleanups.push(() => stack.es.indices.delete({ index: indices, ignore_unavailable: true }));
    const serving = createElasticsearchServingActivities({ es: stack.es, store: stack.store, indexPrefix });
    await serving.setupTenantServing({ tenantId, pipelineVersions: ['v1', 'v2'], servedVersion: 'v1' });
    const alias = servedAliasName(indexPrefix, tenantId);
    const served = async () => Object.keys(await stack.es.indices.getAlias({ name: alias }));

    // Tenant-day runs do no real work (recording activities) but report verdicts as the real ones do.
    const runs = recordingActivities({ delayMs: 10 }).activities;
    const lanes = createTemporalLaneActivities({
      temporal: stack.client,
      laneDefaults: { taskQueue: base, primaryVersion: 'v1' },
      loadTenants: () => Promise.resolve([]),
    });
    const activities = {
      ...runs,
      ...lanes,
      swapServedAlias: (input: Parameters<typeof serving.swapServedAlias>[0]) => serving.swapServedAlias(input),
    };
    const workers = await Promise.all(
      [base, versionTaskQueue(base, 'v1'), versionTaskQueue(base, 'v2')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    const runDay = async (day: string) => {
      await requestRun(
        stack.client,
        tenantId,
        { day, kind: 'daily', requestedBy: 'test', tenant: SETTINGS },
        { taskQueue: base, primaryVersion: 'v1' },
      );
      await waitFor(`the verdict of ${day}`, async () =>
        (await rollout.query(rolloutStateQuery)).tenants[0].verdicts.some((v) => v.day === day && v.round === 1),
      );
    };
    const act = (reason: string, force = false): OperatorAction => ({ tenantId, by: 'ops', reason, force });
    const versions = async () => (await laneState(stack.client, tenantId)).versions;
    const rolloutId = uniqueName('daybreak-test/rollout-resume');
    cleanups.push(() => stack.client.workflow.getHandle(laneWorkflowId(tenantId)).terminate('test cleanup'));
    let rollout!: WorkflowHandle<typeof rolloutWorkflow>;

    const [a, b, c] = workers;
    await a.runUntil(
      b.runUntil(
        c.runUntil(async () => {
          rollout = await stack.client.workflow.start(rolloutWorkflow, {
            taskQueue: base,
            workflowId: rolloutId,
            args: [
              {
                candidateVersion: 'v2',
                baselineVersion: 'v1',
                tenants: [{ tenantId, tenant: SETTINGS }],
                policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
              },
            ],
          });
          terminateLater(rollout);
          await waitFor('the lane in shadow', async () => (await versions().catch(() => undefined))?.shadow === 'v2');

          expect(await rollout.executeUpdate(promoteUpdate, { args: [act('drill', true)] })).toMatchObject({
            stage: 'promoted',
          });
          expect(await served()).toEqual([servingIndexName(indexPrefix, tenantId, 'v2')]);
          await rollout.executeUpdate(rollbackUpdate, { args: [act('drill over')] });
          expect(await served()).toEqual([servingIndexName(indexPrefix, tenantId, 'v1')]);
          await waitFor('the lane back on v1 alone', async () => (await versions()).shadow === undefined);
          // Its only tenant rolled back, the rollout is still open: it can be resumed.
          expect((await rollout.describe()).status.name).toBe('RUNNING');
          // Not even force promotes a rolled-back tenant; the refusal says what to do.
          await expect(rollout.executeUpdate(promoteUpdate, { args: [act('again', true)] })).rejects.toMatchObject({
            cause: {
              message: `tenant ${tenantId} is rolled-back; resume it (back to shadow) before promoting it again`,
            },
          });

          expect(await rollout.executeUpdate(resumeUpdate, { args: [act('fix verified')] })).toEqual({
            tenantId,
            stage: 'shadow',
          });
          await waitFor('the lane in shadow again', async () => (await versions()).shadow === 'v2');
          expect(await versions()).toEqual({
            primary: 'v1',
            shadow: 'v2',
            rolloutWorkflowId: rolloutId,
            comparisonPolicy: 'v1-to-v2',
          });
          // Resuming moves no alias: the baseline is served until the tenant is promoted again.
          expect(await served()).toEqual([servingIndexName(indexPrefix, tenantId, 'v1')]);
          let tenant = (await rollout.query(rolloutStateQuery)).tenants[0];
          expect(tenant).toMatchObject({ stage: 'shadow', consecutiveClean: 0 });
          await expect(rollout.executeUpdate(promoteUpdate, { args: [act('too early')] })).rejects.toMatchObject({
            cause: { message: expect.stringContaining('has 0 of 2 consecutive clean days') as unknown },
          });

          // Two days through the lane: the shadow runs compare and signal, the tenant earns eligibility.
          await runDay('2026-11-20');
          await runDay('2026-11-21');
          tenant = (await rollout.query(rolloutStateQuery)).tenants[0];
          expect(tenant).toMatchObject({ stage: 'eligible', consecutiveClean: 2 });

          expect(await rollout.executeUpdate(promoteUpdate, { args: [act('two clean days')] })).toMatchObject({
            stage: 'promoted',
            servedIndex: servingIndexName(indexPrefix, tenantId, 'v2'),
          });
          expect(await served()).toEqual([servingIndexName(indexPrefix, tenantId, 'v2')]);
          await waitFor('the lane on v2', async () => (await versions()).primary === 'v2');
          expect(await versions()).toMatchObject({ primary: 'v2', shadow: 'v1' });

          await rollout.executeUpdate(finishUpdate, { args: [act('v1 retired')] });
          const final = await rollout.result();
          expect(final.audit.map((e) => [e.action, e.by, e.reason, e.forced])).toEqual([
            ['promote', 'ops', 'drill', true],
            ['rollback', 'ops', 'drill over', false],
            ['resume', 'ops', 'fix verified', false],
            ['eligible', 'rollout', '2 clean days', false],
            ['promote', 'ops', 'two clean days', false],
            ['finish', 'ops', 'v1 retired', false],
          ]);
        }),
      ),
    );
  });
});

describe('daybreak rollout, as an operator uses it', () => {
  it('shows who acted, when and why, names --force, prints report URLs, and resumes and ends a rollout', async () => {
    // `daybreak rollout` works on daybreak/rollout/v2: a namespace of its own keeps that id from other tests.
    const namespace = `${readConfig().temporal.namespace}-rollcli`;
    await createTestNamespace(stack.config, namespace);
    const client = new Client({ connection: stack.client.connection, namespace });
    const queue = uniqueName('rollout-cli');
    const tenantId = uniqueName('rcli');
    const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-rollout-cli-'));
    const tenantsFile = path.join(dir, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify({
        tenants: [{ id: tenantId, displayName: tenantId, timeZone: 'UTC', runHour: 1, badDataPolicy: 'fail' }],
      }),
    );
    const storeRoot = path.join(dir, 'store');
    const env = {
      ...process.env,
      DAYBREAK_TEMPORAL_NAMESPACE: namespace,
      DAYBREAK_TENANTS_FILE: tenantsFile,
      DAYBREAK_TASK_QUEUE: queue,
      DAYBREAK_ES_INDEX_PREFIX: uniqueName('daybreak-rcli'),
      DAYBREAK_STORE: 'fs',
      DAYBREAK_FS_ROOT: storeRoot,
    };
    const rollout = async (...args: string[]) =>
      (await run(path.join(ROOT, 'bin/daybreak'), ['rollout', ...args, '--candidate', 'v2'], { env, cwd: ROOT }))
        .stdout;
    /** The command's error output when it fails (and a failure of the test when it does not). */
    const refusal = async (...args: string[]) => {
      let stdout: string;
      try {
        stdout = await rollout(...args);
      } catch (error) {
        return (error as { stderr?: string }).stderr ?? '';
      }
      throw new Error(`expected a refusal, got: ${stdout}`);
    };

    const activities = {
      ...recordingActivities({ delayMs: 10 }).activities,
      ...createTemporalLaneActivities({
        temporal: client,
        laneDefaults: { taskQueue: queue, primaryVersion: 'v1' },
        loadTenants: () => Promise.resolve([]),
      }),
    };
    const worker = await Worker.create({
      connection: stack.connection,
      namespace,
      taskQueue: queue,
      workflowBundle,
      activities,
    });
    const handle = client.workflow.getHandle(rolloutWorkflowId('v2'));
    cleanups.push(() => handle.terminate('test cleanup'));
    cleanups.push(() => client.workflow.getHandle(laneWorkflowId(tenantId)).terminate('test cleanup'));

    await worker.runUntil(async () => {
      expect(await rollout('start', '--baseline', 'v1', '--tenants', tenantId, '--policy', 'v1-to-v2')).toContain(
        'started daybreak/rollout/v2',
      );
      // A comparison report, as the tenant-day's shadow signals it.
      const csvKey = `reports/compare-v1-vs-v2/tenant=${tenantId}/day=2026-11-20/differences.csv`;
      await handle.signal(dayVerdictSignal, {
        tenantId,
        day: '2026-11-20',
        primaryVersion: 'v1',
        shadowVersion: 'v2',
        verdict: 'unexpected-differences',
        csvKey,
      });
      const url = `file://${storeRoot}/${csvKey}`;
      await waitFor('the verdict', async () =>
        (await handle.query(rolloutStateQuery)).tenants[0].verdicts.some((v) => v.day === '2026-11-20'),
      );

      const refused = await refusal('promote', '--tenant', tenantId, '--reason', 'looks fine', '--by', 'ana');
      expect(refused.trim()).toBe(
        `daybreak: promote refused: tenant ${tenantId} has 0 of 2 consecutive clean days; last unexpected differences: ${url}; promote with --force to override`,
      );
      expect(refused).not.toMatch(/Workflow Update failed|WorkflowUpdateFailedError|ApplicationFailure/);

      expect(await rollout('promote', '--tenant', tenantId, '--reason', 'drill', '--by', 'ana', '--force')).toContain(
        `${tenantId}: promoted`,
      );
      expect(await rollout('rollback', '--tenant', tenantId, '--reason', 'drill over', '--by', 'bo')).toContain(
        `${tenantId}: rolled-back`,
      );
      expect(await refusal('promote', '--tenant', tenantId, '--reason', 'again', '--by', 'ana', '--force')).toContain(
        `daybreak: promote refused: tenant ${tenantId} is rolled-back; resume it (back to shadow) before promoting it again`,
      );
      expect(await rollout('resume', '--tenant', tenantId, '--reason', 'fix verified', '--by', 'cy')).toContain(
        `${tenantId}: shadow`,
      );

      const status = (await rollout('status')).split('\n');
      const row = status.findIndex((l) => l.includes(tenantId));
      expect(status[row]).toMatch(/\s+shadow\s+clean days 0\s+last verdict 2026-11-20 unexpected-differences/);
      expect(status[row]).toContain(url);
      const when = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
      expect(status.slice(row + 1, row + 4)).toEqual([
        expect.stringMatching(new RegExp(`^ {6}${when} promote \\(forced\\) by ana: drill$`)),
        expect.stringMatching(new RegExp(`^ {6}${when} rollback by bo: drill over$`)),
        expect.stringMatching(new RegExp(`^ {6}${when} resume by cy: fix verified$`)),
      ]);

      // Ending needs every tenant finished or rolled back; ended, the rollout can only be started again.
      expect(await refusal('end', '--reason', 'abandon', '--by', 'cy')).toContain(
        `daybreak: end refused: the rollout of v2 still has tenants in progress: ${tenantId} (shadow); finish or roll them back first`,
      );
      await rollout('rollback', '--tenant', tenantId, '--reason', 'not this quarter', '--by', 'cy');
      expect(await rollout('end', '--reason', 'not this quarter', '--by', 'cy')).toContain(
        `rollout of v2 ended: ${tenantId} rolled-back`,
      );
      await handle.result();
      expect(await refusal('resume', '--tenant', tenantId, '--reason', 'again', '--by', 'cy')).toContain(
        'daybreak: resume: the rollout of v2 is not running (it ended, or was never started); start it again with `daybreak rollout start --candidate v2`',
      );
    });
  });
});
