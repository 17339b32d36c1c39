import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import { createAlertActivities } from '../src/activities/alerts/send-alert';
import { createTemporalLaneActivities } from '../src/activities/lanes/lanes';
import { createSlaMonitorActivities } from '../src/activities/sla-monitor/sla-monitor';
import { slaMonitorStateKey } from '../src/workflows/sla-monitor/sla-monitor-contracts';
import { slaMonitorWorkflow } from '../src/workflows/sla-monitor/sla-monitor';
import { laneState, requestRun } from '../src/client/lanes';
import { syncTenantSchedules } from '../src/client/schedules';
import {
  backfillWorkflowId,
  dailyScheduleId,
  laneWorkflowId,
  rolloutWorkflowId,
  tenantDayWorkflowId,
  versionTaskQueue,
} from '../src/common/ids';
import type { PlanPartitionsInput } from '../src/workflows/tenant-days/pipeline-contracts';
import type { TenantDayInput } from '../src/workflows/tenant-days/tenant-day-contracts';
import type { TenantConfig } from '../src/workflows/tenants/tenant-config';
import type { OperatorAction } from '../src/workflows/rollouts/rollout-contracts';
import { backfillWorkflow, rolloutWorkflow, tenantDayWorkflow } from '../src/workflows';
import { backfillProgressQuery, skipBackfillDaySignal } from '../src/workflows/backfills/backfill-messages';
import { checksStateQuery, releaseChecksUpdate } from '../src/workflows/data-checks/data-checks-messages';
import {
  dayVerdictSignal,
  endUpdate,
  promoteUpdate,
  resumeUpdate,
  rollbackUpdate,
  rolloutStateQuery,
} from '../src/workflows/rollouts/rollout-signals';
import { historyFileName, installedSdkVersion } from '../test/replay/history-files';
import { SDK_DEFAULT_ACTIVITY_SLOTS, recordingActivities } from '../test/support/recording-activities';
import type { Stack } from '../test/support/stack';
import { WORKFLOWS_PATH, connectStack, stackActivityDeps, testTenant, uniqueName } from '../test/support/stack';
import { waitUntil } from '../src/client/wait-until';
import { composeWorkers } from '../src/workers/compose';
import { runWorkersUntil } from '../src/workers/run-workers';

const waitFor = (predicate: () => Promise<boolean>, what: string) => waitUntil(predicate, { what, timeoutMs: 120_000 });

/**
 * Re-records the workflow histories the replay suite runs (test/replay/histories). Run it against
 * the local stack after a deliberate workflow change, bump the version in the scenario names, and
 * keep the older files: they are what running workflows started by older code look like.
 *   npm run stack:up && npm run histories:record
 * Files are named after the scenario and the installed @temporalio/workflow version
 * (tenant-day.retried-activity.v1.sdk-1.24.0.json), so a history recorded by another SDK is a new
 * file beside the old one. The scenarios use recording activities (no data needed): only workflow
 * code shapes a history, so that is all these files pin down.
 */
const OUT_DIR = path.resolve(__dirname, '../test/replay/histories');
const DAY = '2026-11-21';

interface Context {
  stack: Stack;
  base: string;
  tenantId: string;
  tenant: TenantConfig;
}

/** `name` is the file name without the SDK version (history-files.ts names the scheme). */
type Scenario = { name: string; run(ctx: Context): Promise<WorkflowHandle> };

const settings = (t: TenantConfig) => ({ timeZone: t.timeZone, badDataPolicy: t.badDataPolicy });
const defaults = (ctx: Context) => ({
  taskQueue: ctx.base,
  primaryVersion: 'v1',
  retryBackoffBaseMs: 500,
  maxAttempts: 2,
});

