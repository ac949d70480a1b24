/**
 * Finding the patch inside a mail as it arrived: raw (headers + body), a web-archive copy with page junk
 * around it, or a reply that quotes the patch with `> `.
 *
 * The quote prefix is decided once, from the line that starts the patch (`diff --git`, or `---` followed by
 * `+++`), and stripped from every following line. A line that is the prefix without its trailing blank
 * (`>` alone: archives drop trailing spaces) is an empty line. A line without the prefix is kept but marked
 * `quoted: false`: the only thing it can be is a wrapped continuation of the line above, so the hunk reader
 * decides whether quoting ended there; an empty line without the prefix between two quoted lines is a blank
 * line of the quote. The region stops at the signature (`-- ` then a version line).
 *
 * @module
 */
import { parseMailDiffstat, type Diffstat, type NumberedLine } from "./diffstat.js";
import { canStartPatchLine, isMarker, mustContinue, type MailLine } from "./mail-line.js";

/** The patch found in a mail. */
export interface ExtractedPatch {
  /** `mail` when anything precedes the patch (headers, prose, quoting); `patch` for a bare diff. */
  kind: "mail" | "patch";
  /** The quote prefix stripped from every patch line (`""` when the patch is not quoted). */
  quotePrefix: string;
  /** The patch region: from its first line to the signature or the end of the mail. */
  lines: MailLine[];
  /**
   * The width at which a mail client wrapped the patch: the longest mail line that was certainly broken
   * (a patch or hunk-header line, or a continuation, followed by a line with no patch prefix). `Infinity`
   * when no line was certainly broken: then the mail is taken as not wrapped, and no line with a patch
   * prefix is ever read as a continuation. See `isPlausibleJoin`.
   */
  wrapWidth: number;
  /** The mail's own diffstat (between `---` and the patch), when it has one. */
  mailDiffstat?: Diffstat;
}

const GIT_DIFF_RE = /^([\t >|]*)diff --git \S/;
const MINUS_RE = /^([\t >|]*)--- \S/;

/**
 * Locates the patch in `mailLines` (the mail split into lines). Returns undefined when there is none.
 */
export function extractPatch(mailLines: readonly string[], lineOf: (index: number) => number = (i) => i + 1): ExtractedPatch | undefined {
  const start = findPatchStart(mailLines);
  if (!start) return undefined;
  const { index, prefix } = start;
  const bare = prefix.trimEnd();

  const lines: MailLine[] = [];
  for (let i = index; i < mailLines.length; i++) {
    const raw = mailLines[i]!;
    let text: string;
    let quoted = true;
    if (raw.startsWith(prefix)) text = raw.slice(prefix.length);
    else if (prefix !== "" && raw.trimEnd() === bare) text = "";
    else {
      text = raw;
      quoted = false;
    }
    if (quoted && isSignature(text, mailLines[i + 1], prefix)) break;
    lines.push({ text, line: lineOf(i), column: quoted ? prefix.length + 1 : 1, rawLength: raw.length, quoted });
  }

  // An empty line without the prefix between two quoted lines is a blank line of the quote that lost its
  // `>` (clients and archives drop it), not the end of the quoting: the quote goes on right after it.
  if (prefix !== "") {
    for (let k = 1; k + 1 < lines.length; k++) {
      const l = lines[k]!;
      if (!l.quoted && l.text.trim() === "" && lines[k - 1]!.quoted && lines[k + 1]!.quoted) lines[k] = { ...l, text: "", quoted: true };
    }
  }
  const wrapWidth = estimateWrapWidth(lines);
  const leadingIsBlank = mailLines.slice(0, index).every((l) => l.trim() === "");
  const result: ExtractedPatch = {
    kind: leadingIsBlank && prefix === "" ? "patch" : "mail",
    quotePrefix: prefix,
    lines,
    wrapWidth,
  };
  const stat = findMailDiffstat(mailLines, index, prefix, lineOf);
  if (stat) result.mailDiffstat = stat;
  return result;
}

