/**
 * A device's memory of `chunkCount` equal chunk slots (the ISM "device memory", exposed to the driver as the
 * `VIRTIO_ISM_SHM_ID_REGIONS` shared memory region), into which regions are mapped.
 *
 * Mapping a region takes `region.chunkCount` free slots (lowest first, not necessarily contiguous) and maps
 * region chunk `i` to the `i`-th slot. The same region therefore has different chunk offsets in each device that
 * maps it, as virtio-ism v3 describes for alloc and attach.
 *
 * @module
 */
import { ChunkAllocator, ChunkAllocatorError, MAX_CHUNK_COUNT, MAX_CHUNK_OWNER } from "../alloc/index.js";
import { ShmError } from "./errors.js";
import { checkedMul, isValidChunkSize } from "./geometry.js";
import { kAttachMapping, kDetachMapping, kInvalidateMapping } from "./internal.js";
import { REGION_PERM_READ_WRITE, checkPermissions } from "./permissions.js";
import type { RegionPermissions } from "./permissions.js";
import { RegionMapping } from "./region-mapping.js";
import type { SharedRegion } from "./shared-region.js";

/** Geometry of a {@link DeviceMemory}. */
export interface DeviceMemoryOptions {
  /** Number of chunk slots, 1..2^24. */
  readonly chunkCount: number;
  /** Chunk size in bytes (the ISM `chunk_size` config field), a power of two <= 2^30. */
  readonly chunkSize: number;
}

/** A device offset resolved to the mapping and region byte it reaches. */
export interface DeviceAddress {
  /** The mapping whose chunk slot contains the offset. */
  readonly mapping: RegionMapping;
  /** Byte within the mapped region. */
  readonly regionOffset: number;
}

/**
 * Chunk-slot space of one device plus the mappings placed in it.
 *
 * Invariants: each allocated slot belongs to exactly one live mapping, whose id is the slot's owner tag in the
 * chunk allocator; a region is mapped at most once per device; `unmap` returns every slot of the mapping.
 */
export class DeviceMemory {
  /** Number of chunk slots. */
  readonly chunkCount: number;
  /** Chunk size in bytes. */
  readonly chunkSize: number;
  /** `chunkCount * chunkSize`. */
  readonly byteLength: number;
  readonly #slots: ChunkAllocator;
  readonly #mappings = new Map<number, RegionMapping>();
  #nextMappingId = 1;

  /** @throws ShmError `invalid-geometry` */
  constructor(options: DeviceMemoryOptions) {
    const { chunkCount, chunkSize } = options;
    if (!isValidChunkSize(chunkSize)) {
      throw new ShmError("invalid-geometry", `chunk size must be a power of two <= 2^30, got ${String(chunkSize)}`);
    }
    if (!Number.isInteger(chunkCount) || chunkCount < 1 || chunkCount > MAX_CHUNK_COUNT) {
      throw new ShmError("invalid-geometry", `chunk count must be an integer in [1, ${MAX_CHUNK_COUNT}], got ${String(chunkCount)}`);
    }
    const byteLength = checkedMul(chunkCount, chunkSize);
    if (byteLength === undefined) {
      throw new ShmError("invalid-geometry", `device memory of ${chunkCount} x ${chunkSize} bytes is not addressable`);
    }
    this.chunkCount = chunkCount;
    this.chunkSize = chunkSize;
    this.byteLength = byteLength;
    this.#slots = new ChunkAllocator(chunkCount);
  }

  /** Chunk slots in use by mappings. */
  get allocatedChunks(): number {
    return this.#slots.allocatedChunks;
  }

  /** Chunk slots free for new mappings. */
  get freeChunks(): number {
    return this.#slots.freeChunks;
  }

