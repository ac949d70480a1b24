/**
 * Small text helpers of the listing parser: comment text, `#define` values, array dimensions,
 * attributes and type words. Pure functions of strings; no parsing state.
 *
 * @module
 */

import type { ArraySpec } from "./types.js";
import type { RawTypeWord } from "./raw.js";
import { parseIntegerLiteral } from "./eval.js";

/**
 * Text of a comment without its delimiters: a block comment's continuation lines lose their
 * indentation and ` * ` margin, blank first/last lines are dropped, lines are trimmed and joined by "\n".
 */
export function commentText(style: "block" | "line", body: string): string {
  if (style === "line") return body.trim();
  const lines = body.split("\n").map((line, index) => {
    const trimmed = line.trim();
    // The ` * ` margin of a boxed comment's continuation lines is layout, not content.
    return index > 0 && trimmed.startsWith("*") ? trimmed.slice(1).trim() : trimmed;
  });
  while (lines.length > 0 && lines[0] === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.join("\n");
}

/** The parts of a `#define`'s text after its name (and parameter list). */
export interface DefineRest {
  /** Replacement text: comments removed, continuations joined by one space, trimmed. */
  valueText: string;
  /** Offset (relative to the rest) just after the last character of the value, or 0 when empty. */
  valueEnd: number;
  /** Texts of the comments found, in order. */
  comments: string[];
  /** Relative ranges of block comments without a closing `*\/`. */
  unterminated: { s: number; e: number }[];
}

/**
 * Splits the text after a `#define NAME` into value and comments, the way the C preprocessor sees
 * it: string and character literals are copied as they are (a `/*` inside them is no comment), a
 * `\` before a line break joins lines.
 */
export function splitDefineRest(rest: string): DefineRest {
  let value = "";
  let valueEnd = 0;
  const comments: string[] = [];
  const unterminated: { s: number; e: number }[] = [];
  let i = 0;
  while (i < rest.length) {
    const c = rest[i] as string;
    if (c === "\\") {
      const m = /^\\[ \t\r\f\v]*\n/.exec(rest.slice(i));
      if (m) {
        value += " ";
        i += m[0].length;
        continue;
      }
    }
    if (rest.startsWith("/*", i)) {
      const close = rest.indexOf("*/", i + 2);
      const end = close < 0 ? rest.length : close + 2;
      if (close < 0) unterminated.push({ s: i, e: end });
      comments.push(commentText("block", rest.slice(i + 2, close < 0 ? end : close)));
      value += " ";
      i = end;
      continue;
    }
    if (rest.startsWith("//", i)) {
      comments.push(commentText("line", rest.slice(i + 2)));
      break;
    }
    if (c === '"' || c === "'") {
      const end = literalEnd(rest, i);
      value += rest.slice(i, end);
      valueEnd = end;
      i = end;
      continue;
    }
    value += c;
    if (!/\s/.test(c)) valueEnd = i + 1;
    i++;
  }
  return { valueText: value.trim(), valueEnd, comments: comments.filter((t) => t !== ""), unterminated };
}

/** End (exclusive) of the string/character literal opening at `start`; stops at a line break. */
function literalEnd(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
  return Math.min(text.length, text[i] === quote ? i + 1 : i);
}

/**
 * `0 (for automatic receive steering)`: a number followed by parenthesised prose, which C cannot
 * mean (a literal is never called). Returns the value and the annotation, or null.
 */
export function splitValueAnnotation(valueText: string): { value: string; annotation: string } | null {
  const m = /^((?:0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*)\s+(\(.*\))$/s.exec(valueText);
  if (!m) return null;
  return { value: m[1] as string, annotation: m[2] as string };
}

/** Classifies the text between `[` and `]`. */
export function arraySpec(text: string): ArraySpec {
  const trimmed = text.trim();
  if (trimmed === "") return { kind: "empty" };
  const value = parseIntegerLiteral(trimmed);
  if (value !== null) return { kind: "literal", value, text: trimmed };
  return { kind: "expr", text: trimmed };
}

/** Splits the inside of `__attribute__((...))` at top-level commas: `packed, aligned(8)` → two. */
export function splitAttributes(inner: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of inner) {
    if (c === "(") depth++;
    if (c === ")") depth = Math.max(0, depth - 1);
    if (c === "," && depth === 0) {
      parts.push(current.trim());
      current = "";
    } else current += c;
  }
  parts.push(current.trim());
  return parts.filter((p) => p !== "");
}

/** Type words joined by single spaces: `["unsigned", "int"]` → `"unsigned int"`. */
export function typeWordsText(words: readonly RawTypeWord[]): string {
  return words.map((w) => (typeof w === "string" ? w : `${w.keyword} ${w.tag}`)).join(" ");
}

/** Tag of a lone `struct tag`/`union tag` type, the thing a struct-typed member refers to. */
export function structRefOf(words: readonly RawTypeWord[]): string | undefined {
  const [only] = words;
  if (words.length !== 1 || only === undefined || typeof only === "string" || only.keyword === "enum") return undefined;
  return only.tag;
}

/** Whether `name` is a C identifier (the grammar also accepts `a-b` names to report them). */
export function isCIdentifier(name: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
}
