/**
 * Region tokens as a keyed permutation of a counter.
 *
 * A token is a capability (whoever knows it may attach the region), so it must not be guessable from earlier
 * ones; and it must never be reused within a domain, so that a stale token held by a peer can never name a
 * later region. Drawing random tokens and remembering every one ever issued gives both, but the memory grows
 * with every alloc for the life of the domain (44 bytes each: +43 MiB after 10^6 alloc/free cycles).
 *
 * Here token n is `E_k(n)`, where `E_k` is a 64-bit block cipher keyed by 128 random bits per domain: a
 * balanced Feistel network over two 32-bit halves whose round function is AES-128 (Luby–Rackoff: with a
 * pseudo-random round function, four or more rounds give a pseudo-random permutation; eight are used). Being a
 * permutation, distinct counters give distinct tokens, so nothing needs remembering: the state is one counter,
 * and "was this token ever issued?" is answered by decrypting it. Without the key, the tokens seen so far say
 * nothing useful about the next one.
 *
 * Tokens are issued on the control path (one per ALLOC), not the data path, so the few microseconds of AES and
 * BigInt per token do not matter.
 *
 * @module
 */
import { createCipheriv, type Cipher } from "node:crypto";

/** Feistel rounds (≥ 4 for a pseudo-random permutation; 8 for margin). */
const ROUNDS = 8;
const TWO_32 = 2 ** 32;

/** A keyed permutation of 64-bit values. */
export class TokenCipher {
  readonly #aes: Cipher;
  readonly #block = Buffer.alloc(16);

  /** @param key - 16 secret random bytes */
  constructor(key: Uint8Array) {
    if (key.length !== 16) throw new RangeError(`token key must be 16 bytes, got ${key.length}`);
    // ECB over single blocks: each update() is one independent AES block (no chaining state between calls).
    this.#aes = createCipheriv("aes-128-ecb", Buffer.from(key), null);
    this.#aes.setAutoPadding(false);
  }

  /** Round function: 32 pseudo-random bits from the round number and one half. */
  #round(round: number, half: number): number {
    const b = this.#block;
    b.writeUInt8(round, 0);
    b.writeUInt32LE(half >>> 0, 1);
    return this.#aes.update(b).readUInt32LE(0);
  }

  /** @returns E_k(value) for 0 ≤ value < 2^64 */
  encrypt(value: bigint): bigint {
    let left = Number(value >> 32n);
    let right = Number(value & 0xffff_ffffn);
    for (let r = 0; r < ROUNDS; r++) {
      const next = (left ^ this.#round(r, right)) >>> 0;
      left = right;
      right = next;
    }
    return (BigInt(left) << 32n) | BigInt(right);
  }

  /** @returns the value whose encryption is `token` (the inverse permutation) */
  decrypt(token: bigint): bigint {
    let left = Number((token >> 32n) & 0xffff_ffffn);
    let right = Number(token & 0xffff_ffffn);
    for (let r = ROUNDS - 1; r >= 0; r--) {
      const prev = (right ^ this.#round(r, left)) >>> 0;
      right = left;
      left = prev;
    }
    return BigInt(left) * BigInt(TWO_32) + BigInt(right);
  }
}