const scenarios: Scenario[] = [
  {
    // A daily run as a schedule starts it: the trigger derives the day from its scheduled time.
    name: 'daily-trigger.scheduled.v1',
    async run({ stack, base, tenant }) {
      const prefix = uniqueName('rec');
      await syncTenantSchedules(stack.client, [tenant], { taskQueue: base, prefix });
      const schedule = stack.client.schedule.getHandle(dailyScheduleId(tenant.id, prefix));
      await schedule.trigger();
      let workflowId: string | undefined;
      await waitFor(async () => {
        workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
        return workflowId !== undefined;
      }, 'the scheduled trigger');
      const handle = stack.client.workflow.getHandle(workflowId!);
      await handle.result();
      await waitFor(async () => (await laneState(stack.client, tenant.id)).finished.length >= 1, 'the scheduled day');
      await syncTenantSchedules(stack.client, [], { taskQueue: base, prefix });
      return handle;
    },
  },
  {
    // The lane: a daily run, an operator rerun queued behind it, a duplicate dropped.
    name: 'tenant-lane.rerun-queued.v1',
    async run(ctx) {
      const { stack, tenant } = ctx;
      for (const kind of ['daily', 'rerun', 'rerun'] as const) {
        await requestRun(
          stack.client,
          tenant.id,
          { day: '2026-11-19', kind, requestedBy: 'recorder', tenant: settings(tenant) },
          defaults(ctx),
        );
      }
      await waitFor(async () => (await laneState(stack.client, tenant.id)).finished.length >= 3, 'daily and rerun');
      return stack.client.workflow.getHandle(laneWorkflowId(tenant.id));
    },
  },
  {
    // A schedule's fire for a day a backfill already computed is dropped (patch
    // daily-skips-computed-days); a fire for another day runs.
    name: 'tenant-lane.daily-after-backfill.v3',
    async run(ctx) {
      const { stack } = ctx;
      const tenantId = uniqueName('skipdaily');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'America/New_York', badDataPolicy: 'quarantine' as const };
      const request = (day: string, kind: 'daily' | 'backfill') =>
        requestRun(stack.client, tenantId, { day, kind, requestedBy: 'recorder', tenant }, defaults(ctx));
      await request('2026-11-18', 'backfill');
      await waitFor(async () => (await laneState(stack.client, tenantId)).finished.length === 1, 'the backfill');
      const dropped = await request('2026-11-18', 'daily');
      if (dropped.status !== 'duplicate') throw new Error(`the daily fire of a backfilled day was ${dropped.status}`);
      await request('2026-11-17', 'daily');
      await waitFor(async () => (await laneState(stack.client, tenantId)).finished.length === 2, 'the other day');
      return stack.client.workflow.getHandle(laneWorkflowId(tenantId));
    },
  },
  {
    name: 'tenant-day.retried-activity.v1',
    async run({ stack, base, tenantId }) {
      const handle = await stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(`${base}-flaky`, 'v1'),
        workflowId: tenantDayWorkflowId(tenantId, DAY, 'v1', 'primary'),
        args: [
          {
            tenantId,
            day: DAY,
            timeZone: 'America/New_York',
            badDataPolicy: 'quarantine',
            pipelineVersion: 'v1',
            runKind: 'primary',
            trigger: 'rerun',
            baseTaskQueue: `${base}-flaky`,
          },
        ],
      });
      await handle.result();
      return handle;
    },
  },
  {
    // Every activity with a summary naming its task (the Web UI timeline shows it): user metadata on the commands.
    name: 'tenant-day.activity-summaries.v2',
    async run({ stack, base, tenantId }) {
      const handle = await stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId: tenantDayWorkflowId(tenantId, '2026-11-22', 'v1', 'primary'),
        args: [
          {
            tenantId,
            day: '2026-11-22',
            timeZone: 'America/New_York',
            badDataPolicy: 'quarantine',
            pipelineVersion: 'v1',
            runKind: 'primary',
            trigger: 'rerun',
            baseTaskQueue: base,
          },
        ],
      });
      await handle.result();
      return handle;
    },
  },
  {
    // The run ledger (patch run-ledger): recordRunLedger after the last task, and after a failure.
    name: 'tenant-day.run-ledger.v3',
    async run({ stack, base, tenantId }) {
      const handle = await stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: versionTaskQueue(base, 'v1'),
        workflowId: tenantDayWorkflowId(tenantId, '2026-11-23', 'v1', 'primary'),
        args: [
          {
            tenantId,
            day: '2026-11-23',
            timeZone: 'America/New_York',
            badDataPolicy: 'quarantine',
            pipelineVersion: 'v1',
            runKind: 'primary',
            trigger: 'rerun',
            requestedBy: 'recorder',
            baseTaskQueue: base,
          },
        ],
      });
      await handle.result();
      return handle;
    },
  },
  {
    name: 'tenant-day.run-ledger-failed.v3',
    async run({ stack, base, tenantId }) {
      // The `-failing` queue's activities fail 2026-11-02 for good.
      const handle = await stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: `${base}-failing`,
        workflowId: tenantDayWorkflowId(tenantId, '2026-11-02', 'v1', 'primary'),
        args: [
          {
            tenantId,
            day: '2026-11-02',
            timeZone: 'America/New_York',
            badDataPolicy: 'quarantine',
            pipelineVersion: 'v1',
            runKind: 'primary',
            trigger: 'rerun',
            requestedBy: 'recorder',
          },
        ],
      });
      await handle.result().catch(() => undefined);
      return handle;
    },
  },
  {
    // Data checks (patch data-checks): the `-blocking` queue's checks block 2026-11-24; an operator releases it.
    name: 'tenant-day.data-checks-blocked.v3',
    async run({ stack, base, tenantId }) {
      const handle = await stack.client.workflow.start(tenantDayWorkflow, {
        taskQueue: `${base}-blocking`,
        workflowId: tenantDayWorkflowId(tenantId, '2026-11-24', 'v1', 'primary'),
        args: [
          {
            tenantId,
            day: '2026-11-24',
            timeZone: 'America/New_York',
            badDataPolicy: 'quarantine',
            pipelineVersion: 'v1',
            runKind: 'primary',
            trigger: 'rerun',
            requestedBy: 'recorder',
          },
        ],
      });
      await waitFor(async () => (await handle.query(checksStateQuery)).state === 'blocked', 'the day blocked');
      await handle.executeUpdate(releaseChecksUpdate, { args: [{ by: 'recorder', reason: 'planted anomaly' }] });
      await handle.result();
      return handle;
    },
  },
  {
    // Patch bucketed-metrics: the one fan-out at one account bucket (planBuckets, then the tasks as before).
    name: 'tenant-day.single-bucket.v4',
    async run({ stack, base, tenantId }) {
      return runDay(stack, versionTaskQueue(base, 'v1'), { ...dayOf(tenantId, '2026-11-25'), requestedBy: 'recorder' });
    },
  },
  {
    // A day forced to 4 buckets over 2 partitions (the `-bucketed` queue plans 2): every stage fans out,
    // account-documents in its three phases.
    name: 'tenant-day.bucketed.v4',
    async run({ stack, base, tenantId }) {
      return runDay(stack, versionTaskQueue(`${base}-bucketed`, 'v1'), {
        ...dayOf(tenantId, '2026-11-26'),
        baseTaskQueue: `${base}-bucketed`,
        buckets: 4,
        maxPartitions: 2,
        bucketConcurrency: 2,
      });
    },
  },
  {
    // A rerun from rolling-windows of the bucketed day: planBuckets keeps its 4 stored buckets.
    name: 'tenant-day.bucketed-from-task.v4',
    async run({ stack, base, tenantId }) {
      return runDay(
        stack,
        versionTaskQueue(`${base}-bucketed`, 'v1'),
        { ...dayOf(tenantId, '2026-11-26'), baseTaskQueue: `${base}-bucketed`, fromTask: 'rolling-windows' },
        'rerun',
      );
    },
  },
  {
    name: 'backfill.v1',
    async run({ stack, base, tenant }) {
      const handle = await stack.client.workflow.start(backfillWorkflow, {
        taskQueue: base,
        workflowId: backfillWorkflowId(tenant.id, '2026-11-01', '2026-11-03'),
        args: [{ tenantId: tenant.id, fromDay: '2026-11-01', toDay: '2026-11-03', tenant: settings(tenant) }],
      });
      await handle.result();
      return handle;
    },
  },
  {
    // A lane with a tiny history budget: it continues-as-new, carrying its state.
    name: 'tenant-lane.continued-as-new.v1',
    async run(ctx) {
      const { stack, base } = ctx;
      const tenantId = uniqueName('can');
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      const lane = stack.client.workflow.getHandle(laneWorkflowId(tenantId));
      const { tenantLaneWorkflow } = await import('../src/workflows/lanes/tenant-lane');
      const first = await stack.client.workflow.start(tenantLaneWorkflow, {
        taskQueue: base,
        workflowId: laneWorkflowId(tenantId),
        args: [{ tenantId, tenant, versions: { primary: 'v1' }, maxHistoryEvents: 40 }],
      });
      for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) {
        await requestRun(
          stack.client,
          tenantId,
          { day, kind: 'daily', requestedBy: 'recorder', tenant },
          defaults(ctx),
        );
        await waitFor(async () => (await laneState(stack.client, tenantId)).finished.some((f) => f.day === day), day);
      }
      await waitFor(async () => (await lane.describe()).runId !== first.firstExecutionRunId, 'continue-as-new');
      return stack.client.workflow.getHandle(laneWorkflowId(tenantId), first.firstExecutionRunId);
    },
  },
  {
    // A primary day with its shadow child, the shadow's comparison, and the verdict to a rollout.
    name: 'tenant-day.with-shadow.v1',
    async run(ctx) {
      const { stack, tenant } = ctx;
      const rollout = await startRollout(ctx, 'v2');
      await waitFor(async () => (await laneState(stack.client, tenant.id)).versions.shadow === 'v2', 'shadow version');
      await requestRun(
        stack.client,
        tenant.id,
        { day: '2026-11-18', kind: 'daily', requestedBy: 'recorder', tenant: settings(tenant) },
        defaults(ctx),
      );
      await waitFor(async () => (await rollout.query(rolloutStateQuery)).tenants[0].verdicts.length === 1, 'verdict');
      return stack.client.workflow.getHandle(tenantDayWorkflowId(tenant.id, '2026-11-18', 'v1', 'primary'));
    },
  },
  {
    name: 'tenant-day.shadow-compare.v1',
    async run({ stack, tenant }) {
      return Promise.resolve(
        stack.client.workflow.getHandle(tenantDayWorkflowId(tenant.id, '2026-11-18', 'v2', 'shadow')),
      );
    },
  },
  {
    // Verdicts make the tenant eligible; an operator promotes, then rolls back.
    name: 'rollout.promote-rollback.v1',
    async run(ctx) {
      const { stack, tenant } = ctx;
      const rollout = stack.client.workflow.getHandle(rolloutWorkflowId('v2') + `-${ctx.tenantId}`);
      for (const day of ['2026-11-21', '2026-11-22']) {
        await rollout.signal(dayVerdictSignal, {
          tenantId: tenant.id,
          day,
          primaryVersion: 'v1',
          shadowVersion: 'v2',
          verdict: 'clean',
        });
      }
      await waitFor(async () => (await rollout.query(rolloutStateQuery)).tenants[0].stage === 'eligible', 'eligible');
      await rollout.executeUpdate(promoteUpdate, {
        args: [{ tenantId: tenant.id, by: 'recorder', reason: 'two clean days' }],
      });
      await rollout.executeUpdate(rollbackUpdate, {
        args: [{ tenantId: tenant.id, by: 'recorder', reason: 'rollback drill' }],
      });
      return rollout;
    },
  },
  {
    // A rerun without cascade marks the later days stale; one with cascade
    // recomputes them in order through the lane.
    name: 'tenant-lane.cascade.v2',
    async run(ctx) {
      const tenantId = uniqueName('cascade');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      const ask = (day: string, kind: 'daily' | 'rerun', cascade?: boolean) =>
        requestRun(ctx.stack.client, tenantId, { day, kind, cascade, requestedBy: 'recorder', tenant }, defaults(ctx));
      for (const day of ['2026-11-01', '2026-11-02', '2026-11-03']) await ask(day, 'daily');
      // The rerun goes ahead of daily runs: ask once the days ran, so there is something to make stale.
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).finished.length === 3, 'three days');
      await ask('2026-11-01', 'rerun');
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).stale?.length === 2, 'stale days');
      await ask('2026-11-01', 'rerun', true);
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).cascadesDone?.length === 1, 'cascade');
      return ctx.stack.client.workflow.getHandle(laneWorkflowId(tenantId));
    },
  },
  {
    // A daily run whose attribute snapshot is missing for two checks: it waits on backoff timers,
    // tells its lane (inputsWait signals), then runs. The lane's side is the next file.
    name: 'tenant-day.waited-for-inputs.v2',
    async run(ctx) {
      const tenantId = uniqueName('waiting');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'Asia/Kolkata', badDataPolicy: 'quarantine' as const };
      const { tenantLaneWorkflow } = await import('../src/workflows/lanes/tenant-lane');
      await ctx.stack.client.workflow.start(tenantLaneWorkflow, {
        taskQueue: `${ctx.base}-waiting`,
        workflowId: laneWorkflowId(tenantId),
        args: [{ tenantId, tenant, versions: { primary: 'v1' }, inputWait: { initialIntervalMs: 500 } }],
      });
      await requestRun(
        ctx.stack.client,
        tenantId,
        { day: '2026-11-21', kind: 'daily', requestedBy: 'recorder', tenant },
        { ...defaults(ctx), taskQueue: `${ctx.base}-waiting` },
      );
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).finished.length === 1, 'the waited day');
      waitingTenant = tenantId;
      return ctx.stack.client.workflow.getHandle(tenantDayWorkflowId(tenantId, '2026-11-21', 'v1', 'primary'));
    },
  },
  {
    name: 'tenant-lane.waited-for-inputs.v2',
    async run(ctx) {
      return Promise.resolve(ctx.stack.client.workflow.getHandle(laneWorkflowId(waitingTenant!)));
    },
  },
  {
    // A queued run the lane can never start (carried over from older code): refused, and the next runs.
    name: 'tenant-lane.refused-run.v2',
    async run(ctx) {
      const tenantId = uniqueName('refused');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      const { tenantLaneWorkflow } = await import('../src/workflows/lanes/tenant-lane');
      const bad = {
        day: '2026-11-19',
        kind: 'rerun' as const,
        fromTask: 'nosuchtask',
        requestedBy: 'recorder',
        tenant,
      };
      await ctx.stack.client.workflow.start(tenantLaneWorkflow, {
        taskQueue: ctx.base,
        workflowId: laneWorkflowId(tenantId),
        args: [
          {
            tenantId,
            tenant,
            versions: { primary: 'v1' },
            state: {
              tenantId,
              tenant,
              versions: { primary: 'v1' },
              queue: [{ ...bad, pipelineVersion: 'v1', seq: 0, attempt: 1, passedOver: 0 }],
              retrying: [],
              finished: [],
              completedDailyDays: [],
              nextSeq: 1,
            },
          },
        ],
      });
      await requestRun(
        ctx.stack.client,
        tenantId,
        { day: '2026-11-20', kind: 'daily', requestedBy: 'recorder', tenant },
        defaults(ctx),
      );
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).finished.length === 2, 'both runs');
      return ctx.stack.client.workflow.getHandle(laneWorkflowId(tenantId));
    },
  },
  {
    // Issue 13, point 6: a backfill pauses on a failed day (on the `-failing` queues, where 2026-11-02
    // always fails) and an operator skips it (`daybreak backfill ... --skip`); the next day then runs.
    name: 'backfill.paused-skipped.v2',
    async run(ctx) {
      const tenantId = uniqueName('bfskip');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      const handle = await ctx.stack.client.workflow.start(backfillWorkflow, {
        taskQueue: `${ctx.base}-failing`,
        workflowId: backfillWorkflowId(tenantId, '2026-11-01', '2026-11-03'),
        args: [{ tenantId, fromDay: '2026-11-01', toDay: '2026-11-03', tenant }],
      });
      await waitFor(async () => (await handle.query(backfillProgressQuery)).paused, 'the pause');
      await handle.signal(skipBackfillDaySignal);
      await handle.result();
      return handle;
    },
  },
  {
    // Issue 18, point 6: a lane's child fails (its activity's CorruptDataError, one attempt per day on
    // the `-failing` queues), then the next day completes. The checked-in file was recorded by the
    // code before the lane recorded a failure's root cause (b72e11a), so it pins that change down.
    name: 'tenant-lane.failed-child.v2',
    async run(ctx) {
      const tenantId = uniqueName('failedchild');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      const failingLane = { taskQueue: `${ctx.base}-failing`, primaryVersion: 'v1', maxAttempts: 1 };
      for (const day of ['2026-11-02', '2026-11-03'])
        await requestRun(
          ctx.stack.client,
          tenantId,
          { day, kind: 'backfill', requestedBy: 'recorder', tenant },
          failingLane,
        );
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).finished.length === 2, 'both runs');
      return ctx.stack.client.workflow.getHandle(laneWorkflowId(tenantId));
    },
  },
  {
    // Issue 17, point 4: a day fails for good (one lane attempt, on the `-alerting` queues where each
    // day's first run fails) and raises run-failed; its rerun completes and raises run-recovered
    // (patch alerts). Both alerts are delivered (to the worker log) before the history is taken.
    name: 'tenant-lane.alerts.v3',
    async run(ctx) {
      const tenantId = uniqueName('alerts');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      const alertingLane = { taskQueue: `${ctx.base}-alerting`, primaryVersion: 'v1', maxAttempts: 1 };
      const rerun = () =>
        requestRun(
          ctx.stack.client,
          tenantId,
          { day: '2026-11-02', kind: 'rerun', requestedBy: 'recorder', tenant },
          alertingLane,
        );
      const finished = async (status: 'completed' | 'failed') =>
        (await laneState(ctx.stack.client, tenantId)).finished.some((f) => f.status === status);
      await rerun();
      await waitFor(() => finished('failed'), 'the failure');
      await rerun();
      await waitFor(() => finished('completed'), 'the recovery');
      const handle = ctx.stack.client.workflow.getHandle(laneWorkflowId(tenantId));
      await waitFor(async () => {
        const events = (await handle.fetchHistory()).events ?? [];
        const alerts = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendAlert');
        const completed = events.filter((e) => e.activityTaskCompletedEventAttributes);
        return alerts.length === 2 && completed.length === 2;
      }, 'both alerts delivered');
      return handle;
    },
  },
  {
    // Issue 17, point 3: one freshness check on the `-sla` queue, whose only tenant has no lane, so its
    // day is late: checkFreshness, one sla-missed delivered (to the worker log), saveOpenMisses.
    name: 'sla-monitor.missed.v3',
    async run(ctx) {
      const handle = await ctx.stack.client.workflow.start(slaMonitorWorkflow, {
        taskQueue: `${ctx.base}-sla`,
        workflowId: `${ctx.base}/sla-monitor`,
        args: [{ monitorId: ctx.base, asOf: '2026-11-22T12:00:00Z' }],
      });
      await handle.result();
      await ctx.stack.store.delete(slaMonitorStateKey(ctx.base));
      return handle;
    },
  },
  {
    // A backfill with cascade: its last day asks the lane to recompute the stale days after the range.
    name: 'backfill.cascade.v2',
    async run(ctx) {
      const tenantId = uniqueName('bfcascade');
      extraLanes.push(laneWorkflowId(tenantId));
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      for (const day of ['2026-11-01', '2026-11-02', '2026-11-03'])
        await requestRun(
          ctx.stack.client,
          tenantId,
          { day, kind: 'daily', requestedBy: 'recorder', tenant },
          defaults(ctx),
        );
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).finished.length === 3, 'three days');
      const handle = await ctx.stack.client.workflow.start(backfillWorkflow, {
        taskQueue: ctx.base,
        workflowId: backfillWorkflowId(tenantId, '2026-11-01', '2026-11-01'),
        args: [{ tenantId, fromDay: '2026-11-01', toDay: '2026-11-01', tenant, cascade: true }],
      });
      await handle.result();
      await waitFor(async () => (await laneState(ctx.stack.client, tenantId)).cascadesDone?.length === 1, 'cascade');
      return handle;
    },
  },
  {
    // Issue 12, point 6: the initial lane set-up runs under the operator lock (patch marker), with
    // a forced promotion sent right after the start, then a rollback and the operator's end.
    name: 'rollout.setup-under-lock.v2',
    async run(ctx) {
      const tenantId = uniqueName('setup');
      const rollout = await ctx.stack.client.workflow.start(rolloutWorkflow, {
        taskQueue: ctx.base,
        workflowId: `${rolloutWorkflowId('v2')}-${tenantId}`,
        args: [
          {
            candidateVersion: 'v2',
            baselineVersion: 'v1',
            tenants: [{ tenantId, tenant: { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const } }],
            policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
          },
        ],
      });
      const act = (reason: string, force = false) => ({
        args: [{ tenantId, by: 'recorder', reason, force }] as [OperatorAction],
      });
      await rollout.executeUpdate(promoteUpdate, act('during set-up', true));
      await rollout.executeUpdate(rollbackUpdate, act('drill over'));
      await rollout.executeUpdate(endUpdate, { args: [{ by: 'recorder', reason: 'done' }] });
      await rollout.result();
      return rollout;
    },
  },
  {
    // Issue 13, point 7: promoted, rolled back, resumed to shadow, eligible again on the same days
    // re-compared, promoted, rolled back again, and ended by an operator (the rollout stays open
    // while a tenant is rolled back).
    name: 'rollout.resume-end.v2',
    async run(ctx) {
      const tenantId = uniqueName('resume');
      const tenant = { timeZone: 'Europe/Berlin', badDataPolicy: 'quarantine' as const };
      const rollout = await ctx.stack.client.workflow.start(rolloutWorkflow, {
        taskQueue: ctx.base,
        workflowId: `${rolloutWorkflowId('v2')}-${tenantId}`,
        args: [
          {
            candidateVersion: 'v2',
            baselineVersion: 'v1',
            tenants: [{ tenantId, tenant }],
            policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
          },
        ],
      });
      const act = (reason: string, force = false) => ({
        args: [{ tenantId, by: 'recorder', reason, force }] as [OperatorAction],
      });
      const stage = async () => (await rollout.query(rolloutStateQuery)).tenants[0].stage;
      const cleanDays = async () => {
        for (const day of ['2026-11-21', '2026-11-22'])
          await rollout.signal(dayVerdictSignal, {
            tenantId,
            day,
            primaryVersion: 'v1',
            shadowVersion: 'v2',
            verdict: 'clean',
          });
        await waitFor(async () => (await stage()) === 'eligible', 'eligible');
      };
      await rollout.executeUpdate(promoteUpdate, act('drill', true));
      await rollout.executeUpdate(rollbackUpdate, act('drill over'));
      await rollout.executeUpdate(resumeUpdate, act('fix verified'));
      await cleanDays();
      await rollout.executeUpdate(promoteUpdate, act('two clean days'));
      await rollout.executeUpdate(rollbackUpdate, act('not this quarter'));
      await rollout.executeUpdate(endUpdate, { args: [{ by: 'recorder', reason: 'not this quarter' }] });
      await rollout.result();
      await ctx.stack.client.workflow
        .getHandle(laneWorkflowId(tenantId))
        .terminate('recording done')
        .catch(() => undefined);
      return rollout;
    },
  },
];
/** A primary v1 run of a day in New York, as the bucket scenarios start it. */
function dayOf(tenantId: string, day: string): TenantDayInput {
  return {
    tenantId,
    day,
    timeZone: 'America/New_York',
    badDataPolicy: 'quarantine',
    pipelineVersion: 'v1',
    runKind: 'primary',
    trigger: 'rerun',
  };
}

