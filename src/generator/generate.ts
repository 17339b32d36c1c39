import type * as avro from 'avsc';
import { addDays, assertDay } from '../common/days';
import { InvalidInputError } from '../common/errors';
import type { RawEvent } from '../common/events';
import { attributesKey, rawEventsKey } from '../common/keys';
import type { LocalDayWindow } from '../common/local-day';
import { localDayWindow } from '../common/local-day';
import type { TenantConfig } from '../workflows/tenants/tenant-config';
import { parseTenantsFile } from '../workflows/tenants/tenant-config';
import { loadSchema } from '../schemas/avro-container';
import { encodeOcf, ocfChunks } from '../schemas/ocf';
import type { RawEventVersion } from '../schemas/raw-event-schemas';
import { RAW_EVENT_SCHEMAS, RAW_EVENT_SUBJECT, RAW_EVENT_VERSIONS } from '../schemas/raw-event-schemas';
import { SchemaRegistry } from '../schemas/registry';
import type { ObjectStore } from '../storage/object-store';
import { AccountTable, MAX_ACCOUNTS } from './accounts';
import type { HourContext } from './hours';
import { HOUR_MS, asWriterRecord, expectedEvents, makeEvent, pickWriterVersion } from './hours';
import { Rng, WeightedPicker } from './random';
import { generateTenants } from './tenants';
import { propertyPool } from './text';

export const DEFAULT_START_DAY = '2026-03-01';
export const TENANTS_CONFIG_KEY = 'config/tenants.json';
export const ATTRIBUTES_SUBJECT = 'daybreak.attributes.AccountAttributes';
const ATTRIBUTES_SCHEMA = loadSchema('account-attributes.avsc');
const RAW_FILE = 'events.avro';
/** Share of events that arrive late (up to ~2 h, in a later hour's partition) and that are sent twice. */
const LATE_SHARE = 0.02;
const DUPLICATE_SHARE = 0.003;
/** Accounts without `accounts`: one per 50 events a day, 25 to 20,000 (the default since the generator's first version). */
const DEFAULT_MAX_ACCOUNTS = 20_000;
/**
 * With `accounts`, an account is active on a day with probability min(1, ACTIVE_SCALE x its
 * activity weight): about a fifth of the accounts of a day send events (the Pareto weights put
 * most accounts near 1), and the heavy tail is active every day.
 */
const ACTIVE_SCALE = 0.06;

export interface GenerateOptions {
  tenants: number;
  days: number;
  eventsPerDay: number;
  seed: string;
  /** First local day generated for every tenant (default 2026-03-01: the month holds both DST changes of NY and Havana, and Berlin's spring one). */
  startDay?: string;
  /** Plant a truncated file, a bad sync marker and an unregistered writer schema (see PlantedCorruption). */
  corrupt?: boolean;
  /** Tenants generated at the same time (output does not depend on it). */
  concurrency?: number;
  blockRecords?: number;
  deflateLevel?: number;
  /**
   * Accounts per tenant (1 to 50,000,000). Given, most accounts are quiet on a given day (see
   * ACTIVE_SCALE) and the busy ones carry the day; without it, one account per 50 events a day
   * (25 to 20,000), every one of them active, as before the option existed (same bytes).
   */
  accounts?: number;
  /** Called after each tenant's local day is written. */
  onProgress?: (progress: { tenantId: string; day: string; events: number }) => void;
}

export interface PlantedCorruption {
  kind: 'truncated' | 'bad-sync' | 'unknown-schema';
  tenantId: string;
  key: string;
  /** Records the file declares (in its blocks' headers). */
  records: number;
  /** Of these, the records a reader cannot use (quarantined under the quarantine policy). */
  badRecords: number;
  description: string;
}

export interface GenerateSummary {
  store: string;
  seed: string;
  startDay: string;
  days: number;
  tenants: TenantConfig[];
  tenantsConfigKey: string;
  /** Records written to raw files, duplicates included, planted corrupt files excluded. */
  events: number;
  eventsByWriterVersion: Record<RawEventVersion, number>;
  duplicates: number;
  lateEvents: number;
  rawFiles: number;
  attributeFiles: number;
  bytes: number;
  durationMs: number;
  eventsPerSecond: number;
  /** Peak resident set size of the process so far (bytes). */
  peakRssBytes: number;
  corrupt: PlantedCorruption[];
}

interface TenantTotals {
  events: number;
  byVersion: Record<RawEventVersion, number>;
  duplicates: number;
  late: number;
  rawFiles: number;
  attributeFiles: number;
  bytes: number;
}

