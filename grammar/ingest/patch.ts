/**
 * Walking a patch region (see `mail.ts`) file by file: git headers (`diff --git`, `new file mode`,
 * `deleted file mode`, `index`) or plain `---`/`+++` pairs, then the hunks of each file, each placed on its
 * base file by `hunk-place.ts`. Renames and copies read their base from the old name; binary parts are skipped
 * with a warning that names the file.
 *
 * Prose between files is skipped; every file and hunk is applied or reported (see {@link parsePatch}).
 *
 * @module
 */
import type { Diagnostic } from "../ir/types.js";
import { diagnosticAt, fail, IngestError, pointSpan } from "./errors.js";
import { parseHunkHeader, type Budget } from "./hunk-read.js";
import { placeHunk, type BaseFile, type PlacedHunk } from "./hunk-place.js";
import { isStructural, type MailLine } from "./mail-line.js";

/** One file's part of a patch, its hunks placed on the base. */
export interface FilePatch {
  /** Path in the tree (the new name; the old one for a deletion). */
  path: string;
  /**
   * The base file the patch reads: `path` itself, the old name of a rename or copy, or null when the patch
   * creates the file.
   */
  source: string | null;
  /** The patch creates the file (`--- /dev/null`). */
  created: boolean;
  /** The patch deletes the file (`+++ /dev/null`). */
  deleted: boolean;
  /** `rename`: `source` is removed; `copy`: `source` stays; undefined for an in-place change. */
  move?: "rename" | "copy";
  /** A binary part (`GIT binary patch`, `Binary files … differ`): not applied, reported with a warning. */
  binary: boolean;
  /** The file mode after the patch when the patch sets one (`new mode`, `new file mode`: `100755`, …). */
  newMode?: string;
  /** Blob ids of the `index <old>..<new>` line (abbreviated as the mail has them), when there is one. */
  blobs?: { old: string; new: string };
  /** The header lines (`diff --git` … `+++`), un-quoted, for rebuilding the patch text. */
  headerLines: MailLine[];
  hunks: PlacedHunk[];
}

/** How the patch walker sees the base tree. */
export interface BaseProvider {
  /** Whether a base tree was given at all. */
  readonly hasTree: boolean;
  /** The base file at a tree path, split into lines; undefined when the tree has no such file. */
  lines(path: string): readonly string[] | undefined;
  /** The git blob id (sha1 hex) of the base file at a tree path, to check an `index` line against. */
  blobId?(path: string): string | undefined;
}

/** Context of {@link parsePatch}. */
export interface PatchContext {
  mailFile: string;
  base: BaseProvider;
  wrapWidth: number;
  budget: Budget;
  /** Notes and warnings are appended here. */
  diagnostics: Diagnostic[];
}

const EXTENDED_HEADER_RE =
  /^(?:old mode|new mode|deleted file mode|new file mode|index|similarity index|dissimilarity index) /;
/** Lines other diff tools put between files (`diff -ru a b`, svn's `Index:` and `====`). */
const NOISE_RE = /^(?:diff |Index: |={5,}$|Only in )/;

/**
 * Parses every file of the patch in `region`, placing each hunk on its base file. Nothing the mail carries is
 * dropped: prose between two files is skipped and reading goes on; a file or hunk that cannot be used is
 * recorded and reading resumes at the next hunk or file, so that the thrown IngestError lists every
 * unrecovered piece (one error each, at its mail line), never only the first and never none.
 */
