import type { AccountDocument } from '../workflows/serving/account-document';
import { InvalidInputError } from '../common/errors';
import { localDayWindow } from '../common/local-day';
import type { AccountAttributes } from '../common/events';
import { BILLING_EVENT_TYPES } from '../common/events';
import type { AccountDayUsage } from './account-state';
import { distinctCount } from './monoids/distinct';
import { compareStrings } from './monoids/monoid';
import { sortedCounts } from './monoids/basic';
import type { RollingState } from './rolling';
import type { HealthFactors } from './formulas';
import {
  HEALTH_WEIGHTS_V1,
  HEALTH_WEIGHTS_V2_BILLING,
  activityFactor,
  activityPercentiles,
  billingFactor,
  billingHealth,
  breadthFactor,
  healthDelta,
  lifecycleFactor,
  trendFactor,
  trendWoW,
  weightedHealth,
} from './formulas';
import type { TaskGraph, TaskSpec } from './task-graph';
import { topologicalOrder } from './task-graph';

export const PIPELINE_VERSIONS = ['v1', 'v2'] as const;
export type PipelineVersionName = (typeof PIPELINE_VERSIONS)[number];

/** Task names of the metric graph (the same tasks in v1 and v2; v2 differs inside account-documents). */
export const MetricTasks = {
  AggregatePartitions: 'aggregate-partitions',
  Attributes: 'attributes',
  DailyUsage: 'daily-usage',
  RollingWindows: 'rolling-windows',
  AccountDocuments: 'account-documents',
} as const;

/** Datasets, relative to the run's output prefix (outputKey(run, path)). */
export const MetricDatasets = {
  Partials: 'partials/',
  Attributes: 'attributes.avro',
  DailyUsage: 'daily-usage.avro',
  Rolling: 'rolling.avro',
  Accounts: 'accounts.avro',
} as const;

/** File name of partition `index` (0-based) of `count`: partials/part-0001-of-0003.avro is the first of three. */
export function partialPath(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(4, '0');
  return `partials/part-${pad(index + 1)}-of-${pad(count)}.avro`;
}

const METRIC_TASKS: readonly TaskSpec[] = [
  {
    name: MetricTasks.AggregatePartitions,
    requires: [],
    output: MetricDatasets.Partials,
    partitioned: true,
    description: "Fan-out: each partition of the day's raw events aggregated into per-account partial states.",
  },
  {
    name: MetricTasks.Attributes,
    requires: [],
    output: MetricDatasets.Attributes,
    partitioned: false,
    description: "The day's account attribute snapshot, validated and sorted by accountId.",
  },
  {
    name: MetricTasks.DailyUsage,
    requires: [MetricTasks.AggregatePartitions],
    output: MetricDatasets.DailyUsage,
    partitioned: false,
    description: "Partials merged into one state per account: the day's stored daily sketch.",
  },
  {
    name: MetricTasks.RollingWindows,
    requires: [MetricTasks.DailyUsage],
    output: MetricDatasets.Rolling,
    partitioned: false,
    description: '7/30-day users and events and 30-day billing, merged from 30 daily states; first/last activity ever.',
  },
  {
    name: MetricTasks.AccountDocuments,
    requires: [MetricTasks.DailyUsage, MetricTasks.RollingWindows, MetricTasks.Attributes],
    output: MetricDatasets.Accounts,
    partitioned: false,
    description: 'Percentiles, health and health delta: one AccountDocument per account, sorted by accountId.',
  },
];

/** What a health formula sees of one account. */
export interface HealthInput {
  activityPercentile: number;
  trendWoW: number | null;
  events7d: number;
  activeUsers7d: number;
  seats: number;
  lifecycleStage: string;
  /** Billing health over 30 days (the document's billingHealth). */
  billingHealth: number;
  billing30d: BillingCounts;
  billingToday: BillingCounts;
}

export interface BillingCounts {
  paid: number;
  overdue: number;
  failed: number;
}

export interface MetricPipeline {
  version: PipelineVersionName;
  description: string;
  graph: TaskGraph;
  healthScore(input: HealthInput): number;
  /** The instants [startMs, endMs) whose events make up the tenant's local day. */
  eventWindow(day: string, timeZone: string): { startMs: number; endMs: number };
}