function validate(options: GenerateOptions): void {
  const positive = (name: string, v: number, max: number) => {
    if (!Number.isInteger(v) || v < 1 || v > max)
      throw new InvalidInputError(`${name} ${v} must be an integer from 1 to ${max}`);
  };
  positive('tenants', options.tenants, 1000);
  positive('days', options.days, 3660);
  positive('eventsPerDay', options.eventsPerDay, 100_000_000);
  if (!options.seed) throw new InvalidInputError('seed must not be empty');
  if (options.startDay) assertDay(options.startDay, 'startDay');
  if (options.accounts !== undefined) positive('accounts', options.accounts, MAX_ACCOUNTS);
}

/**
 * Generates a realistic multi-tenant stretch of raw events, attribute snapshots, the tenants file and
 * the schema registry into `store`. Deterministic: the same options give byte-identical objects (every
 * random stream derives from the seed and a label; sync markers come from the seed too). Memory is
 * bounded by one block per open file plus the late and duplicate events waiting for a later hour
 * (~2% of two hours of one tenant), never a day of events.
 */
export async function generate(options: GenerateOptions, store: ObjectStore): Promise<GenerateSummary> {
  validate(options);
  const started = process.hrtime.bigint();
  const startDay = options.startDay ?? DEFAULT_START_DAY;
  const root = new Rng(options.seed, 'daybreak-generator');
  const tenants = parseTenantsFile({ tenants: generateTenants(options.tenants, root.fork('tenants')) }).tenants;

  const registry = new SchemaRegistry(store);
  for (const version of RAW_EVENT_VERSIONS) await registry.register(RAW_EVENT_SUBJECT, RAW_EVENT_SCHEMAS[version]);
  await registry.register(ATTRIBUTES_SUBJECT, ATTRIBUTES_SCHEMA);
  await store.put(TENANTS_CONFIG_KEY, Buffer.from(JSON.stringify({ tenants }, null, 2) + '\n'), {
    contentType: 'application/json',
  });

  const totals: TenantTotals[] = [];
  const corrupt: PlantedCorruption[] = [];
  const queue = tenants.map((tenant, index) => ({ tenant, index }));
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const generator = new TenantGenerator(store, options, startDay, next.tenant);
      totals.push(await generator.run());
      if (options.corrupt && next.index === 0) corrupt.push(...(await generator.plantCorruption()));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 2) }, worker));

  const sum = (pick: (t: TenantTotals) => number) => totals.reduce((a, t) => a + pick(t), 0);
  const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
  const events = sum((t) => t.events);
  return {
    store: store.description,
    seed: options.seed,
    startDay,
    days: options.days,
    tenants,
    tenantsConfigKey: TENANTS_CONFIG_KEY,
    events,
    eventsByWriterVersion: {
      1: sum((t) => t.byVersion[1]),
      2: sum((t) => t.byVersion[2]),
      3: sum((t) => t.byVersion[3]),
    },
    duplicates: sum((t) => t.duplicates),
    lateEvents: sum((t) => t.late),
    rawFiles: sum((t) => t.rawFiles),
    attributeFiles: sum((t) => t.attributeFiles),
    bytes: sum((t) => t.bytes),
    durationMs,
    eventsPerSecond: Math.round(events / (durationMs / 1000)),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    corrupt,
  };
}

interface Segment {
  startMs: number;
  endMs: number;
  dayIndex: number;
  count: number;
}

/** One tenant's days, hour partition by hour partition. */
class TenantGenerator {
  private readonly rng: Rng;
  private readonly windows: LocalDayWindow[];
  private readonly accounts: AccountTable;
  private readonly properties: Record<string, string>[];
  /** Late and re-sent events waiting for the (later) hour partition they land in, by hour start. */
  private readonly pending = new Map<number, RawEvent[]>();
  private readonly totals: TenantTotals = {
    events: 0,
    byVersion: { 1: 0, 2: 0, 3: 0 },
    duplicates: 0,
    late: 0,
    rawFiles: 0,
    attributeFiles: 0,
    bytes: 0,
  };
  private picker = new WeightedPicker([]);

  constructor(
    private readonly store: ObjectStore,
    private readonly options: GenerateOptions,
    startDay: string,
    private readonly tenant: TenantConfig,
  ) {
    this.rng = new Rng(options.seed, `tenant/${tenant.id}`);
    this.windows = Array.from({ length: options.days }, (_, i) =>
      localDayWindow(addDays(startDay, i), tenant.timeZone),
    );
    const accountCount =
      options.accounts ?? Math.min(DEFAULT_MAX_ACCOUNTS, Math.max(25, Math.round(options.eventsPerDay / 50)));
    this.accounts = new AccountTable(this.rng.fork('accounts'), accountCount, startDay);
    this.properties = propertyPool(this.rng.fork('properties'));
  }

