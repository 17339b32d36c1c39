import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { AlreadyExistsError } from '../common/errors';
import type { ObjectInfo, ObjectStore, PutOptions, PutResult } from './object-store';
import { NotFoundError, assertObjectKey, readAll } from './object-store';

/**
 * Object store on the local filesystem, the embedded default for the quickstart. Writes go to a
 * temporary file first and are renamed (or hard-linked, for conditional creates) into place, so a
 * reader never sees half an object and a crash never leaves one behind.
 */
export class FsObjectStore implements ObjectStore {
  readonly description: string;
  constructor(private readonly root: string) {
    this.description = `file://${root}`;
  }

  private pathOf(key: string): string {
    return path.join(this.root, ...assertObjectKey(key).split('/'));
  }

  async get(key: string): Promise<Readable> {
    const file = this.pathOf(key);
    try {
      await fs.access(file);
    } catch {
      throw new NotFoundError(key);
    }
    return createReadStream(file);
  }

  async getBytes(key: string): Promise<Buffer> {
    return readAll(await this.get(key));
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<PutResult> {
    const file = this.pathOf(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    const tmp = path.join(path.dirname(file), `.tmp-${randomBytes(8).toString('hex')}`);
    try {
      if (Buffer.isBuffer(body)) await fs.writeFile(tmp, body);
      else await pipeline(body, createWriteStream(tmp));
      const { size } = await fs.stat(tmp);
      if (options.ifNoneMatch) {
        // link() fails with EEXIST atomically, unlike a stat-then-rename check.
        try {
          await fs.link(tmp, file);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(key);
          throw error;
        }
        await fs.unlink(tmp);
      } else {
        await fs.rename(tmp, file);
      }
      return { key, bytes: size, parts: 1 };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const files: ObjectInfo[] = [];
    const walk = async (dir: string, keyPrefix: string): Promise<void> => {
      let entries;
      try {
        entries = await fs.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (entry.name.startsWith('.tmp-')) continue;
        const key = keyPrefix + entry.name;
        if (entry.isDirectory()) {
          if (prefix.startsWith(key + '/') || (key + '/').startsWith(prefix))
            await walk(path.join(dir, entry.name), key + '/');
        } else if (key.startsWith(prefix)) {
          files.push({ key, size: (await fs.stat(path.join(dir, entry.name))).size });
        }
      }
    };
    await walk(this.root, '');
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* files;
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }
}