const HOUR_MS = 3_600_000;

function exactLocalDay(day: string, timeZone: string): { startMs: number; endMs: number } {
  const { startMs, endMs } = localDayWindow(day, timeZone);
  return { startMs, endMs };
}

function v1Factors(h: HealthInput): HealthFactors {
  return {
    activity: activityFactor(h.activityPercentile),
    trend: trendFactor(h.trendWoW, h.events7d),
    breadth: breadthFactor(h.activeUsers7d, h.seats),
    lifecycle: lifecycleFactor(h.lifecycleStage),
    billing: billingFactor(h.billingHealth),
  };
}

const v1: MetricPipeline = {
  version: 'v1',
  description: 'Usage, rolling windows, trend, activity percentile and a weighted health score.',
  graph: { name: 'v1', tasks: METRIC_TASKS },
  healthScore: (h) => weightedHealth(v1Factors(h), HEALTH_WEIGHTS_V1),
  eventWindow: exactLocalDay,
};

/**
 * v2 (candidate): for accounts with billing events today, billing counts for more (35 of 100
 * points instead of 15) and today's billing events weigh three times as much as older ones in the
 * billing factor. Every other account scores exactly as in v1.
 *
 * It also carries a planted, realistic defect, the kind Totango's shadow runs caught ("a failure
 * only in certain time zones"): its event window snaps the local day to whole UTC hours, as if every
 * offset were a whole number of hours. That is exact in most zones, but in Asia/Kolkata (+5:30) and
 * Pacific/Chatham (+12:45/+13:45) the day takes the previous day's last minutes and loses its own,
 * so usage counts change on accounts the v1-to-v2 policy says must not change. The shadow
 * comparison blocks those tenants' promotion; the demo shows it.
 */
const v2: MetricPipeline = {
  version: 'v2',
  description: 'v1, with a recency-weighted, heavier billing factor for accounts with billing events today.',
  graph: { name: 'v2', tasks: METRIC_TASKS },
  healthScore(h) {
    const t = h.billingToday;
    if (t.paid + t.overdue + t.failed === 0) return v1.healthScore(h);
    const b = h.billing30d;
    const recency = billingHealth(b.paid + 2 * t.paid, b.overdue + 2 * t.overdue, b.failed + 2 * t.failed);
    return weightedHealth({ ...v1Factors(h), billing: billingFactor(recency) }, HEALTH_WEIGHTS_V2_BILLING);
  },
  eventWindow(day, timeZone) {
    const { startMs, endMs } = localDayWindow(day, timeZone);
    return { startMs: Math.floor(startMs / HOUR_MS) * HOUR_MS, endMs: Math.floor(endMs / HOUR_MS) * HOUR_MS };
  },
};

const PIPELINES: Record<PipelineVersionName, MetricPipeline> = { v1, v2 };

export function isPipelineVersionName(value: string): value is PipelineVersionName {
  return (PIPELINE_VERSIONS as readonly string[]).includes(value);
}

/** The metric pipeline of a version, by name. */
export function getPipeline(version: string): MetricPipeline {
  if (!isPipelineVersionName(version)) {
    throw new InvalidInputError(
      `pipelineVersion ${JSON.stringify(version)} has no metric pipeline; known: ${PIPELINE_VERSIONS.join(', ')}`,
    );
  }
  return PIPELINES[version];
}

/** What the tenant-day workflow walks: each task's name, requirements and whether it is the partition fan-out. */
export interface PipelineTask {
  name: string;
  requires: string[];
  partitioned: boolean;
  output: string;
}

export function pipelineTaskGraph(version: string): PipelineTask[] {
  return topologicalOrder(getPipeline(version).graph).map((t) => ({
    name: t.name,
    requires: [...t.requires],
    partitioned: t.partitioned,
    output: t.output,
  }));
}

/**
 * Sorts and validates an attribute snapshot: one row per account, the later of duplicate rows
 * wins. A stable sort keeps an account's rows in snapshot order, and lastRowPerAccount picks the
 * last: the same rule a task applies to sorted runs of a snapshot (mergeAttributeRuns).
 */
export function normalizeAttributes(rows: Iterable<AccountAttributes>): AccountAttributes[] {
  return normalizeRowsBy(rows, (row) => row.accountId);
}

