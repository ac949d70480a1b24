/**
 * Random identifiers of a communication domain: devids and tokens (64-bit, from a CSPRNG).
 *
 * Tokens are capabilities: whoever knows one may attach the region (permissions allowing), so they must not be
 * guessable from earlier ones — hence a CSPRNG rather than a counter. A random source can be injected (tests
 * use a deterministic or deliberately colliding one to exercise the uniqueness retry); the default is
 * `crypto.getRandomValues`.
 *
 * @module
 */
import { webcrypto } from "node:crypto";

/** Fills `target` with random bytes. */
export type RandomSource = (target: Uint8Array) => void;

/** The default source: the platform CSPRNG. */
export const cryptoRandomSource: RandomSource = (target) => {
  webcrypto.getRandomValues(target);
};

/** How many draws {@link drawUnique} makes before concluding the source is broken. */
export const MAX_RANDOM_DRAWS = 64;

/** @returns a 64-bit unsigned integer from 8 bytes of `source` (little-endian, as it goes on the wire) */
export function randomU64(source: RandomSource): bigint {
  const bytes = new Uint8Array(8);
  source(bytes);
  return new DataView(bytes.buffer).getBigUint64(0, true);
}

/**
 * Draws a non-zero 64-bit value not in `taken`.
 *
 * With a working CSPRNG the first draw succeeds with probability 1 - |taken| / 2^64; {@link MAX_RANDOM_DRAWS}
 * failures in a row mean the source is broken.
 *
 * @returns the value, or `undefined` when every draw was zero or taken
 */
export function drawUnique(source: RandomSource, taken: ReadonlySet<bigint>): bigint | undefined {
  for (let i = 0; i < MAX_RANDOM_DRAWS; i++) {
    const value = randomU64(source);
    if (value !== 0n && !taken.has(value)) return value;
  }
  return undefined;
}
