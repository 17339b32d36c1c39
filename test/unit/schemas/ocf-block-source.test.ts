import * as avro from 'avsc';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../../src/common/errors';
import { joinSorted } from '../../../src/metrics/sorted-merge';
import { encodeContainer, encodeContainerBytes } from '../../../src/schemas/avro-container';
import { blocksOf, encodedRowsOf } from '../../../src/schemas/ocf-block-source';
import { OcfStreamWriter } from '../../../src/schemas/ocf-stream-writer';
import { readAll } from '../../../src/storage/object-store';

const V1 = avro.Type.forSchema({
  type: 'record',
  name: 'Usage',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'events', type: 'int' },
  ],
});
const V2 = avro.Type.forSchema({
  type: 'record',
  name: 'Usage',
  fields: [
    { name: 'accountId', type: 'string' },
    { name: 'events', type: 'long' },
    { name: 'note', type: 'string', default: '∅' },
  ],
});

interface Usage {
  accountId: string;
  events: number;
}

const SYNC = Buffer.from('fedcba9876543210');

const usages = (n: number, prefix = 'a'): Usage[] =>
  Array.from({ length: n }, (_, i) => ({
    accountId: `${prefix}${String(i).padStart(6, '0')}`,
    events: (i * 7919) % 1000,
  }));

/** The bytes as a stream of chunks of `size` bytes, so parsing crosses every kind of boundary. */
function chunked(bytes: Buffer, size: number): Readable {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return Readable.from(chunks);
}

async function collect<T>(blocks: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const block of blocks) out.push(block);
  return out;
}

async function failure(blocks: AsyncIterable<unknown[]>): Promise<CorruptDataError> {
  const error = await collect(blocks).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CorruptDataError);
  return error as CorruptDataError;
}

describe('blocksOf', () => {
  it('yields the records block by block, from a buffer and from streams cut anywhere', async () => {
    const records = usages(3000);
    for (const codec of ['deflate', 'null'] as const) {
      const bytes = await encodeContainerBytes(V1, records, { sync: SYNC, codec, blockBytes: 2048 });
      const fromBuffer = await collect(blocksOf<Usage>(bytes, V1, 'x.avro'));
      expect(fromBuffer.length).toBeGreaterThan(10);
      expect(fromBuffer.flat()).toEqual(records);
      for (const size of [1, 7, 4096, bytes.length]) {
        expect(await collect(blocksOf<Usage>(chunked(bytes, size), V1, 'x.avro'))).toEqual(fromBuffer);
      }
      for (const readAhead of [0, 3]) {
        expect(await collect(blocksOf<Usage>(bytes, V1, 'x.avro', { readAhead }))).toEqual(fromBuffer);
      }
    }
  });

  it('resolves the writer schema to the reader schema (v1 > v2)', async () => {
    const bytes = await encodeContainerBytes(V1, usages(3), { sync: SYNC });
    const blocks = await collect(blocksOf(chunked(bytes, 5), V2));
    expect(blocks.flat()).toEqual(usages(3).map((usage) => ({ ...usage, note: '∅' })));
  });

  it('reads what avsc writes (its own header, a random sync marker)', async () => {
    const records = usages(10_000);
    const bytes = await readAll(encodeContainer(V1, records));
    expect((await collect(blocksOf<Usage>(bytes, V1))).flat()).toEqual(records);
  });

  it('yields nothing for a file of no records', async () => {
    const bytes = await encodeContainerBytes(V1, [], { sync: SYNC });
    expect(await collect(blocksOf(bytes, V1))).toEqual([]);
    expect(await collect(blocksOf(chunked(bytes, 3), V1))).toEqual([]);
  });

  it('refuses a file cut short anywhere, naming the key, instead of ending with fewer records', async () => {
    const bytes = await encodeContainerBytes(V1, usages(500), { sync: SYNC, codec: 'null', blockBytes: 1024 });
    const headerEnd = bytes.indexOf(SYNC) + SYNC.length;
    const cuts: [number, RegExp][] = [
      [10, /truncated inside its header/],
      [headerEnd + 1, /truncated: it ends inside the block header at byte \d+/],
      [headerEnd + 200, /truncated: the block at byte \d+ is cut short/],
      [bytes.length - 1, /truncated: the block at byte \d+ is cut short/],
    ];
    for (const [at, message] of cuts) {
      const cut = bytes.subarray(0, at);
      for (const source of [cut, chunked(cut, 13)]) {
        const error = await failure(blocksOf(source, V1, 'tenants/t/runs/x/daily-usage.avro'));
        expect(error.message).toMatch(/^tenants\/t\/runs\/x\/daily-usage\.avro /);
        expect(error.message).toMatch(message);
        expect(error.key).toBe('tenants/t/runs/x/daily-usage.avro');
      }
    }
  });

  it('refuses a bad sync marker, a block that does not inflate, and records that overrun their block', async () => {
    const bytes = await encodeContainerBytes(V1, usages(500), { sync: SYNC, blockBytes: 1024 });
    const badSync = Buffer.from(bytes);
    badSync[badSync.length - 3] ^= 0xff;
    expect((await failure(blocksOf(badSync, V1, 'k'))).message).toMatch(/^k has a bad sync marker at byte \d+/);

    const headerEnd = bytes.indexOf(SYNC) + SYNC.length;
    const badData = Buffer.from(bytes);
    // Deflate block data starts after two varints; 0xff bytes there are an invalid block type.
    badData.fill(0xff, headerEnd + 4, headerEnd + 12);
    expect((await failure(blocksOf(chunked(badData, 100), V1, 'k'))).message).toMatch(
      /^k has a block at byte \d+ that does not decompress/,
    );

    const plain = await encodeContainerBytes(V1, usages(2), { sync: SYNC, codec: 'null' });
    const overrun = Buffer.from(plain);
    // The block's record count (the first byte after the header, zig-zag): 2 -> 3.
    overrun[plain.indexOf(SYNC) + SYNC.length] = 6;
    expect((await failure(blocksOf(overrun, V1, 'k'))).message).toMatch(/whose record 2 runs past its end/);
    const leftover = Buffer.from(plain);
    leftover[plain.indexOf(SYNC) + SYNC.length] = 2; // 2 -> 1
    expect((await failure(blocksOf(leftover, V1, 'k'))).message).toMatch(/bytes left over in the block/);
  });

  it('refuses what is no container file', async () => {
    const error = await failure(blocksOf(Buffer.from('not avro at all, just text'), V1, 'k'));
    expect(error.message).toMatch(/^k is not a readable Avro container file: not an Avro container file/);
  });

  it('closes its stream when the consumer stops early', async () => {
    const bytes = await encodeContainerBytes(V1, usages(5000), { sync: SYNC, blockBytes: 1024 });
    const stream = chunked(bytes, 512);
    for await (const block of blocksOf(stream, V1)) {
      expect(block.length).toBeGreaterThan(0);
      break;
    }
    expect(stream.destroyed).toBe(true);
  });

  it('feeds joinSorted: two files joined by accountId', async () => {
    const even = usages(2000).filter((_, i) => i % 2 === 0);
    const third = usages(2000).filter((_, i) => i % 3 === 0);
    const files = await Promise.all(
      [even, third].map((rows) => encodeContainerBytes(V1, rows, { sync: SYNC, blockBytes: 1024 })),
    );
    const both: string[] = [];
    let keys = 0;
    await joinSorted(
      [blocksOf<Usage>(files[0], V1), blocksOf<Usage>(chunked(files[1], 333), V1)],
      (row) => row.accountId,
      (key, rows) => {
        keys++;
        if (rows[0] && rows[1]) both.push(key);
      },
    );
    // Hand count: of 0..1999, multiples of 2 or 3 are 1000 + 667 - 334 = 1333; of 6, 334.
    expect(keys).toBe(1333);
    expect(both.length).toBe(334);
  });
});

