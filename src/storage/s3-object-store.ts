import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { AlreadyExistsError } from '../common/errors';
import type { ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store';
import { NotFoundError, assertObjectKey, readAll } from './object-store';

/** S3 needs parts of at least 5 MiB; 8 MiB keeps memory per upload small and the part count low. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

function isStatus(error: unknown, ...codes: number[]): boolean {
  return error instanceof S3ServiceException && codes.includes(error.$metadata.httpStatusCode ?? 0);
}

function isNotFound(error: unknown): boolean {
  return isStatus(error, 404) || (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'));
}

/**
 * Object store over S3 (versitygw locally). Large bodies go up as multipart uploads, part by part,
 * so memory stays at one part whatever the object size; retries are the SDK's (maxAttempts on the
 * client). A conditional create sends `If-None-Match: *`, which S3 answers with 412 when the key exists.
 */
export class S3ObjectStore implements ObjectStore {
  readonly description: string;
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly partSize = DEFAULT_PART_SIZE,
  ) {
    this.description = `s3://${bucket}`;
  }

  async get(key: string): Promise<Readable> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: assertObjectKey(key) }));
      return out.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) throw new NotFoundError(key);
      throw error;
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<PutResult> {
    assertObjectKey(key);
    if (Buffer.isBuffer(body) && body.length <= this.partSize) return this.putSingle(key, body, options);
    const chunks = Buffer.isBuffer(body) ? bufferParts(body, this.partSize) : streamParts(body, this.partSize);
    // Peek at the first part: a small stream is cheaper as one PutObject.
    const iterator = chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    if (first.done) return this.putSingle(key, Buffer.alloc(0), options);
    const second = await iterator.next();
    if (second.done) return this.putSingle(key, first.value, options);
    return this.putMultipart(key, [first.value, second.value], iterator, options);
  }

  private async putSingle(key: string, body: Buffer, options: PutOptions): Promise<PutResult> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: options.contentType,
          IfNoneMatch: options.ifNoneMatch ? '*' : undefined,
        }),
      );
    } catch (error) {
      if (options.ifNoneMatch && isStatus(error, 412)) throw new AlreadyExistsError(key);
      throw error;
    }
    return { key, bytes: body.length, parts: 1 };
  }

  private async putMultipart(
    key: string,
    head: Buffer[],
    rest: AsyncIterator<Buffer>,
    options: PutOptions,
  ): Promise<PutResult> {
    const { UploadId } = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType }),
    );
    const parts: { ETag: string | undefined; PartNumber: number }[] = [];
    let bytes = 0;
    try {
      const upload = async (part: Buffer): Promise<void> => {
        const PartNumber = parts.length + 1;
        const out = await this.s3.send(
          new UploadPartCommand({ Bucket: this.bucket, Key: key, UploadId, PartNumber, Body: part }),
        );
        parts.push({ ETag: out.ETag, PartNumber });
        bytes += part.length;
      };
      for (const part of head) await upload(part);
      for (let next = await rest.next(); !next.done; next = await rest.next()) await upload(next.value);
      await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
          IfNoneMatch: options.ifNoneMatch ? '*' : undefined,
        }),
      );
    } catch (error) {
      await this.s3
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }))
        .catch(() => undefined);
      if (options.ifNoneMatch && isStatus(error, 412)) throw new AlreadyExistsError(key);
      throw error;
    }
    return { key, bytes, parts: parts.length };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let ContinuationToken: string | undefined;
    do {
      const out = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken }),
      );
      for (const object of out.Contents ?? []) {
        if (object.Key)
          yield {
            key: object.Key,
            size: object.Size ?? 0,
            ...(object.ETag ? { etag: object.ETag.replace(/^"|"$/g, '') } : {}),
          };
      }
      ContinuationToken = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async delete(key: string): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: assertObjectKey(key) }));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: assertObjectKey(key) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }
}

// An async generator so both body kinds share put()'s single async-iteration path.
// eslint-disable-next-line @typescript-eslint/require-await
async function* bufferParts(body: Buffer, size: number): AsyncIterable<Buffer> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}

/** Regroups a stream's chunks into parts of exactly `size` bytes (the last may be shorter). */
async function* streamParts(stream: Readable, size: number): AsyncIterable<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const raw of stream) {
    let chunk = typeof raw === 'string' ? Buffer.from(raw) : (raw as Buffer);
    while (pendingBytes + chunk.length >= size) {
      const take = size - pendingBytes;
      pending.push(chunk.subarray(0, take));
      yield Buffer.concat(pending);
      chunk = chunk.subarray(take);
      pending = [];
      pendingBytes = 0;
    }
    if (chunk.length) {
      pending.push(chunk);
      pendingBytes += chunk.length;
    }
  }
  if (pendingBytes) yield Buffer.concat(pending);
}
