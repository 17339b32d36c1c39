import { WorkflowUpdateStage } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineVersions, TenantSettings } from '../../src/workflows/lanes/lane-contracts';
import type { OperatorAction } from '../../src/workflows/rollouts/rollout-contracts';
import type { SwapServedAliasInput, SwapServedAliasResult } from '../../src/workflows/serving/serving-contracts';
import { rolloutWorkflow } from '../../src/workflows/rollouts/rollout';
import {
  endUpdate,
  promoteUpdate,
  rollbackUpdate,
  rolloutStateQuery,
} from '../../src/workflows/rollouts/rollout-signals';
import type { Stack } from '../support/stack';
import { WORKFLOWS_PATH, connectStack, quietLogger, uniqueName } from '../support/stack';
import { waitUntil } from '../../src/client/wait-until';

/**
 * Operator actions on a rollout run one at a time (issue 12, point 6). Each test holds the
 * rollout's lock with a promotion whose alias swap waits for the test, queues more actions
 * behind it, then lets go: all queued actions are waiting at the same moment, which is exactly
 * when a `condition(() => !busy)` gate lets every one of them in together.
 */

const SETTINGS: TenantSettings = { timeZone: 'UTC', badDataPolicy: 'quarantine' };
const ACTIVITY_MS = 300;

interface Call {
  tenantId: string;
  activity: 'swapServedAlias' | 'setLaneVersions';
  to: string;
  /** For swaps: the served version the swap found (what the action before it left). */
  from?: string | null;
}

/**
 * Alias and lane activities over an in-memory model that reads at the start and writes at the end,
 * like the real alias swap and lane signal: overlapping calls show as the most calls in flight and
 * as a swap that did not see the previous one's result.
 */
function fakeServingAndLanes() {
  const served = new Map<string, string>();
  const lanes = new Map<string, PipelineVersions>();
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const gates = new Map<string, Promise<void>>();
  const laneGates = new Map<string, Promise<void>>();
  const started = new Set<string>();
  const track = async <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await work();
    } finally {
      inFlight--;
    }
  };
  const activities = {
    swapServedAlias: (input: SwapServedAliasInput): Promise<SwapServedAliasResult> =>
      track(async () => {
        const from = served.get(input.tenantId) ?? null;
        started.add(input.tenantId);
        calls.push({ tenantId: input.tenantId, activity: 'swapServedAlias', to: input.toPipelineVersion, from });
        await (gates.get(input.tenantId) ?? sleep(ACTIVITY_MS));
        served.set(input.tenantId, input.toPipelineVersion);
        return {
          alias: `served-${input.tenantId}`,
          fromIndex: from && `idx-${input.tenantId}-${from}`,
          fromPipelineVersion: from,
          toIndex: `idx-${input.tenantId}-${input.toPipelineVersion}`,
          toPipelineVersion: input.toPipelineVersion,
        };
      }),
    setLaneVersions: (input: { tenantId: string; tenant: TenantSettings; versions: PipelineVersions }) =>
      track(async () => {
        calls.push({ tenantId: input.tenantId, activity: 'setLaneVersions', to: input.versions.primary });
        await (laneGates.get(input.tenantId) ?? sleep(ACTIVITY_MS / 3));
        lanes.set(input.tenantId, input.versions);
      }),
  };
  /** Makes the tenant's next swaps wait until the returned function is called. */
  const hold = (tenantId: string) => {
    let release!: () => void;
    gates.set(
      tenantId,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => {
      gates.delete(tenantId);
      release();
    };
  };
  /** Makes the tenant's next lane updates wait until the returned function is called. */
  const holdLane = (tenantId: string) => {
    let release!: () => void;
    laneGates.set(
      tenantId,
      new Promise<void>((resolve) => {
        release = resolve;
      }),
    );
    return () => {
      laneGates.delete(tenantId);
      release();
    };
  };
  return {
    activities,
    holdLane,
    served,
    lanes,
    calls,
    hold,
    started,
    resetCounts: () => {
      calls.length = 0;
      maxInFlight = 0;
    },
    maxInFlight: () => maxInFlight,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const by = (tenantId: string, reason: string, force = false): OperatorAction => ({
  tenantId,
  by: 'test',
  reason,
  force,
});

let stack: Stack;
let workflowBundle: WorkflowBundleWithSourceMap;
const started: WorkflowHandle[] = [];
beforeAll(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  stack = await connectStack();
  workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
});
afterAll(async () => {
  for (const handle of started) {
    // Completed workflows refuse termination; that is the normal case.
    await handle.terminate('test cleanup').catch(() => undefined);
  }
  await stack.close();
});

/** A rollout of v2 over v1 for the given tenants, on its own task queue with the fake activities. */
async function withRollout(
  tenantIds: string[],
  body: (
    rollout: WorkflowHandle<typeof rolloutWorkflow>,
    fake: ReturnType<typeof fakeServingAndLanes>,
  ) => Promise<void>,
  options: { waitForSetUp?: boolean; prepare?: (fake: ReturnType<typeof fakeServingAndLanes>) => void } = {},
) {
  const taskQueue = uniqueName('rollout-mutex');
  const fake = fakeServingAndLanes();
  options.prepare?.(fake);
  const worker = await Worker.create({
    connection: stack.connection,
    taskQueue,
    workflowBundle,
    activities: fake.activities,
  });
  await worker.runUntil(async () => {
    const rollout = await stack.client.workflow.start(rolloutWorkflow, {
      taskQueue,
      workflowId: uniqueName('daybreak-test/rollout-mutex'),
      args: [
        {
          candidateVersion: 'v2',
          baselineVersion: 'v1',
          tenants: tenantIds.map((tenantId) => ({ tenantId, tenant: SETTINGS })),
          policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: false },
        },
      ],
    });
    started.push(rollout);
    if (options.waitForSetUp ?? true) {
      await waitUntil(() => Promise.resolve(fake.lanes.size === tenantIds.length), {
        what: 'the rollout to set up its lanes',
      });
      fake.resetCounts();
    }
    await body(rollout, fake);
  });
}

