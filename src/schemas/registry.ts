import * as avro from 'avsc';
import { createHash } from 'node:crypto';
import { AlreadyExistsError, CorruptDataError, IncompatibleSchemaError, InvalidInputError } from '../common/errors';
import type { ObjectStore } from '../storage/object-store';
import { NotFoundError } from '../storage/object-store';
import { findIncompatibility } from './compatibility';
import { rabinFingerprint } from './rabin';

/**
 * A schema registry kept in the object store, so it needs no server of its own.
 *
 *   registry/schemas/<sha256>.json                       a schema, addressed by the sha256 of its canonical form
 *   registry/rabin/<crc64 hex>.json                      CRC-64-AVRO -> sha256, for single-object encoding
 *   registry/subjects/<subject>/versions/<000001>.json   a subject's versions, in order
 *   registry/subjects/<subject>/fingerprints/<sha256>.json   which version a schema already is (idempotency)
 *
 * Every object is written with a conditional create: schema objects are content-addressed (a second
 * writer finds the same bytes there), and two registrations racing for the same version number make
 * one of them retry against the new latest.
 */

export interface RegisteredSchema {
  /** sha256 (hex) of the Parsing Canonical Form: the registry's address for the schema. */
  fingerprint: string;
  /** CRC-64-AVRO (Rabin) of the canonical form, 16 hex digits, as single-object encoding carries it. */
  rabin: string;
  canonical: string;
  /** The schema as registered: docs, aliases, defaults and logical types kept (the canonical form drops them). */
  schema: avro.Schema;
}

export interface SubjectVersion {
  subject: string;
  version: number;
  fingerprint: string;
  /** False when the schema was already this version of the subject (nothing was written). */
  created: boolean;
}

const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_RACE_RETRIES = 5;
export const SINGLE_OBJECT_MARKER = Buffer.from([0xc3, 0x01]);

/** The Parsing Canonical Form: avsc's Type#schema() without options produces it (and avsc's fingerprint() is its md5). */
export function canonicalForm(schema: avro.Schema | avro.Type): string {
  const type = schema instanceof avro.Type ? schema : avro.Type.forSchema(schema);
  return JSON.stringify(type.schema());
}

/** sha256 (hex) of the canonical form. */
export function schemaFingerprint(schema: avro.Schema | avro.Type): string {
  return createHash('sha256').update(canonicalForm(schema)).digest('hex');
}

function rabinHex(canonical: string): string {
  return rabinFingerprint(canonical).toString(16).padStart(16, '0');
}

function parseSchema(schema: avro.Schema, context: string): avro.Type {
  try {
    return avro.Type.forSchema(schema);
  } catch (error) {
    throw new InvalidInputError(`${context}: not a valid Avro schema: ${(error as Error).message}`);
  }
}

export class SchemaRegistry {
  private readonly byFingerprint = new Map<string, RegisteredSchema>();
  private readonly byRabin = new Map<string, RegisteredSchema>();
  private readonly types = new Map<string, avro.Type>();
  private readonly resolvers = new Map<string, avro.Resolver>();

  constructor(
    private readonly store: ObjectStore,
    /** Where in the store the registry lives; a partition thread opens its own registry by it. */
    readonly prefix = 'registry',
  ) {}

