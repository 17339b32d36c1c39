import * as avro from 'avsc';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import { encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import type { ObjectStore } from '../../src/storage/object-store';

export const accountDocumentType = avro.Type.forSchema(loadSchema('account-document.avsc'));

/** Account ids that sort the same as their numbers: acct-000000, acct-000001, ... */
export function accountId(i: number): string {
  return `acct-${String(i).padStart(6, '0')}`;
}

/**
 * A deterministic, varied account document: every 5th account has billing events, every 7th has
 * no previous day (null healthDelta), names include non-ASCII characters and CSV specials.
 */
export function accountDocument(
  i: number,
  base: { tenantId?: string; day?: string; pipelineVersion?: string } = {},
): AccountDocument {
  const x = ((i + 1) * 2654435761) >>> 0;
  const events = x % 500;
  const billing = i % 5 === 0 ? 1 + (x % 3) : 0;
  return {
    tenantId: base.tenantId ?? 'acme',
    accountId: accountId(i),
    day: base.day ?? '2026-11-21',
    pipelineVersion: base.pipelineVersion ?? 'v1',
    accountName: i % 3 === 0 ? `Café "Zoë", Ltd ${i}` : i % 3 === 1 ? `株式会社 ${i}` : `Account ${i}`,
    lifecycleStage: ['trial', 'adopting', 'mature'][i % 3],
    eventsTotal: events,
    eventsByType: {
      login: events % 40,
      page_view: events - (events % 40),
      ...(billing ? { invoice_paid: billing } : {}),
    },
    activeUsers: x % 30,
    sessions: x % 50,
    firstActivityAt: i % 11 === 0 ? null : 1_700_000_000_000 + (x % 1_000_000),
    lastActivityAt: i % 11 === 0 ? null : 1_763_000_000_000 + (x % 1_000_000),
    activeUsers7d: x % 60,
    activeUsers30d: x % 90,
    events7d: x % 3000,
    events30d: x % 12000,
    eventsPrevious7d: (x >>> 3) % 3000,
    trendWoW: i % 13 === 0 ? null : ((x % 200) - 100) / 100,
    activityPercentile: (x % 10000) / 100,
    billingEvents: billing,
    billingHealth: billing ? 0.5 + (x % 50) / 100 : 1,
    healthScore: x % 101,
    healthDelta: i % 7 === 0 ? null : (x % 21) - 10,
  };
}

export function* accountDocuments(
  count: number,
  base: { tenantId?: string; day?: string; pipelineVersion?: string } = {},
  change?: (doc: AccountDocument, i: number) => AccountDocument | undefined,
): Generator<AccountDocument> {
  for (let i = 0; i < count; i++) {
    const doc = accountDocument(i, base);
    const out = change ? change(doc, i) : doc;
    if (out) yield out;
  }
}

/** Writes documents as an Avro object container file (streamed) and returns the key. */
export async function putAccountDocuments(
  store: ObjectStore,
  key: string,
  docs: Iterable<AccountDocument>,
  type: avro.Type = accountDocumentType,
): Promise<string> {
  await store.put(key, encodeContainer(type, docs));
  return key;
}
