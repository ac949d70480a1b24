/**
 * Allocator of the equal-sized chunk slots of a device memory (the ISM "device memory", up to 10^6 chunks).
 *
 * Representation: a two-level bitmap, chosen over a free list because
 * - the ISM device reports a region's chunks as offsets in ascending order, and a bitmap scanned from the low
 *   end yields free chunks already sorted, with no sort per allocation;
 * - its memory is fixed and small (N/8 bytes for the free bits, N/8 for the "ever allocated" bits used to tell a
 *   double free from a stray free, N/256 for the summary, 4N for the owner tags), independent of fragmentation;
 * - validation of a free (is this chunk really allocated?) is one bit test, where a free list would need a
 *   separate membership structure anyway.
 *
 * Level 0 (`#free`) has one bit per chunk, set when the chunk is free. Level 1 (`#summary`) has one bit per
 * level-0 word, set when that word has at least one free bit, so a scan skips 32 fully allocated words (1024
 * chunks) per summary word and finds the lowest set bit of a word with `Math.clz32(x & -x)`.
 * `#firstFreeWord` is a lower bound on the first level-0 word with a free bit, which keeps the usual "allocate
 * from the bottom" pattern from rescanning the full prefix every time.
 *
 * Policy: lowest-index-first. Allocation is all-or-nothing: the free count is checked before anything is taken,
 * and once it passes the scan cannot fail. A free is validated completely before any bit is changed (and a
 * duplicate index within one call, only detectable while applying, is rolled back), so a refused call leaves the
 * allocator exactly as it was.
 *
 * @module
 */
import { ChunkAllocatorError } from "./errors.js";

/** Largest supported number of chunks (16 Mi): the owner table costs 4 bytes per chunk. */
export const MAX_CHUNK_COUNT = 1 << 24;
/** Largest owner tag: owners are stored in an `Int32Array` where -1 marks "free". */
export const MAX_CHUNK_OWNER = 0x7fff_ffff;
/** Owner recorded by {@link ChunkAllocator.allocate} when the caller names none. */
export const DEFAULT_CHUNK_OWNER = 0;

const WORD_BITS = 32;
const NO_OWNER = -1;

/** Bit mask with the low `n` bits set, for `n` in 1..32. */
function lowBits(n: number): number {
  return n === WORD_BITS ? 0xffff_ffff : ((1 << n) >>> 0) - 1;
}

/** Index (0..31) of the lowest set bit of a non-zero 32-bit word. */
function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word);
}

/**
 * Bitmap allocator of `chunkCount` chunk slots with per-owner accounting.
 *
 * Invariants (checked by the property tests through the public accounting):
 * `allocatedChunks + freeChunks === chunkCount`; the sum of per-owner counts equals `allocatedChunks`; summary
 * bit `w` is set iff free word `w` is non-zero; no free word below `#firstFreeWord` is non-zero.
 */
export class ChunkAllocator {
  /** Number of chunk slots managed (the device memory size divided by the chunk size). */
  readonly chunkCount: number;
  /** Bit set = chunk free. Bits past `chunkCount` in the last word are permanently 0 (never free). */
  readonly #free: Uint32Array;
  /** Bit `w` set = `#free[w] !== 0`. */
  readonly #summary: Uint32Array;
  /** Bit set = chunk has been allocated at least once; tells `double-free` from `not-allocated`. */
  readonly #everAllocated: Uint32Array;
  /** Owner tag per chunk; `NO_OWNER` when free. */
  readonly #owner: Int32Array;
  readonly #ownerCounts = new Map<number, number>();
  #freeCount: number;
  #firstFreeWord = 0;

  /**
   * @param chunkCount - number of chunk slots, an integer in `[1, MAX_CHUNK_COUNT]`
   * @throws ChunkAllocatorError `invalid-geometry` when `chunkCount` is out of range
   */
  constructor(chunkCount: number) {
    if (!Number.isInteger(chunkCount) || chunkCount < 1 || chunkCount > MAX_CHUNK_COUNT) {
      throw new ChunkAllocatorError(
        "invalid-geometry",
        `chunk count must be an integer in [1, ${MAX_CHUNK_COUNT}], got ${String(chunkCount)}`,
      );
    }
    this.chunkCount = chunkCount;
    const words = Math.ceil(chunkCount / WORD_BITS);
    this.#free = new Uint32Array(words).fill(0xffff_ffff);
    this.#free[words - 1] = lowBits(chunkCount - (words - 1) * WORD_BITS);
    const summaryWords = Math.ceil(words / WORD_BITS);
    this.#summary = new Uint32Array(summaryWords).fill(0xffff_ffff);
    this.#summary[summaryWords - 1] = lowBits(words - (summaryWords - 1) * WORD_BITS);
    this.#everAllocated = new Uint32Array(words);
    this.#owner = new Int32Array(chunkCount).fill(NO_OWNER);
    this.#freeCount = chunkCount;
  }

