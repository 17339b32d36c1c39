import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as avro from 'avsc';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccountDayState } from '../../../src/metrics/account-state';
import { ACCOUNT_DAY_STATE_SCHEMA, PartitionAggregator } from '../../../src/metrics/account-state';
import { ColumnPartitionAggregator } from '../../../src/metrics/column-aggregator';
import { DISTINCT_EXACT_LIMIT } from '../../../src/metrics/monoids/distinct';
import { murmur3 } from '../../../src/metrics/monoids/murmur3';
import { AccountStatesMerger } from '../../../src/metrics/states-merger';
import { HASH, RecentIdSet, hashBytes } from '../../../src/schemas/compact-id-set';
import type { EventColumns } from '../../../src/schemas/event-columns';
import { allocateColumns, columnsFromRecords, compileColumnPlan } from '../../../src/schemas/event-columns';
import { readRawEventColumns, readRawEvents } from '../../../src/schemas/event-reader';
import { encodeOcf } from '../../../src/schemas/ocf';
import { RAW_EVENT_SCHEMAS } from '../../../src/schemas/raw-event-schemas';
import type { RawEvent } from '../../../src/common/events';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { readAll } from '../../../src/storage/object-store';

const T0 = Date.parse('2026-03-08T05:00:00Z');
const HOUR = 3_600_000;

function asWriter(e: RawEvent, version: 1 | 2 | 3): object {
  const v1 = {
    eventId: e.eventId,
    tenantId: e.tenantId,
    accountId: e.accountId,
    user: e.userId,
    type: e.type,
    occurredAt: e.occurredAt,
    value: e.value,
    properties: e.properties,
  };
  if (version === 1) return v1;
  if (version === 2) return { ...v1, sessionId: e.sessionId };
  return e;
}

/** The events as one block of a writer version, decoded by the compiled column plan. */
function decodeAs(version: 1 | 2 | 3, events: RawEvent[]): EventColumns {
  const type = avro.Type.forSchema(RAW_EVENT_SCHEMAS[version]);
  const bytes = Buffer.concat(events.map((e) => type.toBuffer(asWriter(e, version))));
  const plan = compileColumnPlan(type);
  if (!plan) throw new Error(`no column plan for v${version}`);
  const columns = plan.decode(bytes, events.length, allocateColumns(4));
  columns.accepted.fill(1, 0, events.length);
  return columns;
}

const ids = fc.constantFrom('a', 'b', 'ü', '北京', 'emoji-👋', 'x'.repeat(40), '');
const eventArb = fc.record({
  eventId: fc.uuid(),
  tenantId: fc.constant('acme'),
  accountId: fc.oneof(ids, fc.string({ maxLength: 6 })),
  userId: fc.oneof(ids, fc.string({ maxLength: 6 })),
  type: fc.constantFrom('login', 'page_view', 'invoice_paid', 'ünïcode'),
  occurredAt: fc.integer({ min: T0, max: T0 + 24 * HOUR }),
  value: fc.oneof(
    fc.integer({ min: -5000, max: 5000 }),
    fc.constantFrom(0, 1, 4095, 4096, 1e-10, -1e-10, 2 ** 45, -(2 ** 45), 0.5),
    fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }),
  ),
  properties: fc.constant({ k: 'v' }),
  sessionId: fc.option(fc.oneof(ids, fc.string({ maxLength: 6 })), { nil: null }),
});

