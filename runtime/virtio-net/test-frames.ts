/**
 * Ethernet test frames with built-in integrity data, and the receiver-side checker that detects loss,
 * duplication, reordering and corruption.
 *
 * ```text
 * 0  dst MAC (6)   6  src MAC (6)   12 ethertype 0x88b5 (local experimental, big-endian)
 * 14 le32 seq      18 le16 length (whole frame)   20 u8 stream   21 u8 mode   22 le32 checksum
 * 26 payload: byte i = (seq + 7 i) & 0xff in "full" mode
 * ```
 *
 * In `full` mode the payload depends on the sequence number and `checksum` is FNV-1a over the payload, so a
 * flipped, dropped or misplaced byte anywhere is caught. In `light` mode (throughput runs) only the header
 * is written and checked (ethertype, sequence, length): the per-byte cost then belongs to the transport, not
 * to the check.
 *
 * @module
 */

/** Ethertype of test frames (IEEE 802 local experimental ethertype 1). */
export const TEST_ETHERTYPE = 0x88b5;
/** Bytes of the test header; the shortest valid test frame. */
export const TEST_FRAME_HEADER = 26;
/** Longest Ethernet frame without FCS (1500-byte MTU + 14-byte header). */
export const MAX_ETHERNET_FRAME = 1514;

/** How much of a frame is written and checked. */
export type FrameCheckMode = "full" | "light";

const MODE_CODE: Record<FrameCheckMode, number> = { full: 1, light: 2 };

/** FNV-1a over `bytes[start, end)`. */
export function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Writes test frame `seq` of `length` bytes at `dst[offset]`.
 * @throws RangeError when `length` is outside [TEST_FRAME_HEADER, 65535] or does not fit `dst`
 */
export function writeTestFrame(dst: Uint8Array, offset: number, seq: number, length: number, stream: number, mode: FrameCheckMode): void {
  if (!Number.isInteger(length) || length < TEST_FRAME_HEADER || length > 0xffff || offset < 0 || offset + length > dst.length) {
    throw new RangeError(`test frame of ${length} bytes at ${offset} does not fit ${dst.length} bytes`);
  }
  const o = offset;
  // Locally administered unicast MACs 02:00:00:00:00:<stream ^ 1> (dst) and 02:00:00:00:00:<stream> (src),
  // written byte by byte: fill() on a 4-byte range costs more than the stores.
  dst[o] = 2;
  dst[o + 1] = dst[o + 2] = dst[o + 3] = dst[o + 4] = 0;
  dst[o + 5] = (stream ^ 1) & 0xff;
  dst[o + 6] = 2;
  dst[o + 7] = dst[o + 8] = dst[o + 9] = dst[o + 10] = 0;
  dst[o + 11] = stream & 0xff;
  dst[o + 12] = TEST_ETHERTYPE >> 8;
  dst[o + 13] = TEST_ETHERTYPE & 0xff;
  writeU32(dst, o + 14, seq >>> 0);
  dst[o + 18] = length & 0xff;
  dst[o + 19] = length >> 8;
  dst[o + 20] = stream & 0xff;
  dst[o + 21] = MODE_CODE[mode];
  let checksum = 0;
  if (mode === "full") {
    for (let i = TEST_FRAME_HEADER; i < length; i++) dst[o + i] = (seq + 7 * i) & 0xff;
    checksum = fnv1a(dst, o + TEST_FRAME_HEADER, o + length);
  }
  writeU32(dst, o + 22, checksum);
}

/** What a {@link FrameChecker} has seen. */
export interface FrameCheckStats {
  /** Frames accepted in order. */
  received: number;
  /** Bytes of accepted frames. */
  bytes: number;
  /** Frames whose bytes were wrong (bad ethertype, length, mode, checksum or payload). */
  corrupted: number;
  /** Frames whose sequence number was below the next expected one (duplicates or late). */
  duplicated: number;
  /** Sequence numbers skipped (frames lost). */
  lost: number;
}

/** What a {@link FrameChecker} expects of every frame (unchecked when omitted). */
export interface FrameExpectation {
  /** The sender's stream id (a frame of another stream was misdelivered). */
  readonly stream?: number;
  /** The mode frames were written in (a frame claiming another mode is corrupted). */
  readonly mode?: FrameCheckMode;
}

/**
 * Checks a stream of test frames for loss, duplication, reordering and corruption. Everything from the
 * ethertype on is verified (the MAC addresses are not: a switch may rewrite them).
 */
export class FrameChecker {
  /** Counters. */
  readonly stats: FrameCheckStats = { received: 0, bytes: 0, corrupted: 0, duplicated: 0, lost: 0 };
  /** The sequence number expected next. */
  next = 0;
  readonly #stream: number;
  readonly #mode: number;

  /** @param expect - the stream and mode every frame must carry */
  constructor(expect: FrameExpectation = {}) {
    this.#stream = expect.stream ?? -1;
    this.#mode = expect.mode === undefined ? -1 : MODE_CODE[expect.mode];
  }

  /**
   * Checks one received frame `bytes[offset, offset + length)`.
   * @returns true when it is intact and in order
   */
  check(bytes: Uint8Array, offset: number, length: number): boolean {
    const o = offset;
    const s = this.stats;
    if (length < TEST_FRAME_HEADER || bytes[o + 12] !== TEST_ETHERTYPE >> 8 || bytes[o + 13] !== (TEST_ETHERTYPE & 0xff)) {
      s.corrupted++;
      return false;
    }
    const declared = bytes[o + 18]! | (bytes[o + 19]! << 8);
    const mode = bytes[o + 21];
    const wrongStream = this.#stream >= 0 && bytes[o + 20] !== this.#stream;
    const wrongMode = this.#mode >= 0 ? mode !== this.#mode : mode !== MODE_CODE.full && mode !== MODE_CODE.light;
    if (declared !== length || wrongStream || wrongMode) {
      s.corrupted++;
      return false;
    }
    if (mode === MODE_CODE.full && fnv1a(bytes, o + TEST_FRAME_HEADER, o + length) !== readU32(bytes, o + 22)) {
      s.corrupted++;
      return false;
    }
    const seq = readU32(bytes, o + 14);
    if (mode === MODE_CODE.full) {
      // The checksum proves the payload unchanged in transit; the pattern proves it is this frame's payload.
      for (let i = TEST_FRAME_HEADER; i < length; i++) {
        if (bytes[o + i] !== ((seq + 7 * i) & 0xff)) {
          s.corrupted++;
          return false;
        }
      }
    }
    if (seq !== this.next) {
      if (seq < this.next) {
        s.duplicated++;
        return false;
      }
      s.lost += seq - this.next;
    }
    this.next = seq + 1;
    s.received++;
    s.bytes += length;
    return true;
  }
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = v >>> 24;
}

function readU32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}
