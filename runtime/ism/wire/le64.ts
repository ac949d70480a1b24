/**
 * Range helpers for the `le64` fields of the ISM structures. Every field is a `le64` (pointers included: the
 * proposal's `void *buffer` is carried as 8 bytes, see spec/ism-decisions.md); the generated codecs carry them
 * as `bigint` so that nothing a driver writes is rounded, and the device model narrows them here with explicit
 * range checks.
 *
 * @module
 */

/** Largest `le64` value. */
export const U64_MAX = (1n << 64n) - 1n;

/** @returns `value` as a number when it is a safe integer, else `undefined` */
export function toSafeNumber(value: bigint): number | undefined {
  return value >= 0n && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}
