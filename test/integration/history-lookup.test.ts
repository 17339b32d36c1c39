import { DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities';
import type { MetricActivities } from '../../src/activities/tenant-days/metric-activities';
import { createMetricActivities } from '../../src/activities/tenant-days/metric-activities';
import { runMetricDayInProcess } from '../../src/activities/tenant-days/in-process';
import { laneState, requestRun } from '../../src/client/lanes';
import { waitUntil } from '../../src/client/wait-until';
import { RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT } from '../../src/schemas/raw-event-schemas';
import { SchemaRegistry } from '../../src/schemas/registry';
import { laneWorkflowId, tenantDayWorkflowId, versionTaskQueue } from '../../src/common/ids';
import type { TenantSettings } from '../../src/workflows/lanes/lane-contracts';
import type { RunKind } from '../../src/common/search-attributes';
import type { ObjectStore } from '../../src/storage/object-store';
import { createS3Client, createS3ObjectStore } from '../../src/workers/clients';
import { runWorkersUntil } from '../../src/workers/run-workers';
import { rolloutWorkflow } from '../../src/workflows/rollouts/rollout';
import { promoteUpdate, rollbackUpdate, rolloutStateQuery } from '../../src/workflows/rollouts/rollout-signals';
import type { PlantedEvent } from '../support/history-fixtures';
import {
  GAP_MONTH,
  ROLLOUT_ACCOUNTS,
  daysFrom,
  plantEvents,
  plantGapMonth,
  readDocuments,
  rolloutDayEvents,
} from '../support/history-fixtures';
import { writeAttributes } from '../support/metric-fixtures';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';

let stack: Stack;
const buckets: string[] = [];
const indexPrefixes: string[] = [];
const workflowIds: string[] = [];

beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await connectStack();
});

afterAll(async () => {
  // Pass or fail: workflows (terminated if still running, then deleted), indices, buckets.
  const namespace = stack.client.options.namespace;
  for (const workflowId of workflowIds) {
    await stack.client.workflow
      .getHandle(workflowId)
      .terminate('test done')
      .catch(() => undefined);
    await stack.client.workflowService
      .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId } })
      .catch(() => undefined);
  }
  for (const prefix of indexPrefixes) {
    await stack.es.indices.delete({ index: `${prefix}-*`, ignore_unavailable: true, allow_no_indices: true });
  }
  const s3 = createS3Client(stack.config.s3);
  for (const Bucket of buckets) {
    let ContinuationToken: string | undefined;
    do {
      const out = await s3.send(new ListObjectsV2Command({ Bucket, ContinuationToken }));
      for (const o of out.Contents ?? []) await s3.send(new DeleteObjectCommand({ Bucket, Key: o.Key! }));
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken);
    await s3.send(new DeleteBucketCommand({ Bucket }));
  }
  s3.destroy();
  await stack.close();
}, 120_000);

async function newBucket(name: string): Promise<ObjectStore> {
  const bucket = uniqueName(name);
  buckets.push(bucket);
  const store = await createS3ObjectStore({ ...stack.config.s3, bucket });
  // The worker checks raw files against the registry: the planted files are written with v3.
  await new SchemaRegistry(store).register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[3]);
  return store;
}

const waitFor = (what: string, predicate: () => Promise<boolean>) =>
  waitUntil(predicate, { what, timeoutMs: 180_000, intervalMs: 300 });

