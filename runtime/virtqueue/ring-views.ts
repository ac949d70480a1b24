/**
 * Binds a split-ring layout to guest memory once, producing typed-array indices for every ring field so the
 * driver and device hot paths touch memory without any per-access range check.
 *
 * Invariant (established by {@link bindSplitRing}, relied on by every indexed access in driver.ts and
 * device.ts): each of the three areas lies wholly inside one guest-memory region and is aligned as virtio
 * requires, so every index computed below is in bounds of its view. Ring *contents* are still untrusted.
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";
import { availRingBytes, descTableBytes, ringAlignmentProblem, splitRingFieldOffsets, usedRingBytes } from "./layout.js";
import type { SplitRingAddresses } from "./layout.js";
import type { VirtqueueLayoutReason } from "./errors.js";

/** Typed-array coordinates of every field of one bound split ring. */
export interface SplitRingViews {
  /** Queue size. */
  readonly size: number;
  /** size - 1, for slot = index & mask. */
  readonly mask: number;
  /** The layout this was bound from. */
  readonly addresses: Readonly<SplitRingAddresses>;
  /** u32 view of the region holding the descriptor table. */
  readonly descU32: Uint32Array;
  /** u32 index of desc[0].addr (low half); desc[i] starts at `descU32Base + 4 * i`. */
  readonly descU32Base: number;
  /** u16 view of the region holding the descriptor table. */
  readonly descU16: Uint16Array;
  /** u16 index of desc[0]; flags of desc[i] at `descU16Base + 8 * i + 6`, next at `+ 7`. */
  readonly descU16Base: number;
  /** u16 view of the region holding the available ring. */
  readonly availU16: Uint16Array;
  /** u16 index of avail.flags. */
  readonly availFlags: number;
  /** u16 index of avail.idx. */
  readonly availIdx: number;
  /** u16 index of avail.ring[0]. */
  readonly availRing: number;
  /** u16 index of used_event. */
  readonly usedEvent: number;
  /** u16 view of the region holding the used ring. */
  readonly usedU16: Uint16Array;
  /** u32 view of the region holding the used ring. */
  readonly usedU32: Uint32Array;
  /** u16 index of used.flags. */
  readonly usedFlags: number;
  /** u16 index of used.idx. */
  readonly usedIdx: number;
  /** u32 index of used.ring[0].id; element i's id at `usedRing + 2 * i`, len at `+ 1`. */
  readonly usedRing: number;
  /** u16 index of avail_event. */
  readonly availEvent: number;
}

/** {@link bindSplitRing} succeeded. */
export interface BindSuccess {
  /** Discriminant. */
  ok: true;
  /** The bound views. */
  views: SplitRingViews;
}

/** {@link bindSplitRing} refused the layout. */
export interface BindFailure {
  /** Discriminant. */
  ok: false;
  /** Which layout rule was broken. */
  reason: VirtqueueLayoutReason;
  /** The offending values, for messages. */
  detail: string;
}

/** Result of {@link bindSplitRing}. */
export type BindResult = BindSuccess | BindFailure;

/**
 * Validates `addresses` against `memory` (size power of two ≤ 32768, alignments 16/2/4, each area inside one
 * region) and computes the views. Never throws: the device side must turn a bad layout written by a hostile
 * driver into a broken queue, not an exception.
 */
export function bindSplitRing(memory: GuestMemory, addresses: SplitRingAddresses): BindResult {
  const problem = ringAlignmentProblem(addresses);
  if (problem !== null) return { ok: false, reason: problem, detail: describe(addresses) };
  const { size, descAddress, availAddress, usedAddress } = addresses;
  const descRegion = memory.findRegion(descAddress, descTableBytes(size));
  const availRegion = memory.findRegion(availAddress, availRingBytes(size));
  const usedRegion = memory.findRegion(usedAddress, usedRingBytes(size));
  if (descRegion === undefined || availRegion === undefined || usedRegion === undefined) {
    const which = descRegion === undefined ? "descriptor table" : availRegion === undefined ? "avail ring" : "used ring";
    return {
      ok: false,
      reason: "ring-outside-memory",
      detail: `${which} is not inside one guest-memory region (${describe(addresses)})`,
    };
  }
  const offsets = splitRingFieldOffsets(size);
  // Region bases are 8-aligned in both guest and host space, so guest alignment carries over to the
  // offsets: descOffset is a multiple of 16, availOffset of 2, usedOffset of 4 — exact integer divisions.
  const descOffset = descAddress - descRegion.guestAddress;
  const availOffset = availAddress - availRegion.guestAddress;
  const usedOffset = usedAddress - usedRegion.guestAddress;
  const views: SplitRingViews = {
    size,
    mask: size - 1,
    addresses: Object.freeze({ size, descAddress, availAddress, usedAddress }),
    descU32: descRegion.u32,
    descU32Base: descOffset / 4,
    descU16: descRegion.u16,
    descU16Base: descOffset / 2,
    availU16: availRegion.u16,
    availFlags: (availOffset + offsets.availFlags) / 2,
    availIdx: (availOffset + offsets.availIdx) / 2,
    availRing: (availOffset + offsets.availRing) / 2,
    usedEvent: (availOffset + offsets.usedEvent) / 2,
    usedU16: usedRegion.u16,
    usedU32: usedRegion.u32,
    usedFlags: (usedOffset + offsets.usedFlags) / 2,
    usedIdx: (usedOffset + offsets.usedIdx) / 2,
    usedRing: (usedOffset + offsets.usedRing) / 4,
    availEvent: (usedOffset + offsets.availEvent) / 2,
  };
  return { ok: true, views };
}

function describe(a: SplitRingAddresses): string {
  const hex = (n: number): string => (Number.isSafeInteger(n) && n >= 0 ? `0x${n.toString(16)}` : String(n));
  return `size ${a.size}, desc ${hex(a.descAddress)}, avail ${hex(a.availAddress)}, used ${hex(a.usedAddress)}`;
}
