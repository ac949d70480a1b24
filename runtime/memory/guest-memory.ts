/**
 * A guest-physical address space made of one or more non-overlapping regions, with bounds-checked byte,
 * little-endian scalar and atomic access.
 *
 * Addresses and lengths are JavaScript numbers restricted to non-negative safe integers (≤ 2^53 - 1). Every
 * range is checked before anything is read or written; a refused access throws {@link GuestMemoryError} and
 * has no effect.
 *
 * Performance notes: scalar accessors do not allocate. With one region (the common case: one
 * SharedArrayBuffer per guest) the lookup is a subtraction and two comparisons; with several, a binary search
 * over a sorted Float64Array of region starts.
 *
 * @module
 */

import { GuestMemoryError } from "./errors.js";
import { GuestMemoryRegion, assertLittleEndianHost, isIndex } from "./region.js";
import type { GuestMemoryRegionInit } from "./region.js";

/** 2^32 as a number, for splitting u64 values into halves. */
const TWO_POW_32 = 4294967296;
/** Largest high half of a u64 whose value still fits a safe integer (2^53 - 1 = 0x1f_ffff_ffff_ffff). */
const MAX_SAFE_HIGH_HALF = 0x1fffff;
const U64_LIMIT = 1n << 64n;

/** Outcome of {@link GuestMemory.atomicWait32}, as `Atomics.wait` reports it. */
export type AtomicWaitResult = "ok" | "not-equal" | "timed-out";

/** A guest-physical address space; see the module comment. */
export class GuestMemory {
  /** The regions, sorted by guest address. Never modified after construction. */
  readonly regions: readonly GuestMemoryRegion[];
  /** Region start addresses, parallel to `regions`, for the multi-region binary search. */
  private readonly starts: Float64Array;
  /** The only region when there is exactly one (fast path), else null. */
  private readonly single: GuestMemoryRegion | null;

  /**
   * @param regions - at least one region; they may be given in any order but must not overlap.
   * @throws GuestMemoryError `invalid-region`, `overlapping-regions` or `unsupported-host`.
   */
  constructor(regions: readonly GuestMemoryRegionInit[]) {
    assertLittleEndianHost();
    if (regions.length === 0) throw new GuestMemoryError("invalid-region", 0, 0, "no regions");
    const built = regions.map((r) => new GuestMemoryRegion(r)).sort((a, b) => a.guestAddress - b.guestAddress);
    for (let i = 1; i < built.length; i++) {
      const prev = built[i - 1]!;
      const cur = built[i]!;
      if (cur.guestAddress < prev.end) {
        throw new GuestMemoryError(
          "overlapping-regions",
          cur.guestAddress,
          cur.size,
          `overlaps region at 0x${prev.guestAddress.toString(16)}+${prev.size}`,
        );
      }
    }
    this.regions = built;
    this.starts = Float64Array.from(built, (r) => r.guestAddress);
    this.single = built.length === 1 ? built[0]! : null;
  }

  /**
   * Guest memory made of one region covering the whole buffer.
   * @param buffer - backing store
   * @param guestAddress - guest-physical address of byte 0 (multiple of 8); default 0
   */
  static fromBuffer(buffer: ArrayBuffer | SharedArrayBuffer, guestAddress = 0): GuestMemory {
    return new GuestMemory([{ guestAddress, buffer }]);
  }

  /**
   * The region holding all of `[address, address + length)`, or undefined when no single region does
   * (including for non-integer, negative or overflowing inputs). Never throws; this is the primitive hot
   * paths use to validate hostile addresses without exceptions.
   */
  findRegion(address: number, length: number): GuestMemoryRegion | undefined {
    if (!Number.isSafeInteger(address) || !Number.isSafeInteger(length) || address < 0 || length < 0) return undefined;
    const single = this.single;
    if (single !== null) return single.contains(address, length) ? single : undefined;
    const region = this.regions[this.indexAtOrBefore(address)];
    return region !== undefined && region.contains(address, length) ? region : undefined;
  }

  /**
   * True when every byte of `[address, address + length)` is backed by some region (the range may span
   * regions that are contiguous in guest-physical space). A zero-length range is valid at any address up
   * to and including a region's end. Never throws.
   */
  isValidRange(address: number, length: number): boolean {
    // Most ranges fit one region; only the rest pay for the spanning walk.
    return this.findRegion(address, length) !== undefined || this.rangeProblem(address, length) === null;
  }

