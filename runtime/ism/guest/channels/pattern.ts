/**
 * The byte pattern streamed through channels in demos, tests and benchmarks: byte `p` of the stream is
 * `(p mod 4088) mod 251`.
 *
 * Why these numbers: 251 is a prime, so the bytes never line up with power-of-two ring or chunk sizes and a
 * misplaced or repeated block shows up; the period 4088 = 8 × 511 is a multiple of 8, so that a slice of the
 * precomputed source starting at stream position `p` sits at the same offset modulo 8 as the ring position it is
 * copied to — V8 copies to and from SharedArrayBuffers word by word only when both sides are equally aligned,
 * and byte by byte (8x slower, measured) otherwise. (The ring's bulk copies go through `memcpy`, see copy.ts,
 * which cares less; its short copies still use `set`.)
 *
 * @module
 */

/** Period of the pattern (a multiple of 8; see the module comment). */
export const PATTERN_PERIOD = 4088;

/** @returns the pattern byte at stream position `position` */
export function patternByte(position: number): number {
  return (position % PATTERN_PERIOD) % 251;
}

/**
 * A source buffer from which any stream slice `[p, p + length)` with `length <= maxLength` is
 * `source.subarray(p % PATTERN_PERIOD, p % PATTERN_PERIOD + length)` — no per-byte work on the hot path.
 */
export function patternSource(maxLength: number): Uint8Array {
  const source = new Uint8Array(maxLength + PATTERN_PERIOD);
  for (let i = 0; i < source.length; i++) source[i] = patternByte(i);
  return source;
}

/** @returns the slice of `source` (from {@link patternSource}) holding stream bytes `[position, position + length)` */
export function patternSlice(source: Uint8Array, position: number, length: number): Uint8Array {
  const from = position % PATTERN_PERIOD;
  return source.subarray(from, from + length);
}

/**
 * Checks three sample bytes (first, middle, last) of a received slice against the pattern.
 *
 * @returns the number of samples that do not match
 */
export function patternMismatches(slice: Uint8Array, length: number, position: number): number {
  if (length === 0) return 0;
  let bad = 0;
  for (const k of [0, length >>> 1, length - 1]) if (slice[k] !== patternByte(position + k)) bad++;
  return bad;
}