describe('history across a promotion and a rollback, through the rollout workflow', () => {
  it("gives each version, every day, the documents of a run in which it had been primary all along (v2's first day's healthDelta aside)", async () => {
    const tenantId = uniqueName('hist');
    const base = uniqueName('hist');
    const indexPrefix = uniqueName('daybreak-hist');
    indexPrefixes.push(indexPrefix);
    const rolloutId = uniqueName('daybreak-hist-rollout');
    workflowIds.push(laneWorkflowId(tenantId), rolloutId);
    const tenant: TenantSettings = { timeZone: 'UTC', badDataPolicy: 'fail' };
    const days = daysFrom('2026-06-08', 5);
    const planted = days.map((d, i) => rolloutDayEvents(d, i));
    const live = await newBucket('daybreak-hist');
    const reference = await newBucket('daybreak-hist-ref');
    for (const store of [live, reference]) {
      for (const [i, d] of days.entries()) {
        await plantEvents(store, tenantId, planted[i], `r${i}`);
        await writeAttributes(store, tenantId, d, ROLLOUT_ACCOUNTS);
      }
    }

    const activities = createActivities({
      store: live,
      es: stack.es,
      indexPrefix,
      temporal: stack.client,
      laneDefaults: { taskQueue: base, primaryVersion: 'v1' },
      loadTenants: () => Promise.resolve([]),
    });
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
    const workers = await Promise.all(
      [base, versionTaskQueue(base, 'v1'), versionTaskQueue(base, 'v2')].map((taskQueue) =>
        Worker.create({ connection: stack.connection, taskQueue, workflowBundle, activities }),
      ),
    );
    const defaults = { taskQueue: base, primaryVersion: 'v1' };
    const ran: [string, string, RunKind][] = [];

    await runWorkersUntil(workers, async () => {
      const rollout = () => stack.client.workflow.getHandle(rolloutId);
      const runDay = async (day: string, versions: [string, RunKind][]) => {
        for (const [v, k] of versions) {
          ran.push([day, v, k]);
          workflowIds.push(tenantDayWorkflowId(tenantId, day, v, k));
        }
        await requestRun(stack.client, tenantId, { day, kind: 'daily', requestedBy: 'test', tenant }, defaults);
        await waitFor(`${day} of ${tenantId}`, async () =>
          (await laneState(stack.client, tenantId)).finished.some((f) => f.day === day),
        );
        const finished = (await laneState(stack.client, tenantId)).finished.find((f) => f.day === day)!;
        expect(finished.status, `${day}`).toBe('completed');
        // A shadow reports its verdict when its comparison is done: then its outputs are all written.
        if (versions.length > 1)
          await waitFor(`the verdict of ${day}`, async () =>
            (await rollout().query(rolloutStateQuery)).tenants[0].verdicts.some((v) => v.day === day),
          );
      };
      const laneVersions = (check: (v: { primary: string; shadow?: string }) => boolean) =>
        waitFor('the lane versions', async () => check((await laneState(stack.client, tenantId)).versions));

      await runDay(days[0], [['v1', 'primary']]);
      await stack.client.workflow.start(rolloutWorkflow, {
        workflowId: rolloutId,
        taskQueue: base,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        args: [
          {
            candidateVersion: 'v2',
            baselineVersion: 'v1',
            tenants: [{ tenantId, tenant }],
            policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
          },
        ],
      });
      await laneVersions((v) => v.primary === 'v1' && v.shadow === 'v2');
      for (const d of [days[1], days[2]])
        await runDay(d, [
          ['v1', 'primary'],
          ['v2', 'shadow'],
        ]);
      const shadowVerdicts = (await rollout().query(rolloutStateQuery)).tenants[0].verdicts;
      expect(shadowVerdicts.map((v) => v.verdict)).toEqual(['expected-differences', 'expected-differences']);
      await rollout().executeUpdate(promoteUpdate, { args: [{ tenantId, by: 'test', reason: 'two clean days' }] });
      await laneVersions((v) => v.primary === 'v2' && v.shadow === 'v1');
      await runDay(days[3], [
        ['v2', 'primary'],
        ['v1', 'shadow'],
      ]);
      await rollout().executeUpdate(rollbackUpdate, { args: [{ tenantId, by: 'test', reason: 'back to v1' }] });
      await laneVersions((v) => v.primary === 'v1' && v.shadow === undefined);
      await runDay(days[4], [['v1', 'primary']]);
    });

    // The reference: the same raw data in a bucket of its own, each version primary on every day.
    const r: MetricActivities = createMetricActivities({ store: reference });
    for (const day of days) {
      for (const pipelineVersion of ['v1', 'v2']) {
        await runMetricDayInProcess({
          activities: r,
          tenantId,
          day,
          timeZone: tenant.timeZone,
          pipelineVersion,
          runKind: 'primary',
          maxPartitions: 1,
          badDataPolicy: 'fail',
        });
      }
    }

    expect(ran).toHaveLength(8);
    for (const [day, pipelineVersion, runKind] of ran) {
      const what = `${day} ${pipelineVersion}/${runKind}`;
      const got = await readDocuments(live, { tenantId, day, pipelineVersion, runKind });
      const want = await readDocuments(reference, { tenantId, day, pipelineVersion, runKind: 'primary' });
      expect(got, what).not.toBeNull();
      expect(got!.length, what).toBe(ROLLOUT_ACCOUNTS.length);
      // healthDelta is only ever the version's own (docs/metrics.md, History lookup): null on the
      // first day v2 ran. The v1-to-v2 policy allows that field to differ where today's score is equal.
      const firstV2Day = pipelineVersion === 'v2' && day === days[1];
      expect(got, what).toEqual(firstV2Day ? want!.map((d) => ({ ...d, healthDelta: null })) : want);
      if (day !== days[0] && !firstV2Day)
        expect(
          got!.every((d) => d.healthDelta !== null),
          what,
        ).toBe(true);
      // By hand from the planted events: every day so far is inside the 7-day window.
      const upTo = planted.slice(0, days.indexOf(day) + 1).flat();
      for (const doc of got!) {
        const own = upTo.filter((e: PlantedEvent) => e.accountId === doc.accountId).map((e) => Date.parse(e.at));
        expect(
          [doc.events7d, doc.events30d, doc.firstActivityAt, doc.lastActivityAt],
          `${what} ${doc.accountId}`,
        ).toEqual([own.length, own.length, Math.min(...own), Math.max(...own)]);
      }
    }
  });
});