  /**
   * Throws unless {@link isValidRange} holds.
   * @throws GuestMemoryError `invalid-address`, `invalid-length`, `overflow` or `out-of-range`.
   */
  checkRange(address: number, length: number): void {
    const problem = this.rangeProblem(address, length);
    if (problem !== null) throw new GuestMemoryError(problem, address, length);
  }

  /**
   * Zero-copy view of `[address, address + length)`. Writes through the view reach guest memory (and, for a
   * SharedArrayBuffer, other threads).
   * @throws GuestMemoryError `crosses-regions` when the range is valid but spans two regions, or any
   * {@link checkRange} reason.
   */
  slice(address: number, length: number): Uint8Array {
    // regionFor trusts `length` (its other callers pass constant widths); this one comes from the caller.
    if (!isIndex(length)) throw new GuestMemoryError("invalid-length", address, length);
    const region = this.regionFor(address, length);
    const offset = address - region.guestAddress;
    return region.bytes.subarray(offset, offset + length);
  }

  /**
   * Copies `dest.length` bytes starting at `address` into `dest`. The range may span contiguous regions.
   * @throws GuestMemoryError any {@link checkRange} reason; `dest` is untouched then.
   */
  read(address: number, dest: Uint8Array): void {
    const single = this.single;
    if (single !== null && single.contains(address, dest.length) && Number.isInteger(address)) {
      const offset = address - single.guestAddress;
      dest.set(single.bytes.subarray(offset, offset + dest.length));
      return;
    }
    this.checkRange(address, dest.length);
    this.forEachPiece(address, dest.length, (region, offset, done, count) => {
      dest.set(region.bytes.subarray(offset, offset + count), done);
    });
  }

  /**
   * Copies `src` into guest memory at `address`. The range may span contiguous regions.
   * @throws GuestMemoryError any {@link checkRange} reason; memory is untouched then.
   */
  write(address: number, src: Uint8Array): void {
    const single = this.single;
    if (single !== null && single.contains(address, src.length) && Number.isInteger(address)) {
      single.bytes.set(src, address - single.guestAddress);
      return;
    }
    this.checkRange(address, src.length);
    this.forEachPiece(address, src.length, (region, offset, done, count) => {
      region.bytes.set(src.subarray(done, done + count), offset);
    });
  }

  /**
   * Sets `length` bytes at `address` to `value`.
   * @throws GuestMemoryError `invalid-value` when `value` is not a byte, or any {@link checkRange} reason.
   */
  fill(address: number, length: number, value = 0): void {
    if ((value & 0xff) !== value) throw new GuestMemoryError("invalid-value", address, length, `fill value ${value}`);
    this.checkRange(address, length);
    this.forEachPiece(address, length, (region, offset, _done, count) => {
      region.bytes.fill(value, offset, offset + count);
    });
  }

  /** Reads a u8. @throws GuestMemoryError on a bad address. */
  readU8(address: number): number {
    const region = this.regionFor(address, 1);
    return region.bytes[address - region.guestAddress]!;
  }

  /** Reads a little-endian u16 (any alignment). @throws GuestMemoryError on a bad address. */
  readU16(address: number): number {
    const region = this.regionFor(address, 2);
    return region.view.getUint16(address - region.guestAddress, true);
  }

  /** Reads a little-endian u32 (any alignment). @throws GuestMemoryError on a bad address. */
  readU32(address: number): number {
    const region = this.regionFor(address, 4);
    return region.view.getUint32(address - region.guestAddress, true);
  }

  /** Reads a little-endian u64 as a bigint (any alignment). @throws GuestMemoryError on a bad address. */
  readU64(address: number): bigint {
    const region = this.regionFor(address, 8);
    return region.view.getBigUint64(address - region.guestAddress, true);
  }

  /**
   * Reads a little-endian u64 as a number, without allocating a bigint.
   * @throws GuestMemoryError `value-too-large` when the value exceeds 2^53 - 1, or on a bad address.
   */
  readU64Number(address: number): number {
    const region = this.regionFor(address, 8);
    const offset = address - region.guestAddress;
    const high = region.view.getUint32(offset + 4, true);
    if (high > MAX_SAFE_HIGH_HALF) {
      throw new GuestMemoryError("value-too-large", address, 8, "u64 value exceeds 2^53 - 1; use readU64");
    }
    return high * TWO_POW_32 + region.view.getUint32(offset, true);
  }

