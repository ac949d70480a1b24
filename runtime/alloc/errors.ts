/**
 * Typed errors of the chunk allocator.
 *
 * Every refusal of {@link ChunkAllocator} is a {@link ChunkAllocatorError} whose `reason` says which rule was
 * broken, so a caller (e.g. the ISM device turning a refusal into an `ack` code) can switch on the reason
 * instead of parsing messages. A refused call never changes allocator state.
 *
 * @module
 */

/**
 * Why a {@link ChunkAllocator} call was refused.
 *
 * - `invalid-geometry`: the constructor got a chunk count that is not an integer in range.
 * - `invalid-count`: a request for zero, a negative or a non-integer number of chunks (or an empty free list).
 * - `insufficient-chunks`: more chunks were requested than are free (the ISM device answers `ENOSPEC`).
 * - `invalid-index`: a chunk index that is not an integer in `[0, chunkCount)`.
 * - `not-allocated`: freeing a chunk that has never been allocated.
 * - `double-free`: freeing a chunk that was allocated once and is free again, or naming a chunk twice in one
 *   call.
 * - `invalid-owner`: an owner tag that is not an integer in `[0, 2^31 - 1]`.
 * - `owner-mismatch`: freeing, on behalf of one owner, a chunk held by another.
 */
export type ChunkAllocatorErrorReason =
  | "invalid-geometry"
  | "invalid-count"
  | "insufficient-chunks"
  | "invalid-index"
  | "not-allocated"
  | "double-free"
  | "invalid-owner"
  | "owner-mismatch";

/** A refused {@link ChunkAllocator} operation; the allocator's state is unchanged when this is thrown. */
export class ChunkAllocatorError extends Error {
  /** Machine-readable cause of the refusal. */
  readonly reason: ChunkAllocatorErrorReason;
  /** The offending chunk index, when the refusal concerns one chunk. */
  readonly chunk: number | undefined;

  /**
   * @param reason - which rule was broken
   * @param message - human-readable detail
   * @param chunk - the offending chunk index, if any
   */
  constructor(reason: ChunkAllocatorErrorReason, message: string, chunk?: number) {
    super(message);
    this.name = "ChunkAllocatorError";
    this.reason = reason;
    this.chunk = chunk;
  }
}
