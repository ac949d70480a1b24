/**
 * Placing one hunk on its base file: choosing the reading of its mail lines (see `hunk-read.ts`) and the
 * position where its old side matches the base exactly.
 *
 * Every reading of the hunk's mail lines is tried at every position where its old side equals the base
 * exactly (no fuzz). As in git, a hunk that starts at line 0 or 1 must match at the beginning of the file,
 * and one without trailing context must match at its end. If more than one reading fits, even at
 * different positions, the hunk is refused as ambiguous rather than guessed. The position of
 * the one reading is the nearest to the expected one in `git apply`'s search order: the stated line
 * (shifted by the offset the previous hunk of the file needed, as GNU patch does), then one line after,
 * one before, two after, ...
 *
 * @module
 */
import type { Diagnostic } from "../ir/types.js";
import { diagnosticAt, fail, pointSpan } from "./errors.js";
import { canContinue, canEndBefore, canStartPatchLine, isMarker, mustContinue } from "./mail-line.js";
import {
  readHunk,
  type Budget,
  type HunkHeader,
  type HunkReading,
} from "./hunk-read.js";
import type { MailLine } from "./mail-line.js";

/** Readings enumerated before falling back to a per-position search. */
const MAX_READINGS = 64;

/** The base file a hunk goes onto. */
export interface BaseFile {
  /** Path in the tree, for messages. */
  path: string;
  lines: readonly string[];
  /** The pre-image blob the patch's `index` line names, and the base file's own blob id. */
  blob?: { named: string; actual: string };
}

/** Where and how a hunk applies. */
export interface PlacedHunk {
  header: HunkHeader;
  reading: HunkReading;
  /** 0-based index in the base file of the first old-side line (for a pure insertion: the line it goes before). */
  position: number;
  /** `position` minus the position the header states. */
  offset: number;
}

/** Context of one hunk placement. */
export interface PlaceContext {
  /** The mail's name for diagnostics. */
  mailFile: string;
  /** 1-based number of the hunk within its file, for messages. */
  hunkNumber: number;
  /** The base file, or null when the file is created by the patch. */
  base: BaseFile | null;
  /** The first base position this hunk may use (the end of the previous hunk). */
  minPosition: number;
  /** Offset the previous hunk of the same file needed. */
  carriedOffset: number;
  /** Wrap width of the mail (see `ExtractedPatch.wrapWidth`). */
  wrapWidth: number;
  budget: Budget;
  /** Notes and warnings are appended here. */
  diagnostics: Diagnostic[];
}

/**
 * Places the hunk whose header is `header` and whose lines start at `region[start]`. Throws an IngestError
 * (`patch-truncated`, `hunk-count-mismatch`, `unwrap-unresolved`, `unwrap-ambiguous`, `unwrap-too-complex`,
 * `hunk-does-not-apply`) when it cannot.
 */
