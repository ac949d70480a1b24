/**
 * Allocator of contiguous guest-memory buffers for the driver: control request/reply buffers, eventq buffers,
 * and — without `VIRTIO_ISM_F_DEV_MEM` — the buffers the driver lends for alloc and attach.
 *
 * First fit over a free list of extents sorted by address, coalesced on free. Every buffer is aligned to
 * {@link DMA_ALIGNMENT} bytes (le64 fields of requests and replies are then naturally aligned). The pool is
 * small (a few hundred live buffers at most), so a linear scan costs less than any tree would.
 *
 * Invariants (checked by {@link DmaPool.verify}): free extents are sorted, disjoint, non-adjacent (coalesced),
 * inside the pool; `freeBytes + usedBytes === length`; each live buffer is recorded once.
 *
 * @module
 */
import { IsmDriverError } from "./errors.js";

/** Alignment of every buffer. */
export const DMA_ALIGNMENT = 8;

/** Contiguous-buffer allocator over `[base, base + length)`; see the module comment. */
export class DmaPool {
  /** First address. */
  readonly base: number;
  /** Bytes managed. */
  readonly length: number;
  /** Free extents: parallel arrays of start and size, sorted by start. */
  #starts: number[] = [];
  #sizes: number[] = [];
  /** Live buffers: start → rounded size. */
  readonly #live = new Map<number, number>();
  #usedBytes = 0;

  /**
   * @param base - first address, a multiple of {@link DMA_ALIGNMENT}
   * @param length - bytes, a multiple of {@link DMA_ALIGNMENT}
   * @throws IsmDriverError `invalid-argument`
   */
  constructor(base: number, length: number) {
    if (!Number.isSafeInteger(base) || base < 0 || base % DMA_ALIGNMENT !== 0) {
      throw new IsmDriverError("invalid-argument", `pool base must be a non-negative multiple of ${DMA_ALIGNMENT}, got ${String(base)}`);
    }
    if (!Number.isSafeInteger(length) || length < DMA_ALIGNMENT || length % DMA_ALIGNMENT !== 0 || !Number.isSafeInteger(base + length)) {
      throw new IsmDriverError("invalid-argument", `pool length must be a positive multiple of ${DMA_ALIGNMENT}, got ${String(length)}`);
    }
    this.base = base;
    this.length = length;
    this.#starts.push(base);
    this.#sizes.push(length);
  }

  /** Bytes held by live buffers (rounded up to the alignment). */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Bytes free. */
  get freeBytes(): number {
    return this.length - this.#usedBytes;
  }

  /** Number of live buffers. */
  get liveBuffers(): number {
    return this.#live.size;
  }

  /**
   * Takes `size` contiguous bytes.
   *
   * @returns the buffer's guest-physical address
   * @throws IsmDriverError `invalid-argument` (size not a positive safe integer) or `out-of-memory`
   */
  allocate(size: number): number {
    if (!Number.isSafeInteger(size) || size < 1) throw new IsmDriverError("invalid-argument", `buffer size must be a positive integer, got ${String(size)}`);
    if (size > this.length) throw new IsmDriverError("out-of-memory", `a ${size}-byte buffer is larger than the ${this.length}-byte pool`);
    // size <= length <= 2^53 - 1 - base, so rounding up cannot leave the safe range.
    const rounded = Math.ceil(size / DMA_ALIGNMENT) * DMA_ALIGNMENT;
    const starts = this.#starts;
    const sizes = this.#sizes;
    for (let i = 0; i < starts.length; i++) {
      const extent = sizes[i]!;
      if (extent < rounded) continue;
      const at = starts[i]!;
      if (extent === rounded) {
        starts.splice(i, 1);
        sizes.splice(i, 1);
      } else {
        starts[i] = at + rounded;
        sizes[i] = extent - rounded;
      }
      this.#live.set(at, rounded);
      this.#usedBytes += rounded;
      return at;
    }
    throw new IsmDriverError("out-of-memory", `no ${size}-byte run free in the driver's guest memory (${this.freeBytes} bytes free, fragmented)`);
  }

  /** @returns whether `address` is a live buffer of this pool */
  owns(address: number): boolean {
    return this.#live.has(address);
  }

  /**
   * Returns a buffer.
   *
   * @throws IsmDriverError `invalid-argument` when `address` is not a live buffer (double or stray free;
   *   nothing changes)
   */
  free(address: number): void {
    const rounded = this.#live.get(address);
    if (rounded === undefined) throw new IsmDriverError("invalid-argument", `0x${Number(address).toString(16)} is not a live buffer of this pool`);
    this.#live.delete(address);
    this.#usedBytes -= rounded;
    const starts = this.#starts;
    const sizes = this.#sizes;
    // Insertion point: first extent starting after the buffer.
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! < address) lo = mid + 1;
      else hi = mid;
    }
    const end = address + rounded;
    const joinsPrevious = lo > 0 && starts[lo - 1]! + sizes[lo - 1]! === address;
    const joinsNext = lo < starts.length && starts[lo] === end;
    if (joinsPrevious && joinsNext) {
      sizes[lo - 1]! += rounded + sizes[lo]!;
      starts.splice(lo, 1);
      sizes.splice(lo, 1);
    } else if (joinsPrevious) {
      sizes[lo - 1]! += rounded;
    } else if (joinsNext) {
      starts[lo] = address;
      sizes[lo]! += rounded;
    } else {
      starts.splice(lo, 0, address);
      sizes.splice(lo, 0, rounded);
    }
  }

  /** @returns a description of each broken invariant (empty when consistent) */
  verify(): string[] {
    const problems: string[] = [];
    let free = 0;
    for (let i = 0; i < this.#starts.length; i++) {
      const s = this.#starts[i]!;
      const n = this.#sizes[i]!;
      free += n;
      if (n <= 0 || s < this.base || s + n > this.base + this.length) problems.push(`extent ${s}+${n} outside the pool`);
      if (i > 0 && this.#starts[i - 1]! + this.#sizes[i - 1]! >= s) problems.push(`extent ${s} overlaps or touches the previous one`);
    }
    let live = 0;
    for (const n of this.#live.values()) live += n;
    if (live !== this.#usedBytes) problems.push(`live buffers hold ${live} bytes, counter says ${this.#usedBytes}`);
    if (free + this.#usedBytes !== this.length) problems.push(`free ${free} + used ${this.#usedBytes} != ${this.length}`);
    return problems;
  }
}
