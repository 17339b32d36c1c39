import type * as avro from 'avsc';
import type { RawEvent } from '../common/events';

/**
 * One block of raw events, decoded into columns instead of objects: the metric engine's input.
 * String fields are (offset, length) pairs into `bytes`, the block's decompressed bytes, so no JS
 * string is made for an event unless the consumer needs one (a new account, user or session).
 * The arrays are reused from block to block: a block is valid until the reader decodes the next.
 */
export interface EventColumns {
  count: number;
  /** UTF-8 bytes the string columns point into. */
  bytes: Buffer;
  eventIdAt: Int32Array;
  eventIdLen: Int32Array;
  accountAt: Int32Array;
  accountLen: Int32Array;
  userAt: Int32Array;
  userLen: Int32Array;
  typeAt: Int32Array;
  typeLen: Int32Array;
  /** -1 when the event has no session id. */
  sessionAt: Int32Array;
  sessionLen: Int32Array;
  /** The tenant each record says it belongs to; the reader refuses those not of the key's tenant. */
  tenantAt: Int32Array;
  tenantLen: Int32Array;
  occurredAt: Float64Array;
  value: Float64Array;
  /** 1 when the reader accepted the record (inside the window, first occurrence of its eventId). */
  accepted: Uint8Array;
}

/** The raw-event fields the columns carry (the metric engine's projection). */
export const COLUMN_FIELDS: (keyof RawEvent)[] = [
  'eventId',
  'tenantId',
  'accountId',
  'userId',
  'type',
  'occurredAt',
  'value',
  'sessionId',
];

export function allocateColumns(capacity: number): EventColumns {
  const ints = () => new Int32Array(capacity);
  return {
    count: 0,
    bytes: Buffer.alloc(0),
    eventIdAt: ints(),
    eventIdLen: ints(),
    accountAt: ints(),
    accountLen: ints(),
    userAt: ints(),
    userLen: ints(),
    typeAt: ints(),
    typeLen: ints(),
    sessionAt: ints(),
    sessionLen: ints(),
    tenantAt: ints(),
    tenantLen: ints(),
    occurredAt: new Float64Array(capacity),
    value: new Float64Array(capacity),
    accepted: new Uint8Array(capacity),
  };
}

function ensureCapacity(columns: EventColumns, count: number): EventColumns {
  return columns.eventIdAt.length >= count ? columns : allocateColumns(Math.max(count, columns.eventIdAt.length * 2));
}

// Operations of a compiled plan, one per writer field, in writer order.
const SKIP = 0;
const STRING = 1; // captured into a string column
const LONG_TIME = 2;
const INT_TIME = 3;
const DOUBLE_VALUE = 4;
const FLOAT_VALUE = 5;
const LONG_VALUE = 6;
const INT_VALUE = 7;
const SESSION_UNION = 8; // ['null', 'string'] or ['string', 'null']
const SKIP_STRING = 9;
const SKIP_STRING_MAP = 10;

const EVENT_ID = 0;
const ACCOUNT = 1;
const USER = 2;
const TYPE = 3;
const SESSION = 4;
const TENANT = 5;

type Skipper = (d: BlockDecoder) => void;

interface Plan {
  ops: Int32Array;
  /** For STRING: the column; for SESSION_UNION: the branch index of 'null'. */
  args: Int32Array;
  skippers: (Skipper | null)[];
}

/**
 * Decodes a block of raw events straight into columns, following a plan compiled from the file's
 * writer schema: fields the metric engine reads, and tenantId (which the reader checks), are
 * captured as offsets; every other field (the properties map) is skipped without being materialized. Writer schemas the plan cannot
 * express (a field promoted from bytes, a session union with other branches) return null from
 * compileColumnPlan and are decoded through avsc instead (columnsFromRecords).
 */
export class BlockDecoder {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  end = 0;
  private view: DataView = new DataView(new ArrayBuffer(8));

  constructor(private readonly plan: Plan) {}

