import * as avro from 'avsc';
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptDataError, IncompatibleSchemaError } from '../../../src/common/errors';
import type { RawEvent } from '../../../src/common/events';
import { rabinFingerprint } from '../../../src/schemas/rabin';
import { RAW_EVENT_READER_TYPE, RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT } from '../../../src/schemas/raw-event-schemas';
import { SchemaRegistry, canonicalForm, schemaFingerprint } from '../../../src/schemas/registry';
import type { ObjectStore } from '../../../src/storage/object-store';
import { FsObjectStore } from '../../../src/storage/fs-object-store';

function store(): FsObjectStore {
  return new FsObjectStore(mkdtempSync(path.join(tmpdir(), 'daybreak-registry-')));
}

async function keys(s: ObjectStore, prefix = 'registry/'): Promise<string[]> {
  const out: string[] = [];
  for await (const info of s.list(prefix)) out.push(info.key);
  return out;
}

function withField(base: avro.Schema, field: object): avro.Schema {
  const record = base as { fields: object[] };
  return { ...(base as object), fields: [...record.fields, field] } as avro.Schema;
}

describe('CRC-64-AVRO (Rabin) fingerprint', () => {
  // Reference values from the Avro specification's test vectors (share/test/data/schema-tests.txt).
  it.each([
    ['"null"', 7195948357588979594n],
    ['"boolean"', -6970731678124411036n],
    ['"int"', 8247732601305521295n],
  ])('of %s is %s', (canonical, expected) => {
    expect(BigInt.asIntN(64, rabinFingerprint(canonical))).toBe(expected);
  });
});

describe('canonical form', () => {
  it('drops docs, aliases, defaults and logical types, and qualifies names', () => {
    expect(canonicalForm(RAW_EVENT_SCHEMAS[3])).toBe(
      '{"name":"daybreak.events.RawEvent","type":"record","fields":[{"name":"eventId","type":"string"},' +
        '{"name":"tenantId","type":"string"},{"name":"accountId","type":"string"},{"name":"userId","type":"string"},' +
        '{"name":"type","type":"string"},{"name":"occurredAt","type":"long"},{"name":"value","type":"double"},' +
        '{"name":"properties","type":{"type":"map","values":"string"}},{"name":"sessionId","type":["null","string"]}]}',
    );
  });

  it("is what avsc's Type#fingerprint hashes (md5); the registry addresses by its sha256", () => {
    const type = avro.Type.forSchema(RAW_EVENT_SCHEMAS[2]);
    const canonical = canonicalForm(type);
    expect(type.fingerprint().toString('hex')).toBe(createHash('md5').update(canonical).digest('hex'));
    expect(schemaFingerprint(type)).toBe(createHash('sha256').update(canonical).digest('hex'));
  });
});

