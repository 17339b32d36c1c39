import { describe, expect, it } from 'vitest';
import type { AccountDayUsage } from '../../../src/metrics/account-state';
import { emptyAccountDayState } from '../../../src/metrics/account-state';
import type { AccountAttributes } from '../../../src/common/events';
import { BILLING_EVENT_TYPES, LIFECYCLE_STAGES } from '../../../src/common/events';
import type { AccountDocument } from '../../../src/workflows/serving/account-document';
import { distinctCount } from '../../../src/metrics/monoids/distinct';
import { compareStrings } from '../../../src/metrics/monoids/monoid';
import { sortedCounts } from '../../../src/metrics/monoids/basic';
import type { RollingState } from '../../../src/metrics/rolling';
import { computeRolling } from '../../../src/metrics/rolling';
import { activityPercentiles, billingHealth, healthDelta, trendWoW } from '../../../src/metrics/formulas';
import type { BillingCounts, BuildDocumentsInput } from '../../../src/metrics/pipelines';
import {
  buildAccountDocuments,
  documentOfAccount,
  getPipeline,
  inDocumentPopulation,
  lastRowPerAccount,
  mergeAttributeRuns,
  normalizeAttributes,
} from '../../../src/metrics/pipelines';
import {
  ActivityDistributionBuilder,
  activityDistributionMonoid,
  percentileLookup,
} from '../../../src/metrics/activity-distribution';
import { bucketOfAccount } from '../../../src/metrics/buckets';
import { accountIds, int, joinSorted, randomRollingInput, randomUsage, seeded, shuffled } from './support/random-usage';

// The reference: buildAccountDocuments as it was before the per-account form (commit 16816ba), verbatim.
function billingOf(byType: Record<string, number>): BillingCounts {
  return {
    paid: byType['invoice_paid'] ?? 0,
    overdue: byType['invoice_overdue'] ?? 0,
    failed: byType['payment_failed'] ?? 0,
  };
}

/**
 * The day's documents: one per account that is in the attribute snapshot, had events today, or
 * had events in the last 30 days; sorted by accountId.
 */
function referenceDocuments(input: BuildDocumentsInput): AccountDocument[] {
  const todayBy = new Map(input.today.map((s) => [s.accountId, s]));
  const rollingBy = new Map(input.rolling.map((r) => [r.accountId, r]));
  const attributesBy = new Map(input.attributes.map((a) => [a.accountId, a]));
  const previousBy = new Map((input.previous ?? []).map((d) => [d.accountId, d.healthScore]));
  const ids = new Set<string>([...attributesBy.keys(), ...todayBy.keys()]);
  for (const r of input.rolling) if (r.events30d > 0) ids.add(r.accountId);
  const accountIds = [...ids].sort(compareStrings);
  const rows = accountIds.map((accountId) => ({
    accountId,
    day: todayBy.get(accountId) ?? emptyAccountDayState(accountId),
    rolling: rollingBy.get(accountId),
    attributes: attributesBy.get(accountId),
  }));
  const percentiles = activityPercentiles(rows.map((r) => r.rolling?.events7d ?? 0));
  return rows.map((row, i): AccountDocument => {
    const r = row.rolling;
    const events7d = r?.events7d ?? 0;
    const eventsPrevious7d = r?.eventsPrevious7d ?? 0;
    const trend = trendWoW(events7d, eventsPrevious7d);
    const billingToday = billingOf(row.day.eventsByType);
    const billing30d = {
      paid: r?.invoicePaid30d ?? 0,
      overdue: r?.invoiceOverdue30d ?? 0,
      failed: r?.paymentFailed30d ?? 0,
    };
    const billing = billingHealth(billing30d.paid, billing30d.overdue, billing30d.failed);
    const lifecycleStage = row.attributes?.lifecycleStage ?? 'unknown';
    const activeUsers7d = r?.activeUsers7d ?? 0;
    const score = input.pipeline.healthScore({
      activityPercentile: percentiles[i],
      trendWoW: trend,
      events7d,
      activeUsers7d,
      seats: row.attributes?.seats ?? 0,
      lifecycleStage,
      billingHealth: billing,
      billing30d,
      billingToday,
    });
    let billingEvents = 0;
    for (const t of BILLING_EVENT_TYPES) billingEvents += row.day.eventsByType[t] ?? 0;
    return {
      tenantId: input.tenantId,
      accountId: row.accountId,
      day: input.day,
      pipelineVersion: input.pipeline.version,
      accountName: row.attributes?.accountName ?? '',
      lifecycleStage,
      eventsTotal: row.day.events,
      eventsByType: sortedCounts(row.day.eventsByType),
      activeUsers: distinctCount(row.day.users),
      sessions: distinctCount(row.day.sessions),
      firstActivityAt: r?.firstSeenEver ?? null,
      lastActivityAt: r?.lastSeenEver ?? null,
      activeUsers7d,
      activeUsers30d: r?.activeUsers30d ?? 0,
      events7d,
      events30d: r?.events30d ?? 0,
      eventsPrevious7d,
      trendWoW: trend,
      activityPercentile: percentiles[i],
      billingEvents,
      billingHealth: billing,
      healthScore: score,
      healthDelta: healthDelta(score, previousBy.get(row.accountId)),
    };
  });
}

