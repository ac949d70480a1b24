/**
 * The token → region table of a communication domain, and the record of every token ever issued.
 *
 * @module
 */
import { drawUnique } from "./random.js";
import type { RandomSource } from "./random.js";
import type { IsmRegion } from "./region.js";

/**
 * Regions by token. Tokens are 64-bit, non-zero, drawn from a CSPRNG, unique in the domain and never reused:
 * `issued` keeps every token handed out, so a stale token held by a peer can never name a later region.
 *
 * Invariant: every live region's token is in `issued`; live tokens are a subset of issued ones.
 */
export class IsmRegionTable {
  readonly #regions = new Map<bigint, IsmRegion>();
  readonly #issued = new Set<bigint>();
  readonly #random: RandomSource;

  /** @param random - source of token bits */
  constructor(random: RandomSource) {
    this.#random = random;
  }

  /** Number of live regions. */
  get size(): number {
    return this.#regions.size;
  }

  /** Number of tokens ever issued. */
  get issuedCount(): number {
    return this.#issued.size;
  }

  /** @returns whether `token` was ever issued (live or not) */
  wasIssued(token: bigint): boolean {
    return this.#issued.has(token);
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
   * Draws a fresh token and records it as issued.
   *
   * @returns the token, or `undefined` when the random source is broken (every draw zero or already issued)
   */
  issueToken(): bigint | undefined {
    const token = drawUnique(this.#random, this.#issued);
    if (token !== undefined) this.#issued.add(token);
    return token;
  }

  /** Adds a region under its (issued) token. */
  add(region: IsmRegion): void {
    this.#regions.set(region.token, region);
  }

  /** Removes a region (its token stays issued forever). */
  remove(token: bigint): void {
    this.#regions.delete(token);
  }
}
