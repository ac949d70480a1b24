/**
 * Dirty-page log of the peer's memory: one bit per 4 KiB page, set (atomically) for every page the
 * vhost-pci-net driver writes while logging is on (VHOST_PCI_CTRL_DIRTY_PAGE_LOGGING). It lives in a
 * SharedArrayBuffer owned by the management environment, as vhost's log region does, so the thread that
 * migrates the peer can read and clear it while the driver keeps writing.
 *
 * @module
 */
import { VhostPciNetError } from "./errors.js";

/** Page size the log tracks. */
export const DIRTY_LOG_PAGE_SIZE = 4096;

/** Structured-clone-safe form of a {@link DirtyPageLog}. */
export interface DirtyPageLogDescriptor {
  /** The bitmap. */
  readonly buffer: SharedArrayBuffer;
  /** Guest-physical address (in the peer's space) of the first byte covered. */
  readonly gpaStart: number;
  /** Bytes covered. */
  readonly size: number;
}

/** The bitmap; see the module comment. */
export class DirtyPageLog {
  /** Guest-physical address of the first byte covered (a multiple of the page size). */
  readonly gpaStart: number;
  /** Bytes covered. */
  readonly size: number;
  /** The bitmap's buffer. */
  readonly buffer: SharedArrayBuffer;
  readonly #words: Uint32Array;

  /**
   * A log over an existing buffer (or a fresh one).
   * @throws VhostPciNetError `invalid-option` for an unaligned or unrepresentable range, or a buffer too small
   */
  constructor(gpaStart: number, size: number, buffer?: SharedArrayBuffer) {
    if (!Number.isSafeInteger(gpaStart) || gpaStart < 0 || gpaStart % DIRTY_LOG_PAGE_SIZE !== 0) {
      throw new VhostPciNetError("invalid-option", `dirty log start ${String(gpaStart)} is not a page-aligned address`);
    }
    if (!Number.isSafeInteger(size) || size <= 0 || gpaStart + size > Number.MAX_SAFE_INTEGER) {
      throw new VhostPciNetError("invalid-option", `dirty log size ${String(size)} is not a positive range`);
    }
    const words = Math.ceil(size / DIRTY_LOG_PAGE_SIZE / 32);
    const shared = buffer ?? new SharedArrayBuffer(words * 4);
    if (Object.prototype.toString.call(shared) !== "[object SharedArrayBuffer]" || shared.byteLength < words * 4) {
      throw new VhostPciNetError("invalid-option", `a dirty log of ${size} bytes needs a SharedArrayBuffer of ${words * 4} bytes`);
    }
    this.gpaStart = gpaStart;
    this.size = size;
    this.buffer = shared;
    this.#words = new Uint32Array(shared, 0, words);
  }

  /**
   * Rebuilds a log from a descriptor (validated).
   * @throws VhostPciNetError `invalid-option`
   */
  static fromDescriptor(descriptor: unknown): DirtyPageLog {
    if (typeof descriptor !== "object" || descriptor === null) throw new VhostPciNetError("invalid-option", "dirty log descriptor must be an object");
    const d = descriptor as Partial<Record<keyof DirtyPageLogDescriptor, unknown>>;
    if (typeof d.gpaStart !== "number" || typeof d.size !== "number") throw new VhostPciNetError("invalid-option", "dirty log descriptor lacks its range");
    return new DirtyPageLog(d.gpaStart, d.size, d.buffer as SharedArrayBuffer);
  }

  /** @returns the structured-clone-safe descriptor */
  toDescriptor(): DirtyPageLogDescriptor {
    return { buffer: this.buffer, gpaStart: this.gpaStart, size: this.size };
  }

  /** Number of pages covered. */
  get pageCount(): number {
    return Math.ceil(this.size / DIRTY_LOG_PAGE_SIZE);
  }

  /**
   * Marks every page overlapping `[gpa, gpa + length)` dirty. A zero length marks nothing.
   * @throws VhostPciNetError `invalid-option` when the range is not inside the covered memory: the caller
   * wrote outside the peer memory, which bounds-checked guest memory already makes impossible.
   */
  mark(gpa: number, length: number): void {
    if (length === 0) return;
    const offset = gpa - this.gpaStart;
    if (!Number.isSafeInteger(gpa) || !Number.isSafeInteger(length) || length < 0 || offset < 0 || offset > this.size - length) {
      throw new VhostPciNetError("invalid-option", `dirty range ${String(gpa)}+${String(length)} is outside the logged memory`);
    }
    const first = Math.floor(offset / DIRTY_LOG_PAGE_SIZE);
    const last = Math.floor((offset + length - 1) / DIRTY_LOG_PAGE_SIZE);
    for (let page = first; page <= last; page++) Atomics.or(this.#words, page >>> 5, 1 << (page & 31));
  }

  /** Whether the page holding `gpa` is marked. False outside the covered memory. */
  isDirty(gpa: number): boolean {
    const offset = gpa - this.gpaStart;
    if (!Number.isSafeInteger(gpa) || offset < 0 || offset >= this.size) return false;
    const page = Math.floor(offset / DIRTY_LOG_PAGE_SIZE);
    return (Atomics.load(this.#words, page >>> 5) & (1 << (page & 31))) !== 0;
  }

  /** Guest-physical addresses of the dirty pages, ascending. */
  dirtyPages(): number[] {
    const pages: number[] = [];
    for (let w = 0; w < this.#words.length; w++) {
      const word = Atomics.load(this.#words, w);
      if (word === 0) continue;
      for (let b = 0; b < 32; b++) if ((word & (1 << b)) !== 0) pages.push(this.gpaStart + (w * 32 + b) * DIRTY_LOG_PAGE_SIZE);
    }
    return pages;
  }

  /** Clears every bit (the migration thread does this between passes). */
  clear(): void {
    for (let w = 0; w < this.#words.length; w++) Atomics.store(this.#words, w, 0);
  }
}
