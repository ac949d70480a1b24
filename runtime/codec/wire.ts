/**
 * Primitive reads and writes on a `Uint8Array`, used by generated codecs.
 *
 * Why byte arithmetic instead of a `DataView`: the generated decoders take the `Uint8Array` a virtqueue
 * buffer already is, and building a `DataView` per call costs more than the reads themselves for the small
 * structs of control and event queues (measured in `test/bench/codec.bench.ts`).
 *
 * None of these check bounds or values: the generated caller checks the whole span once and validates each
 * value before writing (see `check.ts`). Little-endian helpers serve `u16/u32/u64` too (see
 * {@link WireType}).
 *
 * @module
 */

/** Reads a little-endian 16-bit unsigned integer. */
export function readLe16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

/** Reads a little-endian 32-bit unsigned integer. */
export function readLe32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/** Reads a little-endian 64-bit unsigned integer as a bigint (no BigInt arithmetic when it fits 32 bits). */
export function readLe64(b: Uint8Array, o: number): bigint {
  const lo = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  const hi = (b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24)) >>> 0;
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Reads a little-endian 128-bit unsigned integer as a bigint. */
export function readLe128(b: Uint8Array, o: number): bigint {
  return (readLe64(b, o + 8) << 64n) | readLe64(b, o);
}

/** Reads a big-endian 16-bit unsigned integer. */
export function readBe16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Reads a big-endian 32-bit unsigned integer. */
export function readBe32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** Reads a big-endian 64-bit unsigned integer as a bigint. */
export function readBe64(b: Uint8Array, o: number): bigint {
  const hi = readBe32(b, o);
  const lo = readBe32(b, o + 4);
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

/** Writes a little-endian 16-bit unsigned integer (the caller has checked `0 <= v < 2^16`). */
export function writeLe16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}

/** Writes a little-endian 32-bit unsigned integer (the caller has checked `0 <= v < 2^32`). */
export function writeLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** Writes a little-endian 64-bit unsigned integer (the caller has checked `0 <= v < 2^64`). */
export function writeLe64(b: Uint8Array, o: number, v: bigint): void {
  // Values below 2^32 (most sizes, counts, event types) need no BigInt arithmetic beyond one compare.
  if (v <= 0xffffffffn) {
    writeLe32(b, o, Number(v));
    b[o + 4] = 0;
    b[o + 5] = 0;
    b[o + 6] = 0;
    b[o + 7] = 0;
    return;
  }
  writeLe32(b, o, Number(v & 0xffffffffn));
  writeLe32(b, o + 4, Number(v >> 32n));
}

/** Writes a little-endian 128-bit unsigned integer (the caller has checked `0 <= v < 2^128`). */
export function writeLe128(b: Uint8Array, o: number, v: bigint): void {
  writeLe64(b, o, v & 0xffffffffffffffffn);
  writeLe64(b, o + 8, v >> 64n);
}

/** Writes a big-endian 16-bit unsigned integer. */
export function writeBe16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

/** Writes a big-endian 32-bit unsigned integer. */
export function writeBe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Writes a big-endian 64-bit unsigned integer. */
export function writeBe64(b: Uint8Array, o: number, v: bigint): void {
  writeBe32(b, o, Number(v >> 32n));
  writeBe32(b, o + 4, Number(v & 0xffffffffn));
}

/** The bytes of a `Uint8Array` as a `DataView` over the same memory (no copy). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The bytes of a `DataView` as a `Uint8Array` over the same memory (no copy). */
export function bytesOf(view: DataView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
