/**
 * Peggy's "expected" information for a spot where the recovering grammar had to skip or patch.
 *
 * The grammar recovers inside itself (so one parse gives the whole listing); to say *what* was
 * expected at a recovery point, the text from that point is re-parsed with a start rule that has the
 * same alternatives minus the recovery ones, and the resulting syntax error is described.
 *
 * @module
 */

import { parse, SyntaxError as PeggySyntaxError } from "../build/clisting-parser.js";
import type { Expectation } from "../build/clisting-parser.js";

/** Start rules of grammar/clisting/clisting.peggy that contain no recovery alternatives. */
export type StrictRule = "StrictMember" | "MemberOrClose" | "StrictEnumEntry" | "EnumEntryOrClose";

/** What a strict re-parse reported. */
export interface ExpectedInfo {
  /** Peggy's expectations, described and joined (`";", "[", or ":"`). */
  expected: string;
  /** Body offset of the failure. */
  at: number;
  /** The text found there (null at the end of the body). */
  found: string | null;
}

/**
 * How much text after a recovery point the re-parse sees. Member-level failures show within a line
 * or two; the window keeps each re-parse cheap however long the listing is.
 */
export const EXPECTED_WINDOW = 2048;

/**
 * Re-parses `body` from `offset` with the strict start rule `rule` and describes where and what it
 * expected. Returns undefined when the strict rule does not fail (nothing to report), when it fails
 * only at the edge of the {@link EXPECTED_WINDOW} (inconclusive), or when the parser fails in an
 * unexpected way (never throws).
 */
export function expectedAt(body: string, offset: number, rule: StrictRule): ExpectedInfo | undefined {
  const from = Math.max(0, Math.min(offset, body.length));
  const text = body.slice(from, from + EXPECTED_WINDOW);
  const truncated = from + text.length < body.length;
  try {
    parse(text, { startRule: rule });
    return undefined;
  } catch (error) {
    if (!(error instanceof PeggySyntaxError)) return undefined;
    // The re-parse demands the whole rest of the text; an error that only complains about the text
    // *after* a complete construct says nothing about this spot.
    if (error.expected.length === 1 && error.expected[0]?.type === "end") return undefined;
    if (truncated && error.location.start.offset >= text.length) return undefined;
    return { expected: describeExpected(error.expected), at: from + error.location.start.offset, found: error.found ?? null };
  }
}

/** Peggy's wording for a set of expectations: sorted, de-duplicated, joined with commas and "or". */
function describeExpected(expected: readonly Expectation[]): string {
  const descriptions = [...new Set(expected.map(describeOne))].sort();
  if (descriptions.length <= 2) return descriptions.join(" or ");
  return `${descriptions.slice(0, -1).join(", ")}, or ${descriptions[descriptions.length - 1] ?? ""}`;
}

function describeOne(expectation: Expectation): string {
  switch (expectation.type) {
    case "literal":
      return JSON.stringify(expectation.text);
    case "class": {
      const parts = expectation.parts.map((part) => (Array.isArray(part) ? `${part[0]}-${part[1]}` : part)).join("");
      return `[${expectation.inverted ? "^" : ""}${parts}]`;
    }
    case "any":
      return "any character";
    case "end":
      return "end of input";
    case "other":
      return expectation.description;
  }
}
