import {
  ParentClosePolicy,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  setHandler,
  setWorkflowOptions,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { MetricTasks, getPipeline, isPipelineVersionName } from '../../metrics/pipelines';
import { ErrorTypes, InvalidInputError } from '../../common/errors';
import { assertTenantDayInput } from '../request-validation';
import { downstreamOf, runTaskGraph } from '../../metrics/task-graph';
import { tenantDayWorkflowId, versionTaskQueue } from '../../common/ids';
import type { AggregatePartitionResult, RecordCounts, RunRef } from './pipeline-contracts';
import { runRefOf } from './pipeline-contracts';
import { runSearchAttributes } from '../../common/search-attributes';
import type {
  InputsWaitSignal,
  PrimaryFinishedSignal,
  TaskTiming,
  TenantDayInput,
  TenantDayResult,
} from './tenant-day-contracts';
import { outputKey } from '../../common/keys';
import type { Verdict } from '../rollouts/rollout-contracts';
import { tenantDayActivities } from '../activity-options';
import { activitySummaries as summaries } from './activity-summaries';
import type { FanOutHooks, MetricOps } from '../../metrics/fan-out';
import { mapBounded, runMetricFanOut } from '../../metrics/fan-out';
import { BUCKETED_METRICS_PATCH } from './tenant-day-contracts';
import { workflowNow } from '../workflow-clock';
import { listenForDependencyWaits, showStep } from './run-details';
import { dayVerdictSignal } from '../rollouts/rollout-signals';
import { inputsWaitSignal, primaryFinishedSignal } from './tenant-day-messages';
import { RUN_LEDGER_PATCH, RunTrail, recordRunLedger } from '../run-ledger/run-ledger';
import { ChecksGate, DATA_CHECKS_PATCH } from '../data-checks/data-checks';
import type { RunMetricLabels } from './run-metrics';
import {
  recordDocumentsIndexed,
  recordEventCounts,
  recordChecks,
  recordOutcome,
  recordTaskDuration,
  recordVerdict,
} from './run-metrics';

const WAIT_FOR_INPUTS_PATCH = 'wait-for-inputs';
const INPUT_CHECK_INITIAL_MS = 60_000;
const INPUT_CHECK_MAXIMUM_MS = 30 * 60_000;

/** How long a shadow run waits for its primary before it reports without a comparison. */
const PRIMARY_WAIT = '12 hours';

function sumCounts(results: AggregatePartitionResult[]): RecordCounts {
  const total: RecordCounts = { read: 0, accepted: 0, quarantined: 0, duplicates: 0, outOfWindow: 0 };
  for (const { counts } of results) {
    total.read += counts.read;
    total.accepted += counts.accepted;
    total.quarantined += counts.quarantined;
    total.duplicates += counts.duplicates;
    total.outOfWindow += counts.outOfWindow;
  }
  return total;
}

/**
 * One tenant's local day for one pipeline version: the metric task graph as activities (raw
 * partitions fanned out under bounded concurrency, then the merge and the later tasks), account
 * documents written to the object store, and indexed into the version's Elasticsearch index.
 * Started by the tenant's lane under id `daybreak/tenant-day/<tenant>/<day>/<version>/<kind>`; all
 * output keys are deterministic, so a retry or rerun overwrites instead of duplicating.
 *
 * A primary run with a shadow version starts a shadow child on that version's task queue (lower
 * priority, abandoned on close: its failure or slowness never touches the primary) and tells it
 * when the primary's outputs are ready; the shadow compares and reports the verdict to the rollout.
 */
export async function tenantDayWorkflow(input: TenantDayInput): Promise<TenantDayResult> {
  refuseInvalidInput(input);
  const run = runRefOf(input);
  let primaryFinished: PrimaryFinishedSignal | undefined;
  listenForDependencyWaits();
  setHandler(primaryFinishedSignal, (signal) => {
    primaryFinished = signal;
  });
  const baseTaskQueue = input.baseTaskQueue ?? 'daybreak';
  // Runs started before the wait existed replay without it.
  const waitsForInputs = patched(WAIT_FOR_INPUTS_PATCH);
  // Runs started before the run ledger existed replay without its activity.
  const keepsLedger = patched(RUN_LEDGER_PATCH);
  // Runs started before the data checks existed replay without them; shadows are compared instead.
  const gate = input.runKind === 'primary' && patched(DATA_CHECKS_PATCH) ? new ChecksGate() : undefined;
  const trail = new RunTrail();
  let shadow: TenantDayResult['shadow'];

  try {
    // First the inputs, then the shadow: a day that waits has no shadow child waiting beside it.
    if (waitsForInputs && needsInputs(input)) await waitForInputs(input);
    shadow = input.runKind === 'primary' && input.shadow ? await startShadow(input, baseTaskQueue) : undefined;
    const result = await computeDay(input, run, trail, gate);
    if (shadow?.started)
      await notifyShadow(shadow.workflowId, { status: 'completed', accountsKey: result.accountsKey });
    if (input.comparedWith) await compareWithPrimary(input, result.accountsKey, () => primaryFinished);
    await gate?.settle();
    if (keepsLedger) await recordRunLedger(input, trail, 'completed', { result });
    recordOutcome({ run: metricLabels(input), outcome: 'completed' });
    return { ...result, shadow };
  } catch (error) {
    recordFailure(input, error);
    if (keepsLedger && (error instanceof TemporalFailure || error instanceof InvalidInputError))
      await recordRunLedger(input, trail, 'failed', { error });
    if (shadow?.started && !isCancellation(error)) await notifyShadow(shadow.workflowId, { status: 'failed' });
    if (input.comparedWith?.rolloutWorkflowId && !isCancellation(error)) {
      await reportVerdict(input, {
        verdict: 'shadow-failed',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
    throw error;
  }
}

function metricLabels(input: TenantDayInput): RunMetricLabels {
  return { pipelineVersion: input.pipelineVersion, runKind: input.runKind, trigger: input.trigger };
}

/**
 * Only what ends the run is counted: any other error fails the workflow task, which is retried and
 * would count again at each retry.
 */
function recordFailure(input: TenantDayInput, error: unknown): void {
  const run = metricLabels(input);
  if (isCancellation(error)) {
    recordOutcome({ run, outcome: 'cancelled' });
    return;
  }
  if (!(error instanceof TemporalFailure || error instanceof InvalidInputError)) return;
  recordOutcome({ run, outcome: 'failed' });
  if (input.comparedWith)
    recordVerdict({
      primaryVersion: input.comparedWith.pipelineVersion,
      shadowVersion: input.pipelineVersion,
      verdict: 'shadow-failed',
    });
}

/** Whether the tasks that run read the raw events or the attribute snapshot (a rerun from a later task does not). */
function needsInputs(input: TenantDayInput): boolean {
  if (input.fromTask === undefined) return true;
  const selected = downstreamOf(getPipeline(input.pipelineVersion).graph, input.fromTask);
  return selected.has(MetricTasks.AggregatePartitions) || selected.has(MetricTasks.Attributes);
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Waits, like a sensor, until the day's inputs have arrived (its attribute snapshot and raw events
 * in at least one of its UTC hours; see checkTenantDayInputs): a timer loop around a short check,
 * with capped exponential backoff, so the wait is durable and costs one activity per check. The
 * deadline comes with each check, derived from the day and zone (never the clock) and the worker's
 * DAYBREAK_INPUT_DEADLINE_HOURS; it is compared with workflow time. At the deadline the run fails
 * once, non-retryable (InputsNotArrivedError), naming what is missing. While waiting, the current
 * details say so, and a primary tells its lane, which shows it in laneState (`daybreak status`).
 */
async function waitForInputs(input: TenantDayInput): Promise<void> {
  const { inputs } = tenantDayActivities(input.outageRideOutMinutes);
  const initial = input.inputWait?.initialIntervalMs ?? INPUT_CHECK_INITIAL_MS;
  const maximum = input.inputWait?.maximumIntervalMs ?? INPUT_CHECK_MAXIMUM_MS;
  let interval = initial;
  let since: number | undefined;
  let told = '';
  for (;;) {
    const check = await inputs.checkTenantDayInputs.executeWithOptions({ summary: `Check inputs of ${input.day}` }, [
      {
        tenantId: input.tenantId,
        day: input.day,
        timeZone: input.timeZone,
        deadlineHours: input.inputWait?.deadlineHours,
      },
    ]);
    if (check.arrived) {
      if (since !== undefined) await tellLane(input, { waiting: false });
      return;
    }
    const now = workflowNow();
    const missing = check.missing.join('; ');
    if (now >= check.deadlineMs) {
      throw ApplicationFailure.nonRetryable(
        `inputs of tenant ${input.tenantId} day ${input.day} (${input.timeZone}) did not arrive by the deadline ` +
          `${iso(check.deadlineMs)}${since !== undefined ? ` (waited since ${iso(since)})` : ''}: missing ${missing}`,
        ErrorTypes.InputsNotArrived,
      );
    }
    since ??= now;
    const delay = Math.min(interval, check.deadlineMs - now);
    showStep(
      `Waiting for inputs of ${input.day} (${input.timeZone}) since ${iso(since)}: missing ${missing}; ` +
        `next check ${iso(now + delay)}, deadline ${iso(check.deadlineMs)}`,
    );
    if (told !== missing) {
      told = missing;
      await tellLane(input, {
        waiting: true,
        missing: check.missing,
        since: iso(since),
        deadline: iso(check.deadlineMs),
      });
    }
    await sleep(delay);
    interval = Math.min(interval * 2, maximum);
  }
}

/** The lane that started this primary run shows its waiting; shadows and direct starts have none to tell. */
async function tellLane(input: TenantDayInput, wait: Omit<InputsWaitSignal, 'day' | 'pipelineVersion'>): Promise<void> {
  const parent = workflowInfo().parent;
  if (input.runKind !== 'primary' || !parent) return;
  try {
    await getExternalWorkflowHandle(parent.workflowId).signal(inputsWaitSignal, {
      day: input.day,
      pipelineVersion: input.pipelineVersion,
      ...wait,
    });
  } catch (error) {
    log.warn('could not tell the lane about the wait for inputs', {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** A finished task: into the result's timings, the run trail and the task duration metric. */
type Timed = (timing: TaskTiming, attempts: (number | undefined)[]) => void;

/** What the work after the metric task graph needs from it: the partitions' results, in plan order. */
interface MetricGraphOutcome {
  aggregated: AggregatePartitionResult[];
  partitionCount: number;
}

async function computeDay(
  input: TenantDayInput,
  run: RunRef,
  trail: RunTrail,
  gate?: ChecksGate,
): Promise<Omit<TenantDayResult, 'shadow'>> {
  const { serving } = tenantDayActivities(input.outageRideOutMinutes);
  const tasks: TaskTiming[] = [];
  const labels = metricLabels(input);
  const timed: Timed = (timing, attempts) => {
    tasks.push(timing);
    trail.ended(timing, attempts);
    recordTaskDuration({ run: labels, task: timing.task, durationMs: timing.durationMs });
  };
  // Asked here, once, in the workflow task that issues the first metric command (nothing before it
  // in this function issues one): a run that had begun its metric work before the patch replays the
  // graph it recorded, while one that had not yet (still waiting for inputs, say) takes the fan-out.
  const bucketed = patched(BUCKETED_METRICS_PATCH);
  const { aggregated, partitionCount } = bucketed
    ? await computeMetrics(input, run, trail, timed)
    : await computeMetricsLegacy(input, run, trail, timed);
  const accountsKey = outputKey(run, 'accounts.avro');
  // A block waits here for a release: the served alias keeps the previous documents meanwhile.
  const checks = await gate?.check(input, aggregated.length ? sumCounts(aggregated) : undefined);
  if (checks) recordChecks({ run: metricLabels(input), checks });

  showStep(`Indexing account documents into Elasticsearch`);
  const started = workflowNow();
  trail.started('serve');
  const tenantVersion = { tenantId: input.tenantId, pipelineVersion: input.pipelineVersion };
  await serving.ensureServingIndex.executeWithOptions(
    { summary: summaries.ensureServingIndex(input.pipelineVersion) },
    [tenantVersion],
  );
  if (input.runKind === 'primary') {
    await serving.ensureServedAlias.executeWithOptions(
      { summary: summaries.ensureServedAlias(input.pipelineVersion) },
      [tenantVersion],
    );
  }
  const served = await serving.indexAccountDocuments.executeWithOptions(
    { summary: summaries.indexAccountDocuments(input.day) },
    [{ ...tenantVersion, day: input.day, runKind: input.runKind, documentsKey: accountsKey }],
  );
  timed({ task: 'serve', outputKey: served.index, records: served.indexed, durationMs: workflowNow() - started }, [
    served.attempt,
  ]);
  recordDocumentsIndexed({ run: labels, indexed: served.indexed });
  const counts = sumCounts(aggregated);
  showStep(
    `Done: ${counts.accepted} events accepted, ${counts.quarantined} quarantined, ${served.indexed} documents indexed`,
  );
  return {
    tenantId: input.tenantId,
    day: input.day,
    pipelineVersion: input.pipelineVersion,
    runKind: input.runKind,
    partitions: partitionCount,
    counts,
    quarantineKeys: aggregated.flatMap((p) => p.quarantineKeys),
    tasks,
    accountsKey,
    served: { index: served.index, indexed: served.indexed, skippedStale: served.skippedStale },
    ...(checks ? { checks } : {}),
  };
}

/**
 * The metric work through the one fan-out (src/metrics/fan-out.ts): planBuckets, then the graph with
 * partitions and, over B > 1 account buckets, one activity per bucket and stage. Its hooks report
 * what the legacy walk reported (steps, the trail, task durations, event counts).
 */
async function computeMetrics(
  input: TenantDayInput,
  run: RunRef,
  trail: RunTrail,
  timed: Timed,
): Promise<MetricGraphOutcome> {
  const { metrics } = tenantDayActivities(input.outageRideOutMinutes);
  const labels = metricLabels(input);
  const partitioned = new Set(
    getPipeline(input.pipelineVersion)
      .graph.tasks.filter((t) => t.partitioned)
      .map((t) => t.name),
  );
  const finished: AggregatePartitionResult[] = [];
  const ops: MetricOps = {
    planBuckets: (i, summary) => metrics.planBuckets.executeWithOptions({ summary }, [i]),
    planPartitions: (i, summary) => metrics.planPartitions.executeWithOptions({ summary }, [i]),
    aggregatePartition: async (i, summary) => {
      const result = await metrics.aggregatePartition.executeWithOptions({ summary }, [i]);
      finished.push(result);
      // With its partition: a bucketed or spilled partial's key is a prefix that names none.
      trail.partialDone(result, i.partition);
      return result;
    },
    runMetricTask: (i, summary) => metrics.runMetricTask.executeWithOptions({ summary }, [i]),
  };
  const hooks: FanOutHooks = {
    now: workflowNow,
    step: showStep,
    taskStarted: (task) => trail.started(task),
    planned: (plan) => trail.planned(plan),
    taskEnded: (timing, attempts) => {
      if (!partitioned.has(timing.task)) return timed(timing, attempts);
      recordEventCounts({ run: labels, counts: sumCounts(finished) });
      // The partials prefix, as before: the fan-out derives its key from a partial (none: empty).
      timed({ ...timing, outputKey: outputKey(run, 'partials') }, attempts);
    },
  };
  const result = await runMetricFanOut({
    ...run,
    ops,
    maxPartitions: input.maxPartitions ?? 8,
    badDataPolicy: input.badDataPolicy,
    fromTask: input.fromTask,
    primaryPipelineVersion: input.comparedWith?.pipelineVersion,
    buckets: input.buckets,
    partitionConcurrency: input.partitionConcurrency ?? 4,
    bucketConcurrency: input.bucketConcurrency,
    hooks,
  });
  return { aggregated: result.partitions, partitionCount: result.plan?.partitions.length ?? 0 };
}

/**
 * The task graph as runs recorded before patch bucketed-metrics walk it (planPartitions first, no
 * buckets). Kept as it was, command for command, so their histories replay.
 */
async function computeMetricsLegacy(
  input: TenantDayInput,
  run: RunRef,
  trail: RunTrail,
  timed: Timed,
): Promise<MetricGraphOutcome> {
  const { metrics } = tenantDayActivities(input.outageRideOutMinutes);
  const labels = metricLabels(input);
  let aggregated: AggregatePartitionResult[] = [];
  let partitionCount = 0;
  await runTaskGraph({
    graph: getPipeline(input.pipelineVersion).graph,
    fromTask: input.fromTask,
    concurrency: 2,
    runTask: async (task) => {
      const started = workflowNow();
      trail.started(task.name);
      if (task.partitioned) {
        showStep(`Planning partitions of ${input.day} (${input.timeZone})`);
        const plan = await metrics.planPartitions.executeWithOptions({ summary: summaries.planPartitions(input.day) }, [
          { ...run, maxPartitions: input.maxPartitions ?? 8 },
        ]);
        partitionCount = plan.partitions.length;
        trail.planned(plan);
        let done = 0;
        aggregated = await mapBounded(plan.partitions, input.partitionConcurrency ?? 4, async (partition) => {
          const result = await metrics.aggregatePartition.executeWithOptions(
            { summary: summaries.aggregatePartition(partition.index, partition.count) },
            [{ ...run, partition, badDataPolicy: input.badDataPolicy }],
          );
          showStep(`Aggregated ${++done}/${plan.partitions.length} partitions`);
          trail.partials.push(result);
          return result;
        });
        const records = aggregated.reduce((n, p) => n + p.accounts, 0);
        recordEventCounts({ run: labels, counts: sumCounts(aggregated) });
        timed(
          {
            task: task.name,
            outputKey: outputKey(run, 'partials'),
            records,
            durationMs: workflowNow() - started,
          },
          [plan.attempt, ...aggregated.map((p) => p.attempt)],
        );
        return { task: task.name, outputKey: outputKey(run, 'partials'), records };
      }
      showStep(`Running task ${task.name}`);
      const result = await metrics.runMetricTask.executeWithOptions({ summary: summaries.metricTask(task.name) }, [
        {
          ...run,
          task: task.name,
          partialKeys: aggregated.length ? aggregated.map((p) => p.partialKey) : undefined,
          primaryPipelineVersion: input.comparedWith?.pipelineVersion,
        },
      ]);
      timed(
        {
          task: task.name,
          outputKey: result.outputKey,
          records: result.records,
          durationMs: workflowNow() - started,
        },
        [result.attempt],
      );
      return result;
    },
  });
  return { aggregated, partitionCount };
}

// Any other InvalidInputError raised in this workflow's code (a key built from bad parts) fails the
// run too, instead of failing its workflow task again and again.
setWorkflowOptions({ failureExceptionTypes: [InvalidInputError] }, tenantDayWorkflow);

/**
 * Bad input fails the run at once, with the reason and non-retryable: thrown as a plain error from
 * workflow code it would fail the workflow task instead, retried forever with the day shown
 * Running and its lane blocked. Checks only, no commands, so every recorded history replays.
 */
function refuseInvalidInput(input: TenantDayInput): void {
  try {
    assertTenantDayInput(input);
  } catch (error) {
    throw ApplicationFailure.nonRetryable(
      error instanceof Error ? error.message : String(error),
      ErrorTypes.InvalidInput,
    );
  }
}

async function startShadow(input: TenantDayInput, baseTaskQueue: string): Promise<TenantDayResult['shadow']> {
  const shadowVersion = input.shadow!.pipelineVersion;
  if (!isPipelineVersionName(shadowVersion)) {
    // No worker polls an unknown version's queue: the shadow would wait forever. The primary goes on.
    const reason = `shadow version ${JSON.stringify(shadowVersion)} does not exist; no shadow run`;
    log.warn('shadow run not started', { reason });
    return { workflowId: `(none: ${shadowVersion})`, started: false, reason };
  }
  const workflowId = tenantDayWorkflowId(input.tenantId, input.day, shadowVersion, 'shadow');
  try {
    await startChild(tenantDayWorkflow, {
      workflowId,
      taskQueue: versionTaskQueue(baseTaskQueue, shadowVersion),
      // Abandoned, not cancelled, when the primary closes: the shadow finishes on its own time.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      priority: { priorityKey: 5 },
      typedSearchAttributes: runSearchAttributes({
        tenantId: input.tenantId,
        day: input.day,
        pipelineVersion: shadowVersion,
        runKind: 'shadow',
        trigger: input.trigger,
      }),
      staticSummary: `Shadow ${shadowVersion} of ${input.tenantId} ${input.day} (primary ${input.pipelineVersion})`,
      args: [
        {
          ...input,
          pipelineVersion: shadowVersion,
          runKind: 'shadow',
          shadow: undefined,
          comparedWith: {
            pipelineVersion: input.pipelineVersion,
            workflowId: workflowInfo().workflowId,
            rolloutWorkflowId: input.shadow!.rolloutWorkflowId,
            comparisonPolicy: input.shadow!.comparisonPolicy,
          },
        },
      ],
    });
    return { workflowId, started: true };
  } catch (error) {
    // A shadow that cannot start (already running from an earlier attempt, say) is reported, never fatal.
    log.warn('shadow run not started', { workflowId, error: error instanceof Error ? error.message : String(error) });
    return { workflowId, started: false, reason: error instanceof Error ? error.message : String(error) };
  }
}

async function notifyShadow(workflowId: string, signal: PrimaryFinishedSignal): Promise<void> {
  try {
    await getExternalWorkflowHandle(workflowId).signal(primaryFinishedSignal, signal);
  } catch (error) {
    log.warn('could not signal the shadow run', {
      workflowId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

async function compareWithPrimary(
  input: TenantDayInput,
  shadowAccountsKey: string,
  primary: () => PrimaryFinishedSignal | undefined,
): Promise<void> {
  const { compare } = tenantDayActivities(input.outageRideOutMinutes);
  showStep(`Waiting for primary ${input.comparedWith!.pipelineVersion} to finish`);
  const arrived = await condition(() => primary() !== undefined, PRIMARY_WAIT);
  const finished = primary();
  if (!arrived || !finished || finished.status !== 'completed' || !finished.accountsKey) {
    log.warn('primary did not complete; no comparison', { primary: input.comparedWith!.workflowId });
    return;
  }
  showStep(`Comparing with primary ${input.comparedWith!.pipelineVersion}`);
  const result = await compare.compareRunOutputs.executeWithOptions(
    { summary: summaries.compareRunOutputs(input.comparedWith!.pipelineVersion, input.pipelineVersion) },
    [
      {
        tenantId: input.tenantId,
        day: input.day,
        primaryPipelineVersion: input.comparedWith!.pipelineVersion,
        shadowPipelineVersion: input.pipelineVersion,
        shadowKey: shadowAccountsKey,
        policy: input.comparedWith!.comparisonPolicy ?? 'identical',
      },
    ],
  );
  recordVerdict({
    primaryVersion: input.comparedWith!.pipelineVersion,
    shadowVersion: input.pipelineVersion,
    verdict: result.verdict,
  });
  await reportVerdict(input, { verdict: result.verdict, csvKey: result.csvKey, summaryKey: result.summaryKey });
}

async function reportVerdict(
  input: TenantDayInput,
  verdict: { verdict: Verdict; csvKey?: string; summaryKey?: string; reason?: string },
): Promise<void> {
  const rollout = input.comparedWith?.rolloutWorkflowId;
  if (!rollout) return;
  try {
    await getExternalWorkflowHandle(rollout).signal(dayVerdictSignal, {
      tenantId: input.tenantId,
      day: input.day,
      primaryVersion: input.comparedWith!.pipelineVersion,
      shadowVersion: input.pipelineVersion,
      ...verdict,
    });
  } catch (error) {
    log.warn('could not report the verdict to the rollout', {
      rollout,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
