/**
 * Reading one hunk out of the mail lines that follow its `@@` header, undoing the mail client's line wrapping.
 *
 * A mail client that wraps long lines breaks them at a blank, leaves the blank at the end of the first
 * fragment and starts the continuation with the next character, with no `+`/`-`/` ` prefix of its own. So a
 * wrapped patch line is rebuilt by plain concatenation of its fragments. This was measured on the
 * vhost-pci-net seed: every wrapped context/deleted line there equals its base line exactly when its
 * fragments are concatenated as they are, and only then.
 *
 * Which mail lines are continuations is decided by the hunk's own line counts (`@@ -a,b +c,d @@`): a reading
 * assigns every mail line either the start of a patch line or a continuation of the one before, and is valid
 * when it yields exactly `b` old-side and `d` new-side lines. A line without a valid prefix can only be a
 * continuation; a line with one (the nasty `           & 3 to 31 \\`) may be either, but only where the break
 * before it is one the client would have made (see {@link isPlausibleJoin}): the counts and the base text
 * settle the rest. This module enumerates the valid readings; choosing among them against the base file is
 * `hunk-place.ts`'s job.
 *
 * @module
 */
import { canContinue, canEndBefore, canStartPatchLine, isMarker, mustContinue, type MailLine } from "./mail-line.js";