export function placeHunk(region: readonly MailLine[], start: number, header: HunkHeader, ctx: PlaceContext): PlacedHunk {
  const base = ctx.base;
  const structural = readHunk(region, start, header, {
    maxReadings: MAX_READINGS,
    budget: ctx.budget,
    wrapWidth: ctx.wrapWidth,
    ...(base ? { base: { lines: base.lines } } : {}),
  });
  if (structural.outOfBudget) tooComplex(header, ctx);
  if (structural.readings.length === 0) explainNoReading(region, start, header, ctx);

  const stated = header.oldCount === 0 ? header.oldStart : header.oldStart - 1;
  if (!base || header.oldCount === 0) {
    // Nothing to match: a new file, or a pure insertion (no context) taken at its word.
    const length = base ? base.lines.length : 0;
    if (stated > length) {
      fail("hunk-does-not-apply", `${hunkName(header, ctx)} inserts after line ${stated} of '${base?.path ?? "?"}', which has ${length} lines`, headerSpan(header, ctx));
    }
    const fit = select(structural.readings.map((reading) => ({ reading, position: stated })), stated, header, ctx);
    return { header, reading: fit.reading, position: stated, offset: 0 };
  }

  const expected = stated + ctx.carriedOffset;
  const last = base.lines.length - header.oldCount;
  const fits: Fit[] = [];
  if (!structural.capped && structural.readings.length === 1) {
    // One reading: the first position in git's search order where it fits is the answer.
    const reading = structural.readings[0]!;
    for (const p of searchOrder(expected, ctx.minPosition, last)) {
      if (!ctx.budget.spend()) tooComplex(header, ctx);
      if (fitsAt(reading, p, header, base)) {
        fits.push({ reading, position: p });
        break;
      }
    }
  } else if (!structural.capped) {
    // Several readings: every valid one is among them; find all their fits, since two readings fitting
    // anywhere make the mail ambiguous.
    for (let p = ctx.minPosition; p <= last; p++) {
      if (!ctx.budget.spend(structural.readings.length)) tooComplex(header, ctx);
      for (const reading of structural.readings) if (fitsAt(reading, p, header, base)) fits.push({ reading, position: p });
    }
  } else {
    // Too many structural readings to list: read the hunk against each position, the base text pruning.
    for (let p = ctx.minPosition; p <= last; p++) {
      const res = readHunk(region, start, header, {
        maxReadings: MAX_READINGS,
        budget: ctx.budget,
        wrapWidth: ctx.wrapWidth,
        base: { lines: base.lines, at: p },
      });
      if (res.outOfBudget) tooComplex(header, ctx);
      const here = res.readings.filter((r) => fitsAt(r, p, header, base)).map((reading) => ({ reading, position: p }));
      if (res.capped) ambiguous(here, header, ctx);
      fits.push(...here);
    }
  }
  if (fits.length === 0) explainNoMatch(structural.readings, header, expected, ctx, base);
  const fit = select(fits, expected, header, ctx);
  return placed(header, fit.reading, fit.position, ctx);
}

/** A reading that fits at a position. */
interface Fit {
  reading: HunkReading;
  position: number;
}

/** Identity of a reading: which mail lines it joins and where it ends (the same for equal readings built twice). */
function readingKey(r: HunkReading): string {
  return r.joins.map((j) => j.continuation.line).join(",") + "|" + r.end;
}

/**
 * Chooses among the fits of a hunk. They must all be one reading, or the mail is ambiguous: two readings
 * that fit, even at different positions, mean the tree would depend on a guess. That reading goes at its
 * position nearest to `expected` in git's search order.
 */
function select(fits: readonly Fit[], expected: number, header: HunkHeader, ctx: PlaceContext): Fit {
  const distinct = new Set(fits.map((f) => readingKey(f.reading)));
  if (distinct.size > 1) ambiguous(fits, header, ctx);
  return fits.reduce((best, f) => (searchRank(f.position, expected) < searchRank(best.position, expected) ? f : best));
}

function placed(header: HunkHeader, reading: HunkReading, p: number, ctx: PlaceContext): PlacedHunk {
  const offset = p - (header.oldStart - 1);
  if (offset !== 0) {
    ctx.diagnostics.push(
      diagnosticAt(
        "note",
        "hunk-offset",
        `${hunkName(header, ctx)} applied at line ${p + 1} of '${ctx.base!.path}' (offset ${offset > 0 ? "+" : ""}${offset} line${Math.abs(offset) === 1 ? "" : "s"})`,
        headerSpan(header, ctx),
      ),
    );
  }
  return { header, reading, position: p, offset };
}

/** Rank of position `p` in git's search order around `expected`: expected, +1, -1, +2, -2, ... */
export function searchRank(p: number, expected: number): number {
  return p > expected ? 2 * (p - expected) - 1 : 2 * (expected - p);
}

/** Positions in [min, max] in git's search order around `expected`: expected, +1, -1, +2, -2, ... */
function* searchOrder(expected: number, min: number, max: number): Generator<number> {
  if (max < min) return;
  const e = Math.min(Math.max(expected, min), max);
  yield e;
  for (let d = 1; e + d <= max || e - d >= min; d++) {
    if (e + d <= max) yield e + d;
    if (e - d >= min) yield e - d;
  }
}