function viaObjects(events: RawEvent[]) {
  const agg = new PartitionAggregator(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
  for (const e of events) agg.add(e);
  return agg.states();
}

const dayStateType = avro.Type.forSchema(ACCOUNT_DAY_STATE_SCHEMA as avro.Schema);

function avscBytes(s: AccountDayState): Buffer {
  const buf = (d: AccountDayState['users']) => ({
    fingerprints: Buffer.from(d.fingerprints),
    hll: d.hll && Buffer.from(d.hll),
  });
  return dayStateType.toBuffer({ ...s, users: buf(s.users), sessions: buf(s.sessions) });
}

/** The aggregator's encoded states, decoded as the daily-usage task reads them. */
function columnStates(agg: ColumnPartitionAggregator): AccountDayState[] {
  const { buf, ends } = agg.encodedStates();
  const out: AccountDayState[] = [];
  let at = 0;
  for (const end of ends) {
    const s = dayStateType.fromBuffer(buf.subarray(at, end)) as AccountDayState;
    const plain = (d: AccountDayState['users']) => ({
      fingerprints: new Uint8Array(d.fingerprints),
      hll: d.hll && new Uint8Array(d.hll),
    });
    out.push({ ...s, users: plain(s.users), sessions: plain(s.sessions) });
    at = end;
  }
  return out;
}

function viaColumns(blocks: EventColumns[]) {
  const agg = new ColumnPartitionAggregator();
  for (const b of blocks) agg.addBlock(b);
  return columnStates(agg);
}

describe('ColumnPartitionAggregator', () => {
  it('gives exactly the states PartitionAggregator gives, for every writer version (property)', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        // v3 keeps doubles; v1 writes floats, so compare it with the float-rounded values.
        expect(viaColumns([decodeAs(3, events)])).toEqual(viaObjects(events));
        expect(viaColumns([decodeAs(2, events)])).toEqual(
          viaObjects(events.map((e) => ({ ...e, value: Math.fround(e.value) }))),
        );
        const v1 = events.map((e) => ({ ...e, value: Math.fround(e.value), sessionId: null }));
        expect(viaColumns([decodeAs(1, events)])).toEqual(viaObjects(v1));
        const fallback = columnsFromRecords(events, allocateColumns(1));
        fallback.accepted.fill(1, 0, events.length);
        expect(viaColumns([fallback])).toEqual(viaObjects(events));
      }),
      { numRuns: 150 },
    );
  });

  it('writes its states as exactly the Avro bytes avsc writes for the object path states (property)', () => {
    // Integer-like type names: JavaScript orders them first in a count map, and so must the bytes.
    const typed = fc.record({
      event: eventArb,
      type: fc.constantFrom('login', '10', '7', 'ünïcode', 'invoice_paid'),
      user: fc.integer({ min: 0, max: DISTINCT_EXACT_LIMIT + 20 }),
    });
    fc.assert(
      fc.property(fc.array(typed, { maxLength: 900 }), (rows) => {
        const events = rows.map(({ event, type, user }) => ({
          ...event,
          type,
          // Most events on one account, so its users pass the exact limit and become an HLL.
          accountId: user % 3 === 0 ? event.accountId : 'big',
          userId: `u${user}`,
        }));
        const agg = new ColumnPartitionAggregator();
        agg.addBlock(decodeAs(3, events));
        const { buf, ends } = agg.encodedStates();
        const expected = viaObjects(events);
        expect(ends.length).toBe(expected.length);
        expect(buf.equals(Buffer.concat(expected.map(avscBytes)))).toBe(true);
        expect(ends[ends.length - 1] ?? 0).toBe(buf.length);
      }),
      { numRuns: 80 },
    );
  });

  it('switches an account to HLL past the exact limit exactly as the object path, across blocks', () => {
    const events: RawEvent[] = Array.from({ length: DISTINCT_EXACT_LIMIT * 3 }, (_, n) => ({
      eventId: `e${n}`,
      tenantId: 'acme',
      accountId: n % 5 === 0 ? 'small' : 'big',
      userId: `user-${n % (DISTINCT_EXACT_LIMIT + 40)}`,
      type: n % 2 ? 'login' : 'page_view',
      occurredAt: T0 + n,
      value: n * 1.5,
      properties: {},
      sessionId: n % 3 ? `s-${n}` : null,
    }));
    const blocks = [events.slice(0, 100), events.slice(100, 500), events.slice(500)].map((b) => {
      const columns = decodeAs(3, b);
      // The reader reuses its arrays; the aggregator must not keep references into a block.
      return { ...columns, bytes: Buffer.from(columns.bytes) };
    });
    const states = viaColumns(blocks);
    expect(states).toEqual(viaObjects(events));
    expect(states.find((s) => s.accountId === 'big')!.users.hll).not.toBeNull();
    expect(states.find((s) => s.accountId === 'small')!.users.hll).toBeNull();
  });

  it('skips records the reader did not accept', () => {
    const events = Array.from({ length: 10 }, (_, n) => ({
      eventId: `e${n}`,
      tenantId: 'acme',
      accountId: `a${n % 2}`,
      userId: 'u',
      type: 'login',
      occurredAt: T0,
      value: 1,
      properties: {},
      sessionId: null,
    }));
    const columns = decodeAs(3, events);
    for (let i = 0; i < 10; i += 2) columns.accepted[i] = 0;
    expect(viaColumns([columns])).toEqual(viaObjects(events.filter((_, i) => i % 2 === 1)));
  });
});