  /** Decodes `count` records filling `data` exactly; throws (naming the record) otherwise. */
  decode(data: Buffer, count: number, reuse: EventColumns): EventColumns {
    const columns = ensureCapacity(reuse, count);
    this.buf = data;
    this.pos = 0;
    this.end = data.length;
    this.view = new DataView(data.buffer, data.byteOffset, data.length);
    columns.bytes = data;
    columns.count = count;
    const { ops, args, skippers } = this.plan;
    const ats = [
      columns.eventIdAt,
      columns.accountAt,
      columns.userAt,
      columns.typeAt,
      columns.sessionAt,
      columns.tenantAt,
    ];
    const lens = [
      columns.eventIdLen,
      columns.accountLen,
      columns.userLen,
      columns.typeLen,
      columns.sessionLen,
      columns.tenantLen,
    ];
    const { occurredAt, value, sessionAt, sessionLen } = columns;
    for (let i = 0; i < count; i++) {
      sessionAt[i] = -1;
      sessionLen[i] = 0;
      for (let f = 0; f < ops.length; f++) {
        switch (ops[f]) {
          case STRING: {
            const n = this.length();
            ats[args[f]][i] = this.pos;
            lens[args[f]][i] = n;
            this.pos += n;
            break;
          }
          case SKIP_STRING:
            this.skipBytes();
            break;
          case LONG_TIME:
            occurredAt[i] = this.long();
            break;
          case INT_TIME:
            occurredAt[i] = this.long();
            break;
          case DOUBLE_VALUE:
            this.need(8);
            value[i] = this.view.getFloat64(this.pos, true);
            this.pos += 8;
            break;
          case FLOAT_VALUE:
            this.need(4);
            value[i] = this.view.getFloat32(this.pos, true);
            this.pos += 4;
            break;
          case LONG_VALUE:
          case INT_VALUE:
            value[i] = this.long();
            break;
          case SESSION_UNION: {
            const branch = this.long();
            if (branch !== args[f]) {
              if (branch !== 1 - args[f]) throw new Error(`record ${i}: union branch ${branch} out of range`);
              const n = this.length();
              sessionAt[i] = this.pos;
              sessionLen[i] = n;
              this.pos += n;
            }
            break;
          }
          case SKIP_STRING_MAP:
            this.skipStringMap();
            break;
          default:
            skippers[f]!(this);
        }
        if (this.pos > this.end) throw new Error(`record ${i} of ${count} runs past the end of the block`);
      }
    }
    if (this.pos !== this.end) throw new Error(`${this.end - this.pos} bytes left over after ${count} records`);
    return columns;
  }

  /** A zig-zag varint long. Past the end it reads as 0 with pos beyond end, which the caller reports. */
  long(): number {
    const buf = this.buf;
    let b = buf[this.pos++];
    if (b < 0x80) return b & 1 ? -((b + 1) >>> 1) : b >>> 1;
    let n = b & 0x7f;
    let shift = 128;
    for (let k = 1; k < 10 && b & 0x80; k++) {
      b = buf[this.pos++];
      n += (b & 0x7f) * shift;
      shift *= 128;
    }
    if (b & 0x80 || b === undefined) this.pos = this.end + 1;
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }

  /** A length prefix that must be non-negative and fit in the block. */
  length(): number {
    const n = this.long();
    if (n < 0 || this.pos + n > this.end) {
      throw new Error(`a length of ${n} at byte ${this.pos} does not fit in the block of ${this.end} bytes`);
    }
    return n;
  }

  /** Skips a length-prefixed string or bytes (never `pos += length()`: pos would be read before the call). */
  skipBytes(): void {
    const n = this.length();
    this.pos += n;
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new Error(`block ends inside a ${n}-byte value at byte ${this.pos}`);
  }

  skipStringMap(): void {
    for (;;) {
      let count = this.long();
      if (count === 0) return;
      if (count < 0) {
        // A negative count is followed by the block's size in bytes, which allows a jump.
        count = -count;
        this.skipBytes();
        continue;
      }
      for (let k = 0; k < count; k++) {
        this.skipBytes();
        this.skipBytes();
      }
    }
  }
}

/** A skipper for any Avro type, for writer fields the plan has no dedicated operation for. */
function skipperFor(type: avro.Type): Skipper {
  const name = type.typeName;
  switch (name) {
    case 'null':
      return () => undefined;
    case 'boolean':
      return (d) => void (d.pos += 1);
    case 'int':
    case 'long':
    case 'enum':
      return (d) => void d.long();
    case 'float':
      return (d) => void (d.pos += 4);
    case 'double':
      return (d) => void (d.pos += 8);
    case 'string':
    case 'bytes':
      return (d) => d.skipBytes();
    case 'fixed': {
      const size = (type as avro.types.FixedType).size;
      return (d) => void (d.pos += size);
    }
    case 'array':
    case 'map': {
      const item = skipperFor(
        name === 'array'
          ? (type as avro.types.ArrayType).itemsType
          : ((type as avro.types.MapType).valuesType as avro.Type),
      );
      const isMap = name === 'map';
      return (d) => {
        for (;;) {
          let count = d.long();
          if (count === 0) return;
          if (count < 0) {
            count = -count;
            d.skipBytes();
            continue;
          }
          for (let k = 0; k < count; k++) {
            if (isMap) d.skipBytes();
            item(d);
            if (d.pos > d.end) return;
          }
        }
      };
    }
    case 'record':
    case 'error': {
      const fields = (type as avro.types.RecordType).fields.map((f) => skipperFor(f.type));
      return (d) => {
        for (const skip of fields) skip(d);
      };
    }
    default: {
      if (name.startsWith('union')) {
        const branches = (type as avro.types.UnwrappedUnionType).types.map(skipperFor);
        return (d) => {
          const branch = d.long();
          const skip = branches[branch];
          if (!skip) throw new Error(`union branch ${branch} out of range`);
          skip(d);
        };
      }
      if (name.startsWith('logical')) return skipperFor((type as avro.types.LogicalType).underlyingType);
      throw new Error(`no skipper for Avro type ${name}`);
    }
  }
}

