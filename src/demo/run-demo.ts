import type { Client as ElasticsearchClient } from '@elastic/elasticsearch';
import type { Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { ensureNamespace } from '../client/namespaces';
import { waitUntil } from '../client/wait-until';
import { composeWorkers } from '../workers/compose';
import { type DaybreakConfig, readConfig } from '../workers/config';
import { silentLogger } from '../workers/run-workers';
import { laneState, requestRun } from '../client/lanes';
import { generate } from '../generator/generate';
import { addDays } from '../common/days';
import { laneWorkflowId, rolloutWorkflowId } from '../common/ids';
import type { RolloutState } from '../workflows/rollouts/rollout-contracts';
import { servedAliasName } from '../workflows/serving/serving-contracts';
import type { TenantConfig } from '../workflows/tenants/tenant-config';
import type { ObjectStore } from '../storage/object-store';
import { rolloutWorkflow } from '../workflows/rollouts/rollout';
import { promoteUpdate, rollbackUpdate, rolloutStateQuery } from '../workflows/rollouts/rollout-signals';

export interface DemoOptions {
  client: Client;
  temporalAddress: string;
  store: ObjectStore;
  es: ElasticsearchClient;
  indexPrefix: string;
  /** Base task queue; the demo runs its own workers on it and on the versions' queues. */
  taskQueue: string;
  tenants: number;
  eventsPerDay: number;
  seed: string;
  startDay: string;
  /** Days of v1 alone, then days with v2 in shadow. */
  baselineDays: number;
  shadowDays: number;
  log: (line: string) => void;
  /** Workflow id of the demo's rollout (default `daybreak/rollout/v2`). */
  rolloutId?: string;
  /** What the demo's workers are composed from, its queues and limits set by the demo; default readConfig(). */
  config?: DaybreakConfig;
}

export interface DemoResult {
  tenants: TenantConfig[];
  rollout: RolloutState;
  rolledBack?: string;
  blocked: { tenantId: string; csvKey?: string }[];
}

/**
 * The story Daybreak exists for, end to end on generated data: tenants across time zones run their
 * daily v1 pipelines; a rollout of v2 starts in shadow; after a few days the tenants whose
 * comparisons show only expected differences are promoted, a tenant with unexpected differences is
 * blocked (its CSV listed), one promoted tenant is rolled back, and a table shows every stage.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { client, log } = options;
  // The demo's tenants (acme, ...) are real-looking ids: its lanes live in a namespace of their own
  // (`daybreak-demo` from `npm start`), never in the operator's.
  const namespace = client.options.namespace;
  const ensured = await ensureNamespace(client.connection, namespace);
  log(`namespace ${namespace}${ensured.created ? ' (created, with Daybreak search attributes)' : ''}`);
  log(
    `generating ${options.tenants} tenants x ${options.baselineDays + options.shadowDays} days x ${options.eventsPerDay} events into ${options.store.description}`,
  );
  const generated = await generate(
    {
      tenants: options.tenants,
      days: options.baselineDays + options.shadowDays,
      eventsPerDay: options.eventsPerDay,
      seed: options.seed,
      startDay: options.startDay,
    },
    options.store,
  );
  const tenants = generated.tenants;
  log(`generated ${generated.events} events in ${generated.rawFiles} files (${(generated.bytes / 1e6).toFixed(1)} MB)`);

  // A demo can be run again: start its tenants' lanes and served indices afresh.
  for (const t of tenants) {
    await client.workflow
      .getHandle(laneWorkflowId(t.id))
      .terminate('demo restarted')
      .catch(() => undefined);
  }
  await options.es.indices.delete({
    index: `${options.indexPrefix}-accounts-*`,
    ignore_unavailable: true,
    allow_no_indices: true,
  });

  const base = options.config ?? readConfig();
  // The demo's own queues and limits: v1 and v2 on 4 activity slots each, partitions in-process.
  const composition = await composeWorkers({
    config: {
      ...base,
      temporal: { ...base.temporal, address: options.temporalAddress, namespace, taskQueue: options.taskQueue },
      elasticsearch: { ...base.elasticsearch, indexPrefix: options.indexPrefix },
      worker: {
        ...base.worker,
        coordination: true,
        maxConcurrentActivities: 4,
        maxConcurrentBackfillActivities: 4,
        partitionThreads: 0,
      },
      pipeline: { ...base.pipeline, versions: ['v1', 'v2'], defaultPrimaryVersion: 'v1' },
    },
    shared: { temporal: client, store: options.store, es: options.es },
    loadTenants: () => Promise.resolve(tenants),
    logger: silentLogger,
  });
  const defaults = { taskQueue: options.taskQueue, primaryVersion: 'v1' };
  const settings = (t: TenantConfig) => ({ timeZone: t.timeZone, badDataPolicy: t.badDataPolicy });
  // Generous: a cold machine runs the first days slowly. The message points at where to look.
  const waitFor = (what: string, predicate: () => Promise<boolean>) =>
    waitUntil(predicate, { what: `${what} (see the Web UI)`, timeoutMs: 15 * 60_000, intervalMs: 500 });

  const runDay = async (day: string) => {
    for (const t of tenants)
      await requestRun(client, t.id, { day, kind: 'daily', requestedBy: 'demo', tenant: settings(t) }, defaults);
    await waitFor(`every tenant's ${day}`, async () => {
      const states = await Promise.all(tenants.map((t) => laneState(client, t.id)));
      return states.every((s) => s.finished.some((f) => f.day === day && f.kind === 'daily'));
    });
    const failed = (await Promise.all(tenants.map((t) => laneState(client, t.id)))).flatMap((s) =>
      s.finished.filter((f) => f.day === day && f.status === 'failed').map(() => s.tenantId),
    );
    log(
      `  ${day}: ${tenants.length - failed.length} tenant-days completed${failed.length ? `, failed: ${failed.join(', ')}` : ''}`,
    );
  };

  const result = await composition.runUntil(async () => {
    log(`\n1. daily v1 runs, each tenant's day in its own time zone`);
    for (let i = 0; i < options.baselineDays; i++) await runDay(addDays(options.startDay, i));

    log(`\n2. rollout of v2 starts in shadow (policy v1-to-v2, 2 clean days to promote, automatic)`);
    const rolloutId = options.rolloutId ?? rolloutWorkflowId('v2');
    const rollout = await client.workflow.start(rolloutWorkflow, {
      workflowId: rolloutId,
      taskQueue: options.taskQueue,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
      args: [
        {
          candidateVersion: 'v2',
          baselineVersion: 'v1',
          tenants: tenants.map((t) => ({ tenantId: t.id, tenant: settings(t) })),
          policy: { comparisonPolicy: 'v1-to-v2', cleanDaysToEligible: 2, autoPromote: true },
        },
      ],
      staticSummary: 'Demo rollout of v2',
    });
    // The rollout points every lane at v1 + shadow v2 before the next day is asked for.
    await waitFor('the lanes to run v2 in shadow', async () => {
      const states = await Promise.all(tenants.map((t) => laneState(client, t.id)));
      return states.every((s) => s.versions.shadow === 'v2');
    });
    for (let i = 0; i < options.shadowDays; i++) {
      const day = addDays(options.startDay, options.baselineDays + i);
      await runDay(day);
      // Verdicts arrive when the shadow runs finish their comparisons.
      await waitFor(`the verdicts of ${day}`, async () => {
        const state = await rollout.query(rolloutStateQuery);
        return state.tenants.every((t) => t.verdicts.some((v) => v.day === day));
      });
      const state = await rollout.query(rolloutStateQuery);
      log(
        `     verdicts: ${state.tenants.map((t) => `${t.tenantId}=${t.verdicts.find((v) => v.day === day)?.verdict}`).join(', ')}`,
      );
    }
    await waitFor(
      'the automatic promotions',
      async () => !(await rollout.query(rolloutStateQuery)).tenants.some((t) => t.stage === 'eligible'),
    );

    let state = await rollout.query(rolloutStateQuery);
    const blocked = state.tenants
      .filter((t) => t.stage === 'shadow')
      .map((t) => ({ tenantId: t.tenantId, csvKey: t.lastUnexpectedCsv }));
    log(`\n3. promotion`);
    for (const t of state.tenants.filter((x) => x.stage === 'promoted'))
      log(`  ${t.tenantId}: promoted, alias ${servedAliasName(options.indexPrefix, t.tenantId)} now serves v2`);
    for (const b of blocked) {
      log(`  ${b.tenantId}: blocked by unexpected differences: ${b.csvKey ?? '(see the rollout state)'}`);
      try {
        await rollout.executeUpdate(promoteUpdate, {
          args: [{ tenantId: b.tenantId, by: 'demo', reason: 'try without evidence' }],
        });
      } catch (error) {
        log(
          `    promote refused: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`,
        );
      }
    }

    let rolledBack: string | undefined;
    const promoted = state.tenants.find((t) => t.stage === 'promoted');
    if (promoted) {
      log(`\n4. rollback of ${promoted.tenantId} (one alias swap, no recomputation)`);
      const back = await rollout.executeUpdate(rollbackUpdate, {
        args: [{ tenantId: promoted.tenantId, by: 'demo', reason: 'customer asked to stay on v1 for now' }],
      });
      rolledBack = promoted.tenantId;
      log(`  ${back.tenantId}: ${back.stage}, serving ${back.servedIndex}`);
    }
    state = await rollout.query(rolloutStateQuery);
    return { tenants, rollout: state, rolledBack, blocked };
  });
  return result;
}
