/**
 * Building a post-patch file from its base text and its placed hunks, with the line map back to the mail.
 *
 * @module
 */
import { fail, pointSpan } from "./errors.js";
import type { FilePatch } from "./patch.js";
import { joinLines, splitLines } from "./text.js";

/** A file after the patch. */
export interface AppliedFile {
  /** The new text; null when the patch deletes the file. */
  text: string | null;
  /** Per post-patch line (index = line - 1): the 1-based mail line that carried it, for context and added lines. */
  mailLines: (number | undefined)[];
  /** 1-based post-patch lines the patch added (not context): what the proposal itself brings. */
  addedLines: number[];
  insertions: number;
  deletions: number;
}

/**
 * Applies `fp` (hunks already placed, in order, not overlapping) onto `baseText` (null for a created file).
 * The base's final-newline state is kept unless a hunk reaching the end of the file says otherwise
 * (`\ No newline at end of file`).
 */
export function applyFilePatch(baseText: string | null, fp: FilePatch, mailFile: string): AppliedFile {
  const base = baseText === null ? { lines: [] as string[], finalNewline: true } : splitLines(baseText);
  const out: string[] = [];
  const mailLines: (number | undefined)[] = [];
  const addedLines: number[] = [];
  let finalNewline = base.finalNewline;
  let cursor = 0;
  let insertions = 0;
  let deletions = 0;
  for (const h of fp.hunks) {
    for (; cursor < h.position; cursor++) {
      out.push(base.lines[cursor]!);
      mailLines.push(undefined);
    }
    let lastNew: { noNewline: boolean } | undefined;
    for (const l of h.reading.lines) {
      if (l.kind === "delete") {
        deletions++;
        continue;
      }
      if (l.kind === "add") {
        insertions++;
        addedLines.push(out.length + 1);
      }
      // A context line is the base's line (equal by placement); an added one is the mail's.
      out.push(l.text);
      mailLines.push(l.mail.line);
      lastNew = l;
    }
    cursor = h.position + h.header.oldCount;
    if (cursor === base.lines.length) {
      // The hunk reaches the end of the file, so it decides whether the file ends with a newline.
      finalNewline = lastNew ? !lastNew.noNewline : true;
    }
  }
  for (; cursor < base.lines.length; cursor++) {
    out.push(base.lines[cursor]!);
    mailLines.push(undefined);
  }
  if (fp.deleted) {
    if (out.length > 0) {
      const first = fp.headerLines[0]!;
      fail(
        "hunk-does-not-apply",
        `the patch deletes '${fp.path}' but ${out.length} of its lines are not in the patch`,
        pointSpan(mailFile, first.line, first.column),
      );
    }
    return { text: null, mailLines: [], addedLines: [], insertions, deletions };
  }
  return { text: joinLines(out, finalNewline), mailLines, addedLines, insertions, deletions };
}

/**
 * The patch text of `files` as it was before the mail mangled it: un-quoted, wrapped lines rejoined, blank
 * context lines written with their ` ` prefix. `git apply` accepts it.
 */
export function rebuildPatch(files: readonly FilePatch[]): string {
  const out: string[] = [];
  for (const fp of files) {
    for (const l of fp.headerLines) out.push(l.text);
    for (const h of fp.hunks) {
      const { oldStart, oldCount, newStart, newCount } = h.header;
      const section = h.reading.section;
      out.push(`@@ -${oldStart},${oldCount} +${newStart},${newCount} @@${section === "" ? "" : " " + section}`);
      for (const l of h.reading.lines) {
        out.push((l.kind === "add" ? "+" : l.kind === "delete" ? "-" : " ") + l.text);
        if (l.noNewline) out.push("\\ No newline at end of file");
      }
    }
  }
  return out.length === 0 ? "" : out.join("\n") + "\n";
}
