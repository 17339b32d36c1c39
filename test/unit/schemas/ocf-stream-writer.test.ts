import * as avro from 'avsc';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { containerOfEncoded, decodeContainerBytes, encodeContainerBytes } from '../../../src/schemas/avro-container';
import { blocksOf } from '../../../src/schemas/ocf-block-source';
import { OcfStreamWriter, putStreamed } from '../../../src/schemas/ocf-stream-writer';
import { FsObjectStore } from '../../../src/storage/fs-object-store';
import { readAll } from '../../../src/storage/object-store';
import { seeded } from '../metrics/support/random-usage';

const TYPE = avro.Type.forSchema({
  type: 'record',
  name: 'DayState',
  namespace: 'daybreak.test',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'events', type: 'long' },
    { name: 'registers', type: 'bytes' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
  ],
});

interface State {
  accountId: string;
  events: number;
  registers: Buffer;
  tags: string[];
}

/** Records from a few bytes to about 6 KB, some compressible, some not. */
function states(n: number, seed: number): State[] {
  const next = seeded(seed);
  return Array.from({ length: n }, (_, i) => {
    const size = next() < 0.1 ? Math.floor(next() * 6000) : Math.floor(next() * 200);
    const registers = Buffer.alloc(size);
    for (let j = 0; j < size; j++) registers[j] = next() < 0.5 ? 0 : Math.floor(next() * 256);
    return {
      accountId: `acct-${String(i).padStart(7, '0')}`,
      events: Math.floor(next() * 1e6) - 1000,
      registers,
      tags: Array.from({ length: Math.floor(next() * 4) }, (_, t) => `tag${t}`),
    };
  });
}

const SYNC = Buffer.from('0123456789abcdef');

/** Writes through the writer, honouring its backpressure, while the readable is drained. */
async function streamed(
  records: readonly State[],
  options: ConstructorParameters<typeof OcfStreamWriter>[1],
  encoded = false,
): Promise<Buffer> {
  const writer = new OcfStreamWriter(TYPE, options);
  const bytes = readAll(writer.readable());
  for (const record of records) {
    const more = encoded ? writer.writeEncoded(TYPE.toBuffer(record)) : writer.write(record);
    if (!more) await writer.ready();
  }
  writer.end();
  expect(writer.records).toBe(records.length);
  return bytes;
}