/** normalizeAttributes for rows of any shape whose account is keyOf(row) (the attributes task holds rows encoded). */
export function normalizeRowsBy<T>(rows: Iterable<T>, keyOf: (row: T) => string): T[] {
  const sorted = [...rows].sort((x, y) => compareStrings(keyOf(x), keyOf(y)));
  const out: T[] = [];
  for (let i = 0; i < sorted.length;) {
    const key = keyOf(sorted[i]);
    let j = i + 1;
    while (j < sorted.length && keyOf(sorted[j]) === key) j++;
    out.push(j === i + 1 ? sorted[i] : lastRowPerAccount(sorted.slice(i, j)));
    i = j;
  }
  return out;
}

/**
 * Which of an account's attribute rows counts: given its rows in snapshot order (rows of earlier
 * sorted runs before rows of later ones), the last. Throws on an empty list.
 */
export function lastRowPerAccount<T>(rows: readonly T[]): T {
  if (rows.length === 0) throw new RangeError('lastRowPerAccount needs at least one row');
  return rows[rows.length - 1];
}

/**
 * Sorted runs of one snapshot, each normalized (sorted, one row per account), merged into one
 * normalized list: for equal accountIds the row of the latest run wins. `runs` must be in snapshot
 * order (run r holds rows that came after those of run r - 1), which is what makes this equal to
 * normalizeAttributes of the whole snapshot. A linear k-way merge; tasks stream the same rule.
 */
export function mergeAttributeRuns<T extends { accountId: string }>(runs: readonly (readonly T[])[]): T[] {
  const at = runs.map(() => 0);
  const out: T[] = [];
  for (;;) {
    let least: string | undefined;
    for (let r = 0; r < runs.length; r++) {
      const row = runs[r][at[r]];
      if (row !== undefined && (least === undefined || row.accountId < least)) least = row.accountId;
    }
    if (least === undefined) return out;
    const rows: T[] = [];
    for (let r = 0; r < runs.length; r++) {
      const row = runs[r][at[r]];
      if (row === undefined || row.accountId !== least) continue;
      if (at[r] > 0 && runs[r][at[r] - 1].accountId >= least) {
        throw new RangeError(`attribute run ${r} is not sorted with one row per account at ${least}`);
      }
      rows.push(row);
      at[r]++;
    }
    out.push(lastRowPerAccount(rows));
  }
}

export interface BuildDocumentsInput {
  tenantId: string;
  day: string;
  pipeline: MetricPipeline;
  today: readonly AccountDayUsage[];
  rolling: readonly RollingState[];
  attributes: readonly AccountAttributes[];
  /** This version's documents of the previous day (either kind), for healthDelta; null when that day is missing. */
  previous: readonly AccountDocument[] | null;
}

function billingOf(byType: Record<string, number>): BillingCounts {
  return {
    paid: byType['invoice_paid'] ?? 0,
    overdue: byType['invoice_overdue'] ?? 0,
    failed: byType['payment_failed'] ?? 0,
  };
}

/** One account's rows of the day, for documentOfAccount; an absent row is an account without one. */
export interface AccountDocumentInput {
  tenantId: string;
  day: string;
  pipeline: MetricPipeline;
  accountId: string;
  today?: AccountDayUsage;
  rolling?: RollingState;
  attributes?: AccountAttributes;
  /** This version's health score of the account on D-1; null or absent when it has none. */
  previousHealth?: number | null;
  /** The account's activity percentile in the tenant's document population (percentileLookup). */
  activityPercentile: number;
}

/**
 * Whether an account gets a document: it is in the attribute snapshot, has a daily-usage row today,
 * or had events in the last 30 days. The population the activity percentile ranks.
 */
export function inDocumentPopulation(
  today: AccountDayUsage | undefined,
  rolling: RollingState | undefined,
  attributes: AccountAttributes | undefined,
): boolean {
  return attributes !== undefined || today !== undefined || (rolling !== undefined && rolling.events30d > 0);
}

const NO_BILLING: BillingCounts = { paid: 0, overdue: 0, failed: 0 };

