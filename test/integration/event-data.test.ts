import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generator/generate';
import type { GenerateSummary } from '../../src/generator/generate';
import { readRawEvents } from '../../src/schemas/event-reader';
import { RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT } from '../../src/schemas/raw-event-schemas';
import { SchemaRegistry } from '../../src/schemas/registry';
import { localDayWindow } from '../../src/common/local-day';
import type { S3ObjectStore } from '../../src/storage/s3-object-store';
import { createS3ObjectStore } from '../../src/workers/clients';
import { readConfig } from '../../src/workers/config';
import { uniqueName } from '../support/stack';

/** The data layer end to end on versitygw: generator -> S3 -> registry + reader, with planted bad data. */
describe('event data on S3', () => {
  let store: S3ObjectStore;
  let summary: GenerateSummary;

  beforeAll(async () => {
    // A bucket of its own: the generator writes registry/ and config/ at the root.
    store = await createS3ObjectStore({ ...readConfig().s3, bucket: uniqueName('daybreak-gen') });
    summary = await generate({ tenants: 2, days: 2, eventsPerDay: 800, seed: 's3', corrupt: true }, store);
  });

  afterAll(async () => {
    const keys: string[] = [];
    for await (const info of store.list('')) keys.push(info.key);
    for (const key of keys) await store.delete(key);
  });

  it('keeps the registry idempotent in S3: registering again writes nothing', async () => {
    const before: string[] = [];
    for await (const info of store.list('registry/')) before.push(info.key);
    const again = await new SchemaRegistry(store).register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[2]);
    expect(again).toMatchObject({ version: 2, created: false });
    const after: string[] = [];
    for await (const info of store.list('registry/')) after.push(info.key);
    expect(after).toEqual(before);
  });

  it("reads a tenant's local day back, quarantining the planted bad data and accounting for every record", async () => {
    const tenant = summary.tenants[0];
    const window = localDayWindow('2026-03-01', tenant.timeZone);
    const keys: string[] = [];
    for (const hour of window.utcHours) {
      const prefix = `raw/tenant=${tenant.id}/date=${hour.date}/hour=${String(hour.hour).padStart(2, '0')}/`;
      for await (const info of store.list(prefix)) keys.push(info.key);
    }
    expect(keys).toEqual(expect.arrayContaining(summary.corrupt.map((c) => c.key)));
    const reading = readRawEvents({
      store,
      tenantId: tenant.id,
      keys,
      window,
      policy: 'quarantine',
      quarantineDate: '2026-03-01',
      registry: new SchemaRegistry(store),
      fields: ['accountId', 'type'],
    });
    let yielded = 0;
    for await (const event of reading.events) {
      expect(event.occurredAt).toBeGreaterThanOrEqual(window.startMs);
      yielded++;
    }
    const { counts, quarantineKeys } = reading.result();
    expect(counts.accepted).toBe(yielded);
    expect(counts.quarantined).toBe(2000);
    expect(counts.read).toBe(counts.accepted + counts.quarantined + counts.duplicates + counts.outOfWindow);
    expect(counts.accepted).toBeGreaterThan(2000);
    expect(quarantineKeys).toHaveLength(3);
    for (const key of quarantineKeys) expect(await store.exists(key)).toBe(true);
  });
});