/** Whether a reading's old side equals the base at `p`, with git's beginning/end anchoring. */
function fitsAt(r: HunkReading, p: number, header: HunkHeader, base: BaseFile): boolean {
  if (header.oldStart <= 1 && p !== 0) return false;
  let trailing = 0;
  for (let i = r.lines.length - 1; i >= 0 && r.lines[i]!.kind === "context"; i--) trailing++;
  if (trailing === 0 && p + header.oldCount !== base.lines.length) return false;
  let j = 0;
  for (const l of r.lines) {
    if (l.kind === "add") continue;
    if (base.lines[p + j] !== l.text) return false;
    j++;
  }
  return true;
}

/** Refuses a hunk whose wrapped lines can be rejoined in more than one way; says where the readings differ. */
function ambiguous(fits: readonly Fit[], header: HunkHeader, ctx: PlaceContext): never {
  const byKey = new Map(fits.map((f) => [readingKey(f.reading), f] as const));
  const [a, b] = [...byKey.values()];
  const contA = new Set(a ? a.reading.joins.map((j) => j.continuation) : []);
  const contB = new Set(b ? b.reading.joins.map((j) => j.continuation) : []);
  const differing = [...contA, ...contB].filter((l) => contA.has(l) !== contB.has(l)).sort((x, y) => x.line - y.line);
  const where = differing[0];
  const source = where ? pointSpan(ctx.mailFile, where.line, where.column) : headerSpan(header, ctx);
  const count = byKey.size > MAX_READINGS ? "many" : String(Math.max(byKey.size, 2));
  const positions = a && b && a.position !== b.position ? ` (at lines ${a.position + 1} and ${b.position + 1} of the base)` : "";
  fail(
    "unwrap-ambiguous",
    `${hunkName(header, ctx)}: its wrapped lines can be rejoined in ${count} ways that all fit the counts and the base${positions}` +
      (where ? `; mail line ${where.line} may be a line of its own or the continuation of the line above` : ""),
    source,
    { hint: "rejoin the wrapped lines by hand (or get an unwrapped copy of the mail)" },
  );
}

function tooComplex(header: HunkHeader, ctx: PlaceContext): never {
  fail(
    "unwrap-too-complex",
    `${hunkName(header, ctx)}: too many ways to read its wrapped lines; gave up after ${ctx.budget.limit} steps`,
    headerSpan(header, ctx),
  );
}

/**
 * No reading satisfies the counts. Walking the lines literally (prefixed lines start patch lines, others
 * continue them) says why: the patch ends first (truncated), the next hunk or file starts first (counts
 * wrong), or there are more lines than counted and no rejoining fixes it.
 */
function explainNoReading(region: readonly MailLine[], start: number, header: HunkHeader, ctx: PlaceContext): never {
  const { oldCount: b, newCount: d } = header;
  let o = 0;
  let n = 0;
  let lastPatchLine: MailLine = header.mail;
  let i = start;
  while (i < region.length && mustContinue(region[i]!)) i++;
  let wrapped = i > start;
  for (; ; i++) {
    const l = region[i];
    // With the counts met, the hunk may end here unless a patch line follows (then it overflows below).
    if (o === b && n === d && canEndBefore(l)) {
      throw new Error(`internal: ${hunkName(header, ctx)} has a literal reading that readHunk did not find`);
    }
    // The region ends at a signature already; an unquoted blank line ends the quoting.
    if (!l || (!l.quoted && !canContinue(l))) {
      fail(
        "patch-truncated",
        `the patch ends inside ${hunkName(header, ctx)} (mail line ${header.mail.line}): it declares ${b} old and ${d} new lines, the mail has ${o} and ${n}`,
        pointSpan(ctx.mailFile, lastPatchLine.line, lastPatchLine.column),
      );
    }
    if (isMarker(l)) continue;
    if (canStartPatchLine(l)) {
      const c = l.text.charAt(0);
      if (c !== "+") o++;
      if (c !== "-") n++;
      lastPatchLine = l;
      if (o > b || n > d) {
        fail(
          wrapped ? "unwrap-unresolved" : "hunk-count-mismatch",
          `${hunkName(header, ctx)} declares ${b} old and ${d} new lines, but by mail line ${l.line} it has ${o} and ${n}` +
            (wrapped ? "; no way of rejoining its wrapped lines gives the declared counts" : ""),
          pointSpan(ctx.mailFile, l.line, l.column),
          {
            hint: wrapped
              ? "the mail was line-wrapped; check the wrapped lines near this one"
              : "if the mail was line-wrapped, a continuation may look like a patch line; rejoin it by hand",
          },
        );
      }
      continue;
    }
    if (canContinue(l)) {
      wrapped = true;
      continue;
    }
    // A structural line (next hunk or file) before the counts were reached.
    fail(
      "hunk-count-mismatch",
      `${hunkName(header, ctx)} declares ${b} old and ${d} new lines, but it ends at mail line ${l.line} with ${o} and ${n}`,
      pointSpan(ctx.mailFile, l.line, l.column),
    );
  }
}

