/**
 * Diffstats: the one computed from what a patch really changed, the one a mail carries after its `---` line,
 * their comparison, and git's text format for printing.
 *
 * @module
 */
import type { Diagnostic } from "../ir/types.js";
import { diagnosticAt, pointSpan } from "./errors.js";

/** One file of a diffstat. */
export interface DiffstatFile {
  /** Path relative to the tree root (a mail's diffstat may abbreviate long ones as `.../tail`). */
  path: string;
  /** Lines added plus lines removed: the number git prints after the `|`. */
  changes: number;
  /**
   * Lines added. Always set in a computed diffstat; in a mail's, only when the graph shows it exactly
   * (unscaled, or one-sided), or the summary line does (single file).
   */
  insertions?: number;
  /** Lines removed; known under the same conditions as `insertions`. */
  deletions?: number;
  /** A binary file (`Bin` in git's output); its counts are 0. */
  binary?: boolean;
  /** For a mail's diffstat: the 1-based mail line of this entry. */
  mailLine?: number;
}

/** A diffstat: per-file entries (in patch order) and the summary line's totals. */
export interface Diffstat {
  files: DiffstatFile[];
  filesChanged: number;
  insertions: number;
  deletions: number;
  /** For a mail's diffstat: the 1-based mail line of the summary (` N files changed, …`). */
  summaryLine?: number;
}

/** Per-file counts as applying a patch produced them. */
export interface FileChangeCount {
  /** The path as git's diffstat shows it (a rename as `a => b` or `dir/{a => b}`, see {@link renameDisplay}). */
  path: string;
  insertions: number;
  deletions: number;
  binary?: boolean;
}

/**
 * git's diffstat name of a rename or copy (`pprint_rename` in git's diff.c): the common leading directories
 * and trailing path components are written once, the differing middle as `{old => new}`; with nothing in
 * common, `old => new`.
 */
export function renameDisplay(from: string, to: string): string {
  let pfx = 0;
  for (let k = 0; k < from.length && k < to.length && from[k] === to[k]; k++) if (from[k] === "/") pfx = k + 1;
  let sfx = 0;
  for (let k = 1; k <= from.length - pfx && k <= to.length - pfx && from[from.length - k] === to[to.length - k]; k++) {
    if (from[from.length - k] === "/") sfx = k;
  }
  if (pfx + sfx === 0) return `${from} => ${to}`;
  const head = from.slice(0, pfx);
  const tail = from.slice(from.length - sfx);
  return `${head}{${from.slice(pfx, from.length - sfx)} => ${to.slice(pfx, to.length - sfx)}}${tail}`;
}

/** The diffstat of what was applied, files in the order given. */
export function computeDiffstat(files: readonly FileChangeCount[]): Diffstat {
  let insertions = 0;
  let deletions = 0;
  const entries = files.map((f) => {
    insertions += f.insertions;
    deletions += f.deletions;
    const e: DiffstatFile = { path: f.path, changes: f.insertions + f.deletions, insertions: f.insertions, deletions: f.deletions };
    if (f.binary) e.binary = true;
    return e;
  });
  return { files: entries, filesChanged: entries.length, insertions, deletions };
}

/** A line of text with its 1-based mail line number. */
export interface NumberedLine {
  text: string;
  line: number;
}

/** Longest line taken as part of a diffstat block. */
const MAX_DIFFSTAT_LINE = 1000;
const FILE_RE = /^ +(\S(?:.*\S)?) +\| +(\d+)(?: (\+*)(-*))? *$/;
const BINARY_RE = /^ +(\S(?:.*\S)?) +\| +Bin\b/;
const SUMMARY_RE = /^ *(\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))? *$/;
const MODE_RE = /^ *(?:create|delete) mode \d+ |^ *rename |^ *copy |^ *mode change /;

/**
 * Parses the diffstat block of a mail (the lines between the `---` separator and the patch, already
 * un-quoted). Returns undefined when the block has no summary line (then there is nothing to compare with).
 */
