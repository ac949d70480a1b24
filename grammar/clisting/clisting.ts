/**
 * C inside the virtio specification's `lstlisting` blocks: parse a listing body into a typed AST
 * with exact file positions, and evaluate the integer constant expressions it uses.
 *
 * The grammar is grammar/clisting/clisting.peggy (compiled by `npm run build:parser` to
 * grammar/build/clisting-parser.js). It recovers from the spec's real defects (a missing `;`, a
 * missing `};`, prose where C belongs) and reports them as problems; it never throws.
 *
 * @example
 * ```ts
 * const { items, problems } = parseListing(body, { line: 218, column: 1 });
 * for (const item of items) if (item.kind === "struct") console.log(item.name, item.members.length);
 * ```
 *
 * @module
 */

import { parse } from "../build/clisting-parser.js";
import type { RawItem } from "./raw.js";
import type { ListingOptions, ListingParse, ListingStart } from "./types.js";
import { ListingPositions } from "./positions.js";
import { convertListing } from "./convert.js";

export type {
  ArraySpec,
  CodeItem,
  CommentItem,
  DefineItem,
  EnumItem,
  EnumMember,
  FieldMember,
  ListingItem,
  ListingOptions,
  ListingParse,
  ListingProblem,
  ListingStart,
  Member,
  NestedMember,
  OpaqueItem,
  OpaqueReason,
  Pos,
  ProblemReason,
  StructItem,
  TypedefItem,
} from "./types.js";
export { evalConstExpr, defineLookup, expandFunctionMacros, parseIntegerLiteral, type FunctionMacro } from "./eval.js";
export type { ConstLookup } from "./eval.js";

/**
 * Parses the body of one `lstlisting` (the text between the line of `\begin{lstlisting}` and
 * `\end{lstlisting}`).
 *
 * @param body the listing text, as in the file (or with a per-line quote prefix removed: see `options`)
 * @param start file position (1-based) of `body[0]`
 * @param options `linePrefixWidth` when a prefix such as a mail's `> +` was stripped from every line
 * @returns the items in source order and the problems found; never throws — text that is not C
 *   becomes `opaque` items, defects become problems.
 */
export function parseListing(body: string, start: ListingStart, options: ListingOptions = {}): ListingParse {
  const text = typeof body === "string" ? body : "";
  const positions = new ListingPositions(text, start ?? { line: 1, column: 1 }, options?.linePrefixWidth ?? 0);
  const tooDeep = firstTooDeep(text);
  if (tooDeep >= 0) {
    const pos = positions.pos(tooDeep, tooDeep + 1);
    return {
      items: [{ kind: "opaque", text, pos: positions.pos(0, text.length), reason: "not-c" }],
      problems: [{ reason: "nesting-too-deep", message: `brackets nest deeper than ${MAX_NESTING} levels; the listing is not read as C`, pos }],
    };
  }
  let raw: RawItem[];
  try {
    raw = parse(text, { startRule: "Listing" }) as RawItem[];
  } catch (error) {
    // The grammar is total (every line has a catch-all), so this is a bug; still answer, not throw.
    return internalFailure(text, positions, error);
  }
  try {
    return convertListing(text, raw, positions);
  } catch (error) {
    return internalFailure(text, positions, error);
  }
}

/**
 * Deepest bracket nesting a listing may have. The spec's listings stay under 8; the recursive-descent
 * parser (and the converter) recurse once per level, so hostile input must not choose the depth.
 */
export const MAX_NESTING = 64;

/** Offset of the first `(`, `[` or `{` opened at a depth beyond {@link MAX_NESTING}, or -1. */
function firstTooDeep(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) {
      if (++depth > MAX_NESTING) return i;
    } else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
  }
  return -1;
}

function internalFailure(text: string, positions: ListingPositions, error: unknown): ListingParse {
  const message = error instanceof Error ? error.message : String(error);
  const pos = positions.pos(0, text.length);
  return {
    items: text.trim() === "" ? [] : [{ kind: "opaque", text, pos, reason: "not-c" }],
    problems: [{ reason: "internal", message: `listing parser failed: ${message}`, pos }],
  };
}