/** The hunk does not fit anywhere: say which line differs at the expected position. */
function explainNoMatch(readings: readonly HunkReading[], header: HunkHeader, expected: number, ctx: PlaceContext, base: BaseFile): never {
  const ref = readings[0];
  const p = Math.max(0, Math.min(expected, base.lines.length));
  let why = "";
  if (ref && readings.length <= MAX_READINGS) {
    let j = 0;
    for (const l of ref.lines) {
      if (l.kind === "add") continue;
      const have = base.lines[p + j];
      if (have !== l.text) {
        const what = l.kind === "context" ? "context" : "deleted";
        why =
          have === undefined
            ? `: its ${what} line at mail line ${l.mail.line} falls past the end of '${base.path}' (${base.lines.length} lines)`
            : `: at line ${p + j + 1} of '${base.path}' its ${what} line (mail line ${l.mail.line}) reads ${quote(l.text)} but the base has ${quote(have)}`;
        break;
      }
      j++;
    }
    if (why === "") why = `: its lines match at line ${p + 1} but the hunk must be anchored at the ${header.oldStart <= 1 ? "beginning" : "end"} of the file`;
  }
  fail(
    "hunk-does-not-apply",
    `${hunkName(header, ctx)} does not apply to '${base.path}' at line ${p + 1} or any other line${why}`,
    headerSpan(header, ctx),
    { hint: noMatchHint(base) },
  );
}

/**
 * Tells a wrong base from a damaged mail. The `index` line names the blob the patch was made against: when
 * the base file is another blob, the base is the wrong version; when it is that very blob, the base is right
 * and the hunk's text in the mail was damaged on the way (wrapping, whitespace, re-encoding).
 */
export function noMatchHint(base: BaseFile): string {
  const b = base.blob;
  if (!b) return "the patch was made against a different version of the file, or the mail damaged the hunk: check --base";
  if (!b.actual.startsWith(b.named)) {
    return `wrong base: the patch was made against blob ${b.named} of '${base.path}', the base has ${b.actual.slice(0, Math.max(7, b.named.length))}: check --base`;
  }
  return `damaged mail: the base holds blob ${b.named} of '${base.path}', the one the patch was made against, so the hunk's text was changed on the way (wrapping, whitespace, encoding)`;
}

function quote(s: string): string {
  const short = s.length > 60 ? s.slice(0, 57) + "..." : s;
  return JSON.stringify(short);
}

function hunkName(header: HunkHeader, ctx: PlaceContext): string {
  return `hunk #${ctx.hunkNumber} (@@ -${header.oldStart},${header.oldCount} +${header.newStart},${header.newCount} @@)`;
}

function headerSpan(header: HunkHeader, ctx: PlaceContext) {
  return pointSpan(ctx.mailFile, header.mail.line, header.mail.column);
}