/**
 * The longest line that a continuation certainly follows. Underestimating is the safe side: a smaller width
 * only lets more rejoins count as plausible, which can make a hunk ambiguous but never wrong.
 *
 * Only breaks inside the patch count: a patch line (or `@@` header) followed by a line that can only be a
 * continuation, and each further continuation of that chain. Prose in the region (a note between two files,
 * a reply's comment) is not: its lines follow each other without being broken, and a mail client may have
 * left a long prose line alone (or the writer typed it long), which would overestimate the width.
 */
export function estimateWrapWidth(lines: readonly MailLine[]): number {
  let width = 0;
  let inChain = false;
  for (let i = 0; i + 1 < lines.length; i++) {
    const l = lines[i]!;
    // An empty line is never a broken one: a client breaks a long line at a blank inside it.
    const startsPatchLine = l.text !== "" && ((canStartPatchLine(l) && !isMarker(l)) || (l.quoted && l.text.startsWith("@@ -")));
    const fragmentLike: boolean = startsPatchLine || (inChain && mustContinue(l));
    const broken: boolean = fragmentLike && mustContinue(lines[i + 1]!);
    if (broken) width = Math.max(width, l.rawLength);
    inChain = broken;
  }
  return width === 0 ? Infinity : width;
}

/** The first line that starts a patch, and the quote prefix in front of it. */
function findPatchStart(mailLines: readonly string[]): { index: number; prefix: string } | undefined {
  for (let i = 0; i < mailLines.length; i++) {
    const line = mailLines[i]!;
    const git = GIT_DIFF_RE.exec(line);
    if (git) return { index: i, prefix: git[1]! };
    // A plain unified diff: `--- x` directly followed by `+++ y` (same prefix) and then a hunk header.
    const minus = MINUS_RE.exec(line);
    if (minus) {
      const prefix = minus[1]!;
      const next = mailLines[i + 1];
      const after = mailLines[i + 2];
      if (next?.startsWith(prefix + "+++ ") && after?.startsWith(prefix + "@@ -")) return { index: i, prefix };
    }
  }
  return undefined;
}

/**
 * A signature separator: `-- ` (or `--`, archives strip the trailing blank) followed by a version string as
 * git format-patch writes it (`2.32.0.3.g01195cf9f`, `1.9.1`), or ending the mail. Anything else might be a
 * deleted line `- ` inside a hunk, so it is left to the hunk reader.
 */
function isSignature(text: string, nextRaw: string | undefined, prefix: string): boolean {
  if (text !== "-- " && text !== "--") return false;
  if (nextRaw === undefined) return true;
  const next = nextRaw.startsWith(prefix) ? nextRaw.slice(prefix.length) : nextRaw.trimEnd() === prefix.trimEnd() ? "" : nextRaw;
  return /^\d+(?:\.[0-9A-Za-z]+)+\s*$/.test(next);
}

/**
 * The diffstat block: the lines after the last `---` separator before the patch (same quote prefix).
 */
function findMailDiffstat(mailLines: readonly string[], patchStart: number, prefix: string, lineOf: (index: number) => number): Diffstat | undefined {
  const bare = prefix.trimEnd();
  const unquote = (raw: string): string | undefined =>
    raw.startsWith(prefix) ? raw.slice(prefix.length) : prefix !== "" && raw.trimEnd() === bare ? "" : undefined;
  for (let i = patchStart - 1; i >= 0; i--) {
    const text = unquote(mailLines[i]!);
    if (text === undefined) return undefined;
    if (text.trimEnd() !== "---") continue;
    const block: NumberedLine[] = [];
    for (let j = i + 1; j < patchStart; j++) block.push({ text: unquote(mailLines[j]!) ?? "", line: lineOf(j) });
    return parseMailDiffstat(block);
  }
  return undefined;
}