describe('a failed day does not erase older history, against S3', () => {
  it('keeps first and last activity on the days after a day without an attribute snapshot', async () => {
    const tenantId = uniqueName('gap');
    const store = await newBucket('daybreak-gap');
    const days = await plantGapMonth(store, tenantId, writeAttributes);
    const activities = createMetricActivities({ store });
    for (const day of days) {
      const job = runMetricDayInProcess({
        activities,
        tenantId,
        day,
        timeZone: GAP_MONTH.timeZone,
        pipelineVersion: 'v1',
        runKind: 'primary',
        maxPartitions: 1,
        badDataPolicy: 'fail',
      });
      if (day === GAP_MONTH.gapDay) await expect(job).rejects.toThrow(/attribute snapshot .* does not exist/);
      else await job;
    }
    const at = (iso: string) => Date.parse(iso);
    for (const day of ['2026-04-04', '2026-04-05']) {
      const docs = await readDocuments(store, { tenantId, day, pipelineVersion: 'v1', runKind: 'primary' });
      const by = Object.fromEntries(docs!.map((d) => [d.accountId, d]));
      // First active on 03-02, more than 30 days before: kept (the window alone starts on 03-06).
      expect(by['acc-00000'].firstActivityAt, day).toBe(at('2026-03-02T10:00:00Z'));
      expect(by['acc-00000'].lastActivityAt, day).toBe(at(`${day}T12:00:00Z`));
      // Silent since 03-03, before the window: still known, not "never active".
      expect([by['acc-00001'].firstActivityAt, by['acc-00001'].lastActivityAt], day).toEqual([
        at('2026-03-01T08:00:00Z'),
        at('2026-03-03T15:30:00Z'),
      ]);
      // The failed day counts as a day without events: of the 7 days up to D, 04-03 is missing.
      expect(by['acc-00000'].events7d, day).toBe(6);
    }
  });
});