const TENANT = 't-docs';
const DAY = '2026-11-01';

function randomAttributes(r: () => number, accountId: string): AccountAttributes {
  return {
    tenantId: TENANT,
    accountId,
    accountName: `Name ${accountId} ${int(r, 0, 9)}`,
    lifecycleStage: LIFECYCLE_STAGES[int(r, 0, LIFECYCLE_STAGES.length - 1)],
    plan: 'pro',
    contractValue: int(r, 0, 10_000),
    renewalDate: null,
    seats: int(r, 0, 40),
  };
}

/**
 * A random tenant-day: usage today for some accounts, rolling states from 30 random days (so some
 * accounts have only old events, some only a previous rolling state with events30d 0), attributes
 * for a random subset (accounts without usage among them), and D-1's documents or none.
 */
function randomDocumentsInput(seed: number, version: 'v1' | 'v2'): BuildDocumentsInput {
  const r = seeded(seed);
  const ids = accountIds(r, int(r, 1, 150));
  const rollingInput = randomRollingInput(r, ids, [0.05, 0.3][seed % 2]);
  const rolling = computeRolling(rollingInput);
  const attributes = shuffled(
    r,
    ids.filter(() => r() < 0.6).map((id) => randomAttributes(r, id)),
  );
  const previous =
    r() < 0.25
      ? null
      : rolling
          .filter(() => r() < 0.7)
          .map((s) => ({ accountId: s.accountId, healthScore: int(r, 0, 100) }) as AccountDocument);
  return {
    tenantId: TENANT,
    day: DAY,
    pipeline: getPipeline(version),
    today: rollingInput.today,
    rolling: shuffled(r, rolling),
    attributes,
    previous,
  };
}

/**
 * The documents as bucketed tasks make them: per bucket, a merge-join of its sorted rows; phase 1
 * adds each population account's events7d to the bucket's distribution; the distributions of all
 * buckets are merged; phase 2 builds each account's document with the merged lookup; the buckets'
 * documents are merged by accountId.
 */
function bucketedDocuments(input: BuildDocumentsInput, buckets: number): AccountDocument[] {
  const inBucket = <T extends { accountId: string }>(rows: readonly T[] | null, b: number) =>
    (rows ?? []).filter((row) => bucketOfAccount(row.accountId, buckets) === b);
  const each = (b: number, visit: (accountId: string, rows: unknown[]) => void) =>
    joinSorted<{ accountId: string }>(
      [
        inBucket(input.today, b),
        inBucket(input.rolling, b),
        inBucket(input.attributes, b),
        inBucket(input.previous, b),
      ],
      visit,
    );
  const perBucket = Array.from({ length: buckets }, (_, b) => {
    const builder = new ActivityDistributionBuilder();
    each(b, (_id, [today, rolling, attributes]) => {
      const rr = rolling as RollingState | undefined;
      if (inDocumentPopulation(today as AccountDayUsage, rr, attributes as AccountAttributes))
        builder.add(rr?.events7d ?? 0);
    });
    return builder.toDistribution();
  });
  const lookup = percentileLookup(
    perBucket.reduce((a, b) => activityDistributionMonoid.merge(a, b), activityDistributionMonoid.empty()),
  );
  const documents: AccountDocument[] = [];
  for (let b = 0; b < buckets; b++) {
    each(b, (accountId, [today, rolling, attributes, previous]) => {
      const t = today as AccountDayUsage | undefined;
      const rr = rolling as RollingState | undefined;
      const a = attributes as AccountAttributes | undefined;
      if (!inDocumentPopulation(t, rr, a)) return;
      documents.push(
        documentOfAccount({
          tenantId: input.tenantId,
          day: input.day,
          pipeline: input.pipeline,
          accountId,
          today: t,
          rolling: rr,
          attributes: a,
          previousHealth: (previous as AccountDocument | undefined)?.healthScore,
          activityPercentile: lookup(rr?.events7d ?? 0),
        }),
      );
    });
  }
  return documents.sort((x, y) => compareStrings(x.accountId, y.accountId));
}

