/**
 * Guest memory: a guest-physical address space over (Shared)ArrayBuffer regions with bounds-checked,
 * little-endian and atomic access.
 *
 * @module
 */

export { GuestMemory } from "./guest-memory.js";
export type { AtomicWaitResult } from "./guest-memory.js";
export { GuestMemoryRegion, REGION_ALIGNMENT, HOST_IS_LITTLE_ENDIAN, assertLittleEndianHost } from "./region.js";
export type { GuestMemoryRegionInit } from "./region.js";
export { GuestMemoryError } from "./errors.js";
export type { GuestMemoryErrorReason } from "./errors.js";
