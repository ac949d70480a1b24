/**
 * Placement of a driver's rings and buffer pools in its guest memory: a bump allocator with checked
 * arithmetic, and the split-ring layout (descriptor table, available ring, used ring) of a queue.
 *
 * @module
 */
import { availRingBytes, descTableBytes, usedRingBytes } from "../virtqueue/index.js";
import type { SplitRingAddresses } from "../virtqueue/index.js";

/** Why a layout request was refused. */
export class GuestLayoutError extends Error {
  /** Always `out-of-memory` or `invalid-request`. */
  readonly reason: "out-of-memory" | "invalid-request";

  /**
   * @param reason - what went wrong
   * @param detail - specifics
   */
  constructor(reason: "out-of-memory" | "invalid-request", detail: string) {
    super(`guest layout ${reason}: ${detail}`);
    this.name = "GuestLayoutError";
    this.reason = reason;
  }
}

/** Bump allocator over `[start, start + size)` of guest-physical memory. */
export class GuestLayout {
  /** First address managed. */
  readonly start: number;
  /** One past the last address managed. */
  readonly end: number;
  #next: number;

  /**
   * @param start - first guest-physical address to hand out
   * @param size - bytes available
   * @throws GuestLayoutError `invalid-request` for a range that is not representable
   */
  constructor(start: number, size: number) {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || start < 0 || size < 0 || start + size > Number.MAX_SAFE_INTEGER) {
      throw new GuestLayoutError("invalid-request", `range ${String(start)}+${String(size)}`);
    }
    this.start = start;
    this.end = start + size;
    this.#next = start;
  }

  /** Bytes handed out so far (including alignment padding). */
  get used(): number {
    return this.#next - this.start;
  }

  /**
   * Reserves `bytes` at the next multiple of `align`.
   * @throws GuestLayoutError `invalid-request` (bad size or alignment) or `out-of-memory`
   */
  alloc(bytes: number, align = 8): number {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new GuestLayoutError("invalid-request", `size ${String(bytes)}`);
    if (!Number.isSafeInteger(align) || align < 1 || (align & (align - 1)) !== 0 || align > 1 << 30) {
      throw new GuestLayoutError("invalid-request", `alignment ${String(align)}`);
    }
    const at = Math.ceil(this.#next / align) * align;
    if (at > this.end || bytes > this.end - at) {
      throw new GuestLayoutError("out-of-memory", `${bytes} bytes aligned to ${align} do not fit (${this.end - this.#next} left)`);
    }
    this.#next = at + bytes;
    return at;
  }

  /** Places a split ring of `size` entries (desc 16-aligned, avail 2-aligned, used 4-aligned). */
  ring(size: number): SplitRingAddresses {
    const descAddress = this.alloc(descTableBytes(size), 16);
    const availAddress = this.alloc(availRingBytes(size), 2);
    const usedAddress = this.alloc(usedRingBytes(size), 4);
    return { size, descAddress, availAddress, usedAddress };
  }

  /** Places `count` consecutive buffers of `bufferSize` bytes; returns the first one's address. */
  pool(count: number, bufferSize: number, align = 64): number {
    if (!Number.isSafeInteger(count) || count <= 0 || !Number.isSafeInteger(bufferSize) || bufferSize <= 0) {
      throw new GuestLayoutError("invalid-request", `pool of ${String(count)} × ${String(bufferSize)}`);
    }
    const total = count * bufferSize;
    if (!Number.isSafeInteger(total)) throw new GuestLayoutError("invalid-request", `pool of ${count} × ${bufferSize} overflows`);
    return this.alloc(total, align);
  }
}
