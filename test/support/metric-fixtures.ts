import * as avro from 'avsc';
import type { ObjectStore } from '../../src/storage/object-store';
import { readAll } from '../../src/storage/object-store';
import { encodeContainer, loadSchema } from '../../src/schemas/avro-container';
import { RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT, RAW_EVENT_VERSIONS } from '../../src/schemas/raw-event-schemas';
import { SchemaRegistry } from '../../src/schemas/registry';
import { attributesKey, rawEventsKey } from '../../src/common/keys';
import { localDayWindow } from '../../src/common/local-day';
import type { AccountAttributes, RawEvent } from '../../src/common/events';
import { LIFECYCLE_STAGES } from '../../src/common/events';

const rawType = avro.Type.forSchema(loadSchema('raw-event.v3.avsc'));
const attributesType = avro.Type.forSchema(loadSchema('account-attributes.avsc'));
const HOUR = 3_600_000;
const TYPES = ['login', 'page_view', 'feature_use', 'report_export', 'api_call'];

export const ACCOUNTS = [...Array.from({ length: 12 }, (_, i) => `acc-${String(i).padStart(2, '0')}`), 'ünï-çødé-🚀'];
/** Accounts that get billing events (on every generated day). */
export const BILLING_ACCOUNTS = ['acc-03', 'acc-07', 'ünï-çødé-🚀'];

/**
 * Writes one local day of deterministic raw events, spread over the day's UTC hour partitions in
 * several files each, plus late arrivals in the first trailing hour and next-day events that must
 * be filtered out. Registers the producer schemas first, all versions in order as the generator
 * does (a v3-only subject would refuse v1 later): the worker treats a file of an unregistered
 * writer schema as bad data. Returns the events of the day.
 */
export async function writeRawDay(
  store: ObjectStore,
  tenantId: string,
  day: string,
  timeZone: string,
  events = 3000,
  seed = 1,
): Promise<RawEvent[]> {
  const w = localDayWindow(day, timeZone);
  const span = w.endMs - w.startMs;
  const files = new Map<string, RawEvent[]>();
  const inDay: RawEvent[] = [];
  const add = (e: RawEvent, fileMs: number, part: number) => {
    const iso = new Date(fileMs).toISOString();
    const key = rawEventsKey(
      tenantId,
      { date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) },
      `events-${part}.avro`,
    );
    files.set(key, [...(files.get(key) ?? []), e]);
  };
  for (let i = 0; i < events; i++) {
    const x = (i * 7919 + seed * 104729) % 1_000_003;
    const accountId = ACCOUNTS[x % ACCOUNTS.length];
    let type = TYPES[(x >> 3) % TYPES.length];
    if (BILLING_ACCOUNTS.includes(accountId) && i % 97 === 0) {
      type = ['invoice_paid', 'invoice_overdue', 'payment_failed'][(x >> 5) % 3];
    }
    const occurredAt = w.startMs + Math.floor((x / 1_000_003) * span);
    const e: RawEvent = {
      eventId: `${tenantId}-${day}-${i}`,
      tenantId,
      accountId,
      userId: `user-${x % 40}`,
      type,
      occurredAt,
      value: (x % 1000) / 10,
      properties: { plan: 'pro', note: 'ünïcødé ✓' },
      sessionId: i % 5 === 0 ? null : `s-${x % 300}`,
    };
    inDay.push(e);
    // One in 50 arrives late: it is stored in the first hour after the day.
    const fileMs = i % 50 === 0 ? w.endMs + 10 : occurredAt;
    add(e, fileMs, i % 3);
  }
  // Next-day events in the trailing hours: read, counted out of window, not aggregated.
  for (let i = 0; i < 20; i++) {
    const occurredAt = w.endMs + (i % 2) * HOUR + i;
    add(
      {
        eventId: `${tenantId}-${day}-next-${i}`,
        tenantId,
        accountId: ACCOUNTS[i % ACCOUNTS.length],
        userId: 'user-next',
        type: 'login',
        occurredAt,
        value: 1,
        properties: {},
        sessionId: null,
      },
      occurredAt,
      0,
    );
  }
  const registry = new SchemaRegistry(store);
  for (const version of RAW_EVENT_VERSIONS) await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[version]);
  for (const [key, records] of files) {
    await store.put(key, await readAll(encodeContainer(rawType, records, 'deflate')));
  }
  return inDay;
}

export async function writeAttributes(store: ObjectStore, tenantId: string, day: string, accounts = ACCOUNTS) {
  const rows: AccountAttributes[] = accounts.map((accountId, i) => ({
    tenantId,
    accountId,
    accountName: `Account ${accountId} — ${'שלום'.repeat(i % 2)}`,
    lifecycleStage: LIFECYCLE_STAGES[i % LIFECYCLE_STAGES.length],
    plan: 'pro',
    contractValue: 1000 + i,
    renewalDate: null,
    seats: i % 4 === 0 ? 0 : 5 + i,
  }));
  await store.put(attributesKey(tenantId, day), await readAll(encodeContainer(attributesType, rows, 'deflate')));
}