describe('SchemaRegistry', () => {
  it('registers versions in order and is idempotent (same schema, same version, no new object)', async () => {
    const s = store();
    const registry = new SchemaRegistry(s);
    const v1 = await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[1]);
    const v2 = await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[2]);
    const v3 = await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[3]);
    expect([v1, v2, v3].map((v) => [v.version, v.created])).toEqual([
      [1, true],
      [2, true],
      [3, true],
    ]);
    const before = await keys(s);
    const again = await new SchemaRegistry(s).register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[2]);
    expect(again).toEqual({ ...v2, created: false });
    expect(await keys(s)).toEqual(before);
    expect((await registry.latest(RAW_EVENT_SUBJECT))?.version).toBe(3);
    expect((await registry.versions(RAW_EVENT_SUBJECT)).map((v) => v.fingerprint)).toEqual(
      [1, 2, 3].map((n) => schemaFingerprint(RAW_EVENT_SCHEMAS[n as 1 | 2 | 3])),
    );
  });

  it('looks schemas up by fingerprint, with the schema as registered (aliases, docs, logical types)', async () => {
    const s = store();
    const registry = new SchemaRegistry(s);
    const { fingerprint } = await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[3]);
    const found = await new SchemaRegistry(s).lookup(fingerprint);
    expect(found?.schema).toEqual(RAW_EVENT_SCHEMAS[3]);
    expect(found?.rabin).toBe(rabinFingerprint(canonicalForm(RAW_EVENT_SCHEMAS[3])).toString(16).padStart(16, '0'));
    expect(await registry.lookup('0'.repeat(64))).toBeUndefined();
  });

  it('refuses a field added without a default, naming the field and the reason', async () => {
    const s = store();
    const registry = new SchemaRegistry(s);
    await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[3]);
    const before = await keys(s);
    const bad = withField(RAW_EVENT_SCHEMAS[3], { name: 'region', type: 'string' });
    const error = await registry.register(RAW_EVENT_SUBJECT, bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IncompatibleSchemaError);
    expect((error as Error).message).toBe(
      `schema for subject ${RAW_EVENT_SUBJECT} is not backward compatible with version 1: field "region": added without a default, so data written before it cannot be read`,
    );
    expect(await keys(s)).toEqual(before);
    // With a default the same change is fine.
    const ok = withField(RAW_EVENT_SCHEMAS[3], { name: 'region', type: 'string', default: 'eu' });
    expect((await registry.register(RAW_EVENT_SUBJECT, ok)).version).toBe(2);
  });

  it('refuses a narrowed type and a rename without an alias', async () => {
    const registry = new SchemaRegistry(store());
    await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[1]);
    const v3 = RAW_EVENT_SCHEMAS[3] as { fields: { name: string; aliases?: string[] }[] };
    const noAlias = { ...v3, fields: v3.fields.map(({ aliases: _aliases, ...f }) => f) } as avro.Schema;
    await expect(registry.register(RAW_EVENT_SUBJECT, noAlias)).rejects.toThrow(
      /field "userId": added without a default/,
    );
    const narrowed = {
      ...(RAW_EVENT_SCHEMAS[1] as object),
      fields: (RAW_EVENT_SCHEMAS[1] as { fields: { name: string }[] }).fields.map((f) =>
        f.name === 'occurredAt' ? { ...f, type: 'int' } : f,
      ),
    } as avro.Schema;
    await expect(registry.register(RAW_EVENT_SUBJECT, narrowed)).rejects.toThrow(
      /field "occurredAt": type changed from long to int/,
    );
  });

  it('gives concurrent registrations distinct versions', async () => {
    const s = store();
    const results = await Promise.all([
      new SchemaRegistry(s).register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[1]),
      new SchemaRegistry(s).register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[2]),
    ]);
    expect(results.map((r) => r.version).sort()).toEqual([1, 2]);
  });

  describe('single-object encoding', () => {
    it('writes 0xC3 0x01 and the little-endian CRC-64-AVRO of the writer schema (spec example: "int")', async () => {
      const registry = new SchemaRegistry(store());
      const { fingerprint } = await registry.register('int-values', 'int');
      const message = await registry.encodeMessage(fingerprint, 7);
      expect([...message.subarray(0, 10)]).toEqual([0xc3, 0x01, 0x8f, 0x5c, 0x39, 0x3f, 0x1a, 0xd5, 0x75, 0x72]);
      expect(await registry.decodeMessage(message, avro.Type.forSchema('long'))).toBe(7);
    });

    it('decodes a v1 message as the current reader (v3)', async () => {
      const s = store();
      const registry = new SchemaRegistry(s);
      const { fingerprint } = await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[1]);
      const message = await registry.encodeMessage(fingerprint, {
        eventId: 'e',
        tenantId: 't',
        accountId: 'a',
        user: 'u 🙂',
        type: 'login',
        occurredAt: 5,
        value: 1.5,
        properties: {},
      });
      const event = await new SchemaRegistry(s).decodeMessage<RawEvent>(message, RAW_EVENT_READER_TYPE);
      expect({ ...event }).toEqual({
        eventId: 'e',
        tenantId: 't',
        accountId: 'a',
        userId: 'u 🙂',
        type: 'login',
        occurredAt: 5,
        value: 1.5,
        properties: {},
        sessionId: null,
      });
    });

    it('refuses a message whose fingerprint is not registered, or that has no marker', async () => {
      const registry = new SchemaRegistry(store());
      const unknown = Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 7), Buffer.from([2])]);
      await expect(registry.decodeMessage(unknown, RAW_EVENT_READER_TYPE)).rejects.toThrow(
        /unknown schema fingerprint 0707070707070707/,
      );
      await expect(registry.decodeMessage(Buffer.alloc(12), RAW_EVENT_READER_TYPE)).rejects.toBeInstanceOf(
        CorruptDataError,
      );
    });
  });
});