  /** Number of chunks currently allocated. */
  get allocatedChunks(): number {
    return this.chunkCount - this.#freeCount;
  }

  /** Number of chunks currently free. */
  get freeChunks(): number {
    return this.#freeCount;
  }

  /**
   * Allocates `count` chunks, lowest indices first, on behalf of `owner`.
   *
   * @param count - number of chunks, an integer >= 1
   * @param owner - owner tag recorded for each chunk (e.g. a region id), integer in `[0, MAX_CHUNK_OWNER]`
   * @returns the chunk indices, strictly ascending
   * @throws ChunkAllocatorError `invalid-count`, `invalid-owner`, or `insufficient-chunks` (nothing allocated)
   */
  allocate(count: number, owner: number = DEFAULT_CHUNK_OWNER): Uint32Array {
    if (!Number.isInteger(count) || count < 1) {
      throw new ChunkAllocatorError("invalid-count", `chunk count must be an integer >= 1, got ${String(count)}`);
    }
    checkOwner(owner);
    if (count > this.#freeCount) {
      throw new ChunkAllocatorError(
        "insufficient-chunks",
        `requested ${count} chunks but only ${this.#freeCount} of ${this.chunkCount} are free`,
      );
    }
    const out = new Uint32Array(count);
    let taken = 0;
    let word = this.#firstFreeWord;
    // Cannot run past the end: #freeCount >= count guarantees enough set bits at or above #firstFreeWord.
    while (taken < count) {
      word = this.#nextNonEmptyWord(word);
      const before = this.#free[word]!;
      let bits = before;
      const base = word * WORD_BITS;
      while (bits !== 0 && taken < count) {
        const bit = lowestBit(bits);
        out[taken++] = base + bit;
        bits = (bits & ~(1 << bit)) >>> 0;
      }
      this.#free[word] = bits;
      this.#everAllocated[word] = (this.#everAllocated[word]! | (before ^ bits)) >>> 0;
      if (bits === 0) {
        this.#summary[word >>> 5] = (this.#summary[word >>> 5]! & ~(1 << (word & 31))) >>> 0;
        word++;
      }
    }
    this.#firstFreeWord = word;
    for (let i = 0; i < count; i++) this.#owner[out[i]!] = owner;
    this.#ownerCounts.set(owner, (this.#ownerCounts.get(owner) ?? 0) + count);
    this.#freeCount -= count;
    return out;
  }