export function parsePatch(region: readonly MailLine[], ctx: PatchContext): FilePatch[] {
  const files: FilePatch[] = [];
  const errors: Diagnostic[] = [];
  const seen = new Set<string>();
  const record = (err: unknown): void => {
    if (!(err instanceof IngestError)) throw err;
    errors.push(err.diagnostics[0]!);
  };
  let i = 0;
  while (i < region.length) {
    const l = region[i]!;
    let header: FileHeader | undefined;
    try {
      if (l.quoted && l.text.startsWith("diff --git ")) header = readGitHeader(region, i, ctx);
      else if (isPlainHeaderAt(region, i)) header = readPlainHeader(region, i, ctx);
      else if (l.quoted && l.text.startsWith("@@ -")) {
        // A hunk whose file header is missing (or was not recognised): it cannot be applied anywhere.
        fail("patch-unsupported", `hunk '${l.text}' has no file header before it`, at(ctx, l));
      }
    } catch (err) {
      record(err);
      i = nextPiece(region, i + 1, false);
      continue;
    }
    if (!header) {
      // Prose (a reviewer's comment, a note between two files): not part of the patch, but a later file is.
      i++;
      continue;
    }
    const { path } = header;
    i = header.next;
    const touched = header.move === "rename" && header.source !== null ? [path, header.source] : [path];
    const twice = touched.find((p) => seen.has(p));
    if (twice !== undefined) {
      record(catchError(() => fail("patch-unsupported", `the patch changes '${twice}' a second time; apply the two parts separately`, at(ctx, l))));
      i = nextPiece(region, i, false);
      continue;
    }
    for (const p of touched) seen.add(p);
    const fp: FilePatch = {
      path,
      source: header.source,
      created: header.created,
      deleted: header.deleted,
      binary: header.binary,
      headerLines: header.lines,
      hunks: [],
    };
    if (header.move) fp.move = header.move;
    if (header.newMode !== undefined) fp.newMode = header.newMode;
    if (header.blobs) fp.blobs = header.blobs;
    files.push(fp);
    if (header.binary) {
      ctx.diagnostics.push(
        diagnosticAt("warning", "binary-skipped", `the binary part of the patch for '${path}' is not applied; '${path}' keeps its base content`, at(ctx, l)),
      );
      continue;
    }
    if (fp.move && !(region[i]?.quoted && region[i]!.text.startsWith("@@ ")) && isBinarySource(fp, ctx)) {
      // A rename or copy of a binary file (an image of the spec tree) carries no text to hold in the tree.
      fp.binary = true;
      ctx.diagnostics.push(
        diagnosticAt("warning", "binary-skipped", `the ${fp.move} of the binary file '${fp.source}' to '${path}' is not applied; '${path}' is left out of the tree`, at(ctx, l)),
      );
      continue;
    }
    i = readHunks(region, i, fp, ctx, record);
  }
  if (errors.length > 0) {
    const [first, ...rest] = errors;
    throw new IngestError(first as Diagnostic & { code: IngestError["reason"] }, rest);
  }
  return files;
}

/** Whether the base file a rename or copy reads is not text (reading it fails with `input-binary`). */
function isBinarySource(fp: FilePatch, ctx: PatchContext): boolean {
  if (fp.source === null || !ctx.base.hasTree) return false;
  try {
    ctx.base.lines(fp.source);
    return false;
  } catch (err) {
    if (err instanceof IngestError && err.reason === "input-binary") return true;
    throw err;
  }
}

