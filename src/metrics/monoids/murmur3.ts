let scratch = new Uint8Array(256);

/** UTF-8 bytes of a string into a reused buffer; returns the byte length. Lone surrogates become U+FFFD. */
function utf8(text: string): number {
  if (scratch.length < text.length * 3) scratch = new Uint8Array(text.length * 3);
  const out = scratch;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        out[n++] = 0xf0 | (c >> 18);
        out[n++] = 0x80 | ((c >> 12) & 0x3f);
        out[n++] = 0x80 | ((c >> 6) & 0x3f);
        out[n++] = 0x80 | (c & 0x3f);
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else {
      out[n++] = 0xe0 | (c >> 12);
      out[n++] = 0x80 | ((c >> 6) & 0x3f);
      out[n++] = 0x80 | (c & 0x3f);
    }
  }
  return n;
}

/** The UTF-8 bytes of `text` (lone surrogates become U+FFFD, as in Buffer.from), without Buffer: workflow bundles import this module. */
export function utf8Bytes(text: string): Uint8Array {
  return scratch.slice(0, utf8(text));
}

/**
 * MurmurHash3_x86_32 of the UTF-8 bytes of `text` (Austin Appleby's reference, as in Guava's
 * `murmur3_32_fixed`, Python's `mmh3.hash(..., signed=False)`), unsigned 32-bit.
 */
export function murmur3(text: string, seed = 0): number {
  return murmur3Bytes(scratch, 0, utf8(text), seed);
}

/** MurmurHash3_x86_32 of bytes[at, at + len): for valid UTF-8, the same as murmur3 of the decoded string. */
export function murmur3Bytes(b: Uint8Array, at: number, len: number, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const blocks = at + (len & ~3);
  for (let i = at; i < blocks; i += 4) {
    let k = b[i] | (b[i + 1] << 8) | (b[i + 2] << 16) | (b[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= b[blocks + 2] << 16;
    if (tail >= 2) k ^= b[blocks + 1] << 8;
    k ^= b[blocks];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
