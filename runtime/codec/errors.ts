/**
 * The one error type of the wire codecs.
 *
 * Generated encoders and decoders never throw anything else on bad input: a short buffer, a value that does
 * not fit its field, a count that disagrees with the bytes, an unknown event or command code all become a
 * {@link CodecError} whose `reason` says which rule was broken and which struct, field and offset it was at.
 * A decoder that throws has returned nothing; an encoder that throws may have written a prefix of the
 * struct into the target bytes (it validates field by field, in wire order), so a caller that reuses the
 * buffer must not treat those bytes as a message.
 *
 * @module
 */

/**
 * Why a codec refused its input.
 *
 * - `short-buffer`: the bytes end before the struct or field does (decode), or the target is too small
 *   (encode). `needed` and `available` give the byte counts from `offset`.
 * - `bad-offset`: the offset is not a non-negative safe integer.
 * - `out-of-range`: a value does not fit its wire type (e.g. 256 for a `u8`, a negative bigint).
 * - `invalid-value`: a value of the wrong kind (e.g. a number where the field is 64-bit and takes a bigint,
 *   or an array where a `Uint8Array` is expected).
 * - `missing-field`: a field that is on the wire (for the negotiated features) has no value.
 * - `count-mismatch`: a count field given on encode disagrees with its array's length.
 * - `bad-length`: an array whose length the wire cannot carry (fixed array of the wrong length, a
 *   multi-dimensional array not a whole number of rows, trailing bytes not a whole number of elements).
 * - `unknown-discriminator`: an event type with no struct in the spec.
 * - `unknown-command`: a control request whose class/command code the spec does not define.
 * - `unknown-value`: a code the spec does not define where a defined one is required (e.g. an `ack`).
 */
export type CodecErrorReason =
  | "short-buffer"
  | "bad-offset"
  | "out-of-range"
  | "invalid-value"
  | "missing-field"
  | "count-mismatch"
  | "bad-length"
  | "unknown-discriminator"
  | "unknown-command"
  | "unknown-value";

/** Where and why a codec refused its input. */
export interface CodecErrorDetail {
  /** Spec name of the struct being encoded or decoded (e.g. `virtio_ism_ctrl_alloc`). */
  struct: string;
  /** Spec name of the field, when the refusal concerns one field. */
  field?: string | undefined;
  /** Absolute byte offset in the buffer of the struct or field concerned. */
  offset: number;
  /** Bytes needed from `offset` (`Infinity` when a count read from the wire overflows 2^53). */
  needed?: number | undefined;
  /** Bytes available from `offset`. */
  available?: number | undefined;
}

/** A refused encode or decode; see {@link CodecErrorReason} for the cases. */
export class CodecError extends Error {
  /** Machine-readable cause. */
  readonly reason: CodecErrorReason;
  /** Spec name of the struct concerned. */
  readonly struct: string;
  /** Spec name of the field concerned, if any. */
  readonly field: string | undefined;
  /** Absolute byte offset of the struct or field concerned. */
  readonly offset: number;
  /** Bytes needed from `offset`, for `short-buffer`. */
  readonly needed: number | undefined;
  /** Bytes available from `offset`, for `short-buffer`. */
  readonly available: number | undefined;

  /**
   * @param reason - which rule was broken
   * @param detail - struct, field, offset and byte counts
   * @param message - human-readable explanation (a default is built from `detail` when omitted)
   */
  constructor(reason: CodecErrorReason, detail: CodecErrorDetail, message?: string) {
    super(message ?? describe(reason, detail));
    this.name = "CodecError";
    this.reason = reason;
    this.struct = detail.struct;
    this.field = detail.field;
    this.offset = detail.offset;
    this.needed = detail.needed;
    this.available = detail.available;
  }
}

function describe(reason: CodecErrorReason, d: CodecErrorDetail): string {
  const where = `${d.struct}${d.field !== undefined ? `.${d.field}` : ""} at offset ${d.offset}`;
  if (reason === "short-buffer") return `${where}: needs ${d.needed} bytes, ${d.available} available`;
  return `${where}: ${reason}`;
}
