import * as avro from 'avsc';
import { decodeContainerBytes, encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import type { AccountDocument } from '../../src/workflows/serving/account-document';
import { addDays } from '../../src/common/days';
import type { RawEvent } from '../../src/common/events';
import type { OutputLocation } from '../../src/common/keys';
import { outputKey, rawEventsKey } from '../../src/common/keys';
import type { ObjectStore } from '../../src/storage/object-store';
import { NotFoundError, readAll } from '../../src/storage/object-store';

const rawType = avro.Type.forSchema(loadSchema('raw-event.v3.avsc'));
const documentType = avro.Type.forSchema(loadSchema('account-document.avsc'));
const HOUR = 3_600_000;

/** A planted event: the account, the instant (ISO, UTC) and the type; ids and users are derived. */
export interface PlantedEvent {
  accountId: string;
  at: string;
  type?: string;
  userId?: string;
}

/**
 * Writes hand-planted events as raw files, one file per UTC hour, so a test can derive every
 * expected number from the list it planted. Event ids are unique per (tenant, index).
 */
export async function plantEvents(store: ObjectStore, tenantId: string, events: readonly PlantedEvent[], tag = 'e') {
  const byHour = new Map<string, RawEvent[]>();
  events.forEach((e, i) => {
    const occurredAt = Date.parse(e.at);
    if (!Number.isFinite(occurredAt)) throw new Error(`planted event ${i} has a bad instant ${e.at}`);
    const hour = new Date(Math.floor(occurredAt / HOUR) * HOUR).toISOString();
    const key = rawEventsKey(tenantId, { date: hour.slice(0, 10), hour: Number(hour.slice(11, 13)) }, `${tag}.avro`);
    byHour.set(key, [
      ...(byHour.get(key) ?? []),
      {
        eventId: `${tenantId}-${tag}-${i}`,
        tenantId,
        accountId: e.accountId,
        userId: e.userId ?? `${e.accountId}-user`,
        type: e.type ?? 'login',
        occurredAt,
        value: 1,
        properties: {},
        sessionId: null,
      },
    ]);
  });
  for (const [key, records] of byHour)
    await store.put(key, await readAll(encodeContainer(rawType, records, 'deflate')));
}

export const ROLLOUT_ACCOUNTS = ['acc-a', 'acc-b', 'acc-c', 'acc-d', 'acc-e'];
const ACTIVITY_TYPES = ['login', 'page_view', 'feature_use', 'api_call'];

/**
 * Day `index` of the rollout data (UTC): account j gets 1 + (3·index + 5·j) mod 7 events at
 * hours 1, 4, 7, ... by users j-0..j-2; acc-b has a billing event every day (payment_failed on
 * even days, invoice_paid on odd ones) and acc-d an invoice_overdue every third day, so v2's score
 * differs from v1's on those accounts on those days.
 */
export function rolloutDayEvents(day: string, index: number): PlantedEvent[] {
  const events: PlantedEvent[] = [];
  ROLLOUT_ACCOUNTS.forEach((accountId, j) => {
    const n = 1 + ((3 * index + 5 * j) % 7);
    for (let k = 0; k < n; k++) {
      const hour = String(1 + 3 * k).padStart(2, '0');
      events.push({
        accountId,
        at: `${day}T${hour}:${String(10 + j).padStart(2, '0')}:00.000Z`,
        type: ACTIVITY_TYPES[(index + k) % ACTIVITY_TYPES.length],
        userId: `u-${j}-${k % 3}`,
      });
    }
  });
  events.push({
    accountId: 'acc-b',
    at: `${day}T23:00:00.000Z`,
    type: index % 2 === 0 ? 'payment_failed' : 'invoice_paid',
  });
  if (index % 3 === 0) events.push({ accountId: 'acc-d', at: `${day}T22:00:00.000Z`, type: 'invoice_overdue' });
  return events;
}

/** The days startDay .. startDay + count - 1. */
export function daysFrom(startDay: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => addDays(startDay, i));
}

/** A run's account documents, or null when it wrote none. */
export async function readDocuments(store: ObjectStore, loc: OutputLocation): Promise<AccountDocument[] | null> {
  const key = outputKey(loc, 'accounts.avro');
  try {
    return decodeContainerBytes<AccountDocument>(await store.getBytes(key), documentType, key);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

/** The month of the gap test: 2026-03-01 .. 2026-04-05 in UTC, no attribute snapshot on GAP_DAY. */
export const GAP_MONTH = { firstDay: '2026-03-01', days: 36, gapDay: '2026-04-03', timeZone: 'UTC' } as const;

/**
 * Plants the gap month for one tenant: acc-00000 has its first event on 03-02 at 10:00, then one
 * a day at 12:00 from 03-06 on; acc-00001 is active on 03-01 (08:00) and 03-03 (15:30) only;
 * acc-00002 has one event a day at 09:00. Raw events exist every day, the gap day included; the
 * attribute snapshot exists every day but the gap day, so that day's run fails.
 */
export async function plantGapMonth(
  store: ObjectStore,
  tenantId: string,
  writeAttributes: (store: ObjectStore, tenantId: string, day: string, accounts: string[]) => Promise<void>,
): Promise<string[]> {
  const days = daysFrom(GAP_MONTH.firstDay, GAP_MONTH.days);
  const events: PlantedEvent[] = [
    { accountId: 'acc-00000', at: '2026-03-02T10:00:00.000Z' },
    { accountId: 'acc-00001', at: '2026-03-01T08:00:00.000Z' },
    { accountId: 'acc-00001', at: '2026-03-03T15:30:00.000Z' },
  ];
  for (const day of days) {
    events.push({ accountId: 'acc-00002', at: `${day}T09:00:00.000Z` });
    if (day >= '2026-03-06') events.push({ accountId: 'acc-00000', at: `${day}T12:00:00.000Z` });
  }
  await plantEvents(store, tenantId, events, 'gap');
  for (const day of days) {
    if (day !== GAP_MONTH.gapDay) await writeAttributes(store, tenantId, day, ['acc-00000', 'acc-00001', 'acc-00002']);
  }
  return days;
}