  private subjectPrefix(subject: string): string {
    if (!SUBJECT.test(subject) || subject.includes('..'))
      throw new InvalidInputError(`schema subject ${JSON.stringify(subject)} is invalid: use [A-Za-z0-9._-]`);
    return `${this.prefix}/subjects/${subject}/`;
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    try {
      return JSON.parse((await this.store.getBytes(key)).toString('utf8')) as T;
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  private async createJson(key: string, value: unknown): Promise<boolean> {
    try {
      await this.store.put(key, Buffer.from(JSON.stringify(value)), {
        ifNoneMatch: true,
        contentType: 'application/json',
      });
      return true;
    } catch (error) {
      if (error instanceof AlreadyExistsError) return false;
      throw error;
    }
  }

  /**
   * Registers `schema` as the next version of `subject`. Idempotent: a schema that already is a
   * version of the subject returns that version and writes nothing. A new version must be able to
   * read data written with the latest one, or IncompatibleSchemaError names the field and the reason.
   */
  async register(subject: string, schema: avro.Schema): Promise<SubjectVersion> {
    const subjectPrefix = this.subjectPrefix(subject);
    const type = parseSchema(schema, `subject ${subject}`);
    const canonical = canonicalForm(type);
    const fingerprint = createHash('sha256').update(canonical).digest('hex');
    const known = `${subjectPrefix}fingerprints/${fingerprint}.json`;

    for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
      const existing = await this.readJson<SubjectVersion>(known);
      if (existing) return { ...existing, created: false };
      const latest = await this.latest(subject);
      if (latest) {
        // A crash between the version object and its fingerprint index leaves the schema as the
        // latest version without an index entry: repair the index instead of adding a version.
        if (latest.fingerprint === fingerprint) {
          await this.createJson(known, { subject, version: latest.version, fingerprint });
          return { subject, version: latest.version, fingerprint, created: false };
        }
        const latestType = await this.typeOf(latest.fingerprint);
        const problem = findIncompatibility(type, latestType);
        if (problem)
          throw new IncompatibleSchemaError(
            `schema for subject ${subject} is not backward compatible with version ${latest.version}: ` +
              `field ${JSON.stringify(problem.field)}: ${problem.reason}`,
          );
      }
      await this.storeSchema({ fingerprint, rabin: rabinHex(canonical), canonical, schema });
      const version = (latest?.version ?? 0) + 1;
      const entry = { subject, version, fingerprint };
      if (await this.createJson(`${subjectPrefix}versions/${String(version).padStart(6, '0')}.json`, entry)) {
        await this.createJson(known, entry);
        return { ...entry, created: true };
      }
      // Someone else took this version number: check again against the new latest.
    }
    throw new Error(`subject ${subject}: gave up registering after ${MAX_RACE_RETRIES} concurrent registrations`);
  }

  private async storeSchema(registered: RegisteredSchema): Promise<void> {
    await this.createJson(`${this.prefix}/schemas/${registered.fingerprint}.json`, registered);
    if (
      !(await this.createJson(`${this.prefix}/rabin/${registered.rabin}.json`, { fingerprint: registered.fingerprint }))
    ) {
      const other = await this.readJson<{ fingerprint: string }>(`${this.prefix}/rabin/${registered.rabin}.json`);
      if (other && other.fingerprint !== registered.fingerprint)
        throw new IncompatibleSchemaError(
          `schema ${registered.fingerprint} has the same CRC-64-AVRO fingerprint ${registered.rabin} as schema ${other.fingerprint}; single-object encoding could not tell them apart`,
        );
    }
  }

  /** The versions of a subject, oldest first. */
  async versions(subject: string): Promise<Omit<SubjectVersion, 'created'>[]> {
    const out: Omit<SubjectVersion, 'created'>[] = [];
    for await (const info of this.store.list(`${this.subjectPrefix(subject)}versions/`)) {
      const entry = await this.readJson<SubjectVersion>(info.key);
      if (entry) out.push({ subject: entry.subject, version: entry.version, fingerprint: entry.fingerprint });
    }
    return out;
  }

  async latest(subject: string): Promise<Omit<SubjectVersion, 'created'> | undefined> {
    let last: string | undefined;
    for await (const info of this.store.list(`${this.subjectPrefix(subject)}versions/`)) last = info.key;
    if (!last) return undefined;
    const entry = await this.readJson<SubjectVersion>(last);
    return entry && { subject: entry.subject, version: entry.version, fingerprint: entry.fingerprint };
  }

  /** A schema by its sha256 fingerprint; undefined when it was never registered. */
  async lookup(fingerprint: string): Promise<RegisteredSchema | undefined> {
    if (!SHA256.test(fingerprint))
      throw new InvalidInputError(`schema fingerprint ${JSON.stringify(fingerprint)} is not sha256 hex`);
    const cached = this.byFingerprint.get(fingerprint);
    if (cached) return cached;
    const found = await this.readJson<RegisteredSchema>(`${this.prefix}/schemas/${fingerprint}.json`);
    if (!found) return undefined;
    // Content-addressed objects never change, so a hit can be cached for the registry's lifetime.
    this.byFingerprint.set(fingerprint, found);
    return found;
  }

  /** A schema by its CRC-64-AVRO fingerprint (16 hex digits), as single-object encoding addresses it. */
  async lookupRabin(rabin: string): Promise<RegisteredSchema | undefined> {
    const cached = this.byRabin.get(rabin);
    if (cached) return cached;
    if (!/^[0-9a-f]{16}$/.test(rabin))
      throw new InvalidInputError(`rabin fingerprint ${JSON.stringify(rabin)} is not 16 hex digits`);
    const index = await this.readJson<{ fingerprint: string }>(`${this.prefix}/rabin/${rabin}.json`);
    const found = index && (await this.lookup(index.fingerprint));
    if (found) this.byRabin.set(rabin, found);
    return found;
  }

  /** The avsc type of a registered schema (cached). */
  async typeOf(fingerprint: string): Promise<avro.Type> {
    let type = this.types.get(fingerprint);
    if (!type) {
      const found = await this.lookup(fingerprint);
      if (!found) throw new InvalidInputError(`schema ${fingerprint} is not registered`);
      type = avro.Type.forSchema(found.schema);
      this.types.set(fingerprint, type);
    }
    return type;
  }

  /**
   * Avro single-object encoding: 0xC3 0x01, the writer schema's CRC-64-AVRO fingerprint (8 bytes,
   * little-endian), then the binary body. The writer schema must be registered, so that any reader
   * can find it again.
   */
  async encodeMessage(fingerprint: string, value: unknown): Promise<Buffer> {
    const found = await this.lookup(fingerprint);
    if (!found)
      throw new InvalidInputError(`schema ${fingerprint} is not registered; register it before encoding with it`);
    const header = Buffer.alloc(10);
    SINGLE_OBJECT_MARKER.copy(header, 0);
    header.writeBigUInt64LE(BigInt(`0x${found.rabin}`), 2);
    return Buffer.concat([header, (await this.typeOf(fingerprint)).toBuffer(value)]);
  }

  /** Decodes a single-object message, resolving its writer schema (from the registry) to `readerType`. */
  async decodeMessage<T>(message: Buffer, readerType: avro.Type): Promise<T> {
    if (message.length < 10 || !message.subarray(0, 2).equals(SINGLE_OBJECT_MARKER))
      throw new CorruptDataError('message is not Avro single-object encoded (no 0xC3 0x01 marker)', '(message)', 0);
    const rabin = message.readBigUInt64LE(2).toString(16).padStart(16, '0');
    const writer = await this.lookupRabin(rabin);
    if (!writer) throw new CorruptDataError(`unknown schema fingerprint ${rabin} (CRC-64-AVRO)`, '(message)', 2);
    const resolver = await this.resolver(writer.fingerprint, readerType);
    try {
      return readerType.fromBuffer(message.subarray(10), resolver) as T;
    } catch (error) {
      throw new CorruptDataError(`undecodable message body: ${(error as Error).message}`, '(message)', 10);
    }
  }

  /** A resolver from a registered writer schema to `readerType`, built once per pair. */
  async resolver(writerFingerprint: string, readerType: avro.Type): Promise<avro.Resolver> {
    const key = `${writerFingerprint}>${schemaFingerprint(readerType)}`;
    let resolver = this.resolvers.get(key);
    if (!resolver) {
      resolver = readerType.createResolver(await this.typeOf(writerFingerprint));
      this.resolvers.set(key, resolver);
    }
    return resolver;
  }
}
