/**
 * Typed errors of the ISM driver library.
 *
 * Two kinds: {@link IsmAckError} when the device answered a control request with an ack other than
 * `VIRTIO_ISM_OK` (it carries the ack value and its spec name, looked up in the generated constants), and
 * {@link IsmDriverError} for everything the driver itself refuses or detects (a device breaking the ring
 * protocol, an undecodable reply, guest memory exhausted, a handle used after detach, ...).
 *
 * @module
 */

/**
 * Why the driver refused an operation or gave up on the device.
 *
 * - `ack`: the device refused a control request (see {@link IsmAckError}).
 * - `feature-unsupported`: the device does not offer a feature the driver was told to require.
 * - `bad-config`: the config space holds values no device may report (chunk size not a power of two, ...).
 * - `activation-failed`: the transport could not bring the device up (rings refused, host gone).
 * - `invalid-argument`: a caller passed a size, token, vector or offset that cannot be valid.
 * - `queue-broken`: the device violated the split-ring protocol; the driver stops using the device.
 * - `device-needs-reset`: the device set DEVICE_NEEDS_RESET (it stopped serving a queue the driver broke); every
 *   pending request fails with this, and so does every new one until {@link IsmDriver.reset}.
 * - `bad-reply`: a control reply that is truncated, undecodable or inconsistent with the request.
 * - `out-of-memory`: the guest memory the driver manages (rings, control and lent buffers) is exhausted.
 * - `not-attached`: the token names no region this driver refers to.
 * - `detached`: a region handle used after its region was detached.
 * - `permission-denied`: a read or write the mapping's current permissions do not allow.
 * - `out-of-bounds`: an access past the region's size.
 * - `closed`: the driver was closed (pending requests are rejected with this).
 * - `timeout`: a wait gave up.
 */
export type IsmDriverErrorReason =
  | "ack"
  | "feature-unsupported"
  | "bad-config"
  | "activation-failed"
  | "invalid-argument"
  | "queue-broken"
  | "device-needs-reset"
  | "bad-reply"
  | "out-of-memory"
  | "not-attached"
  | "detached"
  | "permission-denied"
  | "out-of-bounds"
  | "closed"
  | "timeout";

/** A refused driver operation; `reason` says which rule was broken. */
export class IsmDriverError extends Error {
  /** Machine-readable cause. */
  readonly reason: IsmDriverErrorReason;

  /**
   * @param reason - which rule was broken
   * @param message - human-readable detail
   * @param options - optional underlying cause
   */
  constructor(reason: IsmDriverErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "IsmDriverError";
    this.reason = reason;
  }
}

/** The device answered a control request with an ack other than `VIRTIO_ISM_OK`. */
export class IsmAckError extends IsmDriverError {
  /** Spec name of the command, e.g. `VIRTIO_ISM_CTRL_ATTACH_REGION`. */
  readonly command: string;
  /** The ack value the device wrote. */
  readonly ack: number;
  /** Spec name of the ack, e.g. `VIRTIO_ISM_PERM_EWRITE` (from the generated constants). */
  readonly ackName: string;

  /**
   * @param command - spec name of the refused command
   * @param ack - ack value
   * @param ackName - spec name of the ack
   */
  constructor(command: string, ack: number, ackName: string) {
    super("ack", `${command} refused: ${ackName} (${ack})`);
    this.name = "IsmAckError";
    this.command = command;
    this.ack = ack;
    this.ackName = ackName;
  }
}