describe('compileColumnPlan', () => {
  it('refuses bytes that are not exactly the declared records, naming the problem', () => {
    const events = [
      {
        eventId: 'e1',
        tenantId: 'acme',
        accountId: 'a',
        userId: 'u',
        type: 'login',
        occurredAt: T0,
        value: 1,
        properties: { a: 'b' },
        sessionId: 's',
      },
    ];
    const type = avro.Type.forSchema(RAW_EVENT_SCHEMAS[3]);
    const bytes = type.toBuffer(events[0]);
    const plan = compileColumnPlan(type)!;
    expect(() => plan.decode(bytes.subarray(0, bytes.length - 3), 1, allocateColumns(1))).toThrow(/block/);
    expect(() => plan.decode(bytes, 2, allocateColumns(1))).toThrow(/record 1 of 2|does not fit|past the end/);
    expect(() => plan.decode(Buffer.concat([bytes, Buffer.from([0])]), 1, allocateColumns(1))).toThrow(
      /1 bytes left over after 1 records/,
    );
  });

  it('has no plan for a writer shape it does not handle, so the reader falls back to avsc', () => {
    const schema = RAW_EVENT_SCHEMAS[3] as avro.schema.RecordType;
    const odd = avro.Type.forSchema({
      ...schema,
      fields: schema.fields.map((f) => (f.name === 'sessionId' ? { ...f, type: ['null', 'string', 'long'] } : f)),
    });
    expect(compileColumnPlan(odd)).toBeNull();
    // An extra writer field of any shape is skipped.
    const extra = avro.Type.forSchema({
      ...schema,
      fields: [
        ...schema.fields,
        {
          name: 'tags',
          type: {
            type: 'array',
            items: {
              type: 'record',
              name: 'Tag',
              fields: [
                { name: 'k', type: 'string' },
                { name: 'n', type: ['null', 'double'] },
              ],
            },
          },
        },
      ],
    });
    const plan = compileColumnPlan(extra)!;
    const record = {
      eventId: 'e1',
      tenantId: 'acme',
      accountId: 'acct',
      userId: 'u',
      type: 'login',
      occurredAt: T0,
      value: 2.5,
      properties: {},
      sessionId: null,
      tags: [
        { k: 'x', n: 1.5 },
        { k: 'y', n: null },
      ],
    };
    const columns = plan.decode(Buffer.concat([extra.toBuffer(record), extra.toBuffer(record)]), 2, allocateColumns(1));
    expect(columns.bytes.toString('utf8', columns.accountAt[1], columns.accountAt[1] + columns.accountLen[1])).toBe(
      'acct',
    );
    expect(columns.value[1]).toBe(2.5);
    expect(columns.sessionAt[1]).toBe(-1);
  });
});

describe('hashBytes (event id hash of the duplicate check)', () => {
  const hash = (bytes: Uint8Array, at = 0, len = bytes.length) => {
    hashBytes(bytes, at, len);
    return `${HASH[0]}:${HASH[1]}`;
  };

  it('gives 200,000 distinct ids of every length 200,000 distinct 64-bit hashes', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 200_000; n++) {
      // UUID-like ids, ids differing only in their last byte, and short ids of lengths 0 to 7.
      const id =
        n % 3 === 0
          ? `${n.toString(16).padStart(8, '0')}-4f1c-4a9b-9e2d-00000000${(n % 9973).toString(16).padStart(4, '0')}`
          : n % 3 === 1
            ? `event-${n}`
            : String.fromCharCode(...Array.from({ length: n % 8 }, (_, k) => 32 + ((n >> (3 * k)) % 90)));
      seen.add(`${hash(Buffer.from(`${id}#${n}`))}`);
    }
    expect(seen.size).toBe(200_000);
  });

  it('depends on every byte and on the length, and reads only its range', () => {
    const base = Buffer.from('0f6d2c9e-3b1a-4c5d-8e7f-123456789abc');
    const h = hash(base);
    for (let i = 0; i < base.length; i++) {
      const flipped = Buffer.from(base);
      flipped[i] ^= 1;
      expect(hash(flipped)).not.toBe(h);
    }
    expect(hash(Buffer.concat([base, Buffer.from([0])]))).not.toBe(h);
    expect(hash(Buffer.concat([Buffer.from('xyz'), base, Buffer.from('!')]), 3, base.length)).toBe(h);
  });
});

