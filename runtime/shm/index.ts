/**
 * Shared-memory regions: host memory ({@link HostMemory}, {@link SharedRegion}), per-device chunk-slot memories
 * ({@link DeviceMemory}), mappings ({@link RegionMapping}) and permission-checked, transferable access handles
 * ({@link RegionHandle}).
 *
 * @module
 */
export { ShmError } from "./errors.js";
export type { ShmErrorReason } from "./errors.js";
export { MAX_CHUNK_SIZE } from "./geometry.js";
export {
  REGION_PERM_READ,
  REGION_PERM_WRITE,
  REGION_PERM_READ_WRITE,
  checkPermissions,
  describePermissions,
} from "./permissions.js";
export type { RegionPermissions } from "./permissions.js";
export { SharedRegion } from "./shared-region.js";
export type { SharedRegionOptions } from "./shared-region.js";
export { HostMemory } from "./host-memory.js";
export type { HostMemoryOptions } from "./host-memory.js";
export { DeviceMemory } from "./device-memory.js";
export type { DeviceMemoryOptions, DeviceAddress } from "./device-memory.js";
export { RegionMapping } from "./region-mapping.js";
export type { RegionMappingInit } from "./region-mapping.js";
export { RegionHandle, REGION_HANDLE_DESCRIPTOR_KIND } from "./region-handle.js";
export type { RegionHandleDescriptor } from "./region-handle.js";
