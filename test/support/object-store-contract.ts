import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ObjectStore } from '../../src/storage/object-store';
import { NotFoundError, readAll } from '../../src/storage/object-store';
import { AlreadyExistsError, InvalidInputError } from '../../src/common/errors';

/**
 * The behaviour every ObjectStore must have. Run against the filesystem in unit tests and against
 * versitygw in integration tests, so the embedded default cannot drift from S3.
 */
export function objectStoreContract(name: string, makeStore: () => ObjectStore, prefix: () => string): void {
  describe(`${name} object store contract`, () => {
    it('puts and gets bytes back unchanged', async () => {
      const store = makeStore();
      const key = `${prefix()}/a/b.bin`;
      const body = Buffer.from('héllo 👋 مرحبا');
      expect((await store.put(key, body)).bytes).toBe(body.length);
      expect((await store.getBytes(key)).equals(body)).toBe(true);
      expect(await readAll(await store.get(key))).toEqual(body);
      expect(await store.exists(key)).toBe(true);
    });

    it('overwrites without a condition', async () => {
      const store = makeStore();
      const key = `${prefix()}/over.bin`;
      await store.put(key, Buffer.from('one'));
      await store.put(key, Buffer.from('two'));
      expect((await store.getBytes(key)).toString()).toBe('two');
    });

    it('refuses a conditional create over an existing key and keeps the original', async () => {
      const store = makeStore();
      const key = `${prefix()}/cond.bin`;
      await store.put(key, Buffer.from('first'), { ifNoneMatch: true });
      await expect(store.put(key, Buffer.from('second'), { ifNoneMatch: true })).rejects.toBeInstanceOf(
        AlreadyExistsError,
      );
      expect((await store.getBytes(key)).toString()).toBe('first');
    });

    it('streams a large body in and out (multipart on S3)', async () => {
      const store = makeStore();
      const key = `${prefix()}/large.bin`;
      const size = 17 * 1024 * 1024 + 123;
      const source = Buffer.alloc(size);
      for (let i = 0; i < size; i++) source[i] = (i * 31 + (i >> 11)) & 0xff;
      // Uneven chunks, as a real producer would emit them.
      const chunks = function* () {
        for (let offset = 0; offset < size; offset += 700_001) yield source.subarray(offset, offset + 700_001);
      };
      const put = await store.put(key, Readable.from(chunks()));
      expect(put.bytes).toBe(size);
      expect((await store.getBytes(key)).equals(source)).toBe(true);
    });

    it('conditionally creates a large streamed body and refuses a second one', async () => {
      const store = makeStore();
      const key = `${prefix()}/large-cond.bin`;
      const body = () => Readable.from([Buffer.alloc(9 * 1024 * 1024, 1), Buffer.alloc(9 * 1024 * 1024, 2)]);
      await store.put(key, body(), { ifNoneMatch: true });
      await expect(store.put(key, body(), { ifNoneMatch: true })).rejects.toBeInstanceOf(AlreadyExistsError);
    });

    it('lists by prefix in key order, without neighbours that share a string prefix', async () => {
      const store = makeStore();
      const base = `${prefix()}/list`;
      for (const key of [`${base}/b/2`, `${base}/a/1`, `${base}/b/1`, `${base}x/other`])
        await store.put(key, Buffer.from(key));
      const listed: string[] = [];
      for await (const info of store.list(`${base}/`)) listed.push(info.key);
      expect(listed).toEqual([`${base}/a/1`, `${base}/b/1`, `${base}/b/2`]);
      const sub: { key: string; size: number }[] = [];
      // Only key and size are common to every store (S3 adds its ETag).
      for await (const info of store.list(`${base}/b/`)) sub.push({ key: info.key, size: info.size });
      expect(sub).toEqual([
        { key: `${base}/b/1`, size: `${base}/b/1`.length },
        { key: `${base}/b/2`, size: `${base}/b/2`.length },
      ]);
    });

    it('reports a missing key as NotFoundError and deletes idempotently', async () => {
      const store = makeStore();
      const key = `${prefix()}/gone.bin`;
      await expect(store.get(key)).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.exists(key)).toBe(false);
      await store.put(key, Buffer.from('x'));
      await store.delete(key);
      await store.delete(key);
      expect(await store.exists(key)).toBe(false);
    });

    it('rejects keys that could escape their prefix', async () => {
      const store = makeStore();
      for (const key of ['../etc/passwd', `${prefix()}/../x`, `/abs`, `${prefix()}//double`, `${prefix()}/sp ace`]) {
        await expect(store.put(key, Buffer.from('x'))).rejects.toBeInstanceOf(InvalidInputError);
      }
    });
  });
}