describe('RecentIdSet', () => {
  const add = (set: RecentIdSet, id: string, at: number) => {
    const bytes = Buffer.from(id);
    hashBytes(bytes, 0, bytes.length);
    return set.add(at, HASH[0], HASH[1]);
  };

  it('takes an id seen within the horizon before as a copy, refreshes it on every sighting, and forgets it past the horizon', () => {
    const set = new RecentIdSet(2 * HOUR, 16);
    expect(add(set, 'x', T0)).toBe(true);
    expect(add(set, 'x', T0)).toBe(false);
    expect(add(set, 'x', T0 + 2 * HOUR)).toBe(false); // two hours on: a copy, now last seen then
    expect(add(set, 'x', T0 + 4 * HOUR)).toBe(false); // two hours after that sighting
    expect(add(set, 'y', T0 + 4 * HOUR)).toBe(true);
    expect(add(set, 'y', T0 + 7 * HOUR)).toBe(true); // three hours on: new again
    for (let h = 8; h <= 35; h++) for (let k = 0; k < 100; k++) add(set, `e-${h}-${k}`, T0 + h * HOUR);
    // Memory follows the horizon (three hours of 100 ids, in a table at most three quarters full),
    // not the 2,800 ids added.
    expect(set.size).toBeLessThanOrEqual(768);
    expect(add(set, 'e-35-7', T0 + 35 * HOUR)).toBe(false);
    expect(add(set, 'e-8-7', T0 + 35 * HOUR)).toBe(true); // forgotten: beyond the horizon
    // Hours are kept modulo 256: a horizon must stay far below that.
    expect(() => new RecentIdSet(101 * HOUR)).toThrow(/over 100/);
  });
});

describe('readRawEventColumns', () => {
  it('accepts, drops and counts exactly the records readRawEvents does', async () => {
    const store = new FsObjectStore(mkdtempSync(path.join(tmpdir(), 'daybreak-columns-')));
    const events: RawEvent[] = Array.from({ length: 500 }, (_, n) => ({
      eventId: `e-${n % 450}`, // 50 duplicates
      tenantId: 'acme',
      accountId: `a-${n % 9}`,
      userId: `u-${n % 31}`,
      type: n % 4 ? 'login' : 'feature_use',
      // Three minutes apart within the day; the last 30 ids the next day (outside the window).
      occurredAt: T0 + (n % 450) * 180_000 + (n % 450 >= 420 ? 24 * HOUR : 0),
      value: n / 4,
      properties: { note: 'é' },
      sessionId: n % 3 ? `s-${n % 40}` : null,
    }));
    const keys: string[] = [];
    for (const version of [1, 2, 3] as const) {
      const key = `raw/tenant=acme/date=2026-03-08/hour=0${4 + version}/events.avro`;
      const part = events.filter((_, n) => n % 3 === version - 1);
      await store.put(
        key,
        await readAll(
          encodeOcf<object>({
            schema: RAW_EVENT_SCHEMAS[version],
            records: part.map((e) => asWriter(e, version)),
            sync: Buffer.alloc(16, version),
            blockRecords: 37,
          }),
        ),
      );
      keys.push(key);
    }
    const options = {
      store,
      tenantId: 'acme',
      keys,
      window: { startMs: T0, endMs: T0 + 24 * HOUR },
      policy: 'fail' as const,
      quarantineDate: '2026-03-08',
    };
    const objects = readRawEvents({ ...options, fields: ['accountId', 'userId', 'type', 'value', 'sessionId'] });
    const byObjects = new PartitionAggregator(T0, T0 + 24 * HOUR);
    for await (const e of objects.events) byObjects.add(e);
    const columns = readRawEventColumns(options);
    const byColumns = new ColumnPartitionAggregator();
    for await (const block of columns.blocks) byColumns.addBlock(block);
    expect(columns.result().counts).toEqual(objects.result().counts);
    expect(columns.result().counts.duplicates).toBeGreaterThan(0);
    expect(columns.result().counts.outOfWindow).toBeGreaterThan(0);
    expect(columnStates(byColumns)).toEqual(byObjects.states());
  });
});

