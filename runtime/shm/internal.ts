/**
 * Symbols for the bookkeeping calls between {@link DeviceMemory}, {@link RegionMapping} and
 * {@link SharedRegion}. They are not re-exported from the package, so only this module family can keep a
 * region's list of mappings and a mapping's liveness in step.
 *
 * @module
 */

/** Records a new mapping in its region. */
export const kAttachMapping: unique symbol = Symbol("virtiokit.shm.attachMapping");
/** Removes an unmapped mapping from its region. */
export const kDetachMapping: unique symbol = Symbol("virtiokit.shm.detachMapping");
/** Marks a region's host memory as released. */
export const kReleaseRegion: unique symbol = Symbol("virtiokit.shm.releaseRegion");
/** Marks a mapping unmapped, which every handle of it (in any thread) observes. */
export const kInvalidateMapping: unique symbol = Symbol("virtiokit.shm.invalidateMapping");

/** Layout of a mapping's control block (an Int32Array over a SharedArrayBuffer shared by all its handles). */
export const CONTROL_STATE = 0;
/** Index of the mapping's current permission bits in the control block. */
export const CONTROL_PERMISSIONS = 1;
/** Number of 32-bit words in a control block. */
export const CONTROL_WORDS = 2;
/** `CONTROL_STATE` value while mapped; 0 once unmapped (never reverts). */
export const STATE_MAPPED = 1;
/** `CONTROL_STATE` value after unmap. */
export const STATE_UNMAPPED = 0;
