import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeContainer, loadSchema } from '../../../src/schemas/avro-container';
import { readRawEvents } from '../../../src/schemas/event-reader';
import { parseOcfHeader } from '../../../src/schemas/ocf';
import { RAW_EVENT_READER_TYPE, RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT } from '../../../src/schemas/raw-event-schemas';
import { SchemaRegistry, schemaFingerprint } from '../../../src/schemas/registry';
import { CorruptDataError } from '../../../src/common/errors';
import type { AccountAttributes, RawEvent } from '../../../src/common/events';
import { BILLING_EVENT_TYPES } from '../../../src/common/events';
import { localDayWindow } from '../../../src/common/local-day';
import { parseTenantsFile } from '../../../src/workflows/tenants/tenant-config';
import type { GenerateOptions, GenerateSummary } from '../../../src/generator/generate';
import { generate } from '../../../src/generator/generate';
import { AccountTable } from '../../../src/generator/accounts';
import { Rng } from '../../../src/generator/random';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import * as avro from 'avsc';

const ATTRIBUTES_TYPE = avro.Type.forSchema(loadSchema('account-attributes.avsc'));
const OPTIONS: GenerateOptions = { tenants: 6, days: 2, eventsPerDay: 1500, seed: 'test-seed', corrupt: true };

function store(): FsObjectStore {
  return new FsObjectStore(mkdtempSync(path.join(tmpdir(), 'daybreak-gen-')));
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function snapshot(s: FsObjectStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const info of s.list('')) out.set(info.key, (await s.getBytes(info.key)).toString('base64'));
  return out;
}

async function rawKeys(s: FsObjectStore, tenantId: string, clean = true): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of s.list(`raw/tenant=${tenantId}/`))
    if (!clean || !info.key.includes('/corrupt-')) keys.push(info.key);
  return keys;
}

async function allEvents(s: FsObjectStore, tenantId: string): Promise<{ key: string; event: RawEvent }[]> {
  const out: { key: string; event: RawEvent }[] = [];
  for (const key of await rawKeys(s, tenantId)) {
    for await (const event of decodeContainer<RawEvent>(await s.get(key), RAW_EVENT_READER_TYPE))
      out.push({ key, event });
  }
  return out;
}

