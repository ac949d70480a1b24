/**
 * A driver's access handle to one mapped region, addressed by device-memory offsets.
 *
 * A handle is plain data over shared memory (the region's buffer, the mapping's chunk slots, the mapping's
 * control block), so it can be serialised with {@link RegionHandle.toDescriptor}, posted to a worker thread and
 * rebuilt there with {@link RegionHandle.fromDescriptor}; both copies see the same bytes, the same unmap and the
 * same permission changes.
 *
 * Translation: device offset `o` lies in chunk slot `s = floor(o / chunkSize)`. If `s` is the `i`-th slot of
 * the mapping (slots are ascending, and region chunk `i` is mapped to the `i`-th slot "in order", as the ISM
 * proposal says), the byte is region byte `i * chunkSize + o % chunkSize`. An access may span several slots;
 * each slot it touches must belong to this mapping, and region bytes past the region's `size` (the ineffective
 * tail of the last chunk) are out of bounds.
 *
 * Region-relative methods (`readRegion`, `readRegionInto`, `writeRegion`) address the region as one linear
 * buffer instead — what a driver that has stitched the chunks together would see — with the same permission,
 * liveness and bounds checks; they need no translation because the host memory behind a region is contiguous.
 *
 * Every access is validated completely (liveness, permission, bounds, every slot) before the first byte is
 * copied, so a refused access writes nothing.
 *
 * Memory ordering: the copies are plain (non-atomic) accesses to shared memory. A reader in another thread is
 * guaranteed to see a write only if the two are ordered by an atomic operation, e.g. the writer rings a
 * {@link Doorbell} after writing and the reader reads after its wait returns.
 *
 * Use after unmap is refused (`unmapped`). The check is made once per access: an access already validated in
 * one thread while another thread unmaps may still complete, into memory that stays valid (a region's buffer is
 * never reused) — the same window a real device has between unmap and the end of an in-flight DMA.
 *
 * @module
 */
import { ShmError } from "./errors.js";
import {
  checkedAdd,
  checkedMul,
  chunksFor,
  findSlot,
  isSafeNonNegative,
  isSharedArrayBuffer,
  isValidChunkSize,
} from "./geometry.js";
import { CONTROL_PERMISSIONS, CONTROL_STATE, CONTROL_WORDS, STATE_MAPPED } from "./internal.js";
import { REGION_PERM_READ, REGION_PERM_WRITE, checkPermissions, describePermissions } from "./permissions.js";
import type { RegionPermissions } from "./permissions.js";

/** Tag of a serialised {@link RegionHandle}. */
export const REGION_HANDLE_DESCRIPTOR_KIND = "virtiokit/region-handle";

/**
 * Structured-clone-safe form of a {@link RegionHandle}: post it to a worker (the SharedArrayBuffers are shared,
 * not copied) and rebuild the handle with {@link RegionHandle.fromDescriptor}.
 */
export interface RegionHandleDescriptor {
  /** Always {@link REGION_HANDLE_DESCRIPTOR_KIND}. */
  readonly kind: typeof REGION_HANDLE_DESCRIPTOR_KIND;
  /** Format version, 1. */
  readonly version: 1;
  /** The region's backing memory. */
  readonly regionBuffer: SharedArrayBuffer;
  /** Region size in bytes (accesses end here). */
  readonly regionSize: number;
  /** Chunk size shared by the region and the device memory. */
  readonly chunkSize: number;
  /** Size of the device memory the offsets refer to. */
  readonly deviceByteLength: number;
  /** Chunk slots of the mapping, strictly ascending; slot `i` holds region chunk `i`. */
  readonly chunkSlots: Uint32Array;
  /** Permissions of this handle (further limited by the mapping's current permissions). */
  readonly permissions: RegionPermissions;
  /** The mapping's control block (state and current permissions). */
  readonly control: SharedArrayBuffer;
}

