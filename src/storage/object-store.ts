import type { Readable } from 'node:stream';
import { InvalidInputError } from '../common/errors';

export interface PutOptions {
  /** Conditional create: refuse (AlreadyExistsError) when the key already exists. */
  ifNoneMatch?: boolean;
  contentType?: string;
}

export interface PutResult {
  key: string;
  bytes: number;
  /** Number of multipart parts; 1 for a single-request put. */
  parts: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  /** The store's entity tag (S3's ETag, unquoted), where the store has one; the filesystem store has none. */
  etag?: string;
}

/**
 * The one storage interface Daybreak uses: S3 in production, the local filesystem as the embedded
 * default. Both implementations pass the same contract suite (test/support/object-store-contract.ts).
 */
export interface ObjectStore {
  readonly description: string;
  /** Streams an object; rejects with NotFoundError when it does not exist. */
  get(key: string): Promise<Readable>;
  getBytes(key: string): Promise<Buffer>;
  put(key: string, body: Buffer | Readable, options?: PutOptions): Promise<PutResult>;
  /** Keys under a prefix, in lexicographic order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Deleting a missing key is not an error (idempotent). */
  delete(key: string): Promise<void>;
  exists(key: string): Promise<boolean>;
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(readonly key: string) {
    super(`object ${key} does not exist`);
  }
}

const SEGMENT = /^[A-Za-z0-9._=+@,-]+$/;

/** Keys are built by src/common/keys.ts; this guard keeps a bad one from escaping its prefix. */
export function assertObjectKey(key: string): string {
  const segments = key.split('/');
  if (!key || segments.some((s) => !SEGMENT.test(s) || s === '.' || s === '..')) {
    throw new InvalidInputError(`object key ${JSON.stringify(key)} is invalid: segments must match ${SEGMENT.source}`);
  }
  return key;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}