  /** Writes a u8. @throws GuestMemoryError `invalid-value` unless 0 ≤ value ≤ 255 and integral. */
  writeU8(address: number, value: number): void {
    if ((value & 0xff) !== value) throw new GuestMemoryError("invalid-value", address, 1, `u8 value ${value}`);
    const region = this.regionFor(address, 1);
    region.bytes[address - region.guestAddress] = value;
  }

  /** Writes a little-endian u16. @throws GuestMemoryError `invalid-value` unless the value fits. */
  writeU16(address: number, value: number): void {
    if ((value & 0xffff) !== value) throw new GuestMemoryError("invalid-value", address, 2, `u16 value ${value}`);
    const region = this.regionFor(address, 2);
    region.view.setUint16(address - region.guestAddress, value, true);
  }

  /** Writes a little-endian u32. @throws GuestMemoryError `invalid-value` unless the value fits. */
  writeU32(address: number, value: number): void {
    if (value >>> 0 !== value) throw new GuestMemoryError("invalid-value", address, 4, `u32 value ${value}`);
    const region = this.regionFor(address, 4);
    region.view.setUint32(address - region.guestAddress, value, true);
  }

  /** Writes a little-endian u64 from a bigint. @throws GuestMemoryError `invalid-value` unless 0 ≤ value < 2^64. */
  writeU64(address: number, value: bigint): void {
    if (typeof value !== "bigint" || value < 0n || value >= U64_LIMIT) {
      throw new GuestMemoryError("invalid-value", address, 8, `u64 value ${String(value)}`);
    }
    const region = this.regionFor(address, 8);
    region.view.setBigUint64(address - region.guestAddress, value, true);
  }

  /** Writes a little-endian u64 from a number. @throws GuestMemoryError `invalid-value` unless a safe non-negative integer. */
  writeU64Number(address: number, value: number): void {
    if (!isIndex(value)) throw new GuestMemoryError("invalid-value", address, 8, `u64 value ${value}`);
    const region = this.regionFor(address, 8);
    const offset = address - region.guestAddress;
    region.view.setUint32(offset, value % TWO_POW_32, true);
    region.view.setUint32(offset + 4, Math.floor(value / TWO_POW_32), true);
  }

  /**
   * Sequentially consistent load of an aligned 16-bit word (Uint16Array Atomics, so a 16-bit index that is
   * only 2-aligned, like virtio's avail.idx, is still read atomically).
   * @throws GuestMemoryError `unaligned` or a range reason.
   */
  atomicLoad16(address: number): number {
    const region = this.regionFor(address, 2);
    const offset = address - region.guestAddress;
    if ((offset & 1) !== 0) throw new GuestMemoryError("unaligned", address, 2);
    return Atomics.load(region.u16, offset >>> 1);
  }

  /** Sequentially consistent store of an aligned 16-bit word. @throws GuestMemoryError `unaligned`, `invalid-value` or a range reason. */
  atomicStore16(address: number, value: number): void {
    if ((value & 0xffff) !== value) throw new GuestMemoryError("invalid-value", address, 2, `u16 value ${value}`);
    const region = this.regionFor(address, 2);
    const offset = address - region.guestAddress;
    if ((offset & 1) !== 0) throw new GuestMemoryError("unaligned", address, 2);
    Atomics.store(region.u16, offset >>> 1, value);
  }

  /** Sequentially consistent load of an aligned 32-bit word, as an unsigned number. @throws GuestMemoryError `unaligned` or a range reason. */
  atomicLoad32(address: number): number {
    const region = this.regionFor(address, 4);
    const offset = address - region.guestAddress;
    if ((offset & 3) !== 0) throw new GuestMemoryError("unaligned", address, 4);
    return Atomics.load(region.u32, offset >>> 2);
  }

  /** Sequentially consistent store of an aligned 32-bit word (0 ≤ value < 2^32). @throws GuestMemoryError `unaligned`, `invalid-value` or a range reason. */
  atomicStore32(address: number, value: number): void {
    if (value >>> 0 !== value) throw new GuestMemoryError("invalid-value", address, 4, `u32 value ${value}`);
    const region = this.regionFor(address, 4);
    const offset = address - region.guestAddress;
    if ((offset & 3) !== 0) throw new GuestMemoryError("unaligned", address, 4);
    Atomics.store(region.u32, offset >>> 2, value);
  }

