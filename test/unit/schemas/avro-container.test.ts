import * as avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  decodeContainer,
  decodeContainerBytes,
  encodeContainer,
  encodeContainerBytes,
} from '../../../src/schemas/avro-container';
import { parseOcfHeader } from '../../../src/schemas/ocf';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { readAll } from '../../../src/storage/object-store';
import { Readable } from 'node:stream';

const v1 = avro.Type.forSchema({ type: 'record', name: 'E', fields: [{ name: 'n', type: 'int' }] });
const v2 = avro.Type.forSchema({
  type: 'record',
  name: 'E',
  fields: [
    { name: 'n', type: 'long' },
    { name: 'note', type: 'string', default: '∅' },
  ],
});

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('Avro container files', () => {
  it('round-trip records across several blocks', async () => {
    const records = Array.from({ length: 5000 }, (_, n) => ({ n }));
    const bytes = await readAll(encodeContainer(v1, records));
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('Obj\u0001');
    const back = await collect(decodeContainer<{ n: number }>(Readable.from([bytes]), v1));
    expect(back).toEqual(records);
  });

  it('resolve the writer schema to the reader schema (v1 > v2)', async () => {
    const bytes = await readAll(encodeContainer(v1, [{ n: 1 }, { n: 2 }], 'null'));
    const back = await collect(decodeContainer(Readable.from([bytes]), v2));
    expect(back).toEqual([
      { n: 1, note: '∅' },
      { n: 2, note: '∅' },
    ]);
  });

  it('refuse a file cut inside a block instead of ending quietly with fewer records', async () => {
    const bytes = await readAll(
      encodeContainer(
        v1,
        Array.from({ length: 3000 }, (_, n) => ({ n })),
        'null',
      ),
    );
    const cut = bytes.subarray(0, bytes.length - 7);
    await expect(collect(decodeContainer(Readable.from([cut]), v1, 'raw/x.avro'))).rejects.toThrow(
      /raw\/x\.avro is truncated: \d+ trailing bytes/,
    );
    await expect(collect(decodeContainer(Readable.from([bytes.subarray(0, 10)]), v1, 'raw/y.avro'))).rejects.toThrow(
      /raw\/y\.avro is truncated/,
    );
  });

  it('decode the same records from bytes in memory, and refuse a cut, corrupted or garbled file naming its key', async () => {
    const records = Array.from({ length: 5000 }, (_, n) => ({ n }));
    for (const codec of ['null', 'deflate'] as const) {
      const bytes = await readAll(encodeContainer(v1, records, codec));
      expect(decodeContainerBytes(bytes, v2)).toEqual(records.map((r) => ({ ...r, note: '∅' })));
      expect(() => decodeContainerBytes(bytes.subarray(0, bytes.length - 7), v1, 'out/a.avro')).toThrow(
        /out\/a\.avro is truncated: the block at byte \d+ is cut short/,
      );
      expect(() => decodeContainerBytes(bytes.subarray(0, 10), v1, 'out/b.avro')).toThrow(/out\/b\.avro is truncated/);
      const badSync = Buffer.from(bytes);
      badSync[badSync.length - 1] ^= 0xff;
      expect(() => decodeContainerBytes(badSync, v1, 'out/c.avro')).toThrow(/out\/c\.avro has a bad sync marker/);
    }
    expect(() => decodeContainerBytes(Buffer.from('not avro at all'), v1, 'out/d.avro')).toThrow(
      /out\/d\.avro is not a readable Avro container file/,
    );
  });

  it('surface an encoding error to the reader instead of crashing the process', async () => {
    await expect(readAll(encodeContainer(v1, [{ n: 'not a number' }]))).rejects.toThrow(/invalid/);
  });

  describe('written whole in memory (encodeContainerBytes)', () => {
    const sync = Buffer.alloc(16, 7);
    const records = Array.from({ length: 5000 }, (_, n) => ({ n: n * 7919 - 20000 }));

    it('is read back by avsc stock createFileDecoder, across several blocks and both codecs', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'daybreak-ocf-'));
      try {
        for (const codec of ['deflate', 'null'] as const) {
          const bytes = await encodeContainerBytes(v1, records, { sync, codec, blockBytes: 1000 });
          const header = parseOcfHeader(bytes);
          expect(header).not.toBe('incomplete');
          expect(header !== 'incomplete' && header.codec).toBe(codec);
          const file = path.join(dir, `${codec}.avro`);
          writeFileSync(file, bytes);
          const back: unknown[] = [];
          let blocks = 0;
          await new Promise<void>((resolve, reject) =>
            avro
              .createFileDecoder(file)
              .on('data', (r: unknown) => back.push(r))
              .on('error', reject)
              .on('end', resolve),
          );
          expect(back).toEqual(records);
          // Blocks close at 1000 bytes or just past it: at least 5000 records * ~3 bytes / 1000.
          for (let i = bytes.indexOf(sync, 4); i >= 0; i = bytes.indexOf(sync, i + 16)) blocks++;
          expect(blocks).toBeGreaterThan(10);
          expect(decodeContainerBytes(bytes, v1)).toEqual(records);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('gives the same bytes for the same records, and a file of no records is a header only', async () => {
      const a = await encodeContainerBytes(v1, records, { sync });
      const b = await encodeContainerBytes(v1, [...records], { sync });
      expect(a.equals(b)).toBe(true);
      const empty = await encodeContainerBytes(v1, [], { sync });
      const header = parseOcfHeader(empty);
      expect(header !== 'incomplete' && header.size).toBe(empty.length);
      expect(decodeContainerBytes(empty, v1)).toEqual([]);
    });

    it('refuses a record that does not fit the type', async () => {
      await expect(encodeContainerBytes(v1, [{ n: 1 }, { n: 'x' }], { sync })).rejects.toThrow(/invalid|"x"/);
    });
  });
});
