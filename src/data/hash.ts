/**
 * Small non-cryptographic hashes for the data pipeline: 32-bit string and word hashes,
 * the murmur3 finaliser, and the 64-bit document key used by exact dedup and the split.
 *
 * @example
 * hashString32('hello');            // a uint32, the same on every run and thread
 * docKey('hello world');            // { hi, lo }: md5 of the UTF-8 text, first 8 bytes
 */
import { createHash } from 'node:crypto';

/** murmur3's 32-bit finaliser: a bijective avalanche mix of a uint32. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the UTF-16 code units of `s`, finished with `fmix32`. */
export function hashString32(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Combines a running hash with one more uint32 (order-sensitive). */
export function combine32(h: number, x: number): number {
  h ^= Math.imul(x, 0x9e3779b1);
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  return h >>> 0;
}

/** The 64-bit key of a document: the first 8 bytes of the md5 of its UTF-8 text. */
export function docKey(text: string): { hi: number; lo: number } {
  const d = createHash('md5').update(text).digest();
  return { hi: d.readUInt32LE(0), lo: d.readUInt32LE(4) };
}

/** `docKey` as 16 hex digits (the `id` of an output record). */
export function keyHex(hi: number, lo: number): string {
  return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
}
