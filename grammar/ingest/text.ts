/**
 * Reading input files into text, splitting text into lines, hashing.
 *
 * File-system failures become {@link IngestError}s here, so nothing above this module sees an errno.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Diagnostic } from "../ir/types.js";
import { diagnosticAt, fail, pointSpan } from "./errors.js";

/** Largest single input file ingest reads (a spec mail is well under 1 MiB; content.tex about 300 KiB). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A file read from disk: its bytes, its text, and what decoding had to say. */
export interface ReadText {
  bytes: Uint8Array;
  text: string;
  diagnostics: Diagnostic[];
}

/**
 * Reads `path` as text. `shown` is the name used in diagnostics (the path as the user gave it, or a path
 * relative to a tree root). UTF-8 is expected; bytes that are not UTF-8 are decoded as Latin-1 (every byte
 * maps to one character, so line and column numbers stay meaningful) and a `not-utf8` warning says where.
 * A NUL byte means the file is not text: `input-binary`.
 */
export function readTextFile(path: string, shown: string): ReadText {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail("input-unreadable", `'${shown}' is a directory, expected a file`, pointSpan(shown, 1));
    size = st.size;
  } catch (err) {
    rethrowFsError(err, shown);
  }
  if (size > MAX_FILE_BYTES) {
    fail("input-too-large", `'${shown}' is ${size} bytes; the limit is ${MAX_FILE_BYTES}`, pointSpan(shown, 1));
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    rethrowFsError(err, shown);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    const { line, column } = positionOfByte(bytes, nul);
    fail("input-binary", `'${shown}' contains a NUL byte: not a text file`, pointSpan(shown, line, column));
  }
  return { bytes, ...decodeText(bytes, shown) };
}

/** Decodes bytes as UTF-8, falling back to Latin-1 with a `not-utf8` warning at the first bad byte. */
export function decodeText(bytes: Uint8Array, shown: string): { text: string; diagnostics: Diagnostic[] } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), diagnostics: [] };
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const { line, column } = positionOfByte(bytes, bad);
    const text = new TextDecoder("latin1").decode(bytes);
    const warning = diagnosticAt(
      "warning",
      "not-utf8",
      `'${shown}' is not valid UTF-8 (byte 0x${(bytes[bad] ?? 0).toString(16)}); read as Latin-1`,
      pointSpan(shown, line, column),
    );
    return { text, diagnostics: [warning] };
  }
}

/** Turns an fs error into the matching {@link IngestError}; never returns. */
export function rethrowFsError(err: unknown, shown: string): never {
  if (err instanceof Error && err.name === "IngestError") throw err;
  const code = typeof err === "object" && err !== null && "code" in err ? String(err.code) : "";
  if (code === "ENOENT" || code === "ENOTDIR") fail("input-not-found", `'${shown}' does not exist`, pointSpan(shown, 1));
  const why = err instanceof Error ? err.message : String(err);
  fail("input-unreadable", `cannot read '${shown}': ${code || why}`, pointSpan(shown, 1));
}

/** Lines of a text, without their terminators; `finalNewline` says whether the last line had one. */
export interface SplitText {
  lines: string[];
  finalNewline: boolean;
}

/**
 * Splits on `\n` only: a `\r` before it stays part of the line, so a CRLF file round-trips byte for byte
 * (and, as with `git apply`, an LF patch does not match CRLF context).
 */
export function splitLines(text: string): SplitText {
  if (text === "") return { lines: [], finalNewline: true };
  const lines = text.split("\n");
  const finalNewline = lines[lines.length - 1] === "";
  if (finalNewline) lines.pop();
  return { lines, finalNewline };
}

/** Inverse of {@link splitLines}. */
export function joinLines(lines: readonly string[], finalNewline: boolean): string {
  if (lines.length === 0) return "";
  return lines.join("\n") + (finalNewline ? "\n" : "");
}

/**
 * Lines of a mail: like {@link splitLines}, but a mail saved with CRLF line ends has them removed (the
 * transport added them; the patch inside never carries them).
 */
export function splitMailLines(text: string): string[] {
  const { lines } = splitLines(text);
  // The last line may lack a terminator altogether, so it does not vote.
  const voters = lines.slice(0, -1);
  const crlf = voters.length > 0 && voters.every((l) => l.endsWith("\r"));
  return crlf ? lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)) : lines;
}

/** sha256 of bytes, lower-case hex. */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** 1-based line and column of byte `index` (columns count bytes; only used for error positions). */
function positionOfByte(bytes: Uint8Array, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

/** Index of the first byte that breaks UTF-8 (the decoder said there is one). */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    for (let k = 1; k < len; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong forms and surrogates are rejected by the decoder too; try decoding just this sequence.
    if (len > 1) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(i, i + len));
      } catch {
        return i;
      }
    }
    i += len;
  }
  return 0;
}