export function parseMailDiffstat(lines: readonly NumberedLine[]): Diffstat | undefined {
  const files: DiffstatFile[] = [];
  for (const { text, line } of lines) {
    // A diffstat line is short; a long one is not part of one (and would cost the patterns below dearly).
    if (text.length > MAX_DIFFSTAT_LINE) return undefined;
    const summary = SUMMARY_RE.exec(text);
    if (summary) {
      const stat: Diffstat = {
        files,
        filesChanged: Number(summary[1]),
        insertions: Number(summary[2] ?? 0),
        deletions: Number(summary[3] ?? 0),
        summaryLine: line,
      };
      // With one file, the summary gives that file's exact split.
      const only = files.length === 1 ? files[0] : undefined;
      if (only && !only.binary && only.changes === stat.insertions + stat.deletions) {
        only.insertions = stat.insertions;
        only.deletions = stat.deletions;
      }
      return stat;
    }
    const bin = BINARY_RE.exec(text);
    if (bin) {
      files.push({ path: bin[1]!, changes: 0, binary: true, mailLine: line });
      continue;
    }
    const m = FILE_RE.exec(text);
    if (m) {
      const changes = Number(m[2]);
      const plus = (m[3] ?? "").length;
      const minus = (m[4] ?? "").length;
      const entry: DiffstatFile = { path: m[1]!, changes, mailLine: line };
      // The graph is exact when it was not scaled; a one-sided graph is exact whatever the scale.
      if (plus + minus === changes || minus === 0 || plus === 0) {
        entry.insertions = plus + minus === changes ? plus : minus === 0 ? changes : 0;
        entry.deletions = changes - entry.insertions;
      }
      files.push(entry);
      continue;
    }
    if (MODE_RE.test(text) || text.trim() === "") continue;
    // Anything else: not a diffstat block after all (e.g. prose after a `---` rule).
    return undefined;
  }
  return undefined;
}

/** Whether a mail diffstat path (possibly `.../tail`) names `path`. */
function samePath(mailPath: string, path: string): boolean {
  if (mailPath === path) return true;
  if (mailPath.startsWith("...")) {
    const tail = mailPath.slice(3);
    return path.endsWith(tail);
  }
  return false;
}

/**
 * Compares what was applied with what the mail claims. Every disagreement is a `diffstat-mismatch` warning at
 * the mail line of the claim (`mailFile` is the mail's name for diagnostics).
 */
export function compareDiffstat(applied: Diffstat, claimed: Diffstat, mailFile: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (line: number | undefined) => pointSpan(mailFile, line ?? 1);
  const warn = (line: number | undefined, message: string) =>
    out.push(diagnosticAt("warning", "diffstat-mismatch", message, at(line)));

  if (
    applied.filesChanged !== claimed.filesChanged ||
    applied.insertions !== claimed.insertions ||
    applied.deletions !== claimed.deletions
  ) {
    warn(
      claimed.summaryLine,
      `the mail's diffstat says${summaryLine(claimed)} but applying the patch gives${summaryLine(applied)}`,
    );
  }
  const matched = new Set<DiffstatFile>();
  for (const c of claimed.files) {
    const a = applied.files.find((f) => !matched.has(f) && samePath(c.path, f.path));
    if (!a) {
      warn(c.mailLine, `the mail's diffstat lists '${c.path}', which the patch does not change`);
      continue;
    }
    matched.add(a);
    if (c.binary) continue;
    const split =
      c.insertions !== undefined && (c.insertions !== a.insertions || c.deletions !== a.deletions)
        ? ` (+${c.insertions}/-${c.deletions} claimed, +${a.insertions}/-${a.deletions} applied)`
        : "";
    if (c.changes !== a.changes || split !== "") {
      warn(c.mailLine, `the mail's diffstat says '${c.path}' has ${c.changes} changed lines, the patch changes ${a.changes}${split}`);
    }
  }
  for (const a of applied.files) {
    if (!matched.has(a)) warn(claimed.summaryLine, `the patch changes '${a.path}', which the mail's diffstat does not list`);
  }
  return out;
}

/**
 * git's summary line, e.g. ` 1 file changed, 222 insertions(+), 5 deletions(-)` (leading space included;
 * a zero count is left out unless both are zero, as git does).
 */