/** JSON keeps key order, which is what Avro writes a map in: eventsByType must match to the byte. */
const json = (docs: readonly AccountDocument[]) => JSON.stringify(docs);

describe('documentOfAccount and buildAccountDocuments', () => {
  it('give exactly the documents of the whole-tenant build, v1 and v2, in 1 or many buckets (seeded random tenant-days)', () => {
    let nullPrevious = 0;
    let v2Billing = 0;
    let attributesOnly = 0;
    for (let seed = 1; seed <= 40; seed++) {
      for (const version of ['v1', 'v2'] as const) {
        const input = randomDocumentsInput(seed, version);
        const expected = referenceDocuments(input);
        expect(json(buildAccountDocuments(input)), `seed ${seed} ${version}`).toBe(json(expected));
        for (const buckets of [1, 8]) {
          expect(json(bucketedDocuments(input, buckets)), `seed ${seed} ${version} B=${buckets}`).toBe(json(expected));
        }
        if (input.previous === null) nullPrevious++;
        if (version === 'v2')
          v2Billing += input.today.filter((s) => BILLING_EVENT_TYPES.some((t) => s.eventsByType[t])).length;
        const active = new Set(input.today.map((s) => s.accountId));
        attributesOnly += input.attributes.filter((a) => !active.has(a.accountId)).length;
      }
    }
    expect(nullPrevious).toBeGreaterThan(5);
    expect(v2Billing).toBeGreaterThan(50);
    expect(attributesOnly).toBeGreaterThan(50);
  });

  it('the population: attributes, a usage row today, or events in the last 30 days', () => {
    const r = seeded(5);
    const rolling = (events30d: number) => ({ accountId: 'a', events30d }) as RollingState;
    expect(inDocumentPopulation(undefined, undefined, undefined)).toBe(false);
    expect(inDocumentPopulation(undefined, rolling(0), undefined)).toBe(false);
    expect(inDocumentPopulation(undefined, rolling(1), undefined)).toBe(true);
    expect(inDocumentPopulation(randomUsage(r, 'a', 0), undefined, undefined)).toBe(true);
    expect(inDocumentPopulation(undefined, rolling(0), randomAttributes(r, 'a'))).toBe(true);
  });

  it('refuses rows of another account', () => {
    const r = seeded(9);
    expect(() =>
      documentOfAccount({
        tenantId: TENANT,
        day: DAY,
        pipeline: getPipeline('v1'),
        accountId: 'a',
        attributes: randomAttributes(r, 'b'),
        activityPercentile: 0,
      }),
    ).toThrow(/account a got the attributes of b/);
  });
});

describe('attribute rows per account', () => {
  it('sorted runs of a snapshot, merged with the latest run winning, are normalizeAttributes of the snapshot (seeded)', () => {
    let duplicates = 0;
    for (let seed = 1; seed <= 60; seed++) {
      const r = seeded(seed);
      const ids = accountIds(r, int(r, 1, 60));
      // A snapshot with duplicated rows; each row tagged with its position so the winner shows.
      const snapshot = Array.from({ length: int(r, 0, 200) }, (_, i) => ({
        ...randomAttributes(r, ids[int(r, 0, ids.length - 1)]),
        contractValue: i,
      }));
      duplicates += snapshot.length - new Set(snapshot.map((s) => s.accountId)).size;
      const expected = normalizeAttributes(snapshot);
      // The later duplicate wins: each account's row is its last in the snapshot.
      for (const row of expected) {
        expect(row.contractValue).toBe(
          Math.max(...snapshot.filter((s) => s.accountId === row.accountId).map((s) => s.contractValue)),
        );
      }
      // Consecutive runs (as a task spills them), each sorted and normalized on its own.
      const cuts = [
        0,
        ...Array.from({ length: int(r, 0, 6) }, () => int(r, 0, snapshot.length)).sort((a, b) => a - b),
        snapshot.length,
      ];
      const runs = cuts.slice(1).map((end, k) => normalizeAttributes(snapshot.slice(cuts[k], end)));
      expect(mergeAttributeRuns(runs), `seed ${seed}`).toEqual(expected);
    }
    expect(duplicates).toBeGreaterThan(100);
  });

  it('the last row wins, and unsorted runs are refused', () => {
    const r = seeded(2);
    const [x, y] = [randomAttributes(r, 'a'), randomAttributes(r, 'a')];
    expect(lastRowPerAccount([x, y])).toBe(y);
    expect(mergeAttributeRuns([[x], [y]])[0]).toBe(y);
    expect(() => mergeAttributeRuns([[randomAttributes(r, 'b'), x]])).toThrow(/not sorted/);
  });
});
