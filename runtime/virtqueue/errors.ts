/**
 * How a split virtqueue reports trouble.
 *
 * Two kinds, kept apart on purpose:
 * - the *other side* misbehaving (a hostile driver seen by the device, a hostile device seen by the driver)
 *   marks the queue broken with a {@link VirtqueueBrokenReason}; no exception escapes, every later call
 *   returns a "broken" result (QEMU's `virtio_error` → DEVICE_NEEDS_RESET, Linux's `BAD_RING`);
 * - *this side's own caller* misusing the API (a buffer outside guest memory handed to `add`, a used head
 *   that was never popped) throws {@link VirtqueueError}: that is a bug in trusted code, not hostile input.
 *
 * @module
 */

/** Reasons the ring layout itself is unusable (checked when a queue is created); `ring-size-invalid` is a packed size outside 1..32768 that is not even a positive integer. */
export type VirtqueueLayoutReason =
  | "ring-size-not-power-of-two"
  | "ring-size-too-large"
  | "ring-size-invalid"
  | "misaligned-ring"
  | "ring-outside-memory";

/**
 * Why a queue was marked broken.
 *
 * Layout ({@link VirtqueueLayoutReason}), then what a hostile driver can do to a device:
 * - `avail-idx-runaway`: avail.idx moved more than the queue size past the device's last seen index;
 * - `head-out-of-range`: an avail ring entry ≥ queue size;
 * - `head-in-flight`: an avail entry names a head the device popped and has not returned yet;
 * - `next-out-of-range`: a `next` ≥ the size of the table it indexes;
 * - `chain-too-long`: more descriptors than the chain limit (queue size by default) or than the table
 *   holds — which is how loops show up;
 * - `indirect-not-negotiated`: INDIRECT flag without VIRTIO_RING_F_INDIRECT_DESC;
 * - `indirect-size-invalid`: indirect table length zero, not a multiple of 16, or over 65536 entries;
 * - `indirect-outside-memory`: the indirect table is not inside one guest-memory region;
 * - `nested-indirect`: INDIRECT inside an indirect table;
 * - `indirect-with-next`: INDIRECT and NEXT in the same descriptor;
 * - `readable-after-writable`: a device-readable buffer after a device-writable one;
 * - `length-overflow`: the chain's total length exceeds 2^32 - 1 bytes;
 * - `zero-length-buffer`: a buffer descriptor of length 0 (QEMU refuses these too);
 * - `buffer-outside-memory`: a buffer not entirely backed by guest memory;
 *
 * and what a hostile device can do to a driver:
 * - `used-idx-runaway`: used.idx moved past more entries than the driver has outstanding;
 * - `used-id-out-of-range`: a used element's id ≥ queue size;
 * - `used-id-not-head`: a used id that is not the head of an outstanding chain (includes duplicates);
 * - `used-len-too-large`: a used length larger than the chain's device-writable total;
 *
 * and the packed ring's own (§2.8), for either side:
 * - `wrong-wrap-counter`: a descriptor whose AVAIL/USED bits do not match the wrap counter of its lap (a
 *   chain descriptor after the head that is not available in the head's lap; a head marked both available
 *   and used in the current lap; a used descriptor written with the other lap's counter);
 * - `avail-ring-overrun`: the driver made available more descriptors than the ring has room for beside
 *   those the device still holds;
 * - `used-id-not-in-flight`: a used buffer ID that no outstanding buffer has (includes duplicates).
 */
export type VirtqueueBrokenReason =
  | VirtqueueLayoutReason
  | "avail-idx-runaway"
  | "head-out-of-range"
  | "head-in-flight"
  | "next-out-of-range"
  | "chain-too-long"
  | "indirect-not-negotiated"
  | "indirect-size-invalid"
  | "indirect-outside-memory"
  | "nested-indirect"
  | "indirect-with-next"
  | "readable-after-writable"
  | "length-overflow"
  | "zero-length-buffer"
  | "buffer-outside-memory"
  | "used-idx-runaway"
  | "used-id-out-of-range"
  | "used-id-not-head"
  | "used-len-too-large"
  | "wrong-wrap-counter"
  | "avail-ring-overrun"
  | "used-id-not-in-flight";

/**
 * Reasons for {@link VirtqueueError}: a layout the trusted side was told to use is invalid, or the trusted
 * side's caller passed something it must not.
 */
export type VirtqueueErrorReason =
  | VirtqueueLayoutReason
  | "invalid-option"
  | "empty-chain"
  | "invalid-buffer"
  | "buffer-outside-memory"
  | "length-overflow"
  | "indirect-not-negotiated"
  | "indirect-outside-memory"
  | "chain-too-long"
  | "chain-capacity-too-small"
  | "invalid-used-head"
  | "invalid-used-length";

/** Thrown for misuse of the virtqueue API by its own (trusted) caller; see the module comment. */
export class VirtqueueError extends Error {
  /** Machine-readable reason. */
  readonly reason: VirtqueueErrorReason;

  /**
   * @param reason - what was wrong
   * @param detail - human-readable specifics (values, indices)
   */
  constructor(reason: VirtqueueErrorReason, detail: string) {
    super(`virtqueue ${reason}: ${detail}`);
    this.name = "VirtqueueError";
    this.reason = reason;
  }
}
