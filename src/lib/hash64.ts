/**
 * A fast, well-mixed 64-bit string hash for in-memory sets of millions of values (not cryptographic):
 * the distinct counter of classification (重要数据 person counts) and the duplicate-key set of
 * aggregation. cyrb53's two 32-bit lanes, both kept.
 */

/**
 * The two lanes of the last `hash64` call, unsigned 32-bit: read them right after the call. One
 * module-level pair, so the hot paths allocate nothing per value.
 */
export const lanes = { h1: 0, h2: 0 };

/** Hashes `s` into `lanes.h1` and `lanes.h2`. */
export function hash64(s: string): void {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  lanes.h1 = h1 >>> 0;
  lanes.h2 = h2 >>> 0;
}
