/**
 * CRC-64-AVRO, the Rabin fingerprint the Avro specification uses for single-object encoding.
 * Computed over a schema's Parsing Canonical Form; the spec's reference vectors are in the tests.
 */
const EMPTY = 0xc15d213aa4d7a795n;
const MASK = 0xffffffffffffffffn;

const TABLE: bigint[] = (() => {
  const table: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    table.push(fp);
  }
  return table;
})();

/** The 64-bit fingerprint as an unsigned bigint (BigInt keeps all 64 bits exact). */
export function rabinFingerprint(data: Buffer | string): bigint {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fp = EMPTY;
  for (const byte of bytes) fp = (fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)];
  return fp;
}

/** The fingerprint as the 8 little-endian bytes single-object encoding puts after its 0xC3 0x01 marker. */
export function rabinFingerprintBytes(data: Buffer | string): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(rabinFingerprint(data));
  return out;
}
