/**
 * Payload codecs of control messages: what follows a framing header. A command's payload is either one of
 * the generated struct codecs, raw bytes (the spec gives the command no struct), or nothing (no reply data).
 *
 * @module
 */
import { CodecError } from "./errors.js";
import type { CodecOptions } from "./schema.js";

/**
 * The part of a struct codec control framing needs: a payload is decoded from, and encoded to, the rest of a
 * buffer after the framing header.
 *
 * @typeParam T - the decoded payload
 * @typeParam I - what encode accepts
 */
export interface PayloadCodec<T, I = T> {
  /** Decodes the payload starting at `offset` (it may run to the end of `bytes`). */
  decode(bytes: Uint8Array, offset?: number, options?: CodecOptions): T;
  /** Encodes `value` at `offset`; returns the bytes written. */
  encode(value: I, bytes: Uint8Array, offset?: number, options?: CodecOptions): number;
  /** Bytes `encode` writes for `value`. */
  encodedLength(value: I, options?: CodecOptions): number;
}

/** A payload the spec gives no struct for: the rest of the buffer, decoded as a copy. */
export const rawPayload: PayloadCodec<Uint8Array> = {
  decode(bytes, offset = 0) {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > bytes.length) {
      throw new CodecError("bad-offset", { struct: "payload", offset }, `payload offset ${offset} is outside the ${bytes.length}-byte buffer`);
    }
    return bytes.slice(offset);
  },
  encode(value, bytes, offset = 0) {
    if (!(value instanceof Uint8Array)) throw new CodecError("invalid-value", { struct: "payload", offset }, "payload: expected a Uint8Array");
    if (!Number.isSafeInteger(offset) || offset < 0 || bytes.length - offset < value.length) {
      throw new CodecError("short-buffer", { struct: "payload", offset, needed: value.length, available: Math.max(0, bytes.length - offset) });
    }
    bytes.set(value, offset);
    return value.length;
  },
  encodedLength(value) {
    if (!(value instanceof Uint8Array)) throw new CodecError("invalid-value", { struct: "payload", offset: 0 }, "payload: expected a Uint8Array");
    return value.length;
  },
};

/** No payload: decodes to undefined and writes nothing (trailing bytes are ignored on decode). */
export const emptyPayload: PayloadCodec<undefined> = {
  decode() {
    return undefined;
  },
  encode() {
    return 0;
  },
  encodedLength() {
    return 0;
  },
};