/** Runs a tenant-day to its end; a rerun gets an id of its own beside the day's first run. */
async function runDay(stack: Stack, taskQueue: string, input: TenantDayInput, rerun?: string) {
  const id = tenantDayWorkflowId(input.tenantId, input.day, input.pipelineVersion, input.runKind);
  const handle = await stack.client.workflow.start(tenantDayWorkflow, {
    taskQueue,
    workflowId: rerun ? `${id}/${rerun}` : id,
    args: [input],
  });
  await handle.result();
  return handle;
}

/** Lanes of scenarios with tenants of their own, terminated with the main one. */
const extraLanes: string[] = [];
let waitingTenant: string | undefined;

async function startRollout(ctx: Context, candidate: string) {
  return ctx.stack.client.workflow.start(rolloutWorkflow, {
    taskQueue: ctx.base,
    workflowId: rolloutWorkflowId(candidate) + `-${ctx.tenantId}`,
    args: [
      {
        candidateVersion: candidate,
        baselineVersion: 'v1',
        tenants: [{ tenantId: ctx.tenant.id, tenant: settings(ctx.tenant) }],
        policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
      },
    ],
  });
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stack = await connectStack();
  const base = uniqueName('record');
  const tenantId = uniqueName('replay');
  const tenant = testTenant(tenantId);
  const laneDefaults = { taskQueue: base, primaryVersion: 'v1', retryBackoffBaseMs: 500, maxAttempts: 2 };
  const lanes = createTemporalLaneActivities({
    temporal: stack.client,
    laneDefaults,
    loadTenants: () => Promise.resolve([tenant]),
  });
  // Alerts go to the worker log only (no webhook): their activities complete at once.
  const alertSinks = createAlertActivities();
  const fake = { ...recordingActivities({ delayMs: 20 }).activities, ...lanes, ...alertSinks };
  const flaky = { ...recordingActivities({ delayMs: 20, failFirstAttempt: true }).activities, ...lanes };
  const waiting = { ...recordingActivities({ delayMs: 20, inputsMissingChecks: 2 }).activities, ...lanes };
  // Lanes of the `-failing` queues: one attempt per day, and 2026-11-02 always fails.
  const failing = {
    ...recordingActivities({ delayMs: 20, failDays: ['2026-11-02'] }).activities,
    ...createTemporalLaneActivities({
      temporal: stack.client,
      laneDefaults: { taskQueue: `${base}-failing`, primaryVersion: 'v1', maxAttempts: 1 },
      loadTenants: () => Promise.resolve([tenant]),
    }),
    ...alertSinks,
  };
  // Lanes of the `-alerting` queues: one attempt per day, and each day's first run fails.
  const firstRuns = new Set<string>();
  const alertingBase = recordingActivities({ delayMs: 20 }).activities;
  // The `-blocking` queue: every day's data checks pass but 2026-11-24's, which block.
  const blocking = { ...recordingActivities({ delayMs: 20, blockDays: ['2026-11-24'] }).activities, ...alertSinks };
  // The `-bucketed` queue plans 2 partitions and keeps each run's bucket count for its reruns.
  const bucketed = { ...recordingActivities({ delayMs: 20, partitions: 2 }).activities, ...alertSinks };
  const alerting = {
    ...alertingBase,
    planPartitions(input: PlanPartitionsInput) {
      const key = `${input.tenantId}|${input.day}`;
      if (!firstRuns.has(key)) {
        firstRuns.add(key);
        throw ApplicationFailure.nonRetryable(
          `planted first failure for ${input.tenantId} ${input.day}`,
          'CorruptDataError',
        );
      }
      return alertingBase.planPartitions(input);
    },
    ...createTemporalLaneActivities({
      temporal: stack.client,
      laneDefaults: { taskQueue: `${base}-alerting`, primaryVersion: 'v1', maxAttempts: 1 },
      loadTenants: () => Promise.resolve([tenant]),
    }),
    ...alertSinks,
  };
  // The `-sla` queue's monitor checks one tenant that never had a lane.
  const sla = {
    ...createSlaMonitorActivities({
      temporal: stack.client,
      laneDefaults: { taskQueue: `${base}-sla`, primaryVersion: 'v1' },
      loadTenants: () => Promise.resolve([testTenant(uniqueName('slalate'), 'Europe/Berlin')]),
      store: stack.store,
    }),
    ...alertSinks,
  };
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  // Each scenario family has a base queue of its own, laid out as the worker process lays out its
  // queues (workers/compose.ts); queues a family does not use are polled and stay empty.
  const family = async (taskQueue: string, activities: object, versions = ['v1']) =>
    (
      await composeWorkers({
        config: stack.config,
        layout: { taskQueue, versions, coordination: true, ...SDK_DEFAULT_ACTIVITY_SLOTS },
        shared: { connection: stack.connection },
        workflowBundle,
        activities,
      })
    ).workers;
  const families = await Promise.all([
    family(
      base,
      { ...createActivities(stackActivityDeps(stack, { taskQueue: base, indexPrefix: 'daybreak-replay' })), ...fake },
      ['v1', 'v2'],
    ),
    family(`${base}-flaky`, flaky),
    // The lanes there had fake's activities, their tenant-days the waiting ones.
    family(`${base}-waiting`, { ...fake, ...waiting }),
    family(`${base}-failing`, failing),
    family(`${base}-alerting`, alerting),
    family(`${base}-blocking`, blocking),
    family(`${base}-bucketed`, bucketed),
    family(`${base}-sla`, sla),
  ]);
  const workers = families.flat();
  mkdirSync(OUT_DIR, { recursive: true });
  const ctx: Context = { stack, base, tenantId, tenant };
  await runWorkersUntil(workers, async () => {
    // `npm run histories:record -- <scenario> ...` records only those (new) histories, keeping the rest as they are.
    const only = process.argv.slice(2);
    const sdkVersion = installedSdkVersion();
    for (const scenario of scenarios.filter((s) => only.length === 0 || only.includes(s.name))) {
      const handle = await scenario.run(ctx);
      const history = await handle.fetchHistory();
      const file = historyFileName({ scenario: scenario.name, sdkVersion });
      writeFileSync(path.join(OUT_DIR, file), historyToJSON(history) + '\n');
      console.log(`recorded ${file} (${history.events?.length ?? 0} events)`);
    }
  });
  for (const lane of [laneWorkflowId(tenantId), ...extraLanes]) {
    await stack.client.workflow
      .getHandle(lane)
      .terminate('recording done')
      .catch(() => undefined);
  }
  await stack.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
