/**
 * Typed errors of the ISM host side (domain and device construction, feature negotiation).
 *
 * Driver requests never produce these: a control request always gets an ack (see `IsmDeviceCore.execute`).
 * An {@link IsmError} means the *host* (trusted code assembling domains and devices) asked for something
 * impossible.
 *
 * @module
 */

/**
 * Why a host-side ISM operation was refused.
 *
 * - `invalid-geometry`: chunk size not a power of two, bad chunk count, notify size out of range, or a device
 *   memory / notify area whose byte size is not a safe integer.
 * - `invalid-option`: any other option out of range (event queue capacity, vector count, memory capacity).
 * - `random-exhausted`: the random source kept producing values already taken (a broken CSPRNG), so no fresh
 *   cdid or devid could be drawn.
 * - `busy`: features renegotiated while the device still refers to regions (reset it first).
 * - `foreign-device`: a device handed to a domain that did not create it.
 */
export type IsmErrorReason = "invalid-geometry" | "invalid-option" | "random-exhausted" | "busy" | "foreign-device";

/** A refused host-side ISM operation; nothing was changed. */
export class IsmError extends Error {
  /** Machine-readable cause. */
  readonly reason: IsmErrorReason;

  /**
   * @param reason - which rule was broken
   * @param message - human-readable detail
   * @param options - optional underlying cause
   */
  constructor(reason: IsmErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IsmError";
    this.reason = reason;
  }
}
