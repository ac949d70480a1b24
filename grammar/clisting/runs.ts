/**
 * Grouping passes over the grammar's raw top-level nodes, before conversion: the grammar works line
 * by line and statement by statement; a reader of the spec thinks in runs.
 *
 * - A run of not-C lines, with any C-looking statements or `}` lines inside it, is one opaque run
 *   (`b = map(5, 9);` inside the IOMMU's pseudo-code is not a C example).
 * - Consecutive C statements, with the comments between them, are one code run.
 * - `//` comments on consecutive lines are one comment.
 *
 * @module
 */

import type { RawComment, RawItem, RawMember, RawSpan } from "./raw.js";

/** A comment as a reader sees it: one block comment, or `//` comments on consecutive lines. */
export interface CommentRun {
  t: "commentRun";
  s: number;
  e: number;
  parts: RawComment[];
}

/** A top-level node after grouping. */
export type GroupedItem = Exclude<RawItem, RawComment> | CommentRun;

/** A body member after grouping. */
export type GroupedMember = Exclude<RawMember, RawComment> | CommentRun;

/** Number of line breaks in `body[a, b)`, or -1 when that text is not all whitespace. */
export function breaksBetween(body: string, a: number, b: number): number {
  const gap = body.slice(a, b);
  if (gap.trim() !== "") return -1;
  let breaks = 0;
  for (const c of gap) if (c === "\n") breaks++;
  return breaks;
}

/** Groups `//` comments on consecutive lines into one {@link CommentRun}; every other comment is a run of one. */
export function groupComments<T extends { t: string; s: number; e: number }>(body: string, nodes: readonly (T | RawComment)[]): (Exclude<T, RawComment> | CommentRun)[] {
  const out: (Exclude<T, RawComment> | CommentRun)[] = [];
  for (const node of nodes) {
    if (!isComment(node)) {
      out.push(node as Exclude<T, RawComment>);
      continue;
    }
    const last = out[out.length - 1];
    const lastPart = last !== undefined && last.t === "commentRun" ? (last as CommentRun).parts[(last as CommentRun).parts.length - 1] : undefined;
    if (last !== undefined && lastPart?.style === "line" && node.style === "line" && breaksBetween(body, last.e, node.s) === 1) {
      (last as CommentRun).parts.push(node);
      (last as CommentRun).e = node.e;
    } else out.push({ t: "commentRun", s: node.s, e: node.e, parts: [node] });
  }
  return out;
}

function isComment(node: { t: string }): node is RawComment {
  return node.t === "comment";
}

/**
 * Merges not-C runs and code runs (see the module comment). Only whitespace may separate the nodes
 * of an opaque run; comments may sit between the statements of a code run.
 */
export function groupSpans(body: string, items: readonly GroupedItem[]): GroupedItem[] {
  return mergeCodeRuns(body, mergeOpaqueRuns(body, items));
}

function mergeOpaqueRuns(body: string, items: readonly GroupedItem[]): GroupedItem[] {
  const out: GroupedItem[] = [];
  let i = 0;
  while (i < items.length) {
    const first = items[i] as GroupedItem;
    if (!isSpan(first)) {
      out.push(first);
      i++;
      continue;
    }
    // The maximal whitespace-separated run of spans starting here.
    let j = i;
    let hasOpaque = false;
    while (j < items.length) {
      const node = items[j] as GroupedItem;
      if (!isSpan(node) || (j > i && breaksBetween(body, (items[j - 1] as GroupedItem).e, node.s) < 0)) break;
      if (node.t === "opaque") hasOpaque = true;
      j++;
    }
    if (hasOpaque) out.push({ t: "opaque", s: first.s, e: (items[j - 1] as GroupedItem).e });
    else for (let k = i; k < j; k++) out.push(items[k] as GroupedItem);
    i = j;
  }
  return out;
}

function mergeCodeRuns(body: string, items: readonly GroupedItem[]): GroupedItem[] {
  const out: GroupedItem[] = [];
  let i = 0;
  while (i < items.length) {
    const first = items[i] as GroupedItem;
    if (first.t !== "code") {
      out.push(first);
      i++;
      continue;
    }
    // Extend over comments only when more code follows them, or when a comment starts on the line
    // the code ends on (`le32 limit; /* maximum resource id = limit - 1 */`).
    let end = i;
    let j = i + 1;
    while (j < items.length) {
      const node = items[j] as GroupedItem;
      if (node.t === "code" || (node.t === "commentRun" && j === end + 1 && breaksBetween(body, (items[end] as GroupedItem).e, node.s) === 0)) end = j;
      else if (node.t !== "commentRun") break;
      j++;
    }
    out.push({ t: "code", s: first.s, e: (items[end] as GroupedItem).e });
    i = end + 1;
  }
  return out;
}

function isSpan(node: GroupedItem): node is RawSpan {
  return node.t === "opaque" || node.t === "code" || node.t === "stray";
}
