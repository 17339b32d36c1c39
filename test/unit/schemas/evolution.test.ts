import * as avro from 'avsc';
import { describe, expect, it } from 'vitest';
import type { RawEvent } from '../../../src/common/events';
import { findIncompatibility } from '../../../src/schemas/compatibility';
import type { RawEventV1, RawEventV2 } from '../../../src/schemas/raw-event-schemas';
import { RAW_EVENT_READER_TYPE, RAW_EVENT_SCHEMAS, RAW_EVENT_TYPES } from '../../../src/schemas/raw-event-schemas';

// 0.1 is not a float: reading a v1/v2 float as a v3 double gives the float's exact value.
const v1Event: RawEventV1 = {
  eventId: 'e-1',
  tenantId: 'acme',
  accountId: 'a-1',
  user: 'ü-👩‍💻',
  type: 'invoice_paid',
  occurredAt: Date.parse('2026-03-08T07:30:00Z'),
  value: 0.1,
  properties: { title: 'שלום', name: 'e\u0301' },
};
const v2Event: RawEventV2 = { ...v1Event, sessionId: 's-9' };
const v3Event: RawEvent = {
  eventId: 'e-3',
  tenantId: 'acme',
  accountId: 'a-3',
  userId: 'u-3',
  type: 'login',
  occurredAt: 1,
  value: 0.1,
  properties: {},
  sessionId: null,
};

function read(writer: avro.Type, value: unknown): RawEvent {
  return RAW_EVENT_READER_TYPE.fromBuffer(
    writer.toBuffer(value),
    RAW_EVENT_READER_TYPE.createResolver(writer),
  ) as RawEvent;
}

describe('raw event evolution: every writer version against the current reader (v3)', () => {
  it('v1 > v3: user carried into userId, sessionId defaulted to null, float widened to double', () => {
    const event = read(RAW_EVENT_TYPES[1], v1Event);
    expect(event.userId).toBe('ü-👩‍💻');
    expect('user' in event).toBe(false);
    expect(event.sessionId).toBeNull();
    expect(event.value).toBe(Math.fround(0.1));
    expect(event.value).not.toBe(0.1);
    expect(event.properties).toEqual({ title: 'שלום', name: 'e\u0301' });
    expect(event.occurredAt).toBe(v1Event.occurredAt);
  });

  it('v2 > v3: user carried into userId, sessionId kept, float widened to double', () => {
    const event = read(RAW_EVENT_TYPES[2], v2Event);
    expect(event).toEqual({
      eventId: 'e-1',
      tenantId: 'acme',
      accountId: 'a-1',
      userId: 'ü-👩‍💻',
      type: 'invoice_paid',
      occurredAt: v1Event.occurredAt,
      value: Math.fround(0.1),
      properties: { title: 'שלום', name: 'e\u0301' },
      sessionId: 's-9',
    });
  });

  it('v3 > v3: identity, the double keeps its full precision', () => {
    expect({ ...read(RAW_EVENT_TYPES[3], v3Event) }).toEqual(v3Event);
    expect(read(RAW_EVENT_TYPES[3], v3Event).value).toBe(0.1);
  });

  it('every pair (writer <= reader) resolves, and no older reader loses a field silently', () => {
    for (const writer of [1, 2, 3] as const)
      expect(findIncompatibility(RAW_EVENT_READER_TYPE, RAW_EVENT_TYPES[writer]), `v${writer} > v3`).toBeUndefined();
  });

  it('refuses an incompatible change: narrowing value back to float', () => {
    const narrowed = avro.Type.forSchema({
      ...(RAW_EVENT_SCHEMAS[3] as object),
      fields: (RAW_EVENT_SCHEMAS[3] as { fields: { name: string }[] }).fields.map((f) =>
        f.name === 'value' ? { ...f, type: 'float' } : f,
      ),
    } as avro.Schema);
    expect(() => narrowed.createResolver(RAW_EVENT_TYPES[3])).toThrow();
    expect(findIncompatibility(narrowed, RAW_EVENT_TYPES[3])).toEqual({
      field: 'value',
      reason: expect.stringMatching(/^type changed from double to float/) as string,
    });
  });
});
