/**
 * One contiguous piece of guest-physical memory backed by (part of) an ArrayBuffer or SharedArrayBuffer,
 * with the typed-array views every access path needs created once, up front.
 *
 * @module
 */

import { GuestMemoryError } from "./errors.js";

/** How a caller describes a region when building a {@link GuestMemory}. */
export interface GuestMemoryRegionInit {
  /** Guest-physical address of the region's first byte. Must be a multiple of 8. */
  guestAddress: number;
  /** Backing store. A SharedArrayBuffer lets other worker_threads see the same guest memory. */
  buffer: ArrayBuffer | SharedArrayBuffer;
  /** Offset of the region inside `buffer`; a multiple of 8. Defaults to 0. */
  byteOffset?: number;
  /** Length of the region in bytes; defaults to the rest of the buffer after `byteOffset`. */
  byteLength?: number;
}

/**
 * Region alignment (bytes) demanded of both the guest address and the buffer offset.
 *
 * Why: atomic and typed-array accesses need the *host* offset to be a multiple of the access width, while
 * callers reason about *guest* alignment. Making both bases multiples of 8 makes the two alignments the same
 * for every width up to 8, so checking the guest address is enough.
 */
export const REGION_ALIGNMENT = 8;

/**
 * A validated region. Fields are public and read-only so hot paths (the virtqueue) can index the cached
 * views directly after one range check; nothing here is ever reallocated.
 */
export class GuestMemoryRegion {
  /** Guest-physical address of the first byte. */
  readonly guestAddress: number;
  /** Size in bytes (> 0). */
  readonly size: number;
  /** One past the last guest-physical address (`guestAddress + size`, exact: checked ≤ 2^53 - 1). */
  readonly end: number;
  /** The backing buffer. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  /** Offset of the region in `buffer`. */
  readonly byteOffset: number;
  /** True when `buffer` is a SharedArrayBuffer (Atomics.wait allowed). */
  readonly shared: boolean;
  /** Byte view of exactly this region. */
  readonly bytes: Uint8Array;
  /** DataView of exactly this region, for unaligned little-endian scalar access. */
  readonly view: DataView;
  /** u16 view (index = region offset / 2); host order, which {@link assertLittleEndianHost} pins to LE. */
  readonly u16: Uint16Array;
  /** u32 view (index = region offset / 4). */
  readonly u32: Uint32Array;
  /** i32 view (index = region offset / 4), the only 32-bit type Atomics.wait accepts. */
  readonly i32: Int32Array;

  /**
   * Validates `init` and builds the views.
   * @throws GuestMemoryError `invalid-region` when the description is malformed.
   */
  constructor(init: GuestMemoryRegionInit) {
    const { guestAddress, buffer } = init;
    const byteOffset = init.byteOffset ?? 0;
    if (!(buffer instanceof ArrayBuffer) && !isSharedArrayBuffer(buffer)) {
      throw new GuestMemoryError("invalid-region", guestAddress, 0, "buffer is not an ArrayBuffer or SharedArrayBuffer");
    }
    // A resizable/growable buffer could change size under the cached views, invalidating every range check.
    const flexible = buffer as { resizable?: boolean; growable?: boolean };
    if (flexible.resizable === true || flexible.growable === true) {
      throw new GuestMemoryError("invalid-region", guestAddress, 0, "resizable or growable buffers are not supported");
    }
    if (!isIndex(byteOffset) || byteOffset > buffer.byteLength) {
      throw new GuestMemoryError("invalid-region", guestAddress, 0, `byteOffset ${String(byteOffset)} outside buffer`);
    }
    const size = init.byteLength ?? buffer.byteLength - byteOffset;
    if (!isIndex(size) || size === 0 || size > buffer.byteLength - byteOffset) {
      throw new GuestMemoryError("invalid-region", guestAddress, size, "byteLength empty or outside buffer");
    }
    if (!isIndex(guestAddress)) {
      throw new GuestMemoryError("invalid-region", guestAddress, size, "guest address is not a safe integer");
    }
    const end = guestAddress + size;
    if (end > Number.MAX_SAFE_INTEGER) {
      throw new GuestMemoryError("invalid-region", guestAddress, size, "region end exceeds 2^53 - 1");
    }
    if (guestAddress % REGION_ALIGNMENT !== 0 || byteOffset % REGION_ALIGNMENT !== 0) {
      throw new GuestMemoryError(
        "invalid-region",
        guestAddress,
        size,
        `guest address and byteOffset must be multiples of ${REGION_ALIGNMENT}`,
      );
    }
    this.guestAddress = guestAddress;
    this.size = size;
    this.end = end;
    this.buffer = buffer;
    this.byteOffset = byteOffset;
    this.shared = isSharedArrayBuffer(buffer);
    this.bytes = new Uint8Array(buffer, byteOffset, size);
    this.view = new DataView(buffer, byteOffset, size);
    // Trailing bytes that do not fill a whole word are simply not addressable through the word views;
    // range checks compare against `size`, so a word straddling the end is refused before indexing.
    this.u16 = new Uint16Array(buffer, byteOffset, Math.floor(size / 2));
    this.u32 = new Uint32Array(buffer, byteOffset, Math.floor(size / 4));
    this.i32 = new Int32Array(buffer, byteOffset, Math.floor(size / 4));
  }

  /** True when `[address, address + length)` lies inside this region (caller guarantees integer inputs). */
  contains(address: number, length: number): boolean {
    return address >= this.guestAddress && length <= this.size && address - this.guestAddress <= this.size - length;
  }
}

/** A non-negative safe integer. */
export function isIndex(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** `instanceof SharedArrayBuffer` that also works where SharedArrayBuffer is not defined. */
function isSharedArrayBuffer(buffer: unknown): buffer is SharedArrayBuffer {
  return typeof SharedArrayBuffer !== "undefined" && buffer instanceof SharedArrayBuffer;
}

/** True on little-endian hosts (every platform Node ships on except s390x). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Throws on big-endian hosts. Why: ring words are read through Uint16Array/Uint32Array views (Atomics only
 * work on typed arrays), which use host byte order; virtio 1.x fields are little-endian.
 * @throws GuestMemoryError `unsupported-host`
 */
export function assertLittleEndianHost(): void {
  if (!HOST_IS_LITTLE_ENDIAN) {
    throw new GuestMemoryError("unsupported-host", 0, 0, "big-endian host: typed-array views would not be little-endian");
  }
}