const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('OcfStreamWriter', () => {
  for (const codec of ['deflate', 'null'] as const) {
    for (const blockBytes of [1024, 8 * 1024, 64 * 1024, 256 * 1024]) {
      it(`writes the bytes of encodeContainerBytes (${codec}, blocks of ${blockBytes / 1024} KiB)`, async () => {
        for (const [n, seed] of [
          [0, 1],
          [1, 2],
          [3000, 3],
        ] as const) {
          const records = states(n, seed + blockBytes);
          const options = { sync: SYNC, codec, blockBytes, level: codec === 'deflate' ? 1 : undefined };
          const expected = await encodeContainerBytes(TYPE, records, options);
          const got = await streamed(records, options);
          expect(got.length).toBe(expected.length);
          expect(got.equals(expected)).toBe(true);
        }
      });
    }
  }

  it('closes a block after the record that takes it to exactly blockBytes, as encodeContainerBytes does', async () => {
    // Each record encodes to 64 bytes (id: 1 + 57, events 1, registers 1 + 3, tags 1), so 16 fill 1 KiB exactly.
    const records = Array.from({ length: 40 }, (_, i) => ({
      accountId: `a${String(i).padStart(56, '0')}`,
      events: 1,
      registers: Buffer.alloc(3),
      tags: [],
    }));
    expect(TYPE.toBuffer(records[0]).length).toBe(64);
    const options = { sync: SYNC, codec: 'null' as const, blockBytes: 1024 };
    const got = await streamed(records, options);
    expect(got.equals(await encodeContainerBytes(TYPE, records, options))).toBe(true);
    const sizes: number[] = [];
    for await (const block of blocksOf(got, TYPE)) sizes.push(block.length);
    expect(sizes).toEqual([16, 16, 8]);
  });

  it('writes the bytes of containerOfEncoded for records encoded already, at another level', async () => {
    const records = states(2000, 11);
    const encoded = records.map((record) => TYPE.toBuffer(record));
    const ends: number[] = [];
    encoded.reduce((end, bytes) => (ends.push(end + bytes.length), end + bytes.length), 0);
    const options = { sync: SYNC, blockBytes: 16 * 1024, level: 6 };
    const expected = await containerOfEncoded(TYPE, { buf: Buffer.concat(encoded), ends }, options);
    expect((await streamed(records, options, true)).equals(expected)).toBe(true);
  });

  it('writes the header alone for no records, as avsc reads', async () => {
    const got = await streamed([], { sync: SYNC });
    expect(got.equals(await encodeContainerBytes(TYPE, [], { sync: SYNC }))).toBe(true);
    expect(decodeContainerBytes(got, TYPE)).toEqual([]);
  });

  it('round-trips through blocksOf, block for block', async () => {
    const records = states(5000, 12);
    const bytes = await streamed(records, { sync: SYNC, blockBytes: 32 * 1024 });
    const blocks: State[][] = [];
    for await (const block of blocksOf<State>(bytes, TYPE, 'x.avro')) blocks.push(block);
    expect(blocks.length).toBeGreaterThan(5);
    // Compared as Avro bytes: toEqual over thousands of Buffers takes half a minute.
    const text = (rows: State[]) => Buffer.concat(rows.map((row) => TYPE.toBuffer(row))).toString('base64');
    expect(text(blocks.flat()) === text(records)).toBe(true);
    expect(blocks.flat().map((row) => row.accountId)).toEqual(records.map((row) => row.accountId));
    expect(text(decodeContainerBytes(bytes, TYPE)) === text(records)).toBe(true);
  });

  it('keeps up to maxPendingBlocks closed blocks, deflating together, then asks the writer to wait', async () => {
    const writer = new OcfStreamWriter(TYPE, { sync: SYNC, blockBytes: 1024, maxPendingBlocks: 3 });
    const records = states(4000, 13);
    let written = 0;
    // Nobody reads yet: write() says "wait" exactly when the third block closes.
    while (writer.write(records[written++]));
    expect(await streamedBlockCount(records.slice(0, written), 1024)).toBe(3);
    let ready = false;
    const waiting = writer.ready().then(() => (ready = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ready).toBe(false);
    // A reader drains the stream: the writer may go on, and the file is whole.
    const bytes = readAll(writer.readable());
    await waiting;
    for (; written < records.length; written++) if (!writer.write(records[written])) await writer.ready();
    writer.end();
    const expected = await encodeContainerBytes(TYPE, records, { sync: SYNC, blockBytes: 1024 });
    expect((await bytes).equals(expected)).toBe(true);
  });

  it('fails waiting writers and later writes when its stream is destroyed', async () => {
    const writer = new OcfStreamWriter(TYPE, { sync: SYNC, blockBytes: 1024, maxPendingBlocks: 1 });
    const records = states(100, 14);
    let i = 0;
    while (writer.write(records[i++]));
    const waiting = writer.ready();
    const streamError = new Promise((resolve) => writer.readable().on('error', resolve));
    writer.readable().destroy(new Error('upload failed'));
    expect(await streamError).toEqual(new Error('upload failed'));
    await expect(waiting).rejects.toThrow('upload failed');
    expect(() => writer.write(records[i])).toThrow('upload failed');
  });
});

/** How many blocks encodeContainerBytes makes of these records. */
async function streamedBlockCount(records: readonly State[], blockBytes: number): Promise<number> {
  let blocks = 0;
  const bytes = await encodeContainerBytes(TYPE, records, { sync: SYNC, blockBytes });
  for await (const block of blocksOf(bytes, TYPE)) blocks += block.length > 0 ? 1 : 0;
  return blocks;
}

describe('putStreamed', () => {
  const store = () => {
    const root = mkdtempSync(path.join(tmpdir(), 'daybreak-ocf-writer-'));
    roots.push(root);
    return { root, store: new FsObjectStore(root) };
  };

  it('puts the bytes of encodeContainerBytes through the filesystem store', async () => {
    const { store: fs } = store();
    const records = states(20_000, 15);
    const result = await putStreamed(fs, 'tenants/t/d/daily-usage.avro', TYPE, { sync: SYNC }, async (writer) => {
      for (const record of records) if (!writer.write(record)) await writer.ready();
    });
    const expected = await encodeContainerBytes(TYPE, records, { sync: SYNC });
    expect(result.records).toBe(records.length);
    expect(result.bytes).toBe(expected.length);
    expect((await fs.getBytes('tenants/t/d/daily-usage.avro')).equals(expected)).toBe(true);
  });

  it('leaves no object when filling fails, and rethrows', async () => {
    const { root, store: fs } = store();
    const records = states(5000, 16);
    await expect(
      putStreamed(fs, 'tenants/t/d/rolling.avro', TYPE, { sync: SYNC, blockBytes: 4096 }, async (writer) => {
        for (const record of records.slice(0, 3000)) if (!writer.write(record)) await writer.ready();
        throw new Error('bucket task failed');
      }),
    ).rejects.toThrow('bucket task failed');
    expect(await fs.exists('tenants/t/d/rolling.avro')).toBe(false);
    expect(readdirSync(path.join(root, 'tenants/t/d'))).toEqual([]);
  });

  it('fails cleanly when filling fails before the store has opened the stream (a missing input)', async () => {
    const { store: fs } = store();
    const missing = new Error('daily usage of the day does not exist');
    // A new folder: the fs store is still making it when the fill fails, so nobody listens to the
    // stream yet. Its error must come back here, not as an 'error' event that ends the process.
    await expect(
      putStreamed(fs, 'tenants/t/new-day/rolling.avro', TYPE, { sync: SYNC }, () => Promise.reject(missing)),
    ).rejects.toBe(missing);
    await new Promise((resolve) => setImmediate(resolve));
    expect(await fs.exists('tenants/t/new-day/rolling.avro')).toBe(false);
  });
});