  /**
   * Frees the given chunks. All of them are checked before any is freed.
   *
   * @param chunks - chunk indices (any order), each currently allocated, none repeated
   * @param owner - if given, every chunk must be held by this owner
   * @throws ChunkAllocatorError `invalid-count` (empty list), `invalid-index`, `not-allocated`, `double-free`,
   *   `invalid-owner` or `owner-mismatch`; the allocator is unchanged when thrown
   */
  free(chunks: ArrayLike<number>, owner?: number): void {
    const count = chunks.length;
    if (!Number.isInteger(count) || count < 1 || count > this.chunkCount) {
      throw new ChunkAllocatorError(
        "invalid-count",
        `free needs between 1 and ${this.chunkCount} chunk indices, got ${String(count)}`,
      );
    }
    if (owner !== undefined) checkOwner(owner);
    // Pass 1: every index must name an allocated chunk of the right owner. The indices are copied so that
    // later passes cannot see different values than the ones validated (the argument may be a live view).
    const list = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const chunk = this.#checkIndex(chunks[i]);
      list[i] = chunk;
      if (this.#isFreeBit(chunk)) {
        const everAllocated = (this.#everAllocated[chunk >>> 5]! & (1 << (chunk & 31))) !== 0;
        throw everAllocated
          ? new ChunkAllocatorError("double-free", `chunk ${chunk} is already free`, chunk)
          : new ChunkAllocatorError("not-allocated", `chunk ${chunk} was never allocated`, chunk);
      }
      if (owner !== undefined && this.#owner[chunk] !== owner) {
        throw new ChunkAllocatorError(
          "owner-mismatch",
          `chunk ${chunk} belongs to owner ${this.#owner[chunk]}, not ${owner}`,
          chunk,
        );
      }
    }
    // Pass 2: set the free bits; a bit found already set here can only be a repeated index in this call.
    for (let i = 0; i < count; i++) {
      const chunk = list[i]!;
      const word = chunk >>> 5;
      const mask = 1 << (chunk & 31);
      if ((this.#free[word]! & mask) !== 0) {
        for (let j = 0; j < i; j++) {
          const undo = list[j]!;
          this.#free[undo >>> 5] = (this.#free[undo >>> 5]! & ~(1 << (undo & 31))) >>> 0;
        }
        throw new ChunkAllocatorError("double-free", `chunk ${chunk} is named twice in one free`, chunk);
      }
      this.#free[word] = (this.#free[word]! | mask) >>> 0;
    }
    // Pass 3: commit the derived state (summary, owners, counts, scan hint).
    let lowestWord = this.#firstFreeWord;
    for (let i = 0; i < count; i++) {
      const chunk = list[i]!;
      const word = chunk >>> 5;
      this.#summary[word >>> 5] = (this.#summary[word >>> 5]! | (1 << (word & 31))) >>> 0;
      if (word < lowestWord) lowestWord = word;
      const previous = this.#owner[chunk]!;
      this.#owner[chunk] = NO_OWNER;
      const left = this.#ownerCounts.get(previous)! - 1;
      if (left === 0) this.#ownerCounts.delete(previous);
      else this.#ownerCounts.set(previous, left);
    }
    this.#firstFreeWord = lowestWord;
    this.#freeCount += count;
  }

  /**
   * Frees every chunk held by `owner` (e.g. when a device is reset).
   *
   * @returns how many chunks were freed (0 if the owner held none)
   * @throws ChunkAllocatorError `invalid-owner`
   */
  freeAllOwnedBy(owner: number): number {
    checkOwner(owner);
    const held = this.#ownerCounts.get(owner) ?? 0;
    if (held === 0) return 0;
    const chunks = new Uint32Array(held);
    let n = 0;
    for (let chunk = 0; chunk < this.chunkCount && n < held; chunk++) {
      if (this.#owner[chunk] === owner) chunks[n++] = chunk;
    }
    this.free(chunks, owner);
    return held;
  }

  /**
   * @returns whether `chunk` is currently allocated
   * @throws ChunkAllocatorError `invalid-index`
   */
  isAllocated(chunk: number): boolean {
    return !this.#isFreeBit(this.#checkIndex(chunk));
  }

  /**
   * @returns the owner tag of an allocated chunk, or `undefined` if the chunk is free
   * @throws ChunkAllocatorError `invalid-index`
   */
  ownerOf(chunk: number): number | undefined {
    const owner = this.#owner[this.#checkIndex(chunk)]!;
    return owner === NO_OWNER ? undefined : owner;
  }

  /** @returns how many chunks `owner` holds (0 for an unknown owner) */
  chunksOwnedBy(owner: number): number {
    return this.#ownerCounts.get(owner) ?? 0;
  }

  /** @returns a snapshot of owner tag → number of chunks held, for owners holding at least one chunk */
  ownerCounts(): Map<number, number> {
    return new Map(this.#ownerCounts);
  }

  #checkIndex(chunk: number | undefined): number {
    if (typeof chunk !== "number" || !Number.isInteger(chunk) || chunk < 0 || chunk >= this.chunkCount) {
      throw new ChunkAllocatorError(
        "invalid-index",
        `chunk index must be an integer in [0, ${this.chunkCount}), got ${String(chunk)}`,
      );
    }
    return chunk;
  }

  #isFreeBit(chunk: number): boolean {
    return (this.#free[chunk >>> 5]! & (1 << (chunk & 31))) !== 0;
  }

  /** First level-0 word at or after `from` with a free bit; the caller guarantees one exists. */
  #nextNonEmptyWord(from: number): number {
    let s = from >>> 5;
    let bits = s < this.#summary.length ? (this.#summary[s]! & (-1 << (from & 31))) >>> 0 : 0;
    while (bits === 0) {
      s++;
      if (s >= this.#summary.length) {
        // Unreachable while #freeCount is kept consistent; fail loudly rather than corrupt state.
        throw new Error("ChunkAllocator invariant broken: free count says a chunk is free but none was found");
      }
      bits = this.#summary[s]!;
    }
    return s * WORD_BITS + lowestBit(bits);
  }
}

function checkOwner(owner: number): void {
  if (!Number.isInteger(owner) || owner < 0 || owner > MAX_CHUNK_OWNER) {
    throw new ChunkAllocatorError(
      "invalid-owner",
      `owner must be an integer in [0, ${MAX_CHUNK_OWNER}], got ${String(owner)}`,
    );
  }
}
