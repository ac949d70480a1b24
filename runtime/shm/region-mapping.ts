/**
 * One region mapped into one device memory: the chunk slots it occupies there and its read/write permissions.
 *
 * @module
 */
import { ShmError } from "./errors.js";
import { findSlot, isSafeNonNegative } from "./geometry.js";
import {
  CONTROL_PERMISSIONS,
  CONTROL_STATE,
  CONTROL_WORDS,
  STATE_MAPPED,
  STATE_UNMAPPED,
  kInvalidateMapping,
} from "./internal.js";
import { checkPermissions, describePermissions } from "./permissions.js";
import type { RegionPermissions } from "./permissions.js";
import { REGION_HANDLE_DESCRIPTOR_KIND, RegionHandle } from "./region-handle.js";
import type { SharedRegion } from "./shared-region.js";
import type { DeviceMemory } from "./device-memory.js";

/** What {@link DeviceMemory.map} passes to a new {@link RegionMapping}. */
export interface RegionMappingInit {
  /** Serial number of the mapping within its device (also its owner tag in the chunk allocator). */
  readonly id: number;
  /** The device memory holding the slots. */
  readonly device: DeviceMemory;
  /** The mapped region. */
  readonly region: SharedRegion;
  /** Allocated chunk slots, strictly ascending; slot `i` holds region chunk `i`. */
  readonly chunkSlots: Uint32Array;
  /** Initial read/write permissions. */
  readonly permissions: RegionPermissions;
}

/**
 * A region as one device sees it. Created by {@link DeviceMemory.map}; ended by {@link DeviceMemory.unmap},
 * after which it and every handle made from it (in any thread) refuse access with `unmapped`.
 *
 * The mapping's state and permissions live in a small SharedArrayBuffer (the control block) shared with its
 * handles, so unmap and permission changes reach handles in other threads without messages.
 */
export class RegionMapping {
  /** Serial number of the mapping within its device. */
  readonly id: number;
  /** The device memory the mapping lives in. */
  readonly device: DeviceMemory;
  /** The mapped region. */
  readonly region: SharedRegion;
  readonly #slots: Uint32Array;
  readonly #controlBuffer: SharedArrayBuffer;
  readonly #control: Int32Array;

  /** Use {@link DeviceMemory.map}; a mapping built directly is unknown to every device and region. */
  constructor(init: RegionMappingInit) {
    this.id = init.id;
    this.device = init.device;
    this.region = init.region;
    this.#slots = init.chunkSlots.slice();
    this.#controlBuffer = new SharedArrayBuffer(CONTROL_WORDS * 4);
    this.#control = new Int32Array(this.#controlBuffer);
    this.#control[CONTROL_PERMISSIONS] = checkPermissions(init.permissions);
    this.#control[CONTROL_STATE] = STATE_MAPPED;
  }

  /** Chunk slots occupied in the device memory (a copy), ascending. */
  get chunkSlots(): Uint32Array {
    return this.#slots.slice();
  }

  /** Device offsets of the chunks, ascending: the `chunks[]` an ISM alloc/attach reply reports. */
  chunkOffsets(): number[] {
    // Safe: slot < chunkCount and the device checked chunkCount * chunkSize is a safe integer.
    return Array.from(this.#slots, (slot) => slot * this.device.chunkSize);
  }

  /** Device offset of the first chunk: the ISM region `offset`. */
  get offset(): number {
    return this.#slots[0]! * this.device.chunkSize;
  }

  /**
   * @returns the region byte seen at device offset `deviceOffset` through this mapping, or `undefined` when that
   *   offset is not in one of the mapping's chunk slots or lies past the region's size
   */
  regionOffsetOf(deviceOffset: number): number | undefined {
    if (!isSafeNonNegative(deviceOffset)) return undefined;
    const chunkSize = this.device.chunkSize;
    const slot = Math.floor(deviceOffset / chunkSize);
    const index = findSlot(this.#slots, slot);
    if (index < 0) return undefined;
    const regionOffset = index * chunkSize + (deviceOffset - slot * chunkSize);
    return regionOffset < this.region.size ? regionOffset : undefined;
  }

  /** Whether the mapping is still in place. */
  get isMapped(): boolean {
    return Atomics.load(this.#control, CONTROL_STATE) === STATE_MAPPED;
  }

  /** Current read/write permissions of the mapping. */
  get permissions(): RegionPermissions {
    return Atomics.load(this.#control, CONTROL_PERMISSIONS);
  }

  /**
   * Changes the mapping's permissions; existing handles (in any thread) are limited by them from their next
   * access on.
   *
   * @throws ShmError `invalid-permissions` or `unmapped`
   */
  setPermissions(permissions: RegionPermissions): void {
    checkPermissions(permissions);
    this.#assertMapped();
    Atomics.store(this.#control, CONTROL_PERMISSIONS, permissions);
  }

  /**
   * Creates an access handle.
   *
   * @param permissions - the handle's permissions; must be a subset of the mapping's (default: all of them)
   * @throws ShmError `unmapped`, `invalid-permissions`, or `permission-denied` when asking for more than the
   *   mapping grants
   */
  handle(permissions: RegionPermissions = this.permissions): RegionHandle {
    checkPermissions(permissions);
    this.#assertMapped();
    const granted = this.permissions;
    if ((permissions & ~granted) !== 0) {
      throw new ShmError(
        "permission-denied",
        `handle asks for ${describePermissions(permissions)} but the mapping grants ${describePermissions(granted)}`,
      );
    }
    return RegionHandle.fromDescriptor({
      kind: REGION_HANDLE_DESCRIPTOR_KIND,
      version: 1,
      regionBuffer: this.region.buffer,
      regionSize: this.region.size,
      chunkSize: this.device.chunkSize,
      deviceByteLength: this.device.byteLength,
      chunkSlots: this.#slots,
      permissions,
      control: this.#controlBuffer,
    });
  }

  /** Marks the mapping unmapped (called by {@link DeviceMemory.unmap}); permanent. */
  [kInvalidateMapping](): void {
    Atomics.store(this.#control, CONTROL_STATE, STATE_UNMAPPED);
  }

  #assertMapped(): void {
    if (!this.isMapped) throw new ShmError("unmapped", `mapping ${this.id} of region ${this.region.id} has been unmapped`);
  }
}