describe('generate', () => {
  let s: FsObjectStore;
  let summary: GenerateSummary;
  beforeAll(async () => {
    s = store();
    summary = await generate(OPTIONS, s);
  });

  it('is deterministic: the same seed gives byte-identical objects, another seed different ones', async () => {
    const again = store();
    await generate({ ...OPTIONS, concurrency: 1 }, again);
    const [a, b] = [await snapshot(s), await snapshot(again)];
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [key, body] of a) expect(b.get(key), key).toBe(body);
    const other = store();
    await generate({ ...OPTIONS, seed: 'other', tenants: 1, corrupt: false }, other);
    const key = (await rawKeys(other, 'acme'))[3];
    expect((await other.getBytes(key)).equals(await s.getBytes(key))).toBe(false);
  });

  it('writes a valid tenants file spread over the required zones, and registers the producer schemas', async () => {
    const tenants = parseTenantsFile(JSON.parse((await s.getBytes('config/tenants.json')).toString())).tenants;
    expect(tenants).toEqual(summary.tenants);
    expect(tenants.map((t) => t.timeZone)).toEqual([
      'America/New_York',
      'Europe/Berlin',
      'Asia/Kolkata',
      'Pacific/Chatham',
      'Pacific/Kiritimati',
      'America/Havana',
    ]);
    const versions = await new SchemaRegistry(s).versions(RAW_EVENT_SUBJECT);
    expect(versions.map((v) => v.fingerprint)).toEqual(
      [1, 2, 3].map((n) => schemaFingerprint(RAW_EVENT_SCHEMAS[n as 1 | 2 | 3])),
    );
  });

  it('mixes all three writer versions, with duplicates, late events and billing events', async () => {
    expect(summary.eventsByWriterVersion[1]).toBeGreaterThan(0);
    expect(summary.eventsByWriterVersion[2]).toBeGreaterThan(0);
    expect(summary.eventsByWriterVersion[3]).toBeGreaterThan(0);
    const versions = new Set<string>();
    for (const key of await rawKeys(s, 'globex')) {
      const header = parseOcfHeader(await s.getBytes(key));
      if (header !== 'incomplete') versions.add(schemaFingerprint(JSON.parse(header.schemaJson) as avro.Schema));
    }
    expect(versions.size).toBe(3);

    const events = await allEvents(s, 'acme');
    expect(events.length).toBeGreaterThan(2500);
    const ids = new Map<string, number>();
    for (const { event } of events) ids.set(event.eventId, (ids.get(event.eventId) ?? 0) + 1);
    expect([...ids.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
    const late = events.filter(({ key, event }) => {
      const partition = Date.parse(
        `${key.slice(key.indexOf('date=') + 5, key.indexOf('date=') + 15)}T${key.slice(key.indexOf('hour=') + 5, key.indexOf('hour=') + 7)}:00:00Z`,
      );
      expect(event.occurredAt).toBeLessThan(partition + 3_600_000);
      return event.occurredAt < partition;
    });
    expect(late.length).toBeGreaterThan(0);
    for (const { key, event } of late) {
      const partition = Date.parse(
        `${key.slice(key.indexOf('date=') + 5, key.indexOf('date=') + 15)}T${key.slice(key.indexOf('hour=') + 5, key.indexOf('hour=') + 7)}:00:00Z`,
      );
      expect(partition - event.occurredAt).toBeLessThanOrEqual(2 * 3_600_000);
    }
    expect(events.some(({ event }) => (BILLING_EVENT_TYPES as readonly string[]).includes(event.type))).toBe(true);
    // Accounts: heavy-tailed, the busiest account has many times the median's events.
    const perAccount = new Map<string, number>();
    for (const { event } of events) perAccount.set(event.accountId, (perAccount.get(event.accountId) ?? 0) + 1);
    const sorted = [...perAccount.values()].sort((a, b) => a - b);
    expect(sorted[sorted.length - 1]).toBeGreaterThan(5 * sorted[Math.floor(sorted.length / 2)]);
  });

  it('spans each tenant local day exactly, with a 23-hour day where Havana springs forward at midnight', async () => {
    const s2 = store();
    const dst = await generate({ tenants: 6, days: 1, eventsPerDay: 2400, seed: 'dst', startDay: '2026-03-08' }, s2);
    expect(dst.tenants[5]).toMatchObject({ id: 'soylent', timeZone: 'America/Havana' });
    const window = localDayWindow('2026-03-08', 'America/Havana');
    expect(window.hours).toBe(23);
    const events = await allEvents(s2, 'soylent');
    // A Sunday (weekly seasonality: about half a weekday) of 23 hours.
    expect(events.length).toBeGreaterThan(800);
    expect(events.length).toBeLessThan(1600);
    for (const { event } of events) {
      expect(event.occurredAt).toBeGreaterThanOrEqual(window.startMs);
      expect(event.occurredAt).toBeLessThan(window.endMs);
    }
  });

  it('writes attribute snapshots per tenant and day with Unicode names (emoji, RTL, combining marks)', async () => {
    const names: string[] = [];
    for (const day of ['2026-03-01', '2026-03-02']) {
      const key = `attributes/tenant=initech/date=${day}/attributes.avro`;
      const records: AccountAttributes[] = [];
      for await (const r of decodeContainer<AccountAttributes>(await s.get(key), ATTRIBUTES_TYPE)) records.push(r);
      expect(records.length).toBe(30);
      names.push(...records.map((r) => r.accountName));
    }
    const all = names.join(' ');
    expect(all).toMatch(/\p{Extended_Pictographic}/u);
    expect(all).toMatch(/[\u0590-\u05FF\u0600-\u06FF]/);
    expect(all).toMatch(/\p{M}/u);
  });

  it('plants bad data a reader finds and accounts for exactly', async () => {
    expect(summary.corrupt.map((c) => c.kind)).toEqual(['truncated', 'bad-sync', 'unknown-schema']);
    const keys = summary.corrupt.map((c) => c.key);
    const reading = readRawEvents({
      store: s,
      tenantId: 'acme',
      keys,
      policy: 'quarantine',
      quarantineDate: '2026-03-01',
      registry: new SchemaRegistry(s),
    });
    const accepted = (await collect(reading.events)).length;
    const { counts, problems } = reading.result();
    expect(counts).toEqual({ read: 4000, accepted: 2000, quarantined: 2000, duplicates: 0, outOfWindow: 0 });
    expect(accepted).toBe(2000);
    expect(problems.map((p) => [p.key, p.records])).toEqual(summary.corrupt.map((c) => [c.key, c.badRecords]));
    for (const key of keys) {
      const failing = readRawEvents({
        store: s,
        tenantId: 'acme',
        keys: [key],
        policy: 'fail',
        quarantineDate: '2026-03-01',
        registry: new SchemaRegistry(s),
      });
      await expect(collect(failing.events)).rejects.toBeInstanceOf(CorruptDataError);
    }
  });
});

describe('generate with accounts', () => {
  const ACCOUNTS = 50_000;
  let s: FsObjectStore;
  let summary: GenerateSummary;
  let accountIds: string[];
  beforeAll(async () => {
    s = store();
    summary = await generate(
      { tenants: 1, days: 1, eventsPerDay: 120_000, accounts: ACCOUNTS, seed: 'many', startDay: '2026-03-10' },
      s,
    );
    accountIds = (await allEvents(s, 'acme')).map(({ event }) => event.accountId);
  }, 60_000);

  it('writes an attribute row for every account, with unique ids, and events only from those accounts', async () => {
    const rows: AccountAttributes[] = [];
    const key = 'attributes/tenant=acme/date=2026-03-10/attributes.avro';
    for await (const r of decodeContainer<AccountAttributes>(await s.get(key), ATTRIBUTES_TYPE)) rows.push(r);
    expect(rows.length).toBe(ACCOUNTS);
    const ids = new Set(rows.map((r) => r.accountId));
    expect(ids.size).toBe(ACCOUNTS);
    expect(rows[0].accountId).toBe('acc-00000');
    expect(rows.at(-1)!.accountId).toBe('acc-49999');
    expect(accountIds.length).toBe(summary.events);
    expect(accountIds.filter((id) => !ids.has(id))).toEqual([]);
  });

  it('keeps most accounts quiet on the day, and the busiest 1% of accounts send at least 30% of the events', () => {
    const perAccount = new Map<string, number>();
    for (const id of accountIds) perAccount.set(id, (perAccount.get(id) ?? 0) + 1);
    const active = perAccount.size / ACCOUNTS;
    expect(active).toBeGreaterThan(0.1);
    expect(active).toBeLessThan(0.3);
    const counts = [...perAccount.values()].sort((a, b) => b - a);
    const total = counts.reduce((a, b) => a + b, 0);
    const top = counts.slice(0, ACCOUNTS / 100).reduce((a, b) => a + b, 0);
    expect(top / total).toBeGreaterThanOrEqual(0.3);
  });

  it('is deterministic for a seed, over days (the quiet accounts change from day to day)', async () => {
    const options: GenerateOptions = { tenants: 1, days: 2, eventsPerDay: 4000, accounts: 3000, seed: 'days' };
    const [a, b] = [store(), store()];
    await generate(options, a);
    await generate(options, b);
    const [sa, sb] = [await snapshot(a), await snapshot(b)];
    expect([...sb.keys()]).toEqual([...sa.keys()]);
    for (const [key, body] of sa) expect(sb.get(key), key).toBe(body);
    const activeOn = async (day: string) => {
      const out = new Set<string>();
      for (const { key, event } of await allEvents(a, 'acme'))
        if (key.includes(`date=${day}`)) out.add(event.accountId);
      return out;
    };
    const [first, second] = [await activeOn('2026-03-01'), await activeOn('2026-03-02')];
    expect([...second].filter((id) => !first.has(id)).length).toBeGreaterThan(0);
  });

  it('rejects an account count out of range with a clear error', async () => {
    for (const accounts of [0, 1.5, 50_000_001]) {
      await expect(generate({ tenants: 1, days: 1, eventsPerDay: 10, accounts, seed: 'bad' }, store())).rejects.toThrow(
        `accounts ${accounts} must be an integer from 1 to 50000000`,
      );
    }
  });

  it('widens the account ids past 100,000 accounts so they still sort in account order', () => {
    const table = new AccountTable(new Rng('wide'), 150_001, '2026-03-01');
    expect([table.accountId(0), table.accountId(150_000)]).toEqual(['acc-000000', 'acc-150000']);
    expect(table.userId(7, 2)).toBe('acc-000007-u2');
  });
});
