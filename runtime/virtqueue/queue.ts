/**
 * What a device model and a driver see of a virtqueue, whatever its layout (split, virtio 1.x §2.7, or
 * packed, §2.8): device models hold a {@link VirtqueueDevice} or {@link VirtqueueDriver} and never ask which
 * ring is behind it. {@link SplitQueueDevice}/{@link SplitQueueDriver} and
 * {@link PackedQueueDevice}/{@link PackedQueueDriver} implement them; factory.ts picks one from the
 * negotiated layout.
 *
 * `head` in this interface is what the device hands back when a chain is used: the head descriptor index of
 * a split ring, the buffer ID of a packed ring.
 *
 * @module
 */

import type { DescriptorChain } from "./chain.js";
import type { VirtqueueBrokenReason } from "./errors.js";

/** Outcome of {@link VirtqueueDevice.pop}. */
export type PopResult = "popped" | "empty" | "broken";

/** Outcome of {@link VirtqueueDriver.add}. */
export type AddResult = "added" | "no-space" | "broken";

/** Outcome of {@link VirtqueueDriver.getUsed}. */
export type GetUsedResult = "used" | "empty" | "broken";

/** One buffer of a chain, as the driver hands it over. */
export interface VirtqueueBuffer {
  /** Guest-physical address. */
  address: number;
  /** Length in bytes (1 .. 2^32 - 1). */
  length: number;
}

/** A completed chain as {@link VirtqueueDriver.getUsed} reports it; one object is reused across calls. */
export interface UsedBufferSlot<T> {
  /** The token given to `add` for this chain. */
  token: T | undefined;
  /** Bytes the device says it wrote (checked ≤ the chain's writable total; 0 for a chain completed inside an IN_ORDER batch). */
  length: number;
  /** Head descriptor index (split) or buffer ID (packed) of the chain. */
  head: number;
}

/** Device side of one virtqueue; every value read from the ring is hostile until checked. */
export interface VirtqueueDevice {
  /** Queue size. */
  readonly size: number;
  /** VIRTIO_RING_F_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. */
  readonly indirectDesc: boolean;
  /** Most descriptors one chain may visit. */
  readonly maxChainLength: number;
  /** True once the driver has violated the protocol. */
  readonly broken: boolean;
  /** Why the queue is broken, or null. */
  readonly brokenReason: VirtqueueBrokenReason | null;
  /** Specifics of the violation, or "". */
  readonly brokenDetail: string;
  /** Chains popped and not yet returned. */
  readonly inFlightChains: number;
  /** Descriptors read since creation (a statistic: a queue reset keeps it). */
  readonly descriptorsVisited: number;
  /** Whether kicks are currently requested. */
  readonly kicksRequested: boolean;
  /** A chain object able to hold any chain this device accepts. */
  createChain(): DescriptorChain;
  /** Takes the next available chain into `chain`. */
  pop(chain: DescriptorChain): PopResult;
  /** Records chain `head` as used with `length` bytes written; visible after {@link publishUsed}. */
  addUsed(head: number, length: number): boolean;
  /** Makes every used chain recorded so far visible to the driver. */
  publishUsed(): void;
  /** {@link addUsed} then {@link publishUsed}. */
  pushUsed(head: number, length: number): boolean;
  /** Whether the driver wants an interrupt for what was published since the last call. */
  needsInterrupt(): boolean;
  /** Asks the driver not to kick. */
  disableKicks(): void;
  /** Asks the driver to kick; true when buffers are already pending. */
  enableKicks(): boolean;
  /** VIRTIO_F_NOTIFICATION_DATA: entries/descriptors a notification says are available past the device, or null when impossible. */
  notifiedAvailable(data: number): number | null;
  /** VIRTIO_F_RING_RESET: forget every popped buffer and return to the initial ring state. */
  reset(): void;
}

/** Driver side of one virtqueue; nothing the device writes is trusted. */
export interface VirtqueueDriver<T> {
  /** Queue size. */
  readonly size: number;
  /** VIRTIO_RING_F_EVENT_IDX negotiated. */
  readonly eventIdx: boolean;
  /** VIRTIO_RING_F_INDIRECT_DESC negotiated. */
  readonly indirectDesc: boolean;
  /** True once the device has violated the protocol. */
  readonly broken: boolean;
  /** Why the queue is broken, or null. */
  readonly brokenReason: VirtqueueBrokenReason | null;
  /** Specifics of the violation, or "". */
  readonly brokenDetail: string;
  /** Free descriptors in the ring. */
  readonly numFree: number;
  /** Chains added and not yet collected. */
  readonly outstanding: number;
  /** Makes a chain available (readable buffers, then writable ones; optionally through an indirect table). */
  add(readable: readonly VirtqueueBuffer[], writable: readonly VirtqueueBuffer[], token: T, indirectTableAddress?: number): AddResult;
  /** Whether the device wants a kick for the chains added since the last call. */
  needsKick(): boolean;
  /** Collects the next used chain into `out`. */
  getUsed(out: UsedBufferSlot<T>): GetUsedResult;
  /** Asks the device not to interrupt. */
  disableUsedNotifications(): void;
  /** Asks the device to interrupt; true when used buffers are already pending. */
  enableUsedNotifications(): boolean;
  /** VIRTIO_F_NOTIFICATION_DATA: the notification value for queue `queueIndex`. */
  notificationData(queueIndex: number): number;
  /** VIRTIO_F_RING_RESET: take back the tokens of every outstanding buffer and re-initialise the ring. */
  reset(): T[];
}
