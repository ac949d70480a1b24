/**
 * vhost-user back end: message framing (the socket, fds and mmap need the native addon, not yet here).
 *
 * @module
 */

export {
  VhostUserRequest,
  HEADER_SIZE,
  FLAG_VERSION,
  FLAG_REPLY,
  FLAG_NEED_REPLY,
  MAX_PAYLOAD,
  MAX_REGIONS,
  MAX_CONFIG_SIZE,
  VRING_NOFD_MASK,
  decodeHeader,
  decodePayload,
  encodeReply,
  encodeU64Reply,
  VHOST_USER_F_PROTOCOL_FEATURES,
  VhostUserProtocolFeature,
} from "./message.js";
export type { VhostUserRequestCode, VhostUserHeader, VhostUserMessage, MemoryRegionDesc } from "./message.js";
export { VhostUserError } from "./errors.js";
export type { VhostUserErrorReason } from "./errors.js";
