/**
 * Typed wrapper over the peggy-generated LaTeX parser (grammar/latex/latex.peggy, built into grammar/build/).
 *
 * The parser is lexical (commands, arguments, groups, environments, comments, math, text with positions);
 * meaning is assigned by {@link ./document.ts}.
 *
 * @module
 */
import { parse as peggyParse } from "../build/latex-parser.js";

/** Position of a node inside one file (1-based lines and columns, 0-based offsets). */
export interface TexLoc {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  offset: number;
  endOffset: number;
}

export interface TexArg {
  kind: "opt" | "req";
  nodes: TexNode[];
  /** The argument's source text without its brackets. */
  raw: string;
  loc: TexLoc;
}

export type TexNode =
  | { type: "text"; value: string; loc: TexLoc }
  | { type: "comment"; value: string; loc: TexLoc }
  | { type: "special"; value: string; loc: TexLoc }
  | { type: "math"; value: string; display: boolean; loc: TexLoc }
  | { type: "verb"; name: string; value: string; loc: TexLoc }
  | { type: "group"; nodes: TexNode[]; loc: TexLoc }
  | { type: "command"; name: string; star: boolean; args: TexArg[]; loc: TexLoc }
  | {
      type: "env";
      name: string;
      args: TexArg[];
      verbatim: boolean;
      body: TexNode[];
      /** Verbatim body text (lstlisting), with the position of its first character. */
      raw?: string;
      rawLoc?: TexLoc;
      loc: TexLoc;
    };

/** A LaTeX text that cannot be read at all (unbalanced braces, mismatched environments). */
export class TexSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly expected?: string,
  ) {
    super(message);
    this.name = "TexSyntaxError";
  }
}

interface PeggyError {
  message: string;
  location?: { start: { line: number; column: number } };
  expected?: { type: string; description?: string; text?: string }[] | null;
  found?: string | null;
}

function describeExpected(e: PeggyError): string | undefined {
  if (!e.expected || e.expected.length === 0) return undefined;
  const names = [...new Set(e.expected.map((x) => x.description ?? (x.text !== undefined ? JSON.stringify(x.text) : x.type)))];
  return names.slice(0, 6).join(", ");
}

/** Fills line/column of every node from its offsets (the grammar records offsets only, for speed). */
function addLineColumns(text: string, nodes: TexNode[]): void {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  const last = starts.length - 1;
  // Nodes come in document order, so the line of the previous lookup is nearly always the answer or close to
  // it: try it and the next line before a binary search. Writes into the location (no tuples: a cold parse
  // places ~10^5 positions, and the garbage showed in profiles).
  let hint = 0;
  const lineOf = (offset: number): number => {
    if (starts[hint]! <= offset && (hint === last || offset < starts[hint + 1]!)) return hint;
    if (hint < last && starts[hint + 1]! <= offset && (hint + 1 === last || offset < starts[hint + 2]!)) return ++hint;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return (hint = lo);
  };
  const fix = (l: TexLoc): void => {
    let line = lineOf(l.offset);
    l.line = line + 1;
    l.column = l.offset - starts[line]! + 1;
    line = lineOf(l.endOffset);
    l.endLine = line + 1;
    l.endColumn = l.endOffset - starts[line]! + 1;
  };
  const walk = (ns: TexNode[]) => {
    for (const n of ns) {
      fix(n.loc);
      if (n.type === "group") walk(n.nodes);
      else if (n.type === "command") for (const a of n.args) {
        fix(a.loc);
        walk(a.nodes);
      }
      else if (n.type === "env") {
        for (const a of n.args) {
          fix(a.loc);
          walk(a.nodes);
        }
        if (n.rawLoc) fix(n.rawLoc);
        walk(n.body);
      }
    }
  };
  walk(nodes);
}

/** Parses one file's text. Throws {@link TexSyntaxError} (never a raw peggy error). */
export function parseTex(text: string): TexNode[] {
  try {
    const nodes = peggyParse(text) as TexNode[];
    addLineColumns(text, nodes);
    return nodes;
  } catch (err) {
    const e = err as PeggyError;
    if (e && typeof e === "object" && e.location) {
      const expected = describeExpected(e);
      // A '{' never closed is found at the end of the file (or at an \end inside the group): point at where the
      // group opened, which is where the author has to look, and keep where the parser gave up in the message.
      if (/'\{' is never closed|group that is never closed/.test(e.message)) {
        const open = unclosedBraceBefore(text, offsetOf(text, e.location.start.line, e.location.start.column));
        if (open) {
          const at = `${e.location.start.line}:${e.location.start.column}`;
          throw new TexSyntaxError(
            e.message.replace(/^unbalanced braces: '\{'/, "unbalanced braces: this '{'").replace(/^unbalanced braces: (\\end\{[^}]*\}) inside a '\{' group/, "unbalanced braces: this '{' opens a group") +
              ` (the parser reached ${at})`,
            open.line,
            open.column,
            expected,
          );
        }
      }
      // Our own error() calls carry a full sentence; peggy's generic ones say "Expected … but … found".
      throw new TexSyntaxError(e.message, e.location.start.line, e.location.start.column, expected);
    }
    throw err;
  }
}

/** The 0-based offset of a 1-based line and column. */
function offsetOf(text: string, line: number, column: number): number {
  let offset = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", offset);
    if (nl < 0) return text.length;
    offset = nl + 1;
  }
  return Math.min(text.length, offset + column - 1);
}

/**
 * The innermost '{' still open at `end`, scanning as the grammar does: `\{` and `\}` are characters, `%` starts
 * a comment, and verbatim environments (lstlisting, verbatim) are skipped. Undefined when every brace is closed.
 */
function unclosedBraceBefore(text: string, end: number): { line: number; column: number } | undefined {
  const open: number[] = [];
  const verbatim = /\\begin\s*\{(lstlisting|verbatim)\}/y;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) {
      verbatim.lastIndex = i;
      const m = verbatim.exec(text);
      if (m) {
        const close = text.indexOf(`\\end{${m[1]}}`, verbatim.lastIndex);
        i = close < 0 ? end : close + m[1]!.length + 5;
      } else {
        i++; // an escaped character (\{, \}, \%) or the first letter of a command name
      }
    } else if (c === 0x25 /* % */) {
      const nl = text.indexOf("\n", i);
      i = nl < 0 ? end : nl;
    } else if (c === 0x7b /* { */) {
      open.push(i);
    } else if (c === 0x7d /* } */) {
      open.pop();
    }
  }
  const at = open.at(-1);
  if (at === undefined) return undefined;
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < at; i = text.indexOf("\n", i + 1)) line++;
  return { line, column: at - lineStart + 1 };
}
