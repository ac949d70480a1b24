/**
 * The ISM (Internal Shared Memory, virtio-ism v3 proposal) host side and device model: communication domains,
 * the per-device command core, events, the wire codecs, and the virtqueue glue.
 *
 * @module
 */
export * from "./constants.js";
export { IsmError } from "./errors.js";
export type { IsmErrorReason } from "./errors.js";
export { cryptoRandomSource, drawUnique, randomU64, MAX_RANDOM_DRAWS } from "./random.js";
export type { RandomSource } from "./random.js";
export { CDID_SIZE, cdidToUuid, isUuidV4, newUuidV4, uuidToCdid } from "./uuid.js";
export {
  ISM_ALLOCATOR_PERMISSIONS,
  ISM_DEFAULT_REGION_PERMISSIONS,
  ISM_GRANT_DEVICE_BITS,
  ISM_GRANTABLE_PERMISSIONS,
  ISM_RW_PERMISSIONS,
  IsmPermissionTable,
  describeIsmPermissions,
} from "./permissions.js";
export { IsmRegion } from "./region.js";
export type { IsmReferrer, IsmRegionInit } from "./region.js";
export { IsmRegionTable } from "./region-table.js";
export { EVENTQ_ROUTE } from "./events.js";
export type { IsmAttachDetachEvent, IsmBufferFreeEvent, IsmEvent, IsmEventDelivery, IsmEventRoute, IsmUpdateEvent } from "./events.js";
export { DEFAULT_EVENT_QUEUE_CAPACITY, IsmEventQueue } from "./event-queue.js";
export type { IsmEventQueueOutcome, IsmEventQueueStats } from "./event-queue.js";
export { kickAt, notifyOffsetOfSlot, updateEvents } from "./notify.js";
export type { IsmKickOutcome, IsmKickResult } from "./notify.js";
export type {
  IsmBufferValidator,
  IsmCommandContext,
  IsmCommandOutcome,
  IsmDeviceState,
  IsmDomainServices,
  IsmExecution,
} from "./commands/context.js";
export { IsmDeviceCore, newCommandSink } from "./core.js";
export type { IsmAttachedRegion, IsmCommandSink, IsmDeviceCoreInit, IsmDeviceStats, IsmSharedMemoryRegion } from "./core.js";
export { DEFAULT_NOTIFY_SIZE, DEFAULT_VECTOR_COUNT, IsmDomain, MAX_NOTIFY_SIZE } from "./domain.js";
export type {
  IsmDeliveryReport,
  IsmDeviceOptions,
  IsmDomainOptions,
  IsmDomainSnapshot,
  IsmReferrerSnapshot,
  IsmRegionSnapshot,
} from "./domain.js";
export { checkedDecode, decodeRequest, encodeRequest, fromGenerated, requestLength, toGenerated } from "./wire/requests.js";
export type {
  IsmAllocRequest,
  IsmAttachRequest,
  IsmCheckedDecode,
  IsmDecodeResult,
  IsmDetachRequest,
  IsmEventVectorRequest,
  IsmGrantDefaultRequest,
  IsmGrantDeviceRequest,
  IsmQueryRequest,
  IsmRequest,
  IsmRequestProblem,
} from "./wire/requests.js";
export {
  chunkReplyBytes,
  decodeAllocReply,
  decodeAttachReply,
  decodeQueryReply,
  encodeChunkReply,
  encodeQueryReply,
} from "./wire/replies.js";
export type { IsmAllocReply, IsmAttachReply, IsmQueryReply } from "./wire/replies.js";
export { decodeEvents, encodeEvents, eventSize, eventType, writeEvent } from "./wire/events.js";
export type { IsmEventDecodeProblem } from "./wire/events.js";
export { decodeConfig, encodeConfig } from "./wire/config.js";
export type { IsmConfig } from "./wire/config.js";
export { U64_MAX, toSafeNumber } from "./wire/le64.js";
export { ISM_CONTROLQ_VECTOR, ISM_EVENTQ_VECTOR, IsmDevice } from "./device.js";
export type { IsmDeviceGlueStats, IsmDeviceTransport, IsmNeedsResetCause, IsmPollResult } from "./device.js";
export { DEVICE_NEEDS_RESET, DEVICE_STATUS_DESCRIPTOR_KIND, IsmDeviceStatus } from "./device-status.js";
export type { IsmDeviceStatusDescriptor } from "./device-status.js";
