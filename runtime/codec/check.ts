/**
 * Bounds and value checks shared by generated codecs, and the typed errors they raise.
 *
 * The fast paths are inline in the generated code (one comparison per span, one per value); these helpers
 * build the {@link CodecError} on the slow path, so the detail (which field, which rule) costs nothing when
 * the input is good.
 *
 * @module
 */
import { CodecError } from "./errors.js";
import type { StructSchema } from "./schema.js";

/** True when `offset` is a non-negative safe integer and `length - offset >= needed`. */
export function fits(offset: number, needed: number, length: number): boolean {
  return Number.isSafeInteger(offset) && offset >= 0 && length - offset >= needed;
}

/**
 * The error for a span that does not fit: `bad-offset` for an offset that is not a non-negative safe
 * integer, else `short-buffer` naming the first field (by static offset) that runs past the end, or
 * `field` when the caller knows it.
 *
 * @param schema - struct being read or written
 * @param offset - absolute offset the span starts at
 * @param needed - bytes the span needs from `offset`
 * @param length - length of the buffer
 * @param field - spec name of the field, when the span is one field
 */
export function spanError(schema: StructSchema, offset: number, needed: number, length: number, field?: string): CodecError {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    return new CodecError("bad-offset", { struct: schema.name, field, offset }, `${schema.name}: offset ${String(offset)} is not a non-negative integer`);
  }
  const available = Math.max(0, length - offset);
  let name = field;
  if (name === undefined) {
    for (const f of schema.fields) {
      if (f.offset !== null && f.size !== null && f.offset + f.size > available) {
        name = f.name;
        break;
      }
    }
  }
  return new CodecError("short-buffer", { struct: schema.name, field: name, offset, needed, available });
}

/**
 * The error for a value that cannot be written to a field: `missing-field` when undefined, `invalid-value`
 * when of the wrong kind, else `out-of-range`.
 *
 * @param schema - struct being encoded
 * @param field - spec name of the field
 * @param offset - absolute offset of the field
 * @param value - the offending value
 * @param expected - what the field takes, for the message (e.g. `u8`, `le64`)
 */
export function valueError(schema: StructSchema, field: string, offset: number, value: unknown, expected: string): CodecError {
  const detail = { struct: schema.name, field, offset };
  if (value === undefined) return new CodecError("missing-field", detail, `${schema.name}.${field}: no value (the field is on the wire)`);
  // A bit-field (`le64 :12`) takes a number whatever its storage.
  const bigintField = /64|128|pointer/.test(expected) && !/:\s*\d+$/.test(expected);
  const kindOk = bigintField ? typeof value === "bigint" : typeof value === "number";
  if (!kindOk) {
    return new CodecError("invalid-value", detail, `${schema.name}.${field}: expected a ${bigintField ? "bigint" : "number"} for ${expected}, got ${typeof value}`);
  }
  return new CodecError("out-of-range", detail, `${schema.name}.${field}: ${String(value)} does not fit ${expected}`);
}

/** The error for an array value of the wrong kind or length. */
export function lengthError(schema: StructSchema, field: string, offset: number, message: string): CodecError {
  return new CodecError("bad-length", { struct: schema.name, field, offset }, `${schema.name}.${field}: ${message}`);
}

/** The error for a count field given on encode that disagrees with its array. */
export function countMismatch(schema: StructSchema, field: string, offset: number, given: number | bigint, actual: number): CodecError {
  return new CodecError("count-mismatch", { struct: schema.name, field, offset }, `${schema.name}.${field}: count ${String(given)} given, but the array holds ${actual}`);
}

/** The error for a value that should be a `Uint8Array`. */
export function bytesError(schema: StructSchema, field: string, offset: number, value: unknown): CodecError {
  if (value === undefined) return new CodecError("missing-field", { struct: schema.name, field, offset }, `${schema.name}.${field}: no value`);
  return new CodecError("invalid-value", { struct: schema.name, field, offset }, `${schema.name}.${field}: expected a Uint8Array`);
}

/** The error for a value that should be an array. */
export function arrayError(schema: StructSchema, field: string, offset: number, value: unknown): CodecError {
  if (value === undefined) return new CodecError("missing-field", { struct: schema.name, field, offset }, `${schema.name}.${field}: no value`);
  return new CodecError("invalid-value", { struct: schema.name, field, offset }, `${schema.name}.${field}: expected an array`);
}

/**
 * Converts a count read from the wire into the byte length it implies, with checked arithmetic: the result
 * is exact, or `Infinity` when it would exceed 2^53 (which no buffer holds, so the caller's bounds check
 * then fails with a `short-buffer` error instead of wrapping).
 *
 * @param count - the count field's value
 * @param bytesPerCount - element size times the elements per count
 */
export function countBytes(count: number | bigint, bytesPerCount: number): number {
  if (typeof count === "bigint") {
    // Fast path: counts below 2^32 times any element size stay far below 2^53.
    if (count <= 0xffffffffn) return Number(count) * bytesPerCount;
    const n = count * BigInt(bytesPerCount);
    return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : Infinity;
  }
  const n = count * bytesPerCount;
  return Number.isSafeInteger(n) ? n : Infinity;
}

/** Whether `v` is a bigint in `[0, 2^bits)`. */
export function isUintN(v: unknown, bits: number): v is bigint {
  return typeof v === "bigint" && BigInt.asUintN(bits, v) === v;
}
