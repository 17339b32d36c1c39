import { randomBytes } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BlockInflater } from '../../../src/schemas/block-inflater';

/** Compressible bytes, as Avro records are: runs of repeated text with random ids between them. */
function blockOf(bytes: number, seed: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  for (let i = 0; n < bytes; i++) {
    const part =
      i % 2 === 0 ? Buffer.from(`tenant=acme account-${(seed * 7919 + i) % 1000} page_view `) : randomBytes(12);
    parts.push(part);
    n += part.length;
  }
  return Buffer.concat(parts).subarray(0, bytes);
}

describe('BlockInflater', () => {
  it('gives what zlib.inflateRawSync gives, for blocks smaller and larger than its buffers', () => {
    const inflater = new BlockInflater(4096);
    for (const [i, size] of [0, 1, 100, 4095, 4096, 4097, 50_000, 1_000_000, 10].entries()) {
      const data = blockOf(size, i);
      const deflated = deflateRawSync(data, { level: i % 9 });
      const out = inflater.inflate(deflated);
      expect(out.equals(inflateRawSync(deflated))).toBe(true);
      expect(out.equals(data)).toBe(true);
    }
  });

  it('keeps a block valid while the next one is inflated (two buffers in turn)', () => {
    const inflater = new BlockInflater(1024);
    const blocks = [blockOf(3000, 1), blockOf(900, 2), blockOf(5000, 3), blockOf(700, 4)];
    let previous: Buffer | undefined;
    for (const [i, block] of blocks.entries()) {
      const out = inflater.inflate(deflateRawSync(block));
      if (previous) expect(previous.equals(blocks[i - 1])).toBe(true);
      expect(out.equals(block)).toBe(true);
      previous = out;
    }
  });

  it("throws zlib's error on a truncated or corrupt block, and inflates the next one", () => {
    const inflater = new BlockInflater(1024);
    const data = blockOf(20_000, 5);
    const deflated = deflateRawSync(data);
    const zlibMessage = (bytes: Buffer) => {
      try {
        inflateRawSync(bytes);
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    const truncated = deflated.subarray(0, deflated.length - 10);
    expect(() => inflater.inflate(truncated)).toThrow(zlibMessage(truncated));
    expect(inflater.inflate(deflated).equals(data)).toBe(true);
    const corrupt = Buffer.from(deflated).fill(0xfe, 0, 8);
    expect(zlibMessage(corrupt)).not.toBe('no error');
    expect(() => inflater.inflate(corrupt)).toThrow(zlibMessage(corrupt));
    expect(inflater.inflate(deflated).equals(data)).toBe(true);
  });
});