/** Starts a promotion of `holder` whose alias swap waits; returns once the swap has begun, with its release. */
async function holdTheLock(
  rollout: WorkflowHandle<typeof rolloutWorkflow>,
  fake: ReturnType<typeof fakeServingAndLanes>,
  holder: string,
) {
  const release = fake.hold(holder);
  const update = await rollout.startUpdate(promoteUpdate, {
    args: [by(holder, 'holds the lock', true)],
    waitForStage: WorkflowUpdateStage.ACCEPTED,
  });
  await waitUntil(() => Promise.resolve(fake.started.has(holder)), { what: 'the holding swap to start' });
  return { update, release };
}

describe('operator actions on a rollout are exclusive', () => {
  it('a promote and a rollback sent together run one after the other, the rollback seeing the promotion', async () => {
    const holder = uniqueName('hold');
    const tenant = uniqueName('tenant');
    await withRollout([holder, tenant], async (rollout, fake) => {
      const lock = await holdTheLock(rollout, fake, holder);
      // Both are accepted (validated against the tenant in shadow) and wait behind the holder.
      const promote = await rollout.startUpdate(promoteUpdate, {
        args: [by(tenant, 'drill', true)],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      const rollback = await rollout.startUpdate(rollbackUpdate, {
        args: [by(tenant, 'drill over')],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      lock.release();
      expect(await lock.update.result()).toMatchObject({ tenantId: holder, stage: 'promoted' });
      expect(await promote.result()).toMatchObject({
        tenantId: tenant,
        stage: 'promoted',
        servedIndex: `idx-${tenant}-v2`,
      });
      expect(await rollback.result()).toMatchObject({
        tenantId: tenant,
        stage: 'rolled-back',
        servedIndex: `idx-${tenant}-v1`,
      });

      expect(fake.maxInFlight()).toBe(1);
      expect(fake.calls.filter((c) => c.tenantId === tenant)).toEqual([
        { tenantId: tenant, activity: 'swapServedAlias', to: 'v2', from: null },
        { tenantId: tenant, activity: 'setLaneVersions', to: 'v2' },
        // The rollback's swap found the alias where the promotion left it.
        { tenantId: tenant, activity: 'swapServedAlias', to: 'v1', from: 'v2' },
        { tenantId: tenant, activity: 'setLaneVersions', to: 'v1' },
      ]);
      const state = await rollout.query(rolloutStateQuery);
      expect(state.tenants.find((t) => t.tenantId === tenant)!.stage).toBe('rolled-back');
      expect(state.audit.map((a) => [a.tenantId, a.action])).toEqual([
        [holder, 'promote'],
        [tenant, 'promote'],
        [tenant, 'rollback'],
      ]);
      // What the tenant is served and runs agree with its stage.
      expect(fake.served.get(tenant)).toBe('v1');
      expect(fake.lanes.get(tenant)).toEqual({ primary: 'v1' });

      await rollout.executeUpdate(rollbackUpdate, { args: [by(holder, 'cleanup')] });
      // Rolled back, the tenants could still be resumed: the rollout completes when told it is over.
      await rollout.executeUpdate(endUpdate, { args: [{ by: 'test', reason: 'cleanup' }] });
      await rollout.result();
    });
  });

  it('of two promotions sent together, the second sees the first and is refused', async () => {
    const holder = uniqueName('hold');
    const tenant = uniqueName('tenant');
    await withRollout([holder, tenant], async (rollout, fake) => {
      const lock = await holdTheLock(rollout, fake, holder);
      const promotions = await Promise.all(
        ['first', 'second'].map((reason) =>
          rollout.startUpdate(promoteUpdate, {
            args: [by(tenant, reason, true)],
            waitForStage: WorkflowUpdateStage.ACCEPTED,
          }),
        ),
      );
      lock.release();
      await lock.update.result();
      const outcomes = await Promise.allSettled(promotions.map((p) => p.result()));
      const fulfilled = outcomes.filter((o) => o.status === 'fulfilled');
      const rejected = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      const cause = (rejected[0].reason as { cause?: { message?: string } }).cause;
      expect(cause?.message).toBe(`tenant ${tenant} is promoted, not in shadow or eligible`);

      expect(fake.maxInFlight()).toBe(1);
      expect(fake.calls.filter((c) => c.tenantId === tenant && c.activity === 'swapServedAlias')).toHaveLength(1);
      const state = await rollout.query(rolloutStateQuery);
      expect(state.audit.filter((a) => a.tenantId === tenant).map((a) => a.action)).toEqual(['promote']);

      for (const id of [holder, tenant]) await rollout.executeUpdate(rollbackUpdate, { args: [by(id, 'cleanup')] });
      await rollout.executeUpdate(endUpdate, { args: [{ by: 'test', reason: 'cleanup' }] });
      await rollout.result();
    });
  });

  it('an action sent while the rollout sets up its lanes waits for the set-up, so the set-up cannot undo it', async () => {
    const first = uniqueName('first');
    const tenant = uniqueName('tenant');
    // The set-up stops at the first tenant's lane; a promotion of the second is sent meanwhile.
    let release!: () => void;
    await withRollout(
      [first, tenant],
      async (rollout, fake) => {
        await waitUntil(() => Promise.resolve(fake.calls.some((c) => c.tenantId === first)), {
          what: 'the set-up to reach the first tenant',
        });
        const promote = await rollout.startUpdate(promoteUpdate, {
          args: [by(tenant, 'during set-up', true)],
          waitForStage: WorkflowUpdateStage.ACCEPTED,
        });
        await sleep(ACTIVITY_MS);
        release();
        expect(await promote.result()).toMatchObject({ tenantId: tenant, stage: 'promoted' });
        expect(fake.calls.filter((c) => c.tenantId === tenant)).toEqual([
          { tenantId: tenant, activity: 'setLaneVersions', to: 'v1' },
          { tenantId: tenant, activity: 'swapServedAlias', to: 'v2', from: null },
          { tenantId: tenant, activity: 'setLaneVersions', to: 'v2' },
        ]);
        // Served, run and recorded stage agree: the promoted tenant's lane runs v2 as primary.
        expect(fake.served.get(tenant)).toBe('v2');
        expect(fake.lanes.get(tenant)?.primary).toBe('v2');
        await rollout.terminate('test over');
      },
      { waitForSetUp: false, prepare: (fake) => (release = fake.holdLane(first)) },
    );
  });
});
