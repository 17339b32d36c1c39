import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../src/common/errors';
import type { RawEvent } from '../../../src/common/events';
import { readRawEventColumns, readRawEvents } from '../../../src/schemas/event-reader';
import { encodeOcf } from '../../../src/schemas/ocf';
import type { RawEventV1, RawEventV2 } from '../../../src/schemas/raw-event-schemas';
import { RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT } from '../../../src/schemas/raw-event-schemas';
import { SchemaRegistry } from '../../../src/schemas/registry';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { readAll } from '../../../src/storage/object-store';

const TENANT = 'acme';
const DAY = '2026-03-08';
const T0 = Date.parse('2026-03-08T05:00:00Z');
const SYNC = Buffer.from('0123456789abcdef');

function store(): FsObjectStore {
  return new FsObjectStore(mkdtempSync(path.join(tmpdir(), 'daybreak-reader-')));
}

function v3(n: number, overrides: Partial<RawEvent> = {}): RawEvent {
  return {
    eventId: `e-${n}`,
    tenantId: TENANT,
    accountId: `a-${n % 7}`,
    userId: `u-${n % 13}`,
    type: 'login',
    occurredAt: T0 + n * 1000,
    value: n + 0.25,
    properties: { note: 'مرحبا 👋 é' },
    sessionId: n % 2 ? `s-${n}` : null,
    ...overrides,
  };
}

function asV1(e: RawEvent): RawEventV1 {
  return {
    eventId: e.eventId,
    tenantId: e.tenantId,
    accountId: e.accountId,
    user: e.userId,
    type: e.type,
    occurredAt: e.occurredAt,
    value: e.value,
    properties: e.properties,
  };
}

async function file(version: 1 | 2 | 3, events: RawEvent[], blockRecords = 10): Promise<Buffer> {
  const records =
    version === 1
      ? events.map(asV1)
      : version === 2
        ? events.map((e): RawEventV2 => ({ ...asV1(e), sessionId: e.sessionId }))
        : events;
  return readAll(encodeOcf<object>({ schema: RAW_EVENT_SCHEMAS[version], records, sync: SYNC, blockRecords }));
}

