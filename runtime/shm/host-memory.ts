/**
 * The host's pool of region memory: allocates zeroed {@link SharedRegion}s within a byte capacity and releases
 * them once no device maps them.
 *
 * @module
 */
import { ShmError } from "./errors.js";
import { checkedAdd, chunksFor, isValidChunkSize } from "./geometry.js";
import { kReleaseRegion } from "./internal.js";
import { SharedRegion } from "./shared-region.js";

/** Limits of a {@link HostMemory}. */
export interface HostMemoryOptions {
  /** Most bytes of region memory held at once (default: no limit beyond the engine's). */
  readonly capacityBytes?: number;
}

/**
 * Allocator and owner of region memory for one communication domain.
 *
 * Invariant: `usedBytes` is the sum of `byteLength` over the regions returned by `regions()`, and never exceeds
 * `capacityBytes`.
 */
export class HostMemory {
  /** Most bytes of region memory held at once. */
  readonly capacityBytes: number;
  readonly #regions = new Map<number, SharedRegion>();
  #usedBytes = 0;
  #nextId = 1;

  /** @throws ShmError `invalid-size` for a capacity that is not a non-negative safe integer */
  constructor(options: HostMemoryOptions = {}) {
    const capacity = options.capacityBytes ?? Number.MAX_SAFE_INTEGER;
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new ShmError("invalid-size", `capacity must be a non-negative safe integer, got ${String(capacity)}`);
    }
    this.capacityBytes = capacity;
  }

  /** Bytes of region memory currently held. */
  get usedBytes(): number {
    return this.#usedBytes;
  }

  /** Number of regions currently held. */
  get regionCount(): number {
    return this.#regions.size;
  }

  /** Regions currently held, in allocation order. */
  regions(): SharedRegion[] {
    return [...this.#regions.values()];
  }

  /** @returns the live region with this id, if any */
  region(id: number): SharedRegion | undefined {
    return this.#regions.get(id);
  }

  /**
   * Allocates a zeroed region of `size` bytes in chunks of `chunkSize` (a size below one chunk still takes one).
   *
   * @throws ShmError `invalid-size`, `invalid-geometry`, or `host-memory-exhausted` (ISM `ENOMEM`)
   */
  allocateRegion(size: number, chunkSize: number): SharedRegion {
    if (!isValidChunkSize(chunkSize)) {
      throw new ShmError("invalid-geometry", `chunk size must be a power of two <= 2^30, got ${String(chunkSize)}`);
    }
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new ShmError("invalid-size", `region size must be an integer >= 1, got ${String(size)}`);
    }
    const bytes = chunksFor(size, chunkSize) * chunkSize;
    const total = checkedAdd(this.#usedBytes, bytes);
    if (!Number.isSafeInteger(bytes) || total === undefined || total > this.capacityBytes) {
      throw new ShmError(
        "host-memory-exhausted",
        `region of ${size} bytes needs ${bytes} bytes; ${this.capacityBytes - this.#usedBytes} of ${this.capacityBytes} are left`,
      );
    }
    const region = new SharedRegion({ id: this.#takeId(), size, chunkSize });
    this.#regions.set(region.id, region);
    this.#usedBytes = total;
    return region;
  }

  /**
   * Releases a region's memory.
   *
   * @throws ShmError `foreign-region`, `region-freed` (double free) or `region-in-use` (still mapped)
   */
  free(region: SharedRegion): void {
    if (this.#regions.get(region.id) !== region) {
      throw region.isFreed
        ? new ShmError("region-freed", `region ${region.id} was already freed`)
        : new ShmError("foreign-region", `region ${region.id} was not allocated by this host memory`);
    }
    if (region.isReferenced) {
      throw new ShmError("region-in-use", `region ${region.id} is still mapped by ${region.refCount} device(s)`);
    }
    this.#regions.delete(region.id);
    this.#usedBytes -= region.byteLength;
    region[kReleaseRegion]();
  }

  /**
   * Releases `region` if no device maps it any more (call after each unmap).
   *
   * @returns whether the region was released
   * @throws ShmError `foreign-region` or `region-freed`
   */
  releaseIfUnreferenced(region: SharedRegion): boolean {
    if (region.isReferenced) {
      if (this.#regions.get(region.id) !== region) {
        throw new ShmError("foreign-region", `region ${region.id} was not allocated by this host memory`);
      }
      return false;
    }
    this.free(region);
    return true;
  }

  #takeId(): number {
    // Ids are never reused while a region with that id is alive; 2^53 allocations cannot happen in practice.
    while (this.#regions.has(this.#nextId)) this.#nextId++;
    return this.#nextId++;
  }
}
