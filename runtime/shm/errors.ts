/**
 * Typed errors of the shared-memory model (host memory, regions, device memories, mappings, handles).
 *
 * @module
 */

/**
 * Why a shared-memory operation was refused.
 *
 * - `invalid-geometry`: chunk size not a power of two in range, chunk count out of range, or a device memory
 *   whose byte size is not a safe integer.
 * - `invalid-size`: a region size that is not an integer >= 1.
 * - `invalid-permissions`: permission bits other than {@link REGION_PERM_READ} / {@link REGION_PERM_WRITE}.
 * - `invalid-offset`: an offset or length that is not a non-negative safe integer.
 * - `host-memory-exhausted`: the host cannot back a new region (capacity reached or the engine refused the
 *   allocation); the ISM device answers `ENOMEM`.
 * - `insufficient-chunks`: the device memory has too few free chunk slots (ISM `ENOSPEC`).
 * - `chunk-size-mismatch`: a region built for one chunk size mapped into a device with another.
 * - `region-freed`: the region's host memory has been released.
 * - `region-in-use`: releasing a region that is still mapped somewhere.
 * - `foreign-region`: a region handed to a host memory that did not allocate it.
 * - `already-mapped`: mapping a region into a device that already maps it.
 * - `foreign-mapping`: unmapping, through one device, a mapping of another.
 * - `already-unmapped`: unmapping a mapping twice.
 * - `unmapped`: using a handle (or mapping) after its mapping was unmapped.
 * - `permission-denied`: reading without read permission or writing without write permission.
 * - `not-mapped`: an access touching a chunk slot that does not belong to the handle's mapping.
 * - `out-of-bounds`: an access past the end of the device memory or past the region's size.
 * - `invalid-descriptor`: a serialised handle that is malformed or inconsistent.
 */
export type ShmErrorReason =
  | "invalid-geometry"
  | "invalid-size"
  | "invalid-permissions"
  | "invalid-offset"
  | "host-memory-exhausted"
  | "insufficient-chunks"
  | "chunk-size-mismatch"
  | "region-freed"
  | "region-in-use"
  | "foreign-region"
  | "already-mapped"
  | "foreign-mapping"
  | "already-unmapped"
  | "unmapped"
  | "permission-denied"
  | "not-mapped"
  | "out-of-bounds"
  | "invalid-descriptor";

/** A refused shared-memory operation. Nothing was changed (no partial write, no partial mapping). */
export class ShmError extends Error {
  /** Machine-readable cause of the refusal. */
  readonly reason: ShmErrorReason;

  /**
   * @param reason - which rule was broken
   * @param message - human-readable detail
   * @param options - optional underlying cause
   */
  constructor(reason: ShmErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ShmError";
    this.reason = reason;
  }
}