async function collect(iterable: AsyncIterable<RawEvent>): Promise<RawEvent[]> {
  const out: RawEvent[] = [];
  for await (const e of iterable) out.push(e);
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('readRawEvents', () => {
  it('reads files of every writer version as v3, in key order', async () => {
    const s = store();
    await s.put(
      'raw/a.avro',
      await file(
        1,
        range(0, 25).map((n) => v3(n)),
      ),
    );
    await s.put(
      'raw/b.avro',
      await file(
        2,
        range(25, 50).map((n) => v3(n)),
      ),
    );
    await s.put(
      'raw/c.avro',
      await file(
        3,
        range(50, 75).map((n) => v3(n)),
      ),
    );
    const { events, result } = readRawEvents({
      store: s,
      tenantId: TENANT,
      keys: ['raw/c.avro', 'raw/a.avro', 'raw/b.avro'],
      policy: 'fail',
      quarantineDate: DAY,
    });
    const read = await collect(events);
    expect(read.map((e) => e.eventId)).toEqual([...range(50, 75), ...range(0, 50)].map((n) => `e-${n}`));
    expect(read[25]).toEqual({ ...v3(0), sessionId: null });
    expect(read[0]).toEqual(v3(50));
    expect(read[50].sessionId).toBe('s-25');
    expect(result().counts).toEqual({ read: 75, accepted: 75, quarantined: 0, duplicates: 0, outOfWindow: 0 });
  });

  it('drops duplicate event ids across files and filters by window, counting every record once', async () => {
    const s = store();
    await s.put(
      'raw/a.avro',
      await file(
        3,
        [...range(0, 20), 5, 6].map((n) => v3(n)),
      ),
    );
    await s.put(
      'raw/b.avro',
      await file(
        1,
        range(15, 30).map((n) => v3(n)),
      ),
    );
    const { events, result } = readRawEvents({
      store: s,
      tenantId: TENANT,
      keys: ['raw/a.avro', 'raw/b.avro'],
      policy: 'fail',
      quarantineDate: DAY,
      window: { startMs: T0 + 2000, endMs: T0 + 25_000 },
    });
    const read = await collect(events);
    expect(read.map((e) => e.eventId)).toEqual(range(2, 25).map((n) => `e-${n}`));
    // 37 read: 23 accepted, 2 (5, 6) + 5 (15-19) duplicates, 2 (0, 1) + 5 (25-29) out of window.
    expect(result().counts).toEqual({ read: 37, accepted: 23, quarantined: 0, duplicates: 7, outOfWindow: 7 });
  });

  it('recognizes a copy filed up to two hours after its original, by the hours objects are filed under', async () => {
    const s = store();
    const at = (hour: number) => `raw/tenant=${TENANT}/date=2026-03-08/hour=${String(hour).padStart(2, '0')}/f.avro`;
    await s.put(
      at(5),
      await file(
        3,
        range(0, 10).map((n) => v3(n)),
      ),
    );
    await s.put(at(7), await file(3, [v3(1), v3(2)])); // two hours on: copies
    await s.put(at(8), await file(3, [v3(3), v3(1)])); // 3 is three hours on: a new event; 1 was seen at 7
    await s.put(at(11), await file(3, [v3(4)])); // six hours on: a new event
    const { events, result } = readRawEvents({
      store: s,
      tenantId: TENANT,
      keys: [at(5), at(7), at(8), at(11)],
      policy: 'fail',
      quarantineDate: DAY,
    });
    const ids = (await collect(events)).map((e) => e.eventId);
    expect(ids).toEqual([...range(0, 10).map((n) => `e-${n}`), 'e-3', 'e-4']);
    expect(result().counts).toMatchObject({ read: 15, accepted: 12, duplicates: 3 });
  });

  it('reads dedupeKeys only to recognize copies: nothing of theirs is counted, yielded or quarantined', async () => {
    const s = store();
    await s.put(
      'raw/a.avro',
      await file(
        3,
        range(0, 20).map((n) => v3(n)),
      ),
    );
    // Another partition's object with a corrupt tail: not this reader's to report, even under 'fail'.
    const bad = await file(
      3,
      range(40, 45).map((n) => v3(n)),
    );
    await s.put('raw/bad.avro', bad.subarray(0, bad.length - 5));
    await s.put(
      'raw/b.avro',
      await file(
        1,
        range(15, 30).map((n) => v3(n)),
      ),
    );
    const options = {
      store: s,
      tenantId: TENANT,
      keys: ['raw/b.avro'],
      dedupeKeys: ['raw/a.avro', 'raw/bad.avro'],
      policy: 'fail' as const,
      quarantineDate: DAY,
      window: { startMs: T0 + 2000, endMs: T0 + 25_000 },
    };
    const objects = readRawEvents(options);
    const fromObjects = (await collect(objects.events)).map((e) => e.eventId);
    const columns = readRawEventColumns(options);
    const fromColumns: string[] = [];
    for await (const b of columns.blocks) {
      for (let i = 0; i < b.count; i++) {
        if (b.accepted[i]) fromColumns.push(b.bytes.toString('utf8', b.eventIdAt[i], b.eventIdAt[i] + b.eventIdLen[i]));
      }
    }
    for (const [ids, result] of [
      [fromObjects, objects.result()],
      [fromColumns, columns.result()],
    ] as const) {
      // 15-19 were in a.avro: copies. 25-29 are outside the window.
      expect(ids).toEqual(range(20, 25).map((n) => `e-${n}`));
      expect(result.counts).toEqual({ read: 15, accepted: 5, quarantined: 0, duplicates: 5, outOfWindow: 5 });
      expect(result.problems).toEqual([]);
    }
    const written: string[] = [];
    for await (const o of s.list('')) written.push(o.key);
    expect(written.filter((k) => !k.startsWith('raw/'))).toEqual([]);
  });

  it('projects to the listed fields (plus eventId, tenantId and occurredAt)', async () => {
    const s = store();
    await s.put(
      'raw/a.avro',
      await file(
        1,
        range(0, 3).map((n) => v3(n)),
      ),
    );
    const { events } = readRawEvents({
      store: s,
      tenantId: TENANT,
      keys: ['raw/a.avro'],
      policy: 'fail',
      quarantineDate: DAY,
      fields: ['accountId', 'userId'],
    });
    const read = await collect(events);
    expect({ ...read[1] }).toEqual({
      eventId: 'e-1',
      tenantId: TENANT,
      occurredAt: T0 + 1000,
      accountId: 'a-1',
      userId: 'u-1',
    });
  });

  describe('bad data', () => {
    async function corruptStore() {
      const s = store();
      const good = await file(
        3,
        range(0, 30).map((n) => v3(n)),
      );
      // Blocks of 10 records: find the second block's sync marker and break it.
      const syncs: number[] = [];
      for (let i = good.indexOf(SYNC); i >= 0; i = good.indexOf(SYNC, i + 1)) syncs.push(i);
      expect(syncs.length).toBe(4); // header + 3 blocks
      const badSync = Buffer.from(good);
      badSync[syncs[2]] ^= 0xff;
      const truncated = good.subarray(0, syncs[3] - 5);
      const garbage = Buffer.from(good);
      // Overwrite the second block's data (not its header): it no longer decodes.
      const headerEnd = syncs[1] + 16;
      garbage.fill(0xfe, headerEnd + 4, syncs[2]);
      await s.put('raw/bad-sync.avro', badSync);
      await s.put('raw/truncated.avro', truncated);
      await s.put('raw/garbage.avro', garbage);
      await s.put(
        'raw/good.avro',
        await file(
          2,
          range(100, 110).map((n) => v3(n)),
        ),
      );
      await s.put('raw/not-avro.avro', Buffer.from('hello, world'));
      return s;
    }

    it('fails with the tenant, key, byte offset and problem under policy fail', async () => {
      const s = await corruptStore();
      for (const [key, pattern] of [
        ['raw/bad-sync.avro', /tenant acme: object raw\/bad-sync.avro at byte \d+: bad sync marker/],
        ['raw/truncated.avro', /tenant acme: object raw\/truncated.avro at byte \d+: truncated file/],
        ['raw/garbage.avro', /tenant acme: object raw\/garbage.avro at byte \d+: undecodable block of 10 records/],
        ['raw/not-avro.avro', /at byte 0: not an Avro container file/],
      ] as const) {
        const { events } = readRawEvents({
          store: s,
          tenantId: TENANT,
          keys: [key],
          policy: 'fail',
          quarantineDate: DAY,
        });
        const error = await collect(events).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(CorruptDataError);
        expect((error as CorruptDataError).message).toMatch(pattern);
        expect((error as CorruptDataError).key).toBe(key);
      }
    });

    it('quarantines bad blocks and goes on, accounting for every record', async () => {
      const s = await corruptStore();
      const keys = [
        'raw/bad-sync.avro',
        'raw/truncated.avro',
        'raw/garbage.avro',
        'raw/not-avro.avro',
        'raw/good.avro',
      ];
      const { events, result } = readRawEvents({
        store: s,
        tenantId: TENANT,
        keys,
        policy: 'quarantine',
        quarantineDate: DAY,
      });
      const read = await collect(events);
      const { counts, quarantineKeys, problems } = result();
      // bad-sync: blocks 1 and 3 (20) read, block 2 quarantined; truncated: block 3 quarantined (its
      // ids repeat bad-sync's); garbage: block 2 quarantined; good: 10 new ones.
      expect(counts.quarantined).toBe(30);
      expect(counts.read).toBe(counts.accepted + counts.quarantined + counts.duplicates + counts.outOfWindow);
      expect(counts.read).toBe(30 + 30 + 30 + 10);
      expect(read.map((e) => e.eventId)).toEqual(
        [...range(0, 10), ...range(20, 30), ...range(10, 20), ...range(100, 110)].map((n) => `e-${n}`),
      );
      expect(quarantineKeys).toHaveLength(4);
      expect(quarantineKeys[0]).toMatch(
        /^quarantine\/tenant=acme\/date=2026-03-08\/raw_bad-sync.avro\/bad-sync-at-\d+\.bin$/,
      );
      expect(problems.map((p) => p.records)).toEqual([10, 10, 10, 0]);
      for (const key of quarantineKeys) expect(await s.exists(key)).toBe(true);
      expect((await s.getBytes(quarantineKeys[3])).toString()).toBe('hello, world');
    });

    it('treats a file whose writer schema is not registered as bad data, counting its records', async () => {
      const s = store();
      const registry = new SchemaRegistry(s);
      await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[3]);
      await s.put(
        'raw/v3.avro',
        await file(
          3,
          range(0, 12).map((n) => v3(n)),
        ),
      );
      await s.put(
        'raw/v1.avro',
        await file(
          1,
          range(12, 24).map((n) => v3(n)),
        ),
      );
      const { events, result } = readRawEvents({
        store: s,
        tenantId: TENANT,
        keys: ['raw/v3.avro', 'raw/v1.avro'],
        policy: 'quarantine',
        quarantineDate: DAY,
        registry,
      });
      expect(await collect(events)).toHaveLength(12);
      const { counts, problems, quarantineKeys } = result();
      expect(counts).toEqual({ read: 24, accepted: 12, quarantined: 12, duplicates: 0, outOfWindow: 0 });
      expect(problems[0].reason).toMatch(/^unknown schema fingerprint [0-9a-f]{64}$/);
      expect((await s.getBytes(quarantineKeys[0])).equals(await s.getBytes('raw/v1.avro'))).toBe(true);
    });

    it('fails the read, quarantining nothing, when the registry cannot be reached (an outage is not bad data)', async () => {
      const s = store();
      await s.put(
        'raw/v3.avro',
        await file(
          3,
          range(0, 12).map((n) => v3(n)),
        ),
      );
      const registry = new SchemaRegistry(s);
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:7070'), { code: 'ECONNREFUSED' });
      registry.lookup = () => Promise.reject(refused);
      const { events } = readRawEvents({
        store: s,
        tenantId: TENANT,
        keys: ['raw/v3.avro'],
        policy: 'quarantine',
        quarantineDate: DAY,
        registry,
      });
      await expect(collect(events)).rejects.toBe(refused);
      const quarantined: string[] = [];
      for await (const o of s.list('quarantine/')) quarantined.push(o.key);
      expect(quarantined).toEqual([]);
    });
  });
});

