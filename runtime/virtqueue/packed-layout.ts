/**
 * Byte layout of a packed virtqueue (virtio 1.x §2.8), identical to Linux's `<linux/virtio_ring.h>`:
 *
 * ```text
 * descriptor ring : struct vring_packed_desc { le64 addr; le32 len; le16 id; le16 flags; } [size]  align 16
 * driver area     : struct vring_packed_desc_event { le16 off_wrap; le16 flags; }  (driver → device) align 4
 * device area     : struct vring_packed_desc_event { le16 off_wrap; le16 flags; }  (device → driver) align 4
 * ```
 *
 * The queue size need not be a power of two (§2.8.10.1 "the Queue Size value does not have to be a power
 * of 2"), at most 32768 (off_wrap keeps 15 bits of offset). The struct offsets are in descriptor-layout.ts.
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";
import { VIRTQUEUE_MAX_SIZE, VRING_DESC_ALIGN_SIZE } from "./constants.js";
import { PACKED_DESC, PACKED_DESC_EVENT, PACKED_EVENT_U16_FLAGS, PACKED_EVENT_U16_OFF_WRAP } from "./descriptor-layout.js";
import type { VirtqueueLayoutReason } from "./errors.js";

/** Required alignment of each event suppression area. */
export const VRING_PACKED_EVENT_ALIGN_SIZE = 4;

/** Where the three areas of a packed ring are, and its size. */
export interface PackedRingAddresses {
  /** Discriminant against {@link SplitRingAddresses}. */
  readonly layout: "packed";
  /** Queue size: 1..32768, any value. */
  readonly size: number;
  /** Guest-physical address of the descriptor ring (16-aligned). */
  readonly descAddress: number;
  /** Guest-physical address of the driver event suppression struct (4-aligned). */
  readonly driverEventAddress: number;
  /** Guest-physical address of the device event suppression struct (4-aligned). */
  readonly deviceEventAddress: number;
}

/** Bytes of the packed descriptor ring: 16 × size. */
export function packedRingBytes(size: number): number {
  return PACKED_DESC.size * size;
}

/** Why `size` cannot be a packed-ring size, or null. */
export function packedRingSizeProblem(size: number): VirtqueueLayoutReason | null {
  if (!Number.isSafeInteger(size) || size < 1) return "ring-size-invalid";
  return size > VIRTQUEUE_MAX_SIZE ? "ring-size-too-large" : null;
}

/**
 * Contiguous layout at `base`: the descriptor ring, then the driver area, then the device area (what QEMU
 * and Linux allocate for a packed ring). @throws nothing; check with {@link packedRingProblem}.
 */
export function contiguousPackedRing(size: number, base: number): PackedRingAddresses {
  const driverEventAddress = base + packedRingBytes(size);
  return { layout: "packed", size, descAddress: base, driverEventAddress, deviceEventAddress: driverEventAddress + PACKED_DESC_EVENT.size };
}

/** Total bytes of {@link contiguousPackedRing}. */
export function packedRingTotalBytes(size: number): number {
  return packedRingBytes(size) + 2 * PACKED_DESC_EVENT.size;
}

/** Why `a` is not a usable layout on its own (size, alignment), or null. */
export function packedRingProblem(a: PackedRingAddresses): VirtqueueLayoutReason | null {
  const sizeProblem = packedRingSizeProblem(a.size);
  if (sizeProblem !== null) return sizeProblem;
  for (const x of [a.descAddress, a.driverEventAddress, a.deviceEventAddress]) {
    if (!Number.isSafeInteger(x) || x < 0) return "ring-outside-memory";
  }
  if (
    a.descAddress % VRING_DESC_ALIGN_SIZE !== 0 ||
    a.driverEventAddress % VRING_PACKED_EVENT_ALIGN_SIZE !== 0 ||
    a.deviceEventAddress % VRING_PACKED_EVENT_ALIGN_SIZE !== 0
  ) {
    return "misaligned-ring";
  }
  return null;
}

