/**
 * Picks the ring layout from what was negotiated, so a device model or driver holds a
 * {@link VirtqueueDevice} / {@link VirtqueueDriver} and never names a layout: VIRTIO_F_RING_PACKED gives a
 * packed ring, otherwise split.
 *
 * @module
 */

import type { GuestMemory } from "../memory/guest-memory.js";
import { VIRTIO_F_IN_ORDER, VIRTIO_F_RING_PACKED, VIRTIO_RING_F_EVENT_IDX, VIRTIO_RING_F_INDIRECT_DESC } from "./constants.js";
import { SplitQueueDevice } from "./device.js";
import { SplitQueueDriver } from "./driver.js";
import { availRingBytes, descTableBytes, legacyRingAddresses, usedRingBytes, vringSize } from "./layout.js";
import type { SplitRingAddresses } from "./layout.js";
import { PackedQueueDevice } from "./packed-device.js";
import { PackedQueueDriver } from "./packed-driver.js";
import { contiguousPackedRing, packedRingTotalBytes } from "./packed-layout.js";
import type { PackedRingAddresses } from "./packed-layout.js";
import type { VirtqueueDevice, VirtqueueDriver } from "./queue.js";

/** Either layout's addresses; a packed ring says `layout: "packed"`. */
export type RingAddresses = SplitRingAddresses | PackedRingAddresses;

/** The ring layout of a queue. */
export type RingLayout = "split" | "packed";

/** True for a packed ring's addresses. */
export function isPackedRing(ring: RingAddresses): ring is PackedRingAddresses {
  return "layout" in ring && ring.layout === "packed";
}

/** Negotiated ring features, as both layouts take them. */
export interface QueueFeatures {
  /** VIRTIO_RING_F_EVENT_IDX. */
  eventIdx?: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC. */
  indirectDesc?: boolean;
  /** VIRTIO_F_IN_ORDER. */
  inOrder?: boolean;
}

/** Device-side options: the features and the chain limit. */
export interface QueueDeviceOptions extends QueueFeatures {
  /** Most descriptors one chain may visit (default the queue size). */
  maxChainLength?: number;
}

/** The ring layout and features a 64-bit negotiated feature word selects. */
export function queueFeaturesOf(features: bigint): QueueFeatures & { layout: RingLayout } {
  const has = (bit: number): boolean => ((features >> BigInt(bit)) & 1n) === 1n;
  return {
    layout: has(VIRTIO_F_RING_PACKED) ? "packed" : "split",
    eventIdx: has(VIRTIO_RING_F_EVENT_IDX),
    indirectDesc: has(VIRTIO_RING_F_INDIRECT_DESC),
    inOrder: has(VIRTIO_F_IN_ORDER),
  };
}

/** The device side for `ring`, of its layout. Never throws for a bad layout (the queue is created broken). */
export function createQueueDevice(memory: GuestMemory, ring: RingAddresses, options: QueueDeviceOptions = {}): VirtqueueDevice {
  return isPackedRing(ring) ? new PackedQueueDevice(memory, ring, options) : new SplitQueueDevice(memory, ring, options);
}

/** The driver side for `ring`, of its layout. @throws VirtqueueError for a bad layout (the driver chose it). */
export function createQueueDriver<T>(memory: GuestMemory, ring: RingAddresses, options: QueueFeatures = {}): VirtqueueDriver<T> {
  return isPackedRing(ring) ? new PackedQueueDriver<T>(memory, ring, options) : new SplitQueueDriver<T>(memory, ring, options);
}

/**
 * Bytes a contiguous ring of `size` takes: the legacy `vring_size(size, align)` for split, descriptor ring
 * plus both event areas for packed.
 */
export function ringBytes(layout: RingLayout, size: number, align: number): number {
  return layout === "packed" ? packedRingTotalBytes(size) : vringSize(size, align);
}

/** A contiguous ring of `size` at `base` (split: `vring_init` layout with `align`). */
export function contiguousRing(layout: RingLayout, size: number, base: number, align: number): RingAddresses {
  return layout === "packed" ? contiguousPackedRing(size, base) : legacyRingAddresses(size, base, align);
}

/** Bytes of each of a ring's three areas (descriptor area, driver area, device area). */
export function ringAreaBytes(ring: RingAddresses): [number, number, number] {
  if (isPackedRing(ring)) return [16 * ring.size, 4, 4];
  return [descTableBytes(ring.size), availRingBytes(ring.size), usedRingBytes(ring.size)];
}
