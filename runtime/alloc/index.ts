/**
 * Chunk allocation for device memories: {@link ChunkAllocator} and its typed error.
 *
 * @module
 */
export {
  ChunkAllocator,
  MAX_CHUNK_COUNT,
  MAX_CHUNK_OWNER,
  DEFAULT_CHUNK_OWNER,
} from "./chunk-allocator.js";
export { ChunkAllocatorError } from "./errors.js";
export type { ChunkAllocatorErrorReason } from "./errors.js";