  async run(): Promise<TenantTotals> {
    const { windows } = this;
    const lastEnd = windows[windows.length - 1].endMs;
    let nextDay = 0;
    let dayEvents = 0;
    for (
      let hour = Math.floor(windows[0].startMs / HOUR_MS) * HOUR_MS;
      hour < lastEnd || this.pending.size;
      hour += HOUR_MS
    ) {
      while (nextDay < windows.length && windows[nextDay].startMs < hour + HOUR_MS) {
        if (nextDay > 0) {
          this.options.onProgress?.({ tenantId: this.tenant.id, day: windows[nextDay - 1].day, events: dayEvents });
          dayEvents = 0;
          this.accounts.step(this.rng.fork(`step/${windows[nextDay].day}`));
        }
        await this.writeAttributes(windows[nextDay].day);
        this.picker = new WeightedPicker(this.dayWeights(windows[nextDay].day));
        nextDay++;
      }
      dayEvents += await this.writeHour(hour);
    }
    this.options.onProgress?.({ tenantId: this.tenant.id, day: windows[windows.length - 1].day, events: dayEvents });
    return this.totals;
  }

  /** The day's weight of each account for picking an event's account: 0 for the accounts quiet that day. */
  private dayWeights(day: string): Float64Array {
    const weights = this.accounts.activityWeights();
    // Only with `accounts`: the gate's fork draws from the tenant's stream, which would change every default byte.
    if (this.options.accounts === undefined) return weights;
    const gate = this.rng.fork(`active/${day}`);
    for (let i = 0; i < weights.length; i++) if (!gate.chance(ACTIVE_SCALE * weights[i])) weights[i] = 0;
    return weights;
  }

  private async writeAttributes(day: string): Promise<void> {
    const put = await this.store.put(
      attributesKey(this.tenant.id, day),
      encodeOcf({
        schema: ATTRIBUTES_SCHEMA,
        records: this.accounts.attributeRecords(this.tenant.id),
        sync: this.rng.fork(`sync/attributes/${day}`).bytes(16),
      }),
    );
    this.totals.attributeFiles++;
    this.totals.bytes += put.bytes;
  }

  /** The parts of [hour, hour + 1h) inside a generated local day, with their expected event counts. */
  private segments(hour: number, rng: Rng): Segment[] {
    const out: Segment[] = [];
    this.windows.forEach((w, dayIndex) => {
      const startMs = Math.max(hour, w.startMs);
      const endMs = Math.min(hour + HOUR_MS, w.endMs);
      if (startMs >= endMs) return;
      const { hour: localHour, weekday } = localClock(startMs, this.tenant.timeZone);
      const expected = expectedEvents(this.options.eventsPerDay, localHour, weekday, endMs - startMs);
      out.push({ startMs, endMs, dayIndex, count: Math.round(expected * (0.85 + 0.3 * rng.float())) });
    });
    return out;
  }

  private async writeHour(hour: number): Promise<number> {
    const rng = this.rng.fork(`hour/${hour}`);
    const segments = this.segments(hour, rng);
    const arriving = this.pending.get(hour) ?? [];
    this.pending.delete(hour);
    if (segments.reduce((a, s) => a + s.count, 0) + arriving.length === 0) return 0;
    const lastDay = this.windows.length - 1;
    const version = pickWriterVersion(rng, segments.length ? segments[0].dayIndex / Math.max(1, lastDay) : 1);
    const sync = rng.bytes(16);
    const totals = this.totals;
    let written = 0;
    const pending = this.pending;
    const defer = (at: number, event: RawEvent) => {
      const list = pending.get(at);
      if (list) list.push(event);
      else pending.set(at, [event]);
    };
    const ctx: HourContext = {
      tenantId: this.tenant.id,
      accounts: this.accounts,
      picker: this.picker,
      properties: this.properties,
      dayIndex: 0,
    };
    function* records(): Generator<object> {
      for (const segment of segments) {
        ctx.dayIndex = segment.dayIndex;
        for (let i = 0; i < segment.count; i++) {
          const event = makeEvent(rng, ctx, segment.startMs, segment.endMs);
          if (rng.chance(LATE_SHARE)) {
            const arrival = event.occurredAt + 300_000 + Math.floor(rng.float() * 6_900_000);
            const partition = Math.floor(arrival / HOUR_MS) * HOUR_MS;
            if (partition > hour) {
              totals.late++;
              defer(partition, event);
              continue;
            }
          }
          written++;
          yield asWriterRecord(event, version);
          if (rng.chance(DUPLICATE_SHARE)) {
            // A producer retry: the same event again, in this file or in the next hour's.
            totals.duplicates++;
            if (rng.chance(0.5)) {
              written++;
              yield asWriterRecord(event, version);
            } else defer(hour + HOUR_MS, event);
          }
        }
      }
      for (const event of arriving) {
        written++;
        yield asWriterRecord(event, version);
      }
    }
    const date = new Date(hour).toISOString();
    const put = await this.store.put(
      rawEventsKey(this.tenant.id, { date: date.slice(0, 10), hour: Number(date.slice(11, 13)) }, RAW_FILE),
      encodeOcf({
        schema: RAW_EVENT_SCHEMAS[version],
        records: records(),
        sync,
        blockRecords: this.options.blockRecords,
        level: this.options.deflateLevel,
      }),
    );
    totals.rawFiles++;
    totals.bytes += put.bytes;
    totals.events += written;
    totals.byVersion[version] += written;
    return written;
  }