/** Permission-checked, bounds-checked reader/writer of a mapped region. Obtain one from {@link RegionMapping.handle}. */
export class RegionHandle {
  /** Permissions this handle was created with. */
  readonly permissions: RegionPermissions;
  /** Chunk size in bytes. */
  readonly chunkSize: number;
  /** Region size in bytes. */
  readonly regionSize: number;
  /** Size of the device memory the offsets refer to. */
  readonly deviceByteLength: number;
  readonly #slots: Uint32Array;
  readonly #bytes: Uint8Array;
  readonly #regionBuffer: SharedArrayBuffer;
  readonly #controlBuffer: SharedArrayBuffer;
  readonly #control: Int32Array;

  private constructor(d: RegionHandleDescriptor, slots: Uint32Array) {
    this.permissions = d.permissions;
    this.chunkSize = d.chunkSize;
    this.regionSize = d.regionSize;
    this.deviceByteLength = d.deviceByteLength;
    this.#slots = slots;
    this.#regionBuffer = d.regionBuffer;
    this.#bytes = new Uint8Array(d.regionBuffer, 0, slots.length * d.chunkSize);
    this.#controlBuffer = d.control;
    this.#control = new Int32Array(d.control, 0, CONTROL_WORDS);
  }

  /**
   * Rebuilds a handle from a descriptor, validating every field (the descriptor may come from another thread
   * and is treated as untrusted input).
   *
   * @throws ShmError `invalid-descriptor`
   */
  static fromDescriptor(descriptor: unknown): RegionHandle {
    const fail = (why: string): never => {
      throw new ShmError("invalid-descriptor", `invalid region handle descriptor: ${why}`);
    };
    if (typeof descriptor !== "object" || descriptor === null) return fail("not an object");
    const d = descriptor as Partial<Record<keyof RegionHandleDescriptor, unknown>>;
    if (d.kind !== REGION_HANDLE_DESCRIPTOR_KIND || d.version !== 1) return fail("wrong kind or version");
    if (!isSharedArrayBuffer(d.regionBuffer) || !isSharedArrayBuffer(d.control)) return fail("buffers must be SharedArrayBuffers");
    if (d.control.byteLength < CONTROL_WORDS * 4) return fail("control block too small");
    if (!isValidChunkSize(d.chunkSize)) return fail("chunk size must be a power of two <= 2^30");
    if (!isSafeNonNegative(d.regionSize) || d.regionSize < 1) return fail("region size must be an integer >= 1");
    if (!isSafeNonNegative(d.deviceByteLength) || d.deviceByteLength % d.chunkSize !== 0) {
      return fail("device size must be a whole number of chunks");
    }
    let permissions: number;
    try {
      permissions = checkPermissions(d.permissions);
    } catch {
      return fail("bad permission bits");
    }
    const count = chunksFor(d.regionSize, d.chunkSize);
    const needed = checkedMul(count, d.chunkSize);
    if (needed === undefined || d.regionBuffer.byteLength < needed) return fail("region buffer smaller than the region");
    const rawSlots = d.chunkSlots;
    if (!(rawSlots instanceof Uint32Array) && !Array.isArray(rawSlots)) return fail("chunk slots must be a Uint32Array or an array");
    if (rawSlots.length !== count) return fail(`expected ${count} chunk slots, got ${rawSlots.length}`);
    const slotCount = d.deviceByteLength / d.chunkSize;
    const slots = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const s: unknown = rawSlots[i];
      if (typeof s !== "number" || !Number.isInteger(s) || s < 0 || s >= slotCount) return fail(`chunk slot ${i} out of range`);
      if (i > 0 && s <= slots[i - 1]!) return fail("chunk slots must be strictly ascending");
      slots[i] = s;
    }
    return new RegionHandle(
      {
        kind: REGION_HANDLE_DESCRIPTOR_KIND,
        version: 1,
        regionBuffer: d.regionBuffer,
        regionSize: d.regionSize,
        chunkSize: d.chunkSize,
        deviceByteLength: d.deviceByteLength,
        chunkSlots: slots,
        permissions,
        control: d.control,
      },
      slots,
    );
  }

  /** @returns a structured-clone-safe descriptor of this handle (buffers shared, slots copied) */
  toDescriptor(): RegionHandleDescriptor {
    return {
      kind: REGION_HANDLE_DESCRIPTOR_KIND,
      version: 1,
      regionBuffer: this.#regionBuffer,
      regionSize: this.regionSize,
      chunkSize: this.chunkSize,
      deviceByteLength: this.deviceByteLength,
      chunkSlots: this.#slots.slice(),
      permissions: this.permissions,
      control: this.#controlBuffer,
    };
  }

  /** Whether the mapping is still in place (false forever after unmap). */
  get isValid(): boolean {
    return Atomics.load(this.#control, CONTROL_STATE) === STATE_MAPPED;
  }

  /** This handle's permissions intersected with the mapping's current ones. */
  get effectivePermissions(): RegionPermissions {
    return this.permissions & Atomics.load(this.#control, CONTROL_PERMISSIONS);
  }

  /** The mapping's chunk slots (a copy), ascending. */
  get chunkSlots(): Uint32Array {
    return this.#slots.slice();
  }

  /** Device offset of the region's first chunk: how the ISM device names the region. */
  get offset(): number {
    return this.#slots[0]! * this.chunkSize;
  }

  /**
   * @returns the device offset at which region byte `regionOffset` is seen through this mapping
   * @throws ShmError `invalid-offset` or `out-of-bounds` (past the region's size)
   */
  deviceOffsetOf(regionOffset: number): number {
    if (!isSafeNonNegative(regionOffset)) throw new ShmError("invalid-offset", `region offset must be a non-negative integer, got ${String(regionOffset)}`);
    if (regionOffset >= this.regionSize) {
      throw new ShmError("out-of-bounds", `region offset ${regionOffset} is past the region size ${this.regionSize}`);
    }
    const index = Math.floor(regionOffset / this.chunkSize);
    return this.#slots[index]! * this.chunkSize + (regionOffset - index * this.chunkSize);
  }

  /**
   * Copies `length` bytes starting at device offset `offset` into a new array.
   *
   * @throws ShmError `unmapped`, `permission-denied`, `invalid-offset`, `out-of-bounds` or `not-mapped`
   */
  read(offset: number, length: number): Uint8Array {
    if (!isSafeNonNegative(length)) throw new ShmError("invalid-offset", `length must be a non-negative integer, got ${String(length)}`);
    this.#check(REGION_PERM_READ, offset, length);
    const out = new Uint8Array(length);
    this.#walk(offset, length, out, false);
    return out;
  }

  /**
   * Fills `target` with the bytes starting at device offset `offset`.
   *
   * @throws ShmError `unmapped`, `permission-denied`, `invalid-offset`, `out-of-bounds` or `not-mapped`
   *   (`target` untouched)
   */
  readInto(offset: number, target: Uint8Array): void {
    this.#check(REGION_PERM_READ, offset, target.length);
    this.#walk(offset, target.length, target, false);
  }

  /**
   * Writes `data` at device offset `offset`; the write may span chunk slots of this mapping.
   *
   * @throws ShmError `unmapped`, `permission-denied`, `invalid-offset`, `out-of-bounds` or `not-mapped`
   *   (nothing written)
   */
  write(offset: number, data: Uint8Array): void {
    this.#check(REGION_PERM_WRITE, offset, data.length);
    this.#walk(offset, data.length, data, true);
  }

  /**
   * Copies `length` bytes starting at region byte `regionOffset` (region-relative addressing: the region as one
   * linear buffer, whatever slots hold its chunks in this device).
   *
   * @throws ShmError `unmapped`, `permission-denied`, `invalid-offset` or `out-of-bounds`
   */
  readRegion(regionOffset: number, length: number): Uint8Array {
    if (!isSafeNonNegative(length)) throw new ShmError("invalid-offset", `length must be a non-negative integer, got ${String(length)}`);
    this.#checkRegion(REGION_PERM_READ, regionOffset, length);
    return this.#bytes.slice(regionOffset, regionOffset + length);
  }

  /**
   * Fills `target` from region byte `regionOffset` on (region-relative addressing).
   *
   * @throws ShmError `unmapped`, `permission-denied`, `invalid-offset` or `out-of-bounds` (`target` untouched)
   */
  readRegionInto(regionOffset: number, target: Uint8Array): void {
    this.#checkRegion(REGION_PERM_READ, regionOffset, target.length);
    target.set(this.#bytes.subarray(regionOffset, regionOffset + target.length));
  }

  /**
   * Writes `data` at region byte `regionOffset` (region-relative addressing).
   *
   * @throws ShmError `unmapped`, `permission-denied`, `invalid-offset` or `out-of-bounds` (nothing written)
   */
  writeRegion(regionOffset: number, data: Uint8Array): void {
    this.#checkRegion(REGION_PERM_WRITE, regionOffset, data.length);
    this.#bytes.set(data, regionOffset);
  }

  #checkRegion(needed: number, regionOffset: number, length: number): void {
    this.#checkAccess(needed);
    if (!isSafeNonNegative(regionOffset)) {
      throw new ShmError("invalid-offset", `region offset must be a non-negative integer, got ${String(regionOffset)}`);
    }
    const end = checkedAdd(regionOffset, length);
    if (end === undefined || end > this.regionSize) {
      throw new ShmError("out-of-bounds", `access [${regionOffset}, +${length}) is past the region size ${this.regionSize}`);
    }
  }

  /** Liveness and permission: the checks every access makes first. */
  #checkAccess(needed: number): void {
    if (!this.isValid) throw new ShmError("unmapped", "the mapping behind this handle has been unmapped");
    const effective = this.effectivePermissions;
    if ((effective & needed) === 0) {
      throw new ShmError(
        "permission-denied",
        `${needed === REGION_PERM_WRITE ? "write" : "read"} refused: handle permissions are ${describePermissions(effective)}`,
      );
    }
  }

  /** Validates a device-offset access completely; throws before anything is copied. */
  #check(needed: number, offset: number, length: number): void {
    this.#checkAccess(needed);
    if (!isSafeNonNegative(offset)) throw new ShmError("invalid-offset", `offset must be a non-negative integer, got ${String(offset)}`);
    const end = checkedAdd(offset, length);
    if (end === undefined || end > this.deviceByteLength) {
      throw new ShmError("out-of-bounds", `access [${offset}, +${length}) is past the device memory (${this.deviceByteLength} bytes)`);
    }
    this.#walk(offset, length, undefined, false);
  }

  /**
   * Visits the pieces of `[offset, offset + length)` that fall in successive chunk slots. Without `data` it only
   * validates (throws `not-mapped` / `out-of-bounds`); with `data` it copies, and cannot fail because the same
   * walk was validated just before.
   */
  #walk(offset: number, length: number, data: Uint8Array | undefined, toRegion: boolean): void {
    const chunkSize = this.chunkSize;
    const slots = this.#slots;
    let position = offset;
    let done = 0;
    let index = -1;
    while (done < length) {
      const slot = Math.floor(position / chunkSize);
      // Consecutive slots are the common case (a fresh device hands out contiguous runs): try index + 1 first.
      index = index >= 0 && index + 1 < slots.length && slots[index + 1] === slot ? index + 1 : findSlot(slots, slot);
      if (index < 0) {
        throw new ShmError("not-mapped", `device offset ${position} (chunk slot ${slot}) is not part of this mapping`);
      }
      const within = position - slot * chunkSize;
      const piece = Math.min(chunkSize - within, length - done);
      const regionPosition = index * chunkSize + within;
      if (regionPosition + piece > this.regionSize) {
        throw new ShmError("out-of-bounds", `access reaches region byte ${regionPosition + piece}, past the region size ${this.regionSize}`);
      }
      if (data !== undefined) {
        if (toRegion) this.#bytes.set(data.subarray(done, done + piece), regionPosition);
        else data.set(this.#bytes.subarray(regionPosition, regionPosition + piece), done);
      }
      position += piece;
      done += piece;
    }
  }
}
