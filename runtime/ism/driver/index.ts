/**
 * The ISM driver library: what guest code uses to talk to an ISM device — feature negotiation, the controlq and
 * eventq on split rings, an async API over the control commands, region handles with checked and raw access and
 * `kick()`, and events.
 *
 * @module
 */
export { IsmDriver, FIRST_REGION_VECTOR } from "./driver.js";
export type { IsmDriverEvents, IsmDriverMemory, IsmDriverOptions, IsmDriverStats, IsmRegionInfo } from "./driver.js";
export { IsmRegionHandle, tokenText } from "./region-handle.js";
export type { IsmRegionEvents, IsmRegionHandleInit, IsmRegionListener, IsmRegionOwner, IsmRegionViews } from "./region-handle.js";
export { IsmAckError, IsmDriverError } from "./errors.js";
export type { IsmDriverErrorReason } from "./errors.js";
export { EventStream } from "./events.js";
export type { IsmBufferFreeNotice, IsmDriverEvent, IsmDriverEventType, IsmPeerNotice, IsmUpdateNotice } from "./events.js";
export { DEV_MEM_FEATURE, hasDevMem, hasPackedRing, negotiateFeatures, RING_PACKED_FEATURE } from "./features.js";
export type { DevMemPreference, RingPreference } from "./features.js";
export { accessBits, describePermissionBits, permissionBits, permissionSet } from "./permissions.js";
export type { IsmAccess, IsmPermissionSet } from "./permissions.js";
export { CONTROLQ_INDEX, EVENTQ_INDEX } from "./transport.js";
export type { IsmDriverRam, IsmDriverTransport, IsmQueueSetup } from "./transport.js";
export { DmaPool, DMA_ALIGNMENT } from "./dma-pool.js";
export { layoutDriverMemory, RING_ALIGNMENT } from "./layout.js";
export type { IsmDriverLayout } from "./layout.js";
export { ackNameOf } from "./wire.js";