export function summaryLine(stat: Pick<Diffstat, "filesChanged" | "insertions" | "deletions">): string {
  const { filesChanged: files, insertions: ins, deletions: del } = stat;
  if (files === 0) return " 0 files changed";
  let s = files === 1 ? ` ${files} file changed` : ` ${files} files changed`;
  if (ins > 0 || del === 0) s += ins === 1 ? `, ${ins} insertion(+)` : `, ${ins} insertions(+)`;
  if (del > 0 || ins === 0) s += del === 1 ? `, ${del} deletion(-)` : `, ${del} deletions(-)`;
  return s;
}

/** git's graph scaling: a non-zero count never scales to zero columns. */
function scaleLinear(it: number, width: number, maxChange: number): number {
  if (it === 0) return 0;
  return 1 + Math.floor((it * (width - 1)) / maxChange);
}

/**
 * Formats a diffstat exactly as `git diff --stat` does for a `width`-column output (git uses 80 when not on a
 * terminal, `format-patch` 72): one line per file (` content.tex | 227 ++++++---`) and the summary line.
 * Lines end with `\n`.
 */
export function formatDiffstat(stat: Diffstat, opts: { width?: number } = {}): string {
  const files = stat.files;
  if (files.length === 0) return summaryLine(stat) + "\n";
  let maxLen = 0;
  let maxChange = 0;
  let binWidth = 0;
  let numberWidth = 0;
  for (const f of files) {
    maxLen = Math.max(maxLen, f.path.length);
    if (f.binary) {
      binWidth = Math.max(binWidth, 3);
      numberWidth = 3;
      continue;
    }
    maxChange = Math.max(maxChange, f.changes);
  }
  // Mirrors git's diff.c show_stats(): the name gets at most 5/8 of the width, the graph at least 3/8.
  let width = opts.width ?? 80;
  numberWidth = Math.max(numberWidth, String(maxChange).length);
  if (width < 16 + 6 + numberWidth) width = 16 + 6 + numberWidth;
  let graphWidth = maxChange + 4 > binWidth ? maxChange : binWidth - 4;
  let nameWidth = maxLen;
  if (nameWidth + numberWidth + 6 + graphWidth > width) {
    if (graphWidth > Math.floor((width * 3) / 8) - numberWidth - 6) {
      graphWidth = Math.floor((width * 3) / 8) - numberWidth - 6;
      if (graphWidth < 6) graphWidth = 6;
    }
    if (nameWidth > width - numberWidth - 6 - graphWidth) nameWidth = width - numberWidth - 6 - graphWidth;
    else graphWidth = width - numberWidth - 6 - nameWidth;
  }
  let out = "";
  for (const f of files) {
    let name = f.path;
    let prefix = "";
    if (name.length > nameWidth) {
      // git keeps the tail of a long path, cut at a '/' when there is one: ".../device-types/net/x.tex".
      prefix = "...";
      const keep = Math.max(0, nameWidth - 3);
      name = name.slice(name.length - keep);
      const slash = name.indexOf("/");
      if (slash >= 0) name = name.slice(slash);
    }
    const padded = (prefix + name).padEnd(nameWidth, " ");
    if (f.binary) {
      out += ` ${padded} | ${"Bin".padStart(numberWidth, " ")}\n`;
      continue;
    }
    let add = f.insertions ?? f.changes;
    let del = f.deletions ?? 0;
    if (graphWidth <= maxChange) {
      let total = scaleLinear(add + del, graphWidth, maxChange);
      if (total < 2 && add > 0 && del > 0) total = 2;
      if (add < del) {
        add = scaleLinear(add, graphWidth, maxChange);
        del = total - add;
      } else {
        del = scaleLinear(del, graphWidth, maxChange);
        add = total - del;
      }
    }
    const count = String(f.changes).padStart(numberWidth, " ");
    out += ` ${padded} | ${count}${f.changes > 0 ? " " : ""}${"+".repeat(add)}${"-".repeat(del)}\n`;
  }
  return out + summaryLine(stat) + "\n";
}