  /** Live mappings of this device. */
  get mappings(): readonly RegionMapping[] {
    return [...this.#mappings.values()];
  }

  /** @returns the live mapping of `region` in this device, if any */
  mappingOf(region: SharedRegion): RegionMapping | undefined {
    for (const m of this.#mappings.values()) if (m.region === region) return m;
    return undefined;
  }

  /**
   * Maps `region` into free chunk slots (all or nothing).
   *
   * @param permissions - read/write permissions of the mapping (default read+write)
   * @throws ShmError `region-freed`, `chunk-size-mismatch`, `already-mapped`, `invalid-permissions`, or
   *   `insufficient-chunks` (ISM `ENOSPEC`); nothing is allocated when thrown
   */
  map(region: SharedRegion, permissions: RegionPermissions = REGION_PERM_READ_WRITE): RegionMapping {
    checkPermissions(permissions);
    if (region.isFreed) throw new ShmError("region-freed", `region ${region.id} has been freed`);
    if (region.chunkSize !== this.chunkSize) {
      throw new ShmError("chunk-size-mismatch", `region ${region.id} has ${region.chunkSize}-byte chunks, device has ${this.chunkSize}`);
    }
    if (this.mappingOf(region) !== undefined) {
      throw new ShmError("already-mapped", `region ${region.id} is already mapped in this device`);
    }
    const id = this.#takeMappingId();
    let slots: Uint32Array;
    try {
      slots = this.#slots.allocate(region.chunkCount, id);
    } catch (cause) {
      if (cause instanceof ChunkAllocatorError && cause.reason === "insufficient-chunks") {
        throw new ShmError(
          "insufficient-chunks",
          `region ${region.id} needs ${region.chunkCount} chunks, ${this.#slots.freeChunks} are free`,
          { cause },
        );
      }
      throw cause;
    }
    const mapping = new RegionMapping({ id, device: this, region, chunkSlots: slots, permissions });
    this.#mappings.set(id, mapping);
    region[kAttachMapping](mapping);
    return mapping;
  }

  /**
   * Unmaps `mapping`: its handles stop working everywhere, its slots are freed, the region forgets it.
   *
   * @returns how many mappings of the region remain (0 = the host may free the region)
   * @throws ShmError `already-unmapped` or `foreign-mapping` (nothing changed)
   */
  unmap(mapping: RegionMapping): number {
    if (this.#mappings.get(mapping.id) !== mapping) {
      throw mapping.device === this && !mapping.isMapped
        ? new ShmError("already-unmapped", `mapping ${mapping.id} was already unmapped`)
        : new ShmError("foreign-mapping", `mapping ${mapping.id} does not belong to this device`);
    }
    // Invalidate first so no handle can start an access into slots that are about to be reused.
    mapping[kInvalidateMapping]();
    this.#slots.free(mapping.chunkSlots, mapping.id);
    this.#mappings.delete(mapping.id);
    mapping.region[kDetachMapping](mapping);
    return mapping.region.refCount;
  }

  /**
   * Unmaps everything (device reset).
   *
   * @returns the regions that were mapped, so the caller can release those nobody refers to any more
   */
  unmapAll(): SharedRegion[] {
    const regions: SharedRegion[] = [];
    for (const m of [...this.#mappings.values()]) {
      this.unmap(m);
      regions.push(m.region);
    }
    return regions;
  }

  /** @returns how many chunk slots `mapping` holds in this device (0 if it is not one of this device's live mappings) */
  chunksHeldBy(mapping: RegionMapping): number {
    return this.#mappings.get(mapping.id) === mapping ? this.#slots.chunksOwnedBy(mapping.id) : 0;
  }

  /** @returns the mapping and region byte behind device offset `offset`, or `undefined` if nothing is mapped there */
  resolve(offset: number): DeviceAddress | undefined {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.byteLength) return undefined;
    const owner = this.#slots.ownerOf(Math.floor(offset / this.chunkSize));
    const mapping = owner === undefined ? undefined : this.#mappings.get(owner);
    const regionOffset = mapping?.regionOffsetOf(offset);
    return mapping !== undefined && regionOffset !== undefined ? { mapping, regionOffset } : undefined;
  }

  /** Next mapping id not used by a live mapping; ids are chunk-owner tags, so they stay within the owner range. */
  #takeMappingId(): number {
    for (;;) {
      const id = this.#nextMappingId;
      this.#nextMappingId = id >= MAX_CHUNK_OWNER ? 1 : id + 1;
      if (!this.#mappings.has(id)) return id;
    }
  }
}