function catchError(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/** Index of the next `diff --git` (or, with `hunks`, `@@`) line from `i`, or the end of the region. */
function nextPiece(region: readonly MailLine[], i: number, hunks: boolean): number {
  while (i < region.length) {
    const l = region[i]!;
    if (l.quoted && (l.text.startsWith("diff --git ") || (hunks && l.text.startsWith("@@ -")) || isPlainHeaderAt(region, i))) break;
    i++;
  }
  return i;
}

interface FileHeader {
  path: string;
  source: string | null;
  created: boolean;
  deleted: boolean;
  move?: "rename" | "copy";
  binary: boolean;
  newMode?: string;
  blobs?: { old: string; new: string };
  lines: MailLine[];
  /** Index of the first line after the header. */
  next: number;
}

function at(ctx: PatchContext, l: MailLine) {
  return pointSpan(ctx.mailFile, l.line, l.column);
}

function isPlainHeaderAt(region: readonly MailLine[], i: number): boolean {
  const a = region[i];
  const b = region[i + 1];
  return !!a && !!b && a.quoted && b.quoted && a.text.startsWith("--- ") && b.text.startsWith("+++ ");
}

const INDEX_RE = /^index ([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})(?: ([0-7]{6}))?\s*$/;
const MOVE_RE = /^(rename|copy) (from|to) (.+)$/;
const BINARY_BLOCK_RE = /^(?:literal|delta) \d+$/;

/**
 * `diff --git a/x b/y`, its extended headers (modes, `index`, similarity, rename/copy from/to), and the
 * `---`/`+++` pair when there are hunks, or the binary part (`GIT binary patch` blocks or `Binary files … differ`).
 */
function readGitHeader(region: readonly MailLine[], start: number, ctx: PatchContext): FileHeader {
  const { line: first, next } = rejoinGitLine(region, start);
  const lines: MailLine[] = [first];
  let created = false;
  let deleted = false;
  let newMode: string | undefined;
  let blobs: { old: string; new: string } | undefined;
  const moved: { rename: { from?: MailLine & { name: string }; to?: MailLine & { name: string } }; copy: { from?: MailLine & { name: string }; to?: MailLine & { name: string } } } = {
    rename: {},
    copy: {},
  };
  let i = next;
  for (; i < region.length; i++) {
    const l = region[i]!;
    if (!l.quoted) break;
    const move = MOVE_RE.exec(l.text);
    if (move) {
      const name = checkPath(move[3]!.trimEnd(), l, ctx);
      moved[move[1] as "rename" | "copy"][move[2] as "from" | "to"] = { ...l, name };
      lines.push(l);
      continue;
    }
    if (!EXTENDED_HEADER_RE.test(l.text)) break;
    if (l.text.startsWith("new file mode ")) {
      created = true;
      newMode = l.text.slice("new file mode ".length).trim();
    }
    if (l.text.startsWith("deleted file mode ")) deleted = true;
    if (l.text.startsWith("new mode ")) newMode = l.text.slice("new mode ".length).trim();
    const index = INDEX_RE.exec(l.text);
    if (index) {
      blobs = { old: index[1]!, new: index[2]! };
      if (index[3] !== undefined && newMode === undefined) newMode = index[3];
    }
    lines.push(l);
  }
  const kind = moved.rename.from || moved.rename.to ? "rename" : moved.copy.from || moved.copy.to ? "copy" : undefined;
  let source: string | null = null;
  let target: string | undefined;
  if (kind) {
    const { from, to } = moved[kind];
    if (!from || !to) fail("patch-unsupported", `a ${kind} needs both '${kind} from' and '${kind} to' lines`, at(ctx, (from ?? to)!));
    source = from.name;
    target = to.name;
  }
  const header = (path: string, src: string | null, extra: Partial<FileHeader> & { lines: MailLine[]; next: number }): FileHeader => {
    const h: FileHeader = { path, source: src, created, deleted, binary: false, ...extra };
    if (kind) h.move = kind;
    if (newMode !== undefined) h.newMode = newMode;
    if (blobs) h.blobs = blobs;
    return h;
  };

  // A binary part: `Binary files a/x and b/x differ`, or `GIT binary patch` with its base85 blocks.
  const bin = region[i];
  if (bin && bin.quoted && (bin.text === "GIT binary patch" || /^Binary files .* differ$/.test(bin.text))) {
    let j = i + 1;
    if (bin.text === "GIT binary patch") {
      while (j < region.length && region[j]!.quoted && BINARY_BLOCK_RE.test(region[j]!.text)) {
        j++;
        while (j < region.length && region[j]!.quoted && region[j]!.text !== "") j++;
        while (j < region.length && region[j]!.text === "") j++;
      }
    }
    const path = target ?? gitLinePath(first, ctx, kind !== undefined);
    return header(path, kind ? source : created ? null : path, { binary: true, lines: [...lines, ...region.slice(i, j)], next: j });
  }

  if (isPlainHeaderAt(region, i)) {
    const plain = readPlainHeader(region, i, ctx, true, kind !== undefined);
    if (kind && (plain.path !== target || (plain.source !== null && plain.source !== source))) {
      fail("patch-unsupported", `the ${kind}'s file header names '${plain.source}' → '${plain.path}', its '${kind} from/to' lines '${source}' → '${target}'`, at(ctx, region[i + 1]!));
    }
    return header(plain.path, kind ? source : plain.source, {
      created: plain.created || created,
      deleted: plain.deleted || deleted,
      lines: [...lines, ...plain.lines],
      next: plain.next,
    });
  }
  // No hunks (a pure rename or copy, a mode change, or an empty file created or deleted).
  const path = target ?? gitLinePath(first, ctx, false);
  return header(path, kind ? source : created ? null : path, { lines, next: i });
}

/** Lines that start a git extended header or the `---`/`+++` pair: never the tail of a wrapped `diff --git`. */
const HEADER_START_RE = /^(?:--- |\+\+\+ |@@ |index |old mode |new mode |deleted file mode |new file mode |similarity index |dissimilarity index |rename |copy |Binary files |GIT binary patch)/;

/**
 * The `diff --git` line at `start` with the continuations a mail client split off it rejoined. A client
 * wraps at a blank and keeps the blank on the first fragment, so the fragments are concatenated as they are;
 * lines are taken only while the names do not yet read as `a/<p> b/<p>`, and only lines that cannot start
 * anything else of the header.
 */
function rejoinGitLine(region: readonly MailLine[], start: number): { line: MailLine; next: number } {
  let line = region[start]!;
  let i = start + 1;
  while (gitNames(line.text) === undefined) {
    const cont = region[i];
    if (!cont || cont.text === "" || isStructural(cont) || HEADER_START_RE.test(cont.text)) break;
    line = { ...line, text: line.text + cont.text };
    i++;
  }
  return { line, next: i };
}

/** `a/<p> b/<p>` of a `diff --git` line, when the two names are equal; undefined otherwise. */
function gitNames(text: string): string | undefined {
  const rest = text.slice("diff --git ".length).trimEnd();
  for (let k = rest.indexOf(" b/"); k >= 0; k = rest.indexOf(" b/", k + 1)) {
    const a = rest.slice(0, k);
    const b = rest.slice(k + 1);
    if (a.startsWith("a/") && a.slice(2) === b.slice(2)) return a.slice(2);
  }
  return undefined;
}

/**
 * The path of `diff --git a/<p> b/<p>`. With `newName`, the two names may differ (a binary rename is named by
 * its `rename to` line; this is only the fallback): the `b/` one is taken, split at the last ` b/`.
 */
function gitLinePath(l: MailLine, ctx: PatchContext, newName: boolean): string {
  const same = gitNames(l.text);
  if (same !== undefined) return checkPath(same, l, ctx);
  if (newName) {
    const rest = l.text.slice("diff --git ".length).trimEnd();
    const k = rest.lastIndexOf(" b/");
    if (rest.startsWith("a/") && k > 0) return checkPath(rest.slice(k + 3), l, ctx);
  }
  fail("patch-unsupported", `cannot read the file name of '${l.text}' (a quoted name?)`, at(ctx, l));
}

/**
 * `--- old` / `+++ new`; names stripped of one leading directory (git's `-p1`), timestamps dropped. In a git
 * patch the two names must be equal unless `moved` (a rename or copy header came before).
 */
function readPlainHeader(region: readonly MailLine[], i: number, ctx: PatchContext, git = false, moved = false): FileHeader {
  const minus = region[i]!;
  const plus = region[i + 1]!;
  const oldName = headerName(minus.text.slice(4));
  const newName = headerName(plus.text.slice(4));
  if (oldName === null && newName === null) {
    fail("patch-unsupported", "both sides of the file header are /dev/null", at(ctx, minus));
  }
  const strip = (name: string, prefix: string): string => {
    if (git) {
      if (!name.startsWith(prefix)) fail("patch-unsupported", `expected '${prefix}' before the file name '${name}'`, at(ctx, name === oldName ? minus : plus));
      return name.slice(prefix.length);
    }
    const slash = name.indexOf("/");
    return slash >= 0 ? name.slice(slash + 1) : name;
  };
  const oldPath = oldName === null ? null : strip(oldName, "a/");
  const newPath = newName === null ? null : strip(newName, "b/");
  if (git && !moved && oldPath !== null && newPath !== null && oldPath !== newPath) {
    fail("patch-unsupported", `the file header names two files ('${oldPath}' → '${newPath}') but no 'rename' or 'copy' line says which`, at(ctx, plus));
  }
  const path = checkPath((newPath ?? oldPath)!, newPath !== null ? plus : minus, ctx);
  const source = oldPath === null ? null : checkPath(oldPath, minus, ctx);
  return { path, source, created: oldPath === null, deleted: newPath === null, binary: false, lines: [minus, plus], next: i + 2 };
}

/** The file name of a `---`/`+++` line: null for /dev/null; a tab starts a timestamp. */
function headerName(s: string): string | null {
  const name = s.split("\t")[0]!.trimEnd();
  return name === "/dev/null" ? null : name;
}

/** Refuses names that would leave the tree when written: absolute, `..`, empty segments, quoted. */
function checkPath(p: string, l: MailLine, ctx: PatchContext): string {
  if (p.startsWith('"')) fail("patch-unsupported", `quoted file names are not supported (${p})`, at(ctx, l));
  const segments = p.split("/");
  if (p === "" || p.startsWith("/") || p.includes("\\") || p.includes("\0") || segments.some((s) => s === "" || s === "." || s === "..")) {
    fail("path-unsafe", `refusing the file name '${p}': it must be a relative path inside the tree`, at(ctx, l));
  }
  return p;
}

/**
 * Reads and places the hunks of one file; returns the index after the last one. A hunk that cannot be used is
 * passed to `record` and reading resumes at the next `@@` or file; a file whose base is unusable has all its
 * hunks skipped after one error.
 */
function readHunks(region: readonly MailLine[], i: number, fp: FilePatch, ctx: PatchContext, record: (err: unknown) => void): number {
  let base: BaseFile | null;
  try {
    base = baseOf(fp, ctx);
  } catch (err) {
    record(err);
    while (i < region.length && region[i]!.quoted && region[i]!.text.startsWith("@@ -")) i = nextPiece(region, i + 1, true);
    return i;
  }

  let minPosition = 0;
  let carriedOffset = 0;
  while (i < region.length && region[i]!.quoted && region[i]!.text.startsWith("@@ ")) {
    const l = region[i]!;
    try {
      const placed = readOneHunk(region, i, l, fp, base, minPosition, carriedOffset, ctx);
      fp.hunks.push(placed);
      minPosition = placed.position + placed.header.oldCount;
      carriedOffset = placed.offset;
      i = placed.reading.end;
      const after = region[i];
      // A quoted, non-empty line right after a complete hunk that starts nothing the patch knows is a piece
      // of the patch left over (most often the wrapped tail of the hunk's last line): report it, never drop it.
      if (after && after.quoted && after.text !== "" && !after.text.startsWith("@@ ") && !after.text.startsWith("diff ") && !isPlainHeaderAt(region, i) && !NOISE_RE.test(after.text)) {
        fail(
          "unwrap-unresolved",
          `mail line ${after.line} follows the end of hunk #${fp.hunks.length} of '${fp.path}' but is not part of it (a wrapped fragment of its last line?)`,
          at(ctx, after),
          { hint: "rejoin the wrapped line by hand (or get an unwrapped copy of the mail)" },
        );
      }
    } catch (err) {
      record(err);
      i = nextPiece(region, i + 1, true);
    }
  }
  return i;
}

/** The base file a file patch applies to (null when the patch creates it); throws when it is unusable. */
function baseOf(fp: FilePatch, ctx: PatchContext): BaseFile | null {
  const headerMail = fp.headerLines[0]!;
  if (fp.created || fp.source === null) {
    if (ctx.base.lines(fp.path) !== undefined) {
      fail("new-file-exists", `the patch creates '${fp.path}', which already exists in the base tree`, at(ctx, headerMail));
    }
    return null;
  }
  if (!ctx.base.hasTree) {
    fail("base-required", `the patch changes '${fp.source}', so it needs the base tree it was made against`, at(ctx, headerMail), {
      hint: "pass --base <tree>",
    });
  }
  const lines = ctx.base.lines(fp.source);
  if (lines === undefined) {
    const what = fp.move ? `${fp.move === "rename" ? "renames" : "copies"} '${fp.source}'` : `changes '${fp.source}'`;
    fail("base-file-missing", `the patch ${what}, which is not in the base tree`, at(ctx, headerMail));
  }
  if (fp.move && fp.path !== fp.source && ctx.base.lines(fp.path) !== undefined) {
    fail("new-file-exists", `the patch ${fp.move === "rename" ? "renames" : "copies"} '${fp.source}' to '${fp.path}', which already exists in the base tree`, at(ctx, headerMail));
  }
  const base: BaseFile = { path: fp.source, lines };
  const have = fp.blobs && ctx.base.blobId ? ctx.base.blobId(fp.source) : undefined;
  if (fp.blobs && have !== undefined) base.blob = { named: fp.blobs.old, actual: have };
  return base;
}

function readOneHunk(
  region: readonly MailLine[],
  i: number,
  l: MailLine,
  fp: FilePatch,
  base: BaseFile | null,
  minPosition: number,
  carriedOffset: number,
  ctx: PatchContext,
): PlacedHunk {
  const header = parseHunkHeader(l);
  if (!header) fail("hunk-header-malformed", `malformed hunk header '${l.text}'`, at(ctx, l), { hint: "expected '@@ -a,b +c,d @@'" });
  if (fp.created && (header.oldStart !== 0 || header.oldCount !== 0)) {
    fail("hunk-header-malformed", `'${fp.path}' is created by the patch, so its hunk must start '@@ -0,0'`, at(ctx, l));
  }
  if (fp.deleted && header.newCount !== 0) {
    fail("hunk-header-malformed", `'${fp.path}' is deleted by the patch, so its hunk must end '+0,0 @@'`, at(ctx, l));
  }
  const placed = placeHunk(region, i + 1, header, {
    mailFile: ctx.mailFile,
    hunkNumber: fp.hunks.length + 1,
    base,
    minPosition,
    carriedOffset,
    wrapWidth: ctx.wrapWidth,
    budget: ctx.budget,
    diagnostics: ctx.diagnostics,
  });
  const previous = fp.hunks[fp.hunks.length - 1];
  if (previous && placed.position < previous.position + previous.header.oldCount) {
    fail("hunk-out-of-order", `hunk #${fp.hunks.length + 1} of '${fp.path}' overlaps or precedes the hunk before it`, at(ctx, l));
  }
  return placed;
}
