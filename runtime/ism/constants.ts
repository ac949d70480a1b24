/**
 * Wire constants of the virtio-ism v3 proposal: the generated ones (`generated/ism/constants.ts`: control
 * classes and commands, acks, permissions, event types, shared-memory ids, the feature bit) re-exported under
 * their spec names, plus the sizes and limits the device model derives from the generated struct schemas.
 *
 * Where the normative text spells a constant differently from its `#define` (`VIRTIO_ISM_NOSPEC` /
 * `VIRTIO_ISM_ENOSPEC`, `VIRTIO_ISM_NOMEM` / `VIRTIO_ISM_ENOMEM`, `VIRTIO_ISM_PERM_DENY_DEFAULT` /
 * `VIRTIO_ISM_PERM_CLEAN_DEFAULT`), the `#define` wins: it is what goes on the wire.
 *
 * @module
 */
import { IsmAck, IsmFeatureMask } from "../../generated/ism/constants.js";
import {
  VirtioIsmConfigSize,
  VirtioIsmCtrlAllocReplyMinSize,
  VirtioIsmCtrlGrantDevSize,
  VirtioIsmCtrlQueryReplySize,
  VirtioIsmEventAttachDetachSize,
  VirtioIsmEventBufferFreeSize,
  VirtioIsmEventUpdateSize,
} from "../../generated/ism/structs.js";

export {
  IsmAck,
  VIRTIO_ISM_CTRL_ALLOC,
  VIRTIO_ISM_CTRL_ALLOC_REGION,
  VIRTIO_ISM_CTRL_ATTACH,
  VIRTIO_ISM_CTRL_ATTACH_REGION,
  VIRTIO_ISM_CTRL_DETACH,
  VIRTIO_ISM_CTRL_DETACH_REGION,
  VIRTIO_ISM_CTRL_EVENT_VECTOR,
  VIRTIO_ISM_CTRL_EVENT_VECTOR_SET,
  VIRTIO_ISM_CTRL_GRANT,
  VIRTIO_ISM_CTRL_GRANT_SET_DEFAULT,
  VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE,
  VIRTIO_ISM_CTRL_QUERY,
  VIRTIO_ISM_CTRL_QUERY_INFO,
  VIRTIO_ISM_E2BIG,
  VIRTIO_ISM_ENOENT,
  VIRTIO_ISM_ENOMEM,
  VIRTIO_ISM_ENOSPEC,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_EVENT_ATTACH,
  VIRTIO_ISM_EVENT_BUFFER_FREE,
  VIRTIO_ISM_EVENT_DETACH,
  VIRTIO_ISM_EVENT_UPDATE,
  VIRTIO_ISM_F_DEV_MEM,
  VIRTIO_ISM_OK,
  VIRTIO_ISM_PERM_ATTACH,
  VIRTIO_ISM_PERM_CLEAN_DEFAULT,
  VIRTIO_ISM_PERM_EATTACH,
  VIRTIO_ISM_PERM_EREAD,
  VIRTIO_ISM_PERM_EWRITE,
  VIRTIO_ISM_PERM_MANAGE,
  VIRTIO_ISM_PERM_READ,
  VIRTIO_ISM_PERM_WRITE,
  VIRTIO_ISM_SHM_ID_NOTIFY,
  VIRTIO_ISM_SHM_ID_REGIONS,
  VIRTIO_ISM_SHM_ID_UNDEFINED,
} from "../../generated/ism/constants.js";

/** Virtio device id of the ISM device ("Device ID: 44"). */
export const VIRTIO_ID_ISM = 44;

/** Index of the control virtqueue. */
export const ISM_CONTROLQ = 0;
/** Index of the event virtqueue. */
export const ISM_EVENTQ = 1;

/** The feature word with only `VIRTIO_ISM_F_DEV_MEM` set. */
export const ISM_DEV_MEM_FEATURES: bigint = IsmFeatureMask.VIRTIO_ISM_F_DEV_MEM;

/** Every ack value the spec defines, for validity checks. */
export const ISM_ACK_VALUES: readonly number[] = Object.values(IsmAck);

/** Bytes of `struct virtio_ism_config`. */
export const ISM_CONFIG_SIZE = VirtioIsmConfigSize;
/** Bytes of the `class` + `command` header of every control request. */
export const ISM_CTRL_HEADER_SIZE = 2;
/** Bytes of a `le64` (every field of the ISM request, reply and event structures). */
export const LE64_SIZE = 8;
/** Bytes of the fixed part of the alloc and attach replies (`token`/`size` and `num`), before `chunks[]`. */
export const ISM_CHUNK_REPLY_HEADER_SIZE = VirtioIsmCtrlAllocReplyMinSize;
/** Bytes of `struct virtio_ism_ctrl_query_reply`. */
export const ISM_QUERY_REPLY_SIZE = VirtioIsmCtrlQueryReplySize;
/** Bytes of `struct virtio_ism_event_update`. */
export const ISM_EVENT_UPDATE_SIZE = VirtioIsmEventUpdateSize;
/** Bytes of `struct virtio_ism_event_attach_detach`. */
export const ISM_EVENT_ATTACH_DETACH_SIZE = VirtioIsmEventAttachDetachSize;
/** Bytes of `struct virtio_ism_event_buffer_free`. */
export const ISM_EVENT_BUFFER_FREE_SIZE = VirtioIsmEventBufferFreeSize;
/** Largest event structure: an eventq buffer smaller than this may be unable to carry the next event. */
export const ISM_EVENT_MAX_SIZE = Math.max(ISM_EVENT_UPDATE_SIZE, ISM_EVENT_ATTACH_DETACH_SIZE, ISM_EVENT_BUFFER_FREE_SIZE);
/** Longest valid request: the header and the largest command structure (`grant_dev`, or `attach` with `buffer`). */
export const ISM_MAX_REQUEST_SIZE = ISM_CTRL_HEADER_SIZE + VirtioIsmCtrlGrantDevSize;

/** @returns the feature word of a device that did (`true`) or did not negotiate `VIRTIO_ISM_F_DEV_MEM` */
export function ismFeatures(devMem: boolean): bigint {
  return devMem ? ISM_DEV_MEM_FEATURES : 0n;
}