/**
 * The document of one account: everything but the activity percentile comes from its own rows, so
 * a task can build documents account by account from sorted files once it knows the tenant's
 * distribution of events7d.
 */
export function documentOfAccount(input: AccountDocumentInput): AccountDocument {
  const { today, rolling: r, attributes } = input;
  for (const [what, row] of [
    ['daily usage', today],
    ['rolling state', r],
    ['attributes', attributes],
  ] as const) {
    if (row !== undefined && row.accountId !== input.accountId) {
      throw new RangeError(`document of account ${input.accountId} got the ${what} of ${row.accountId}`);
    }
  }
  const events7d = r?.events7d ?? 0;
  const eventsPrevious7d = r?.eventsPrevious7d ?? 0;
  const trend = trendWoW(events7d, eventsPrevious7d);
  const billingToday = today ? billingOf(today.eventsByType) : NO_BILLING;
  const billing30d = {
    paid: r?.invoicePaid30d ?? 0,
    overdue: r?.invoiceOverdue30d ?? 0,
    failed: r?.paymentFailed30d ?? 0,
  };
  const billing = billingHealth(billing30d.paid, billing30d.overdue, billing30d.failed);
  const lifecycleStage = attributes?.lifecycleStage ?? 'unknown';
  const activeUsers7d = r?.activeUsers7d ?? 0;
  const score = input.pipeline.healthScore({
    activityPercentile: input.activityPercentile,
    trendWoW: trend,
    events7d,
    activeUsers7d,
    seats: attributes?.seats ?? 0,
    lifecycleStage,
    billingHealth: billing,
    billing30d,
    billingToday,
  });
  let billingEvents = 0;
  if (today) for (const t of BILLING_EVENT_TYPES) billingEvents += today.eventsByType[t] ?? 0;
  return {
    tenantId: input.tenantId,
    accountId: input.accountId,
    day: input.day,
    pipelineVersion: input.pipeline.version,
    accountName: attributes?.accountName ?? '',
    lifecycleStage,
    eventsTotal: today?.events ?? 0,
    eventsByType: today ? sortedCounts(today.eventsByType) : {},
    activeUsers: today ? distinctCount(today.users) : 0,
    sessions: today ? distinctCount(today.sessions) : 0,
    firstActivityAt: r?.firstSeenEver ?? null,
    lastActivityAt: r?.lastSeenEver ?? null,
    activeUsers7d,
    activeUsers30d: r?.activeUsers30d ?? 0,
    events7d,
    events30d: r?.events30d ?? 0,
    eventsPrevious7d,
    trendWoW: trend,
    activityPercentile: input.activityPercentile,
    billingEvents,
    billingHealth: billing,
    healthScore: score,
    healthDelta: healthDelta(score, input.previousHealth),
  };
}

/**
 * The day's documents: one per account that is in the attribute snapshot, had events today, or
 * had events in the last 30 days (inDocumentPopulation); sorted by accountId. The whole-tenant
 * form of documentOfAccount, with activityPercentiles over the whole population.
 */
export function buildAccountDocuments(input: BuildDocumentsInput): AccountDocument[] {
  const todayBy = new Map(input.today.map((s) => [s.accountId, s]));
  const rollingBy = new Map(input.rolling.map((r) => [r.accountId, r]));
  const attributesBy = new Map(input.attributes.map((a) => [a.accountId, a]));
  const previousBy = new Map((input.previous ?? []).map((d) => [d.accountId, d.healthScore]));
  const ids = new Set<string>([...attributesBy.keys(), ...todayBy.keys(), ...rollingBy.keys()]);
  const rows = [...ids]
    .sort(compareStrings)
    .map((accountId) => ({
      accountId,
      today: todayBy.get(accountId),
      rolling: rollingBy.get(accountId),
      attributes: attributesBy.get(accountId),
    }))
    .filter((row) => inDocumentPopulation(row.today, row.rolling, row.attributes));
  const percentiles = activityPercentiles(rows.map((row) => row.rolling?.events7d ?? 0));
  return rows.map((row, i) =>
    documentOfAccount({
      tenantId: input.tenantId,
      day: input.day,
      pipeline: input.pipeline,
      ...row,
      previousHealth: previousBy.get(row.accountId),
      activityPercentile: percentiles[i],
    }),
  );
}
