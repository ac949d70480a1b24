/**
 * The one error type guest-memory accesses throw.
 *
 * @module
 */

/**
 * Why a guest-memory operation was refused.
 *
 * - `invalid-address`: the address is not a non-negative safe integer (NaN, fraction, negative, > 2^53 - 1).
 * - `invalid-length`: the length is not a non-negative safe integer.
 * - `overflow`: `address + length` would exceed 2^53 - 1, so the range cannot be represented exactly.
 * - `out-of-range`: some byte of the range lies outside every region.
 * - `crosses-regions`: a zero-copy view was asked for a range that spans two regions (copies may span).
 * - `unaligned`: an atomic access at an address that is not a multiple of the access width.
 * - `not-shared`: `Atomics.wait` on a region backed by a plain ArrayBuffer (only SharedArrayBuffers can block).
 * - `invalid-value`: a value to write does not fit the access width (it would otherwise be silently truncated).
 * - `value-too-large`: a u64 read as a `number` exceeds 2^53 - 1 (use the bigint variant).
 * - `invalid-region`: a region description is malformed (bounds outside its buffer, misaligned base, empty,
 *   or a resizable/growable buffer whose size could change under the cached views).
 * - `overlapping-regions`: two regions claim the same guest-physical address.
 * - `unsupported-host`: the host is big-endian; the typed-array views used for ring words would read
 *   virtio's little-endian fields wrongly.
 */
export type GuestMemoryErrorReason =
  | "invalid-address"
  | "invalid-length"
  | "overflow"
  | "out-of-range"
  | "crosses-regions"
  | "unaligned"
  | "not-shared"
  | "invalid-value"
  | "value-too-large"
  | "invalid-region"
  | "overlapping-regions"
  | "unsupported-host";

/**
 * Thrown by {@link GuestMemory} when an access or a region description is refused. Nothing is read or
 * written when it is thrown: a refused access never leaves a partial copy behind.
 */
export class GuestMemoryError extends Error {
  /** Machine-readable reason; see {@link GuestMemoryErrorReason}. */
  readonly reason: GuestMemoryErrorReason;
  /** The guest-physical address of the refused access (or region base), as given by the caller. */
  readonly address: number;
  /** The length in bytes of the refused access (or region). */
  readonly length: number;

  /**
   * @param reason - why the access was refused
   * @param address - the guest-physical address the caller passed
   * @param length - the byte length the caller passed
   * @param detail - optional extra explanation appended to the message
   */
  constructor(reason: GuestMemoryErrorReason, address: number, length: number, detail?: string) {
    super(
      `guest memory ${reason}: address ${formatAddress(address)} length ${String(length)}` +
        (detail ? ` (${detail})` : ""),
    );
    this.name = "GuestMemoryError";
    this.reason = reason;
    this.address = address;
    this.length = length;
  }
}

/** Hex for integers, plain `String()` for anything else (NaN, fractions) so the message never throws. */
function formatAddress(address: number): string {
  return Number.isSafeInteger(address) && address >= 0 ? `0x${address.toString(16)}` : String(address);
}