/** Typed-array coordinates of one bound packed ring. */
export interface PackedRingViews {
  readonly size: number;
  readonly addresses: Readonly<PackedRingAddresses>;
  /** u32 view of the region holding the descriptor ring. */
  readonly descU32: Uint32Array;
  /** u32 index of desc[0]; desc[i] at `descU32Base + 4 * i`. */
  readonly descU32Base: number;
  /** u16 view of the region holding the descriptor ring. */
  readonly descU16: Uint16Array;
  /** u16 index of desc[0]; desc[i] at `descU16Base + 8 * i`. */
  readonly descU16Base: number;
  /** u16 view holding the driver area. */
  readonly driverU16: Uint16Array;
  /** u16 index of the driver area's off_wrap. */
  readonly driverOffWrap: number;
  /** u16 index of the driver area's flags. */
  readonly driverFlags: number;
  /** u32 view holding the driver area (one load reads off_wrap and flags together, as Linux does). */
  readonly driverU32: Uint32Array;
  /** u32 index of the driver area. */
  readonly driverWord: number;
  /** u16 view holding the device area. */
  readonly deviceU16: Uint16Array;
  /** u16 index of the device area's off_wrap. */
  readonly deviceOffWrap: number;
  /** u16 index of the device area's flags. */
  readonly deviceFlags: number;
  /** u32 view holding the device area. */
  readonly deviceU32: Uint32Array;
  /** u32 index of the device area. */
  readonly deviceWord: number;
}

/** Result of {@link bindPackedRing}. */
export type PackedBindResult =
  | { ok: true; views: PackedRingViews }
  | { ok: false; reason: VirtqueueLayoutReason; detail: string };

/**
 * Validates `a` against `memory` and computes the views; never throws (a hostile driver's layout becomes a
 * broken queue on the device side).
 */
export function bindPackedRing(memory: GuestMemory, a: PackedRingAddresses): PackedBindResult {
  const problem = packedRingProblem(a);
  if (problem !== null) return { ok: false, reason: problem, detail: describe(a) };
  const descRegion = memory.findRegion(a.descAddress, packedRingBytes(a.size));
  const driverRegion = memory.findRegion(a.driverEventAddress, PACKED_DESC_EVENT.size);
  const deviceRegion = memory.findRegion(a.deviceEventAddress, PACKED_DESC_EVENT.size);
  if (descRegion === undefined || driverRegion === undefined || deviceRegion === undefined) {
    const which = descRegion === undefined ? "descriptor ring" : driverRegion === undefined ? "driver area" : "device area";
    return { ok: false, reason: "ring-outside-memory", detail: `${which} is not inside one guest-memory region (${describe(a)})` };
  }
  // Region bases are 8-aligned, so the guest alignments (16, 4, 4) carry over to exact divisions.
  const descOffset = a.descAddress - descRegion.guestAddress;
  const driverOffset = a.driverEventAddress - driverRegion.guestAddress;
  const deviceOffset = a.deviceEventAddress - deviceRegion.guestAddress;
  return {
    ok: true,
    views: {
      size: a.size,
      addresses: Object.freeze({ ...a }),
      descU32: descRegion.u32,
      descU32Base: descOffset / 4,
      descU16: descRegion.u16,
      descU16Base: descOffset / 2,
      driverU16: driverRegion.u16,
      driverOffWrap: driverOffset / 2 + PACKED_EVENT_U16_OFF_WRAP,
      driverFlags: driverOffset / 2 + PACKED_EVENT_U16_FLAGS,
      driverU32: driverRegion.u32,
      driverWord: driverOffset / 4,
      deviceU16: deviceRegion.u16,
      deviceOffWrap: deviceOffset / 2 + PACKED_EVENT_U16_OFF_WRAP,
      deviceFlags: deviceOffset / 2 + PACKED_EVENT_U16_FLAGS,
      deviceU32: deviceRegion.u32,
      deviceWord: deviceOffset / 4,
    },
  };
}

/**
 * The fields of one little-endian u32 load of a `struct vring_packed_desc_event`: off_wrap comes first
 * (PACKED_DESC_EVENT.offWrap = 0), so it is the low half and flags the high half.
 */
export function eventFlagsOf(word: number): number {
  return word >>> 16;
}

/** See {@link eventFlagsOf}. */
export function eventOffWrapOf(word: number): number {
  return word & 0xffff;
}

/**
 * Linux's packed `vring_need_event` with a wrap counter (QEMU's `vring_packed_need_event`): `offWrap`'s
 * offset is moved back one ring when its wrap bit differs from `wrap`, then the split formula applies to ring
 * positions.
 */
export function packedNeedEvent(size: number, offWrap: number, wrap: number, newPos: number, oldPos: number): boolean {
  let off = offWrap & 0x7fff;
  if (offWrap >>> 15 !== wrap) off -= size;
  return ((newPos - off - 1) & 0xffff) < ((newPos - oldPos) & 0xffff);
}

function describe(a: PackedRingAddresses): string {
  const hex = (n: number): string => (Number.isSafeInteger(n) && n >= 0 ? `0x${n.toString(16)}` : String(n));
  return `packed size ${a.size}, desc ${hex(a.descAddress)}, driver area ${hex(a.driverEventAddress)}, device area ${hex(a.deviceEventAddress)}`;
}