/** Deterministic events over `accounts` accounts: a heavy tail, a few accounts past the exact limit. */
function generatedEvents(count: number, accounts: number, seed = 7): RawEvent[] {
  let s = seed;
  const next = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const types = ['login', 'page_view', '10', 'ünïcode', 'invoice_paid'];
  return Array.from({ length: count }, (_, n) => {
    const a = n < accounts ? n : Math.floor(accounts * next() ** 3);
    const accountId = a % 17 === 0 ? `ü-${a}-🚀` : `acc-${String(a).padStart(6, '0')}`;
    return {
      eventId: `e${n}`,
      tenantId: 'acme',
      accountId,
      // Account 0 gets most events, so its users pass the exact limit in every run of a spill.
      userId: `u${Math.floor(next() * (a === 0 ? DISTINCT_EXACT_LIMIT * 3 : 6))}`,
      type: types[Math.floor(next() * types.length)],
      occurredAt: T0 + Math.floor(next() * 24 * HOUR),
      value: next() < 0.1 ? next() * 1e6 - 5e5 : Math.floor(next() * 300) - 20,
      properties: {},
      sessionId: next() < 0.4 ? null : `s${Math.floor(next() * 400)}`,
    };
  });
}

/** Record i of some encoded states, as bytes. */
function recordsOf(states: { buf: Buffer; ends: ArrayLike<number> }): Buffer[] {
  return Array.from(states.ends, (end, i) => states.buf.subarray(i === 0 ? 0 : states.ends[i - 1], end));
}

function decodedStates(states: { buf: Buffer; ends: ArrayLike<number> }): AccountDayState[] {
  return recordsOf(states).map((bytes) => {
    const s = dayStateType.fromBuffer(bytes) as AccountDayState;
    const plain = (d: AccountDayState['users']) => ({
      fingerprints: new Uint8Array(d.fingerprints),
      hll: d.hll && new Uint8Array(d.hll),
    });
    return { ...s, users: plain(s.users), sessions: plain(s.sessions) };
  });
}

