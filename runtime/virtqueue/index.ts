/**
 * Split (virtio 1.x §2.7) and packed (§2.8) virtqueues, byte-compatible with Linux's `<linux/virtio_ring.h>`: layout helpers, a driver
 * side that does not trust the device, and a device side that does not trust the driver.
 *
 * @module
 */

export * from "./constants.js";
export { SplitQueueDevice } from "./device.js";
export type { PopResult, SplitQueueDeviceOptions } from "./device.js";
export { SplitQueueDriver, UsedBuffer } from "./driver.js";
export type { AddResult, GetUsedResult, SplitQueueDriverOptions, VirtqueueBuffer } from "./driver.js";
export type { UsedBufferSlot, VirtqueueDevice, VirtqueueDriver } from "./queue.js";
export { PACKED_DESC, PACKED_DESC_EVENT, SPLIT_DESC } from "./descriptor-layout.js";
export type { DescriptorLayout } from "./descriptor-layout.js";
export { DescriptorChain, gatherReadable, scatterWritable } from "./chain.js";
export { VirtqueueError } from "./errors.js";
export type { VirtqueueBrokenReason, VirtqueueErrorReason, VirtqueueLayoutReason } from "./errors.js";
export { vringNeedEvent } from "./event-idx.js";
export {
  availRingBytes,
  descTableBytes,
  legacyRingAddresses,
  ringAlignmentProblem,
  ringSizeProblem,
  splitRingFieldOffsets,
  usedRingBytes,
  vringSize,
} from "./layout.js";
export type { SplitRingAddresses, SplitRingFieldOffsets } from "./layout.js";
export { bindSplitRing } from "./ring-views.js";
export type { BindFailure, BindResult, BindSuccess, SplitRingViews } from "./ring-views.js";
export { PackedQueueDevice } from "./packed-device.js";
export type { PackedQueueDeviceOptions } from "./packed-device.js";
export { PackedQueueDriver } from "./packed-driver.js";
export type { PackedQueueDriverOptions } from "./packed-driver.js";
export {
  VRING_PACKED_EVENT_ALIGN_SIZE,
  bindPackedRing,
  contiguousPackedRing,
  packedNeedEvent,
  packedRingBytes,
  packedRingProblem,
  packedRingSizeProblem,
  packedRingTotalBytes,
} from "./packed-layout.js";
export type { PackedBindResult, PackedRingAddresses, PackedRingViews } from "./packed-layout.js";
export { contiguousRing, createQueueDevice, createQueueDriver, isPackedRing, queueFeaturesOf, ringAreaBytes, ringBytes } from "./factory.js";
export type { QueueDeviceOptions, QueueFeatures, RingAddresses, RingLayout } from "./factory.js";
