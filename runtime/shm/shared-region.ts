/**
 * "Host physical memory" behind an ISM region: one SharedArrayBuffer of whole chunks, which every device that
 * maps the region sees through its own chunk slots (virtio-ism v3, "Physical Memory", "Alloc", "Attach").
 *
 * @module
 */
import { ShmError } from "./errors.js";
import { checkedMul, chunksFor, isValidChunkSize } from "./geometry.js";
import { kAttachMapping, kDetachMapping, kReleaseRegion } from "./internal.js";
import type { RegionMapping } from "./region-mapping.js";

/** Parameters of a {@link SharedRegion}. */
export interface SharedRegionOptions {
  /** Identifier chosen by the host memory (unique within it). */
  readonly id: number;
  /** Requested size in bytes (>= 1). Accesses are bounded by it, not by the chunk-rounded size. */
  readonly size: number;
  /** Chunk size of the devices that will map the region, a power of two. */
  readonly chunkSize: number;
}

/**
 * Backing memory of one region plus the list of mappings that refer to it.
 *
 * The buffer holds `chunkCount = max(1, ceil(size / chunkSize))` chunks; region chunk `i` occupies bytes
 * `[i * chunkSize, (i + 1) * chunkSize)`. A fresh SharedArrayBuffer is zero-filled by the ECMAScript spec, which
 * is the clearing the ISM proposal requires before a region is handed to a driver; buffers are never recycled,
 * so no data can leak from a freed region into a new one.
 *
 * Reference counting: every live {@link RegionMapping} is recorded here (`mappings`, `refCount`), so the host can
 * release the memory when nobody refers to it ({@link HostMemory.releaseIfUnreferenced}).
 */
export class SharedRegion {
  /** Identifier assigned by the host memory. */
  readonly id: number;
  /** Requested size in bytes; the effective part of the last chunk ends here. */
  readonly size: number;
  /** Chunk size, a power of two. */
  readonly chunkSize: number;
  /** Number of chunks backing the region. */
  readonly chunkCount: number;
  /** `chunkCount * chunkSize`: bytes of host memory held. */
  readonly byteLength: number;
  #buffer: SharedArrayBuffer | undefined;
  readonly #mappings = new Set<RegionMapping>();

  /**
   * Allocates the (zeroed) backing memory.
   *
   * @throws ShmError `invalid-size`, `invalid-geometry`, or `host-memory-exhausted` when the engine cannot
   *   allocate the buffer
   */
  constructor(options: SharedRegionOptions) {
    const { id, size, chunkSize } = options;
    if (!isValidChunkSize(chunkSize)) {
      throw new ShmError("invalid-geometry", `chunk size must be a power of two <= 2^30, got ${String(chunkSize)}`);
    }
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new ShmError("invalid-size", `region size must be an integer >= 1, got ${String(size)}`);
    }
    this.id = id;
    this.size = size;
    this.chunkSize = chunkSize;
    this.chunkCount = chunksFor(size, chunkSize);
    const byteLength = checkedMul(this.chunkCount, chunkSize);
    if (byteLength === undefined) {
      throw new ShmError("invalid-size", `region size ${size} rounded up to whole chunks is not a safe integer`);
    }
    this.byteLength = byteLength;
    try {
      this.#buffer = new SharedArrayBuffer(this.byteLength);
    } catch (cause) {
      if (cause instanceof RangeError) {
        throw new ShmError("host-memory-exhausted", `cannot allocate ${this.byteLength} bytes for region ${id}`, { cause });
      }
      throw cause;
    }
  }

  /**
   * The backing memory.
   *
   * @throws ShmError `region-freed` after the host released the region
   */
  get buffer(): SharedArrayBuffer {
    if (this.#buffer === undefined) throw new ShmError("region-freed", `region ${this.id} has been freed`);
    return this.#buffer;
  }

  /** Whether the host memory has released this region. */
  get isFreed(): boolean {
    return this.#buffer === undefined;
  }

  /** Live mappings of this region, in the order they were made. */
  get mappings(): readonly RegionMapping[] {
    return [...this.#mappings];
  }

  /** Number of live mappings (devices referring to the region). */
  get refCount(): number {
    return this.#mappings.size;
  }

  /** Whether any device still maps the region. */
  get isReferenced(): boolean {
    return this.#mappings.size > 0;
  }

  /**
   * Zeroes the whole region (all chunks, including the tail of the last one).
   *
   * @throws ShmError `region-freed`
   */
  clear(): void {
    new Uint8Array(this.buffer).fill(0);
  }

  /** Records a mapping (called by {@link DeviceMemory.map}). */
  [kAttachMapping](mapping: RegionMapping): void {
    if (this.#buffer === undefined) throw new ShmError("region-freed", `region ${this.id} has been freed`);
    this.#mappings.add(mapping);
  }

  /** Forgets a mapping (called by {@link DeviceMemory.unmap}). */
  [kDetachMapping](mapping: RegionMapping): void {
    this.#mappings.delete(mapping);
  }

  /** Drops the backing memory (called by {@link HostMemory.free} once no mapping is left). */
  [kReleaseRegion](): void {
    this.#buffer = undefined;
  }
}
