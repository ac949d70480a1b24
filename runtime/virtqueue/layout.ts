/**
 * Byte layout of a split virtqueue, identical to Linux's `struct vring` (`<linux/virtio_ring.h>`):
 *
 * ```text
 * desc  : struct vring_desc { le64 addr; le32 len; le16 flags; le16 next; } [size]       align 16
 * avail : le16 flags; le16 idx; le16 ring[size]; le16 used_event;                         align 2
 * used  : le16 flags; le16 idx; struct { le32 id; le32 len; } ring[size]; le16 avail_event; align 4
 * ```
 *
 * In virtio 1.x the three areas have independent addresses; the legacy contiguous layout (`vring_init`) is
 * available through {@link legacyRingAddresses}.
 *
 * @module
 */

import {
  VIRTQUEUE_MAX_SIZE,
  VRING_AVAIL_ALIGN_SIZE,
  VRING_DESC_ALIGN_SIZE,
  VRING_DESC_SIZE,
  VRING_USED_ALIGN_SIZE,
  VRING_USED_ELEM_SIZE,
} from "./constants.js";
import { VirtqueueError } from "./errors.js";
import type { VirtqueueLayoutReason } from "./errors.js";

/** Where the three areas of a split ring are, and its size. */
export interface SplitRingAddresses {
  /** Queue size (number of descriptors): a power of two, 1..32768. */
  size: number;
  /** Guest-physical address of the descriptor table (16-aligned). */
  descAddress: number;
  /** Guest-physical address of the available ring (2-aligned). */
  availAddress: number;
  /** Guest-physical address of the used ring (4-aligned). */
  usedAddress: number;
}

/** Byte offsets of each field inside its area, for a given queue size (all relative to the area start). */
export interface SplitRingFieldOffsets {
  /** avail.flags */
  availFlags: number;
  /** avail.idx */
  availIdx: number;
  /** avail.ring[0] */
  availRing: number;
  /** used_event (= avail.ring[size]) */
  usedEvent: number;
  /** used.flags */
  usedFlags: number;
  /** used.idx */
  usedIdx: number;
  /** used.ring[0] */
  usedRing: number;
  /** avail_event (= the u16 right after used.ring[size - 1]) */
  availEvent: number;
}

/** Bytes of the descriptor table: 16 × size. */
export function descTableBytes(size: number): number {
  return VRING_DESC_SIZE * size;
}

/** Bytes of the available ring including used_event: 6 + 2 × size. */
export function availRingBytes(size: number): number {
  return 6 + 2 * size;
}

/** Bytes of the used ring including avail_event: 6 + 8 × size. */
export function usedRingBytes(size: number): number {
  return 6 + VRING_USED_ELEM_SIZE * size;
}

/** Field offsets inside the avail and used areas for queue size `size`. */
export function splitRingFieldOffsets(size: number): SplitRingFieldOffsets {
  return {
    availFlags: 0,
    availIdx: 2,
    availRing: 4,
    usedEvent: 4 + 2 * size,
    usedFlags: 0,
    usedIdx: 2,
    usedRing: 4,
    availEvent: 4 + VRING_USED_ELEM_SIZE * size,
  };
}

/** Why `size` cannot be a split-ring size, or null when it can. */
export function ringSizeProblem(size: number): VirtqueueLayoutReason | null {
  if (!isPowerOfTwo(size)) return "ring-size-not-power-of-two";
  return size > VIRTQUEUE_MAX_SIZE ? "ring-size-too-large" : null;
}

/**
 * Total bytes of a legacy contiguous ring, exactly as C `vring_size(num, align)`:
 * desc + avail (with used_event) rounded up to `align`, then used (with avail_event).
 * @throws VirtqueueError for an invalid size or an `align` that is not a power of two.
 */
export function vringSize(size: number, align: number): number {
  assertRingSize(size);
  assertAlign(align);
  return alignUp(descTableBytes(size) + availRingBytes(size), align) + usedRingBytes(size);
}

/**
 * Addresses of the three areas for the legacy contiguous layout at `base`, exactly as C
 * `vring_init(vr, num, base, align)`: avail right after the table, used at the next `align` boundary after
 * used_event.
 * @throws VirtqueueError for an invalid size, alignment, or a base that is not 16-aligned or overflows.
 */
export function legacyRingAddresses(size: number, base: number, align: number): SplitRingAddresses {
  assertRingSize(size);
  assertAlign(align);
  if (!Number.isSafeInteger(base) || base < 0 || base % VRING_DESC_ALIGN_SIZE !== 0) {
    throw new VirtqueueError("misaligned-ring", `ring base ${base} is not a 16-aligned safe integer`);
  }
  const availAddress = base + descTableBytes(size);
  const usedAddress = alignUp(availAddress + availRingBytes(size), align);
  if (usedAddress + usedRingBytes(size) > Number.MAX_SAFE_INTEGER) {
    throw new VirtqueueError("ring-outside-memory", `ring at ${base} runs past 2^53 - 1`);
  }
  return { size, descAddress: base, availAddress, usedAddress };
}

/**
 * Why `addresses` is not a usable layout on its own (size and alignment; bounds against guest memory are
 * checked when the ring is bound), or null.
 */
export function ringAlignmentProblem(addresses: SplitRingAddresses): VirtqueueLayoutReason | null {
  const sizeProblem = ringSizeProblem(addresses.size);
  if (sizeProblem !== null) return sizeProblem;
  const { descAddress, availAddress, usedAddress } = addresses;
  for (const a of [descAddress, availAddress, usedAddress]) {
    if (!Number.isSafeInteger(a) || a < 0) return "ring-outside-memory";
  }
  if (
    descAddress % VRING_DESC_ALIGN_SIZE !== 0 ||
    availAddress % VRING_AVAIL_ALIGN_SIZE !== 0 ||
    usedAddress % VRING_USED_ALIGN_SIZE !== 0
  ) {
    return "misaligned-ring";
  }
  return null;
}

/** Power-of-two test valid for every safe integer (a bitwise test would stop at 2^31). */
function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

function assertRingSize(size: number): void {
  const problem = ringSizeProblem(size);
  if (problem !== null) throw new VirtqueueError(problem, `queue size ${size}`);
}

function assertAlign(align: number): void {
  if (!Number.isSafeInteger(align) || !isPowerOfTwo(align)) {
    throw new VirtqueueError("invalid-option", `alignment ${align} is not a power of two`);
  }
}

/** Rounds `value` up to a multiple of the power of two `align` (exact for safe integers). */
function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
