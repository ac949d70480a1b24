/**
 * Split virtqueues (virtio 1.x §2.7), byte-compatible with Linux's `struct vring`: layout helpers, a driver
 * side that does not trust the device, and a device side that does not trust the driver.
 *
 * @module
 */

export * from "./constants.js";
export { SplitQueueDevice } from "./device.js";
export type { PopResult, SplitQueueDeviceOptions } from "./device.js";
export { SplitQueueDriver, UsedBuffer } from "./driver.js";
export type { AddResult, GetUsedResult, SplitQueueDriverOptions, VirtqueueBuffer } from "./driver.js";
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
