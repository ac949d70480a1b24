/**
 * The token → region table of a communication domain.
 *
 * @module
 */
import type { RandomSource } from "./random.js";
import type { IsmRegion } from "./region.js";
import { TokenCipher } from "./token-cipher.js";

/** 2^64: the counter behind the tokens never gets there (one alloc a nanosecond would take 584 years). */
const COUNTER_LIMIT = 1n << 64n;

/**
 * Regions by token. Tokens are 64-bit, non-zero, unique in the domain and never reused, and unguessable: token
 * n is a keyed permutation of the counter n (see token-cipher.ts), with a key drawn from the domain's random
 * source. So the table's memory is bounded by the live regions: nothing is kept for a freed one.
 *
 * Invariant: every live region's token decrypts to a counter below the next one to issue.
 */
export class IsmRegionTable {
  readonly #regions = new Map<bigint, IsmRegion>();
  readonly #cipher: TokenCipher;
  /** The next counter to encrypt; counters below it have been used (issued, or skipped for a zero token). */
  #next = 0n;
  #issued = 0;

  /** @param random - source of the 128-bit token key */
  constructor(random: RandomSource) {
    const key = new Uint8Array(16);
    random(key);
    this.#cipher = new TokenCipher(key);
  }

  /** Number of live regions. */
  get size(): number {
    return this.#regions.size;
  }

  /** Number of tokens ever issued. */
  get issuedCount(): number {
    return this.#issued;
  }

  /** @returns whether `token` was ever issued (live or not): its counter is one already used */
  wasIssued(token: bigint): boolean {
    if (token === 0n || token < 0n || token >= COUNTER_LIMIT) return false;
    return this.#cipher.decrypt(token) < this.#next;
  }

  /** @returns the live region named by `token` */
  get(token: bigint): IsmRegion | undefined {
    return this.#regions.get(token);
  }

  /** Live regions in allocation order. */
  regions(): IsmRegion[] {
    return [...this.#regions.values()];
  }

  /**
   * Issues the next token: unique by construction (a permutation of a counter that only grows).
   *
   * @returns the token, or `undefined` once 2^64 counters are used (never, in practice)
   */
  issueToken(): bigint | undefined {
    while (this.#next < COUNTER_LIMIT) {
      const token = this.#cipher.encrypt(this.#next++);
      // 0 is not a token (the wire uses it for "none"); its counter is burnt, which keeps wasIssued(0) false.
      if (token === 0n) continue;
      this.#issued++;
      return token;
    }
    return undefined;
  }

  /** Adds a region under its (issued) token. */
  add(region: IsmRegion): void {
    this.#regions.set(region.token, region);
  }

  /** Removes a region; its token is never issued again (its counter is used). */
  remove(token: bigint): void {
    this.#regions.delete(token);
  }
}