describe('ColumnPartitionAggregator buckets and spills', () => {
  const events = generatedEvents(12_000, 900);
  const blocks = Array.from({ length: 12 }, (_, k) => {
    const columns = decodeAs(3, events.slice(k * 1000, (k + 1) * 1000));
    return { ...columns, bytes: Buffer.from(columns.bytes) };
  });

  it('orders ASCII ids (sorted by their bytes) and any others exactly as the object path does (property)', () => {
    // ASCII-only samples take the radix sort; ids over 64 bytes or not ASCII, the string sort.
    const asciiId = fc.oneof(
      fc.string({ unit: 'binary-ascii', maxLength: 9 }),
      fc.constantFrom('', '\0', 'a\0', 'a', 'ab', 'a\x7f', 'acc-00010', 'acc-0001', 'acc-00100'),
      fc.string({ unit: 'binary-ascii', minLength: 60, maxLength: 70 }),
    );
    fc.assert(
      fc.property(fc.array(asciiId, { maxLength: 80 }), fc.boolean(), (accounts, withUnicode) => {
        const events = [...accounts, ...(withUnicode ? ['ü'] : [])].map((accountId, n) => ({
          eventId: `e${n}`,
          tenantId: 'acme',
          accountId,
          userId: 'u',
          type: 'login',
          occurredAt: T0,
          value: n,
          properties: {},
          sessionId: null,
        }));
        const agg = new ColumnPartitionAggregator();
        agg.addBlock(decodeAs(3, events));
        const expected = viaObjects(events);
        expect(columnStates(agg).map((s) => s.accountId)).toEqual(expected.map((s) => s.accountId));
        expect(agg.encodedStates().buf.equals(Buffer.concat(expected.map(avscBytes)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('encodes each bucket as exactly the records of encodedStates() of its accounts, in the same order', () => {
    const agg = new ColumnPartitionAggregator();
    for (const b of blocks) agg.addBlock(b);
    const all = agg.encodedStates();
    const records = recordsOf(all);
    const ids = decodedStates(all).map((s) => s.accountId);
    expect(agg.encodedStatesOfBuckets(1)[0].buf.equals(all.buf)).toBe(true);
    for (const count of [2, 8, 64]) {
      const parts = agg.encodedStatesOfBuckets(count);
      expect(parts).toHaveLength(count);
      for (const [b, part] of parts.entries()) {
        // The bucket by hand: the top log2(count) bits of murmur3 of the id's UTF-8 bytes.
        const want = records.filter((_, i) => murmur3(ids[i]) >>> (32 - Math.log2(count)) === b);
        expect(part.ends).toHaveLength(want.length);
        expect(part.buf.equals(Buffer.concat(want))).toBe(true);
        expect(recordsOf(part)).toEqual(want);
      }
      expect(parts.reduce((n, p) => n + p.ends.length, 0)).toBe(all.ends.length);
      expect(parts.filter((p) => p.ends.length > 0).length).toBeGreaterThan(count / 2);
    }
    expect(() => agg.encodedStatesOfBuckets(3)).toThrow(/power of two/);
    expect(() => agg.encodedStatesOfBuckets(2048)).toThrow(/power of two/);
  });

  it('gives runs that fold (AccountStatesMerger) into exactly the states of the unspilled aggregation', () => {
    const whole = new ColumnPartitionAggregator();
    for (const b of blocks) whole.addBlock(b);
    const expected = whole.encodedStatesOfBuckets(8);
    const spilled = new ColumnPartitionAggregator();
    const runs: ReturnType<ColumnPartitionAggregator['encodedStatesOfBuckets']>[] = [];
    for (const [k, b] of blocks.entries()) {
      spilled.addBlock(b);
      if (k % 3 === 2) {
        runs.push(spilled.encodedStatesOfBuckets(8));
        spilled.reset();
      }
    }
    expect(runs).toHaveLength(4);
    expect(spilled.accountCount).toBe(0);
    for (let bucket = 0; bucket < 8; bucket++) {
      const merger = new AccountStatesMerger();
      for (const run of runs) merger.add(decodedStates(run[bucket]));
      const folded = merger.result();
      expect(folded).toEqual(decodedStates(expected[bucket]));
      // And as bytes: what the daily-usage merge writes for them is the unspilled partial.
      expect(Buffer.concat(folded.map(avscBytes)).equals(expected[bucket].buf)).toBe(true);
    }
    // Cases the fold must get right: account 0's users are exact in the first runs, an HLL in later
    // ones and in the whole; and accounts are split across runs.
    const first = (states: AccountDayState[]) => states.find((s) => s.accountId === 'ü-0-🚀')!;
    expect(first(expected.flatMap(decodedStates)).users.hll).not.toBeNull();
    const exactInRun = runs.map((run) => first(run.flatMap(decodedStates)).users.hll === null);
    expect(exactInRun).toEqual([true, true, false, false]);
    const inRuns = runs.map((run) => new Set(run.flatMap(decodedStates).map((s) => s.accountId)));
    expect([...inRuns[0]].filter((id) => inRuns[3].has(id)).length).toBeGreaterThan(10);
  });

  it('estimates its memory growing with accounts, and back to a fresh aggregator’s after reset()', () => {
    const agg = new ColumnPartitionAggregator();
    const fresh = agg.estimatedBytes();
    expect(fresh).toBeGreaterThan(0);
    const seen: number[] = [];
    for (const b of blocks) {
      agg.addBlock(b);
      seen.push(agg.estimatedBytes());
    }
    for (let k = 1; k < seen.length; k++) expect(seen[k]).toBeGreaterThanOrEqual(seen[k - 1]);
    // 900 accounts: at least a row of doubles each, and one account's users are 4 KiB of registers.
    expect(seen.at(-1)!).toBeGreaterThan(fresh + 900 * 8 * 10 + 4096);
    agg.reset();
    expect(agg.estimatedBytes()).toBe(fresh);
    // A reset aggregator aggregates as a new one does, with the event types it kept.
    agg.addBlock(blocks[5]);
    const other = new ColumnPartitionAggregator();
    other.addBlock(blocks[5]);
    expect(agg.encodedStates().buf.equals(other.encodedStates().buf)).toBe(true);
  });
});