  /**
   * Plants three bad files next to the first day's local-noon partition of this tenant, each with
   * fresh events (ids prefixed "corrupt-") so a reader's counts can be checked exactly.
   */
  async plantCorruption(): Promise<PlantedCorruption[]> {
    const noon = this.windows[0].startMs + 12 * HOUR_MS;
    const hour = Math.floor(noon / HOUR_MS) * HOUR_MS;
    const iso = new Date(hour).toISOString();
    const utcHour = { date: iso.slice(0, 10), hour: Number(iso.slice(11, 13)) };
    const rng = this.rng.fork('corrupt');
    const ctx: HourContext = {
      tenantId: this.tenant.id,
      accounts: this.accounts,
      picker: new WeightedPicker(this.accounts.activityWeights()),
      properties: this.properties,
      dayIndex: 0,
    };
    const events = (kind: string, n: number, version: RawEventVersion) =>
      Array.from({ length: n }, (_, i) => {
        const event = makeEvent(rng, ctx, hour, hour + HOUR_MS);
        return asWriterRecord({ ...event, eventId: `corrupt-${kind}-${i}` }, version);
      });
    const blocks = async (schema: avro.Schema, records: object[]) => {
      const out: Buffer[] = [];
      for await (const chunk of ocfChunks({ schema, records, sync: rng.bytes(16), blockRecords: 500 })) out.push(chunk);
      return out;
    };
    const planted: PlantedCorruption[] = [];
    const plant = async (
      kind: PlantedCorruption['kind'],
      body: Buffer,
      records: number,
      badRecords: number,
      description: string,
    ) => {
      const key = rawEventsKey(this.tenant.id, utcHour, `corrupt-${kind}.avro`);
      await this.store.put(key, body);
      planted.push({ kind, tenantId: this.tenant.id, key, records, badRecords, description });
    };

    const truncated = await blocks(RAW_EVENT_SCHEMAS[3], events('truncated', 1500, 3));
    const last = truncated[3];
    await plant(
      'truncated',
      Buffer.concat([...truncated.slice(0, 3), last.subarray(0, Math.floor(last.length / 2))]),
      1500,
      500,
      'v3 file of 3 blocks of 500 records, cut in the middle of the third block',
    );

    const badSync = await blocks(RAW_EVENT_SCHEMAS[2], events('bad-sync', 1500, 2));
    const second = Buffer.from(badSync[2]);
    second[second.length - 1] ^= 0xff;
    await plant(
      'bad-sync',
      Buffer.concat([badSync[0], badSync[1], second, badSync[3]]),
      1500,
      500,
      'v2 file of 3 blocks of 500 records; the sync marker after the second block has its last byte flipped',
    );

    const base = RAW_EVENT_SCHEMAS[3] as { fields: object[] };
    const unregistered = {
      ...(RAW_EVENT_SCHEMAS[3] as object),
      doc: 'A producer build that was never registered.',
      fields: [...base.fields, { name: 'experiment', type: 'string', default: 'control' }],
    } as avro.Schema;
    const unknown = events('unknown-schema', 1000, 3).map((e) => ({ ...e, experiment: 'variant-b 🧪' }));
    await plant(
      'unknown-schema',
      Buffer.concat(await blocks(unregistered, unknown)),
      1000,
      1000,
      'v3 plus an "experiment" field: readable, but its writer schema fingerprint is not in the registry',
    );
    return planted;
  }
}

const clocks = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** The local hour (0-23) and weekday (0 = Sunday) of an instant in a time zone. */
export function localClock(ms: number, timeZone: string): { hour: number; weekday: number } {
  let f = clocks.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', weekday: 'short', hourCycle: 'h23' });
    clocks.set(timeZone, f);
  }
  let hour = 0;
  let weekday = 0;
  for (const part of f.formatToParts(ms)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'weekday') weekday = WEEKDAYS.indexOf(part.value);
  }
  return { hour, weekday };
}