  /**
   * Wakes up to `count` threads blocked in {@link atomicWait32} on the word at `address`; returns how many
   * were woken (always 0 for a plain ArrayBuffer, where nobody can wait).
   * @throws GuestMemoryError `unaligned` or a range reason.
   */
  atomicNotify32(address: number, count = Infinity): number {
    const region = this.regionFor(address, 4);
    const offset = address - region.guestAddress;
    if ((offset & 3) !== 0) throw new GuestMemoryError("unaligned", address, 4);
    return Atomics.notify(region.i32, offset >>> 2, count);
  }

  /**
   * Blocks while the 32-bit word at `address` equals `expected` (compared as 32-bit patterns, so a u32 or
   * an i32 spelling of the same bits both work), until notified or `timeoutMs` passes.
   * @throws GuestMemoryError `not-shared` for a plain ArrayBuffer region, `invalid-value`, `unaligned` or a range reason.
   */
  atomicWait32(address: number, expected: number, timeoutMs = Infinity): AtomicWaitResult {
    if (!Number.isInteger(expected) || expected < -0x80000000 || expected > 0xffffffff) {
      throw new GuestMemoryError("invalid-value", address, 4, `expected value ${expected}`);
    }
    const region = this.regionFor(address, 4);
    const offset = address - region.guestAddress;
    if ((offset & 3) !== 0) throw new GuestMemoryError("unaligned", address, 4);
    if (!region.shared) throw new GuestMemoryError("not-shared", address, 4, "Atomics.wait needs a SharedArrayBuffer");
    return Atomics.wait(region.i32, offset >>> 2, expected | 0, timeoutMs);
  }

  /**
   * The single region holding the whole range, or a thrown error naming why there is none. `length` must
   * already be a non-negative integer (callers pass access widths or a validated length).
   */
  private regionFor(address: number, length: number): GuestMemoryRegion {
    const single = this.single;
    if (single !== null) {
      // Comparisons reject NaN, negatives and ranges past the end; the integer test rejects fractions.
      // With an integral address inside a region, address + length ≤ end ≤ 2^53 - 1, so it cannot overflow.
      const offset = address - single.guestAddress;
      if (offset >= 0 && offset <= single.size - length && Number.isInteger(address)) return single;
    } else {
      const region = this.findRegion(address, length);
      if (region !== undefined) return region;
    }
    // Valid as a spanning range means the only thing wrong is that no single region holds it.
    const problem = this.rangeProblem(address, length);
    throw new GuestMemoryError(problem ?? "crosses-regions", address, length);
  }

  /**
   * Why `[address, address + length)` is not accessible, or null when it is. Contiguous regions count as
   * one here (copies may span them); callers needing a single region treat null as `crosses-regions`.
   */
  private rangeProblem(
    address: number,
    length: number,
  ): "invalid-address" | "invalid-length" | "overflow" | "out-of-range" | null {
    if (!isIndex(address)) return "invalid-address";
    if (!isIndex(length)) return "invalid-length";
    // Both are ≤ 2^53 - 1, so the sum is either exact or rounds to ≥ 2^53: the comparison is reliable.
    if (address + length > Number.MAX_SAFE_INTEGER) return "overflow";
    const i = this.indexAtOrBefore(address);
    let region = this.regions[i];
    if (region === undefined || address > region.end) return "out-of-range";
    // The range may run past this region: valid only if following regions continue it without a gap.
    let covered = region.end;
    const end = address + length;
    for (let j = i + 1; covered < end; j++) {
      region = this.regions[j];
      if (region === undefined || region.guestAddress !== covered) return "out-of-range";
      covered = region.end;
    }
    return null;
  }

  /** Index of the last region starting at or before `address` (-1 when none). */
  private indexAtOrBefore(address: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= address) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Calls `visit` for each region piece of a range already known to be valid (spanning allowed). */
  private forEachPiece(
    address: number,
    length: number,
    visit: (region: GuestMemoryRegion, offset: number, done: number, count: number) => void,
  ): void {
    let done = 0;
    let i = this.indexAtOrBefore(address);
    while (done < length) {
      const region = this.regions[i++]!;
      const offset = address + done - region.guestAddress;
      const count = Math.min(region.size - offset, length - done);
      visit(region, offset, done, count);
      done += count;
    }
  }
}
