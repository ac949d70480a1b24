/**
 * Checked arithmetic and validation for chunk geometry. Offsets and sizes are plain numbers, so every sum and
 * product is checked to stay a safe integer (< 2^53) before it is used as an address.
 *
 * @module
 */

/** Largest chunk size accepted (1 GiB): one chunk of a region must fit in a single SharedArrayBuffer. */
export const MAX_CHUNK_SIZE = 2 ** 30;

/** @returns whether `n` is a power of two in `[1, MAX_CHUNK_SIZE]` */
export function isValidChunkSize(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= MAX_CHUNK_SIZE && (n & (n - 1)) === 0;
}

/** @returns whether `n` is an integer in `[0, Number.MAX_SAFE_INTEGER]` */
export function isSafeNonNegative(n: unknown): n is number {
  return typeof n === "number" && Number.isSafeInteger(n) && n >= 0;
}

/** @returns `a + b`, or `undefined` if the sum is not a safe integer */
export function checkedAdd(a: number, b: number): number | undefined {
  const sum = a + b;
  return Number.isSafeInteger(sum) ? sum : undefined;
}

/** @returns `a * b`, or `undefined` if the product is not a safe integer */
export function checkedMul(a: number, b: number): number | undefined {
  const product = a * b;
  return Number.isSafeInteger(product) ? product : undefined;
}

/** @returns the number of chunks of `chunkSize` needed to hold `size` bytes (at least one) */
export function chunksFor(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** @returns whether `x` is a SharedArrayBuffer, also one that crossed a realm or thread boundary */
export function isSharedArrayBuffer(x: unknown): x is SharedArrayBuffer {
  return Object.prototype.toString.call(x) === "[object SharedArrayBuffer]";
}

/** @returns the index of `slot` in a strictly ascending slot list, or -1 when absent (binary search) */
export function findSlot(slots: Uint32Array, slot: number): number {
  let lo = 0;
  let hi = slots.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const value = slots[mid]!;
    if (value === slot) return mid;
    if (value < slot) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