/** A parsed `@@ -a,b +c,d @@ section` line. */
export interface HunkHeader {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** The text after the second `@@` (git's function context), unwrapped; `""` when none. */
  section: string;
  /** The mail line of the `@@`. */
  mail: MailLine;
}

/** Largest line number or count accepted in a hunk header (keeps all position arithmetic exact). */
export const MAX_HUNK_NUMBER = 100_000_000;

const HEADER_RE = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(?: ?(.*))?$/;

/** Parses a hunk header line; undefined when it is not a well-formed one. */
export function parseHunkHeader(mail: MailLine): HunkHeader | undefined {
  const m = HEADER_RE.exec(mail.text);
  if (!m) return undefined;
  const nums = [m[1], m[2] ?? "1", m[3], m[4] ?? "1"].map((s) => (s!.length > 9 ? Number.NaN : Number(s)));
  if (nums.some((v) => !Number.isSafeInteger(v) || v > MAX_HUNK_NUMBER)) return undefined;
  const [oldStart, oldCount, newStart, newCount] = nums as [number, number, number, number];
  if (oldCount === 0 && newCount === 0) return undefined;
  // Line 0 only goes with an empty side (`-0,0` creates, `+0,0` deletes the whole file).
  if ((oldStart === 0 && oldCount !== 0) || (newStart === 0 && newCount !== 0)) return undefined;
  return { oldStart, oldCount, newStart, newCount, section: m[5] ?? "", mail };
}

/** Kind of a patch line. */
export type HunkLineKind = "context" | "add" | "delete";

/** One line of a hunk, rebuilt from one or more mail lines. */
export interface HunkLine {
  kind: HunkLineKind;
  /** The line's text without its prefix, fragments joined. */
  text: string;
  /** The mail line that carried the start of the line (and its prefix). */
  mail: MailLine;
  /** The continuation mail lines joined onto it, in order (empty when it was not wrapped). */
  continuations: MailLine[];
  /** A `\ No newline at end of file` marker follows it. */
  noNewline: boolean;
}

/** A wrapped line that was rejoined: the fragment before the break and the continuation after it. */
export interface Join {
  fragment: MailLine;
  continuation: MailLine;
}

/** One way of reading the hunk's mail lines that satisfies its counts. */
export interface HunkReading {
  /** The header's function-context text with its continuations joined. */
  section: string;
  /** Mail lines joined onto the `@@` line. */
  headerContinuations: MailLine[];
  lines: HunkLine[];
  /** Index (into the region) of the first mail line after the hunk. */
  end: number;
  /** Every rejoin, header ones included. */
  joins: Join[];
}

/** A work limit shared by the searches of one input, so hostile input cannot make them run for ever. */
export class Budget {
  private used = 0;
  /** @param limit steps allowed in total */
  constructor(readonly limit: number) {}
  /** Spends `n` steps; false once the limit is exceeded. */
  spend(n = 1): boolean {
    this.used += n;
    return this.used <= this.limit;
  }
}

/** What the base file says about old-side line `j` of the hunk (undefined: past its end). */
export type OldLineAt = (j: number) => string | undefined;

/**
 * What recovery may know of the base file, passed in as data (the reader never calls back into placement).
 */
export interface HunkBase {
  /** The base file's lines. With them, continuation lines that have a valid patch prefix may also be joined
   * onto the `@@` header, when the joined function-context text starts some base line (git takes it from one). */
  lines: readonly string[];
  /**
   * Reading against a known position (0-based index of the first old-side line): context and deleted lines
   * must then equal the base lines from there. Omitted: any text goes (structure only).
   */
  at?: number;
}

/** Options of {@link readHunk}. */
export interface ReadHunkOptions {
  /** The base file (see {@link HunkBase}); omitted for a file the patch creates, or to read structure only. */
  base?: HunkBase;
  /**
   * The mail's wrap width (see `ExtractedPatch.wrapWidth`). When given, a line that has a patch prefix is
   * taken as a continuation only if {@link isPlausibleJoin} says a client wrapping at that width would have
   * broken the line there. Lines without a prefix are continuations whatever their length.
   */
  wrapWidth?: number;
  /** Stop after this many readings (the result says `capped`). */
  maxReadings: number;
  /** Work limit; the search stops when it runs out (the result says `outOfBudget`). */
  budget: Budget;
}

/** Result of {@link readHunk}. */
export interface ReadHunkResult {
  readings: HunkReading[];
  /** More readings exist than `maxReadings`. */
  capped: boolean;
  /** The budget ran out: `readings` may be incomplete. */
  outOfBudget: boolean;
}

/** One step of a reading: the patch line started at `index`, with `k` continuation lines. */
interface Step {
  index: number;
  k: number;
  kind: HunkLineKind | "marker";
  text: string;
}

/** A search frame of the depth-first enumeration. */
interface Frame {
  i: number;
  o: number;
  n: number;
  /** Next continuation count to try; -1 before the first. */
  k: number;
  found: boolean;
}

/**
 * Enumerates the readings of the hunk whose header is `header` and whose lines start at `region[start]`
 * (the line after the `@@`). Readings are distinct by construction (they differ in at least one
 * patch-line/continuation decision or in where the hunk ends).
 *
 * The search is depth-first with a memo of dead states (mail index, old lines, new lines), pruned by the
 * lines left (every patch line still owed needs a mail line that can start one), by the wrap width, and by
 * the base text when `opts.base.at` is given (fragments of a context or deleted line must stay a prefix of its
 * base line). Every step spends from `opts.budget`.
 */
export function readHunk(region: readonly MailLine[], start: number, header: HunkHeader, opts: ReadHunkOptions): ReadHunkResult {
  const { oldCount: b, newCount: d } = header;
  const N = region.length;
  const readings: HunkReading[] = [];
  const result: ReadHunkResult = { readings, capped: false, outOfBudget: false };

  // Header continuations: lines that cannot start a patch line must belong to the header; further ones only
  // when the header text check allows.
  let forced = 0;
  while (start + forced < N && mustContinue(region[start + forced]!)) forced++;
  const headerOptions: number[] = [forced];
  const baseLines = opts.base?.lines;
  const headerTextOk = baseLines ? (text: string) => text === "" || baseLines.some((l) => l.startsWith(text)) : undefined;
  const at = opts.base?.at;
  const oldLineAt: OldLineAt | undefined = baseLines && at !== undefined ? (j) => baseLines[at + j] : undefined;
  if (headerTextOk) {
    let text = header.section + region.slice(start, start + forced).map((l) => l.text).join("");
    for (let h = forced; start + h < N && canContinue(region[start + h]!); h++) {
      const cont = region[start + h]!;
      const fragment = h === 0 ? header.mail : region[start + h - 1]!;
      if (opts.wrapWidth !== undefined && !isPlausibleJoin({ fragment, continuation: cont }, opts.wrapWidth)) break;
      text += cont.text;
      if (!headerTextOk(text.trimEnd())) break;
      headerOptions.push(h + 1);
    }
  }

  // The hunk cannot reach past the first line that neither starts nor continues a patch line (the next
  // `@@`, `diff --git`, the end of quoting); `owed[i]` counts the lines in [i, limit) that can start one, so
  // a state owing more patch lines than that is dead at once.
  let limit = start;
  while (limit < N && (canStartPatchLine(region[limit]!) || canContinue(region[limit]!))) limit++;
  const owed = new Array<number>(limit - start + 1).fill(0);
  for (let i = limit - 1; i >= start; i--) {
    const l = region[i]!;
    owed[i - start] = owed[i - start + 1]! + (canStartPatchLine(l) && !isMarker(l) ? 1 : 0);
  }
  const startableFrom = (i: number): number => (i >= limit ? 0 : owed[i - start]!);

  const dead = new Set<string>();
  const key = (i: number, o: number, n: number) => `${i},${o},${n}`;

  for (const h of headerOptions) {
    const first = start + h;
    const path: Step[] = [];
    const stack: Frame[] = [{ i: first, o: 0, n: 0, k: -1, found: false }];
    while (stack.length > 0) {
      if (!opts.budget.spend()) {
        result.outOfBudget = true;
        return result;
      }
      const top = stack[stack.length - 1]!;
      if (top.k === -1) {
        // First visit of this state.
        if (top.o === b && top.n === d) {
          // A hunk ends where the next line cannot be one of its lines; a prefixed line right after it would
          // be a patch line left over, so this is no place to end.
          if (!canEndBefore(region[top.i])) {
            popFrame(stack, path, dead, key);
            continue;
          }
          readings.push(buildReading(region, start, h, header, path, top.i));
          top.found = true;
          popFrame(stack, path, dead, key);
          if (readings.length > opts.maxReadings) {
            readings.pop();
            result.capped = true;
            return result;
          }
          continue;
        }
        if (dead.has(key(top.i, top.o, top.n)) || top.i >= N || !canStartPatchLine(region[top.i]!)) {
          popFrame(stack, path, dead, key);
          continue;
        }
      }
      const step = nextStep(region, top, b, d, path, { wrapWidth: opts.wrapWidth, oldLineAt }, startableFrom);
      if (!step) {
        popFrame(stack, path, dead, key);
        continue;
      }
      path.push(step.step);
      stack.push({ i: step.i, o: step.o, n: step.n, k: -1, found: false });
    }
  }
  return result;
}

/** Leaves the top frame: records it dead if nothing was found below, and passes success up. */
function popFrame(stack: Frame[], path: Step[], dead: Set<string>, key: (i: number, o: number, n: number) => string): void {
  const top = stack.pop()!;
  if (!top.found) dead.add(key(top.i, top.o, top.n));
  const parent = stack[stack.length - 1];
  if (parent) {
    if (top.found) parent.found = true;
    path.pop();
  }
}

/**
 * The next untried way to read the patch line at `top.i` (advancing `top.k`), or undefined when none is left.
 */
function nextStep(
  region: readonly MailLine[],
  top: Frame,
  b: number,
  d: number,
  path: readonly Step[],
  opts: { wrapWidth: number | undefined; oldLineAt: OldLineAt | undefined },
  startableFrom: (i: number) => number,
): { step: Step; i: number; o: number; n: number } | undefined {
  const first = region[top.i]!;
  if (isMarker(first)) {
    // A marker is not a line of its own: it qualifies the line before, so there is exactly one way on.
    if (top.k >= 0 || path.length === 0 || path[path.length - 1]!.kind === "marker") return undefined;
    top.k = 0;
    return { step: { index: top.i, k: 0, kind: "marker", text: "" }, i: top.i + 1, o: top.o, n: top.n };
  }
  const c = first.text.charAt(0);
  const kind: HunkLineKind = c === "+" ? "add" : c === "-" ? "delete" : "context";
  const o2 = top.o + (kind === "add" ? 0 : 1);
  const n2 = top.n + (kind === "delete" ? 0 : 1);
  if (o2 > b || n2 > d) return undefined;
  const { oldLineAt, wrapWidth } = opts;
  const base = kind === "add" || !oldLineAt ? undefined : oldLineAt(top.o);
  if (oldLineAt && kind !== "add" && base === undefined) return undefined;

  // Rebuild the text for k = 0 .. top.k + 1; cheap next to the search, and keeps frames small.
  let text = first.text.slice(1);
  for (let j = 1; j <= top.k; j++) text += region[top.i + j]!.text;
  for (let k = top.k + 1; ; k++) {
    if (k > 0) {
      const cont = region[top.i + k];
      if (!cont || !canContinue(cont)) return undefined;
      // A line that could start a patch line continues this one only at a break the client would make; so
      // does any line after the hunk's last one, which could as well be what follows the patch.
      const optional = canStartPatchLine(cont) || (o2 === b && n2 === d);
      if (wrapWidth !== undefined && optional && !isPlausibleJoin({ fragment: region[top.i + k - 1]!, continuation: cont }, wrapWidth)) {
        return undefined;
      }
      text += cont.text;
    }
    top.k = k;
    const next = top.i + k + 1;
    // Every patch line still owed needs a mail line that can start one; a longer k only leaves fewer.
    if (startableFrom(next) < Math.max(b - o2, d - n2)) return undefined;
    if (base !== undefined) {
      if (!base.startsWith(text)) return undefined;
      if (base.length !== text.length) continue;
    }
    return { step: { index: top.i, k, kind, text }, i: next, o: o2, n: n2 };
  }
}

/** Materialises a reading from the search path. */
function buildReading(
  region: readonly MailLine[],
  start: number,
  h: number,
  header: HunkHeader,
  path: readonly Step[],
  end: number,
): HunkReading {
  const joins: Join[] = [];
  const headerContinuations = region.slice(start, start + h);
  let prev = header.mail;
  for (const c of headerContinuations) {
    joins.push({ fragment: prev, continuation: c });
    prev = c;
  }
  const lines: HunkLine[] = [];
  for (const s of path) {
    if (s.kind === "marker") {
      lines[lines.length - 1]!.noNewline = true;
      continue;
    }
    const mail = region[s.index]!;
    const continuations = region.slice(s.index + 1, s.index + 1 + s.k);
    let fragment = mail;
    for (const c of continuations) {
      joins.push({ fragment, continuation: c });
      fragment = c;
    }
    lines.push({ kind: s.kind, text: s.text, mail, continuations, noNewline: false });
  }
  // A marker right after the last line still belongs to the hunk.
  let stop = end;
  if (stop < region.length && isMarker(region[stop]!) && lines.length > 0) {
    lines[lines.length - 1]!.noNewline = true;
    stop++;
  }
  const section = header.section + headerContinuations.map((l) => l.text).join("");
  return { section, headerContinuations, lines, end: stop, joins };
}

/**
 * Whether a rejoin is what a wrapping mail client would have produced, `wrapWidth` being the mail's wrap
 * width (`ExtractedPatch.wrapWidth`: its longest line that was certainly broken). The client breaks a line that would reach that width at the last blank that still fits, keeping
 * the blank on the first fragment; so the fragment plus the continuation's first word (with the blanks
 * before it) reaches the width. Measured on the vhost-pci-net archive: fragments are at most 80 columns
 * (ending in the break blank), unbroken lines at most 79, and every break satisfies this with equality or
 * more. The test is deliberately no stricter than that, since it is used to rule readings out.
 */
export function isPlausibleJoin(join: Join, wrapWidth: number): boolean {
  const lead = /^\s*\S*/.exec(join.continuation.text)![0].length;
  return join.fragment.rawLength + lead >= wrapWidth;
}