describe('records of another tenant under a tenant prefix', () => {
  const FOREIGN = 'stark';
  // a.avro: 30 records in blocks of 10, records 5, 12, 13 and 25 say "stark". b.avro: 30..39, with
  // 30 saying "stark", then an acme record reusing the id e-5 of a.avro's foreign record.
  const foreignInA = [5, 12, 13, 25];
  async function mixedStore(version: 1 | 2 | 3): Promise<FsObjectStore> {
    const s = store();
    const a = range(0, 30).map((n) => v3(n, foreignInA.includes(n) ? { tenantId: FOREIGN } : {}));
    const b = [...range(30, 40).map((n) => v3(n, n === 30 ? { tenantId: FOREIGN } : {})), v3(5)];
    await s.put('raw/a.avro', await file(version, a));
    await s.put('raw/b.avro', await file(version, b));
    return s;
  }

  for (const version of [1, 2, 3] as const) {
    it(`quarantines them under policy quarantine, each listed with its reason (v${version} files)`, async () => {
      const s = await mixedStore(version);
      const options = {
        tenantId: TENANT,
        keys: ['raw/a.avro', 'raw/b.avro'],
        policy: 'quarantine' as const,
        quarantineDate: DAY,
      };
      const objects = readRawEvents({ ...options, store: s });
      const read = await collect(objects.events);
      // 30 + 11 read; 4 + 1 foreign; e-5 of b.avro is acme's first e-5 (the foreign one is never remembered).
      const expectedCounts = { read: 41, accepted: 36, quarantined: 5, duplicates: 0, outOfWindow: 0 };
      expect(objects.result().counts).toEqual(expectedCounts);
      expect(read.every((e) => e.tenantId === TENANT)).toBe(true);
      expect(read.map((e) => e.eventId)).toEqual(
        [...range(0, 30).filter((n) => !foreignInA.includes(n)), ...range(31, 40), 5].map((n) => `e-${n}`),
      );

      const columns = readRawEventColumns({ ...options, store: s });
      let accepted = 0;
      for await (const block of columns.blocks) for (let i = 0; i < block.count; i++) accepted += block.accepted[i];
      expect(accepted).toBe(36);
      const { counts, quarantineKeys, problems } = columns.result();
      expect(counts).toEqual(expectedCounts);
      expect(quarantineKeys).toEqual([
        'quarantine/tenant=acme/date=2026-03-08/raw_a.avro/foreign-tenant.jsonl',
        'quarantine/tenant=acme/date=2026-03-08/raw_b.avro/foreign-tenant.jsonl',
      ]);
      expect(problems.map((p) => [p.key, p.records])).toEqual([
        ['raw/a.avro', 4],
        ['raw/b.avro', 1],
      ]);
      expect(problems[0].reason).toMatch(/4 record\(s\) of tenant\(s\) stark under the raw prefix of tenant acme/);
      const lines = (await s.getBytes(quarantineKeys[0]))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.map((l) => [l.eventId, l.tenantId, l.index, l.key])).toEqual([
        ['e-5', FOREIGN, 5, 'raw/a.avro'],
        ['e-12', FOREIGN, 2, 'raw/a.avro'],
        ['e-13', FOREIGN, 3, 'raw/a.avro'],
        ['e-25', FOREIGN, 5, 'raw/a.avro'],
      ]);
      for (const l of lines) {
        expect(l.reason).toBe('record tenantId "stark" is not "acme", the tenant whose raw prefix holds the object');
      }
      // Records 12 and 13 share the second block; 5 and 25 are in the first and third.
      const offsets = lines.map((l) => l.blockOffset as number);
      expect(offsets[1]).toBe(offsets[2]);
      expect(offsets[0]).toBeLessThan(offsets[1]);
      expect(offsets[2]).toBeLessThan(offsets[3]);
      expect(problems[0].offset).toBe(offsets[0]);
    });
  }

  it('fails on the first one under policy fail, naming both tenants, the key and the block', async () => {
    const s = await mixedStore(3);
    for (const reading of [
      () =>
        collect(
          readRawEvents({ store: s, tenantId: TENANT, keys: ['raw/a.avro'], policy: 'fail', quarantineDate: DAY })
            .events,
        ),
      async () => {
        const r = readRawEventColumns({
          store: s,
          tenantId: TENANT,
          keys: ['raw/a.avro'],
          policy: 'fail',
          quarantineDate: DAY,
        });
        for await (const block of r.blocks) void block;
      },
    ]) {
      const error = await reading().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CorruptDataError);
      const e = error as CorruptDataError;
      expect(e.key).toBe('raw/a.avro');
      expect(e.message).toMatch(
        /^tenant acme: object raw\/a\.avro at byte \d+: record 5 of the block \(eventId "e-5"\) belongs to tenant stark: /,
      );
    }
    expect(await s.exists('quarantine/tenant=acme/date=2026-03-08/raw_a.avro/foreign-tenant.jsonl')).toBe(false);
  });

  it('never remembers their ids from the objects read before a partition (dedupeKeys)', async () => {
    const s = await mixedStore(3);
    const r = readRawEventColumns({
      store: s,
      tenantId: TENANT,
      keys: ['raw/b.avro'],
      dedupeKeys: ['raw/a.avro'],
      policy: 'quarantine',
      quarantineDate: DAY,
    });
    let accepted = 0;
    for await (const block of r.blocks) for (let i = 0; i < block.count; i++) accepted += block.accepted[i];
    // b.avro alone: 11 read, 30 foreign, and e-5 accepted as a single reader of a.avro + b.avro would.
    expect(r.result().counts).toEqual({ read: 11, accepted: 10, quarantined: 1, duplicates: 0, outOfWindow: 0 });
    expect(accepted).toBe(10);
    expect(r.result().quarantineKeys).toEqual([
      'quarantine/tenant=acme/date=2026-03-08/raw_b.avro/foreign-tenant.jsonl',
    ]);
  });
});