describe('encodedRowsOf', () => {
  it("gives each record's accountId and its exact bytes, from a buffer and from streams cut anywhere", async () => {
    const records = usages(3000);
    const bytes = await encodeContainerBytes(V1, records, { sync: SYNC, blockBytes: 2048 });
    const fromBuffer = await collect(encodedRowsOf(bytes, V1, 'accountId', 'x.avro'));
    expect(fromBuffer.length).toBeGreaterThan(10);
    const rows = fromBuffer.flat();
    expect(rows.map((r) => r.key)).toEqual(records.map((r) => r.accountId));
    for (const [i, row] of rows.entries()) expect(row.bytes.equals(V1.toBuffer(records[i]))).toBe(true);
    for (const size of [1, 7, bytes.length]) {
      const streamed = (await collect(encodedRowsOf(chunked(bytes, size), V1, 'accountId', 'x.avro'))).flat();
      expect(streamed.map((r) => r.bytes.toString('hex'))).toEqual(rows.map((r) => r.bytes.toString('hex')));
    }
  });

  it("encodes again in the asked type a file written with another schema (v1 rows as v2's bytes)", async () => {
    const records = usages(50);
    const bytes = await encodeContainerBytes(V1, records, { sync: SYNC });
    const rows = (await collect(encodedRowsOf(bytes, V2, 'accountId'))).flat();
    expect(rows.map((r) => V2.fromBuffer(r.bytes) as unknown)).toEqual(records.map((r) => ({ ...r, note: '∅' })));
  });

  it('refuses records that overrun their block, naming the key', async () => {
    const bytes = await encodeContainerBytes(V1, usages(10), { sync: SYNC, codec: 'null' });
    // Claim one more record in the block than it holds: the count varint right after the 16-byte sync of the header.
    const header = bytes.indexOf(SYNC) + SYNC.length;
    const bad = Buffer.from(bytes);
    bad[header] = bytes[header] + 2; // zigzag: +1 record
    const error = await failure(encodedRowsOf(bad, V1, 'accountId', 'docs.avro'));
    expect(error.message).toMatch(/^docs\.avro has a block at byte \d+ whose record 10 runs past its end/);
  });

  it('merges sorted files into the bytes of decoding and encoding every row', async () => {
    const all = usages(4000);
    const parts = [0, 1, 2].map((m) => all.filter((_, i) => i % 3 === m));
    const files = await Promise.all(
      parts.map((rows) => encodeContainerBytes(V1, rows, { sync: SYNC, blockBytes: 700 })),
    );
    const writer = new OcfStreamWriter(V1, { sync: SYNC });
    const merged = readAll(writer.readable());
    await joinSorted(
      files.map((f) => encodedRowsOf(f, V1, 'accountId')),
      (row) => row.key,
      (_, rows) => {
        for (const row of rows) if (row) writer.writeEncoded(row.bytes);
      },
    );
    writer.end();
    expect((await merged).equals(await encodeContainerBytes(V1, all, { sync: SYNC }))).toBe(true);
  });
});
