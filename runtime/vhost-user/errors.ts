/**
 * The one error type the vhost-user back end throws for a hostile or broken front end.
 *
 * @module
 */

/**
 * Why a front-end message was refused (the connection is closed after any of them).
 *
 * - `short-header`: fewer than 12 bytes where a message header was due.
 * - `bad-version`: the header's version bits are not 1 (vhost-user.rst: "Lower 2 bits are the version (currently 0x01)").
 * - `unknown-request`: a request code this back end does not implement.
 * - `bad-size`: the header's size does not match the payload the request carries.
 * - `too-large`: the payload size exceeds the protocol's largest message.
 * - `bad-fds`: a request arrived with the wrong number of file descriptors.
 * - `bad-payload`: a payload field is out of range (region count, config size…).
 */
export type VhostUserErrorReason =
  | "short-header"
  | "bad-version"
  | "unknown-request"
  | "bad-size"
  | "too-large"
  | "bad-fds"
  | "bad-payload";

/** Thrown by the message decoder; `reason` names what the front end did wrong. */
export class VhostUserError extends Error {
  readonly reason: VhostUserErrorReason;
  constructor(reason: VhostUserErrorReason, message: string) {
    super(`vhost-user ${reason}: ${message}`);
    this.name = "VhostUserError";
    this.reason = reason;
  }
}
