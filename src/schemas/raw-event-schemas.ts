import * as avro from 'avsc';
import type { RawEvent } from '../common/events';
import { loadSchema } from './avro-container';

/**
 * The raw-event schemas producers write, by producer version, and the current reader schema (v3).
 * The registry subject they are registered under is RAW_EVENT_SUBJECT.
 */
export const RAW_EVENT_SUBJECT = 'daybreak.events.RawEvent';

export type RawEventVersion = 1 | 2 | 3;
export const RAW_EVENT_VERSIONS: RawEventVersion[] = [1, 2, 3];

export const RAW_EVENT_SCHEMAS: Record<RawEventVersion, avro.Schema> = {
  1: loadSchema('raw-event.v1.avsc'),
  2: loadSchema('raw-event.v2.avsc'),
  3: loadSchema('raw-event.v3.avsc'),
};

export const RAW_EVENT_TYPES: Record<RawEventVersion, avro.Type> = {
  1: avro.Type.forSchema(RAW_EVENT_SCHEMAS[1]),
  2: avro.Type.forSchema(RAW_EVENT_SCHEMAS[2]),
  3: avro.Type.forSchema(RAW_EVENT_SCHEMAS[3]),
};

/** The current reader schema. */
export const RAW_EVENT_READER_SCHEMA = RAW_EVENT_SCHEMAS[3];
export const RAW_EVENT_READER_TYPE = RAW_EVENT_TYPES[3];

/**
 * Fields every projection keeps: the reader needs them to drop duplicates, filter the window and
 * refuse records of another tenant.
 */
export const ALWAYS_READ_FIELDS: (keyof RawEvent)[] = ['eventId', 'tenantId', 'occurredAt'];

/**
 * The v3 reader schema reduced to `fields` (plus ALWAYS_READ_FIELDS). Resolving a writer schema to
 * it makes avsc skip the other fields' bytes instead of materializing them.
 */
export function projectedReaderType(fields?: (keyof RawEvent)[]): avro.Type {
  if (!fields) return RAW_EVENT_READER_TYPE;
  const keep = new Set<string>([...ALWAYS_READ_FIELDS, ...fields]);
  const schema = RAW_EVENT_READER_SCHEMA as avro.schema.RecordType;
  const unknown = [...keep].filter((name) => !schema.fields.some((f) => f.name === name));
  if (unknown.length) throw new Error(`unknown raw event field(s): ${unknown.join(', ')}`);
  return avro.Type.forSchema({ ...schema, fields: schema.fields.filter((f) => keep.has(f.name)) });
}

/** The user field is named `user` before v3. */
export interface RawEventV1 {
  eventId: string;
  tenantId: string;
  accountId: string;
  user: string;
  type: string;
  occurredAt: number;
  value: number;
  properties: Record<string, string>;
}
export interface RawEventV2 extends RawEventV1 {
  sessionId: string | null;
}
