/**
 * Names what kind of not-C text an opaque run is, so the caller's warning can say so.
 *
 * @module
 */

import type { OpaqueReason } from "./types.js";

/** A line drawn with box characters: `+----+`, `|  |`, `---->`. */
const ART_LINE = /[-=]{3,}|[|+][ \t]*$|^[ \t]*[|+]|\|[^|\n]*\|/;

/**
 * Classifies a run of text the grammar could not read as C (see {@link OpaqueReason}). The tests are
 * ordered from the most specific marker to the generic answer.
 */
export function classifyOpaque(text: string): OpaqueReason {
  if (text.includes("::=")) return "asn1";
  if (/^[ \t]*[A-Za-z_][\w,.-]*@[0-9a-fA-F]+[ \t]*\{/m.test(text)) return "device-tree";
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const artLines = lines.filter((line) => ART_LINE.test(line)).length;
  // Diagrams carry labels too; most of their lines still have box characters.
  if (lines.length > 0 && artLines >= 2 && artLines * 2 >= lines.length) return "ascii-art";
  if (/\\[A-Za-z]+|\$[^$\n]+\$/.test(text)) return "latex";
  return "not-c";
}