const READER_FIELDS: Record<string, string> = {
  eventId: 'eventId',
  tenantId: 'tenantId',
  accountId: 'accountId',
  userId: 'userId',
  user: 'userId', // the v3 alias for the v1/v2 name
  type: 'type',
  occurredAt: 'occurredAt',
  value: 'value',
  sessionId: 'sessionId',
};
const STRING_COLUMNS: Record<string, number> = {
  eventId: EVENT_ID,
  tenantId: TENANT,
  accountId: ACCOUNT,
  userId: USER,
  type: TYPE,
};

function baseName(type: avro.Type): string {
  return type.typeName.startsWith('logical') ? (type as avro.types.LogicalType).underlyingType.typeName : type.typeName;
}

/**
 * Compiles the column plan for a writer schema that avsc has already resolved against the reader
 * schema (so it is compatible); null when a captured field has a shape the plan does not handle.
 */
export function compileColumnPlan(writerType: avro.Type): BlockDecoder | null {
  if (writerType.typeName !== 'record') return null;
  const fields = (writerType as avro.types.RecordType).fields;
  const ops: number[] = [];
  const args: number[] = [];
  const skippers: (Skipper | null)[] = [];
  const found = new Set<string>();
  for (const field of fields) {
    const reader = READER_FIELDS[field.name];
    const base = baseName(field.type);
    let op = SKIP;
    let arg = 0;
    if (reader === undefined || found.has(reader)) {
      op = base === 'string' ? SKIP_STRING : SKIP;
      if (base === 'map' && ((field.type as avro.types.MapType).valuesType as avro.Type).typeName === 'string')
        op = SKIP_STRING_MAP;
    } else if (reader in STRING_COLUMNS) {
      if (base !== 'string') return null;
      op = STRING;
      arg = STRING_COLUMNS[reader];
    } else if (reader === 'occurredAt') {
      if (base === 'long') op = LONG_TIME;
      else if (base === 'int') op = INT_TIME;
      else return null;
    } else if (reader === 'value') {
      const ops: Record<string, number> = {
        double: DOUBLE_VALUE,
        float: FLOAT_VALUE,
        long: LONG_VALUE,
        int: INT_VALUE,
      };
      if (!(base in ops)) return null;
      op = ops[base];
    } else if (reader === 'sessionId') {
      if (base === 'string') {
        op = STRING;
        arg = SESSION;
      } else if (base === 'null') {
        op = SKIP;
      } else if (field.type.typeName.startsWith('union')) {
        const names = (field.type as avro.types.UnwrappedUnionType).types.map((t: avro.Type) => t.typeName);
        if (names.length !== 2 || !names.includes('null') || !names.includes('string')) return null;
        op = SESSION_UNION;
        arg = names.indexOf('null');
      } else return null;
    }
    if (reader !== undefined) found.add(reader);
    ops.push(op);
    args.push(arg);
    skippers.push(op === SKIP ? skipperFor(field.type) : null);
  }
  for (const required of ['eventId', 'tenantId', 'accountId', 'userId', 'type', 'occurredAt', 'value']) {
    if (!found.has(required)) return null;
  }
  return new BlockDecoder({ ops: Int32Array.from(ops), args: Int32Array.from(args), skippers });
}

/**
 * Columns from records already decoded by avsc: the path for writer schemas compileColumnPlan does
 * not handle. The strings are re-encoded into one buffer.
 */
export function columnsFromRecords(
  records: Pick<
    RawEvent,
    'eventId' | 'tenantId' | 'accountId' | 'userId' | 'type' | 'occurredAt' | 'value' | 'sessionId'
  >[],
  reuse: EventColumns,
): EventColumns {
  const columns = ensureCapacity(reuse, records.length);
  const parts: Buffer[] = [];
  let pos = 0;
  const put = (text: string, at: Int32Array, len: Int32Array, i: number) => {
    const bytes = Buffer.from(text, 'utf8');
    parts.push(bytes);
    at[i] = pos;
    len[i] = bytes.length;
    pos += bytes.length;
  };
  records.forEach((r, i) => {
    put(r.eventId, columns.eventIdAt, columns.eventIdLen, i);
    put(r.accountId, columns.accountAt, columns.accountLen, i);
    put(r.userId, columns.userAt, columns.userLen, i);
    put(r.type, columns.typeAt, columns.typeLen, i);
    put(r.tenantId, columns.tenantAt, columns.tenantLen, i);
    if (r.sessionId === null || r.sessionId === undefined) {
      columns.sessionAt[i] = -1;
      columns.sessionLen[i] = 0;
    } else put(r.sessionId, columns.sessionAt, columns.sessionLen, i);
    columns.occurredAt[i] = r.occurredAt;
    columns.value[i] = r.value;
  });
  columns.bytes = Buffer.concat(parts, pos);
  columns.count = records.length;
  return columns;
}
