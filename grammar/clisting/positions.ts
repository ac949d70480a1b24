/**
 * Maps offsets in a listing body to positions in the file the body was cut from.
 *
 * @module
 */

import type { ListingStart, Pos } from "./types.js";

/** Tab stops for the visual indent of `#define` lines (the spec's sources use 8). */
export const TAB_WIDTH = 8;

/**
 * Offset → file position for one listing body.
 *
 * Invariant (enforced by the constructor's sanitising): `start.line`, `start.column` ≥ 1 and
 * `linePrefixWidth` ≥ 0 are safe integers, so every position produced is a positive safe integer.
 */
export class ListingPositions {
  /** Offset of the first character of every body line (line 0 starts at 0). */
  private readonly lineStarts: number[];
  private readonly startLine: number;
  private readonly startColumn: number;
  private readonly prefixWidth: number;

  /**
   * @param body the listing body
   * @param start file position of `body[0]`; non-positive or non-integer values are clamped to 1
   * @param linePrefixWidth characters stripped before every body line after the first
   */
  constructor(
    private readonly body: string,
    start: ListingStart,
    linePrefixWidth = 0,
  ) {
    this.startLine = positiveInt(start.line, 1);
    this.startColumn = positiveInt(start.column, 1);
    this.prefixWidth = positiveInt(linePrefixWidth, 0);
    const starts = [0];
    for (let i = body.indexOf("\n"); i !== -1; i = body.indexOf("\n", i + 1)) starts.push(i + 1);
    this.lineStarts = starts;
  }

  /** Number of lines of the body (a trailing newline opens an empty last line). */
  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Body line (0-based) containing `offset` (clamped into the body). */
  lineIndexOf(offset: number): number {
    const o = this.clamp(offset);
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] as number) <= o) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** File line and column of body offset `offset`. */
  point(offset: number): { line: number; column: number } {
    const o = this.clamp(offset);
    const index = this.lineIndexOf(o);
    const inLine = o - (this.lineStarts[index] as number);
    return index === 0
      ? { line: this.startLine, column: this.startColumn + inLine }
      : { line: this.startLine + index, column: 1 + this.prefixWidth + inLine };
  }

  /** File range of body offsets `[s, e)`; an `e` before `s` gives the point `s`. */
  pos(s: number, e: number): Pos {
    const a = this.point(s);
    const b = this.point(Math.max(this.clamp(s), this.clamp(e)));
    return { line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  }

  /** Visual width of the text between the start of `offset`'s line and `offset` (tabs to multiples of {@link TAB_WIDTH}). */
  visualIndent(offset: number): number {
    const o = this.clamp(offset);
    let width = 0;
    for (let i = this.lineStarts[this.lineIndexOf(o)] as number; i < o; i++) {
      width = this.body.charCodeAt(i) === 9 ? (Math.floor(width / TAB_WIDTH) + 1) * TAB_WIDTH : width + 1;
    }
    return width;
  }

  private clamp(offset: number): number {
    if (!Number.isFinite(offset) || offset < 0) return 0;
    return Math.min(Math.trunc(offset), this.body.length);
  }
}

/** Largest accepted start line/column/prefix: leaves room to add any body offset without leaving the safe integers. */
const MAX_START = 2 ** 50;

/** `value` as a safe integer ≥ `min`, or `min` when it is not a finite number. */
function positiveInt(value: number, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value)) return min;
  const v = Math.trunc(value);
  if (v < min) return min;
  // Keep every derived position a safe integer: bodies are far shorter than this margin.
  return Math.min(v, MAX_START);
}
