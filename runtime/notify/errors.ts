/**
 * Typed errors of doorbells, notify areas and interrupt tables.
 *
 * @module
 */

/**
 * Why a notification operation was refused.
 *
 * - `invalid-descriptor`: a serialised doorbell, bank or table that is malformed (wrong kind, not a
 *   SharedArrayBuffer, index out of the buffer).
 * - `invalid-index`: a doorbell index or word index out of range.
 * - `invalid-option`: a bad wait option (negative or non-integer spin budget, both budgets given, bad timeout).
 * - `invalid-offset`: a notify-area offset outside the area.
 * - `invalid-vector`: an interrupt vector number outside the table.
 * - `cannot-block`: `Atomics.wait` is not allowed on this thread (e.g. a browser main thread); use `waitAsync`.
 * - `unsupported`: the engine lacks `Atomics.waitAsync`.
 * - `listener-failed`: one or more in-thread listeners threw during `ring()`; the ring itself happened and every
 *   listener was called (the errors are in `cause`, an AggregateError).
 */
export type NotifyErrorReason =
  | "invalid-descriptor"
  | "invalid-index"
  | "invalid-option"
  | "invalid-offset"
  | "invalid-vector"
  | "cannot-block"
  | "unsupported"
  | "listener-failed";

/** A refused notification operation. */
export class NotifyError extends Error {
  /** Machine-readable cause of the refusal. */
  readonly reason: NotifyErrorReason;

  /**
   * @param reason - which rule was broken
   * @param message - human-readable detail
   * @param options - optional underlying cause
   */
  constructor(reason: NotifyErrorReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "NotifyError";
    this.reason = reason;
  }
}
