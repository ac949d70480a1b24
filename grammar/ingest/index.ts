/**
 * Ingest: turns any input the toolkit accepts into one post-patch spec tree.
 *
 * - a mail (raw, web-archived, or a reply quoting the patch) or a plain unified diff: the base tree given with
 *   `base`, plus the patch (`base` may be left out when every file of the patch is created by it);
 * - a directory: a spec tree (`*.tex`, and `*.h`/`*.c` for `\lstinputlisting`, recursively);
 * - a single `.tex` file: it and the other spec files of its directory, so `\input` works; it is the entry.
 *
 * For a patch, every post-patch line that the patch carried (context or added) maps back to its mail line.
 *
 * A mail goes through these stages, each its own module:
 * 1. decode (`decode.ts`): mbox messages, MIME parts, quoted-printable / base64 / charsets, format=flowed;
 *    every decoded line keeps the line of the input file it came from;
 * 2. messages and series (`series.ts`): which messages carry a patch, in part order, cover letter skipped;
 * 3. unquote (`mail.ts`): the patch region of a message, quote prefix stripped, wrap width estimated;
 * 4. base (`base-commit.ts` for a git repository, else the tree on disk);
 * 5. recover wrapped lines and read the diff (`patch.ts` → `hunk-place.ts` → `hunk-read.ts`; still one
 *    stage: which mail lines are continuations is decided per hunk, from its counts and the base text);
 * 6. apply (`apply.ts`, {@link TreeState} part after part); the CLI writes the tree atomically.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Diagnostic, InputInfo } from "../ir/types.js";
import { applyFilePatch, rebuildPatch } from "./apply.js";
import { compareDiffstat, computeDiffstat, renameDisplay, type Diffstat, type FileChangeCount } from "./diffstat.js";
import { diagnosticAt, fail, IngestError, pointSpan } from "./errors.js";
import { Budget } from "./hunk-read.js";
import { baseCommitTrailer, chooseBaseCommit, preImages, showFile, type PreImage } from "./base-commit.js";
import { decodeMessage, splitMessages, type DecodedMessage } from "./decode.js";
import { extractPatch, type ExtractedPatch } from "./mail.js";
import { orderMessages } from "./series.js";
import { GitReadError, GitRepo, isGitRepository } from "../diff/git.js";
import { parsePatch, type BaseProvider, type FilePatch } from "./patch.js";
import { readTextFile, rethrowFsError, sha256Hex, splitLines, splitMailLines } from "./text.js";
import { chooseEntry, loadTexClosure, loadTreeDir, treeSha256, type SpecFile } from "./tree.js";

export { IngestError } from "./errors.js";
export type { IngestErrorCode, IngestNoteCode } from "./errors.js";
export type { Diffstat, DiffstatFile } from "./diffstat.js";
export { formatDiffstat, summaryLine } from "./diffstat.js";
export type { SpecFile } from "./tree.js";

/** A spec tree: the files a spec build reads, after any patch. */
export interface SpecTree {
  /** Absolute directory the tree was read from (the base tree; for a patch without base, the input's directory). */
  root: string;
  /** Path (relative to `root`, `/` separators) → file, in path order. Files the patch deleted are absent. */
  files: Map<string, SpecFile>;
  /** Path of the entry file (see `chooseEntry`). */
  entry: string;
  /** Paths the patch touched (created, changed or deleted), in patch order; empty for a plain tree. */
  changed: string[];
}

/** Everything ingest produced from one input. */
export interface LoadedInput {
  tree: SpecTree;
  input: InputInfo;
  /** Warnings and notes (errors throw {@link IngestError} instead). */
  diagnostics: Diagnostic[];
  /** What applying the patch changed. */
  diffstat?: Diffstat;
  /** The diffstat the mail itself carries, when it has one. */
  mailDiffstat?: Diffstat;
  /** The patch as it was before the mail mangled it (un-quoted, wrapped lines rejoined). */
  unwrappedPatch?: string;
  /** The commit `--base <git repository>` chose. */
  baseCommit?: BaseCommitInfo;
  /** The parts of a series, in the order applied. */
  series?: SeriesPart[];
  /** File modes the patch sets (`100755`, `100644`), by tree path: the tree holds text only. */
  modes?: Map<string, string>;
}

/** Options of {@link loadInput}. */
export interface LoadOptions {
  /** The base tree a mail or patch applies to. */
  base?: string;
  /** Work limit of the unwrapping search (default 5 million steps; about a second). */
  unwrapBudget?: number;
}

/** Default work limit of the unwrapping search. */
export const DEFAULT_UNWRAP_BUDGET = 5_000_000;

/**
 * Loads `path` (mail, patch, directory or .tex file) into a {@link LoadedInput}. Throws {@link IngestError}
 * (with one error diagnostic) when the input cannot be read or applied.
 */
export function loadInput(path: string, opts: LoadOptions = {}): LoadedInput {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    rethrowFsError(err, path);
  }
  if (isDir) return loadDirectory(path, opts);
  if (path.endsWith(".tex")) return loadTexFile(path, opts);
  return loadPatchInput(path, opts);
}

function baseIgnored(path: string, opts: LoadOptions): Diagnostic[] {
  if (opts.base === undefined) return [];
  return [diagnosticAt("warning", "base-ignored", `--base '${opts.base}' ignored: '${path}' is not a patch`, pointSpan(path, 1))];
}

function loadDirectory(path: string, opts: LoadOptions): LoadedInput {
  const loaded = loadTreeDir(path, path);
  const diagnostics = [...baseIgnored(path, opts), ...loaded.diagnostics];
  const entry = chooseEntry(loaded.files.keys(), path, diagnostics);
  if (entry === undefined) fail("tree-empty", `'${path}' contains no .tex file`, pointSpan(path, 1));
  return {
    tree: { root: resolve(path), files: loaded.files, entry, changed: [] },
    input: { kind: "tree", path, sha256: treeSha256(loaded.bytes) },
    diagnostics,
  };
}

function loadTexFile(path: string, opts: LoadOptions): LoadedInput {
  const dir = dirname(path);
  const name = basename(path);
  // Read the file itself first, so a missing or unreadable input is reported as such.
  readTextFile(path, path);
  const loaded = loadTexClosure(dir, dir, name);
  const bytes = loaded.bytes.get(name);
  if (!bytes) fail("input-unreadable", `'${path}' could not be loaded with its directory`, pointSpan(path, 1));
  return {
    tree: { root: resolve(dir), files: loaded.files, entry: name, changed: [] },
    input: { kind: "tex", path, sha256: sha256Hex(bytes) },
    diagnostics: [...baseIgnored(path, opts), ...loaded.diagnostics],
  };
}

function loadPatchInput(path: string, opts: LoadOptions): LoadedInput {
  const diagnostics: Diagnostic[] = [];
  try {
    return loadPatchInputUnsafe(path, opts, diagnostics);
  } catch (err) {
    // Keep the warnings and notes gathered before the failure with the error.
    if (err instanceof IngestError) {
      const [error, ...rest] = err.diagnostics;
      throw new IngestError(error as Diagnostic & { code: IngestError["reason"] }, [...diagnostics, ...rest]);
    }
    throw err;
  }
}

function loadPatchInputUnsafe(path: string, opts: LoadOptions, diagnostics: Diagnostic[]): LoadedInput {
  const read = readTextFile(path, path);
  diagnostics.push(...read.diagnostics);

  // Stage 1, decode: mbox messages, MIME parts, transfer encodings, format=flowed.
  const rawLines = splitMailLines(read.text);
  const messages = splitMessages(rawLines).map((m) => decodeMessage(m, path, diagnostics));
  // Stage 2, messages and series: which messages carry a patch, in which order.
  const extracted = new Map<DecodedMessage, ExtractedPatch>();
  for (const m of messages) {
    const e = extractPatch(
      m.lines.map((l) => l.text),
      (i) => m.lines[i]!.line,
    );
    if (e) extracted.set(m, e);
  }
  const ordered = orderMessages(messages, (m) => extracted.has(m), path, diagnostics);
  if (ordered.errors.length > 0) {
    const [first, ...rest] = ordered.errors;
    throw new IngestError(first as Diagnostic & { code: IngestError["reason"] }, rest);
  }
  if (ordered.messages.length === 0) {
    fail("input-unrecognised", `no patch found in '${path}'`, pointSpan(path, 1), {
      hint: "expected a 'diff --git' line, or '---'/'+++' lines followed by an '@@' hunk",
    });
  }
  for (const { message } of ordered.messages) {
    if (message.decoded.length > 0) {
      diagnostics.push(diagnosticAt("note", "mail-decoded", `decoded the message's ${message.decoded.join(", ")} body`, pointSpan(path, message.startLine)));
    }
  }

  // The base: a tree on disk, or a commit of a git repository found from the patch's own blob ids.
  const pre: PreImage[] = [];
  for (const { message } of ordered.messages) preImages(extracted.get(message)!.lines, pre);
  const base = openBase(opts.base, pre, baseCommitTrailer(rawLines), path, diagnostics);
  const state = new TreeState(base, diagnostics);

  // Stages 3-5 per message, in series order: unquote, rejoin wrapped lines and read the diff, then apply.
  const budget = new Budget(opts.unwrapBudget ?? DEFAULT_UNWRAP_BUDGET);
  const counts = new Map<string, FileChangeCount>();
  const allPatches: FilePatch[] = [];
  let mailDiffstat: Diffstat | undefined;
  let kind: "mail" | "patch" = "patch";
  const series: SeriesPart[] = [];
  for (const { message, tag } of ordered.messages) {
    const ex = extracted.get(message)!;
    if (ex.kind === "mail" || messages.length > 1) kind = "mail";
    if (tag) series.push({ part: tag.part, total: tag.total, line: message.startLine, subject: message.headers.get("subject") ?? "" });
    const patches = parsePatch(ex.lines, {
      mailFile: path,
      base: state.provider(),
      wrapWidth: ex.wrapWidth,
      budget,
      diagnostics,
    });
    if (patches.length === 0) fail("input-unrecognised", `the patch in '${path}' (line ${message.startLine}) changes no file`, pointSpan(path, message.startLine));
    const mine: FileChangeCount[] = [];
    for (const fp of patches) mine.push(state.apply(fp, path));
    allPatches.push(...patches);
    for (const c of mine) {
      const had = counts.get(c.path);
      if (had) {
        had.insertions += c.insertions;
        had.deletions += c.deletions;
      } else counts.set(c.path, { ...c });
    }
    if (ex.mailDiffstat) {
      if (ordered.messages.length === 1) mailDiffstat = ex.mailDiffstat;
      diagnostics.push(...compareDiffstat(computeDiffstat(mine), ex.mailDiffstat, path));
    }
  }
  const files = state.files;
  const sorted = new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  const diffstat = computeDiffstat([...counts.values()]);
  const result: LoadedInput = {
    tree: {
      root: resolve(base.root ?? dirname(path)),
      files: sorted,
      entry: "",
      changed: changedPaths(allPatches),
    },
    input: { kind, path, sha256: sha256Hex(read.bytes) },
    diagnostics,
    diffstat,
    unwrappedPatch: rebuildPatch(allPatches),
  };
  if (base.shown !== undefined) result.input.base = base.shown;
  if (base.commit) result.baseCommit = base.commit;
  if (series.length > 0) result.series = series;
  const modes = new Map(allPatches.filter((fp) => fp.newMode !== undefined && !fp.binary && !fp.deleted).map((fp) => [fp.path, fp.newMode!] as const));
  if (modes.size > 0) result.modes = modes;
  if (mailDiffstat) result.mailDiffstat = mailDiffstat;
  const entry = chooseEntry(sorted.keys(), base.shown ?? path, diagnostics) ?? result.tree.changed.find((p) => sorted.has(p));
  if (entry === undefined) fail("tree-empty", `applying '${path}' leaves no file in the tree`, pointSpan(path, 1));
  result.tree.entry = entry;
  return result;
}

/** One part of a series that was applied. */
export interface SeriesPart {
  part: number;
  total: number;
  /** Input line where the part's message starts. */
  line: number;
  subject: string;
}

/** The base a patch applies to: its spec files, and a reader for any other file. */
interface BaseTree {
  /** Whether there is a base at all. */
  hasTree: boolean;
  /** Directory shown as the tree's root (a git repository for a commit base). */
  root?: string;
  /** How the base is named in InputInfo (`dir`, or `gitdir@commit`). */
  shown?: string;
  commit?: BaseCommitInfo;
  /** The base's spec files. */
  files: Map<string, SpecFile>;
  /** Any file of the base by tree path (undefined: no such file). */
  read(path: string): string | undefined;
}

/** The commit `--base <git repository>` chose. */
export interface BaseCommitInfo {
  /** The repository as given. */
  gitDir: string;
  commit: string;
  via: "index" | "trailer";
  /** How many commits fitted (the newest was taken). */
  candidates: number;
}

function openBase(baseDir: string | undefined, pre: readonly PreImage[], trailer: string | undefined, mailFile: string, diagnostics: Diagnostic[]): BaseTree {
  if (baseDir === undefined) return { hasTree: false, files: new Map(), read: () => undefined };
  let ok = false;
  try {
    ok = statSync(baseDir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) fail("base-not-found", `the base tree '${baseDir}' does not exist or is not a directory`, pointSpan(baseDir, 1));
  if (isGitRepository(baseDir)) return openGitBase(baseDir, pre, trailer, mailFile, diagnostics);
  const loaded = loadTreeDir(baseDir, baseDir);
  diagnostics.push(...loaded.diagnostics);
  return {
    hasTree: true,
    root: baseDir,
    shown: baseDir,
    files: loaded.files,
    read(p) {
      const abs = join(baseDir, ...p.split("/"));
      try {
        if (!statSync(abs).isFile()) return undefined;
      } catch {
        return undefined;
      }
      const r = readTextFile(abs, `${baseDir}/${p}`);
      diagnostics.push(...r.diagnostics);
      return r.text;
    },
  };
}

/** `--base <git repository>`: the commit whose tree holds every pre-image blob the patch names. */
function openGitBase(gitDir: string, pre: readonly PreImage[], trailer: string | undefined, mailFile: string, diagnostics: Diagnostic[]): BaseTree {
  let repo: GitRepo;
  let choice: ReturnType<typeof chooseBaseCommit>;
  try {
    repo = new GitRepo(gitDir);
    if (pre.length === 0 && trailer === undefined) {
      fail("base-commit-not-found", `'${gitDir}' is a git repository, but the patch has no 'index' lines naming the blobs it was made against`, pointSpan(mailFile, 1), {
        hint: "pass --base <tree> (a checked-out tree without .git) instead",
      });
    }
    choice = chooseBaseCommit(repo, pre, trailer);
  } catch (err) {
    if (err instanceof GitReadError) fail("base-not-found", err.message, pointSpan(gitDir, 1));
    throw err;
  }
  if (!choice) {
    const first = pre[0]!;
    fail(
      "base-commit-not-found",
      `no commit of '${gitDir}' has all ${pre.length} pre-image blob${pre.length === 1 ? "" : "s"} the patch names (${pre
        .slice(0, 3)
        .map((p) => `${p.path} ${p.blob ?? "absent"}`)
        .join(", ")}${pre.length > 3 ? ", …" : ""})`,
      pointSpan(mailFile, first.line),
      { hint: "the patch was made against a tree this repository does not have: fetch the proposer's branch, or pass --base <tree>" },
    );
  }
  const { commit } = choice;
  const how =
    choice.via === "trailer"
      ? "from the mail's base-commit: line"
      : choice.candidates.length === 1
        ? `the only commit whose tree has the ${pre.length} pre-image blob${pre.length === 1 ? "" : "s"} the patch names`
        : `the newest of ${choice.candidates.length} commits whose trees have the ${pre.length} pre-image blob${pre.length === 1 ? "" : "s"} the patch names`;
  diagnostics.push(diagnosticAt("note", "base-commit-chosen", `applying onto commit ${commit.slice(0, 12)} of '${gitDir}': ${how}`, pointSpan(mailFile, pre[0]?.line ?? 1)));
  let files: Map<string, SpecFile>;
  try {
    const loaded = repo.load(commit);
    diagnostics.push(...loaded.diagnostics);
    files = loaded.tree.files;
  } catch (err) {
    if (err instanceof GitReadError) fail("base-not-found", err.message, pointSpan(gitDir, 1));
    throw err;
  }
  return {
    hasTree: true,
    root: gitDir,
    shown: `${gitDir}@${commit.slice(0, 12)}`,
    commit: { gitDir, commit, via: choice.via, candidates: choice.candidates.length },
    files,
    read(p) {
      const text = showFile(repo, commit, p);
      if (text !== undefined && text.includes("\0")) fail("input-binary", `'${gitDir}@${commit.slice(0, 12)}:${p}' is not a text file`, pointSpan(gitDir, 1));
      return text;
    },
  };
}

/**
 * The tree while patches are applied onto it, part after part: the base's files, the ones read on demand,
 * the results so far, and the names deleted (so a later part does not read them from the base again).
 */
class TreeState {
  readonly files: Map<string, SpecFile>;
  private readonly deleted = new Set<string>();

  constructor(
    private readonly base: BaseTree,
    private readonly diagnostics: Diagnostic[],
  ) {
    this.files = new Map(base.files);
  }

  text(p: string): string | undefined {
    const known = this.files.get(p);
    if (known) return known.text;
    if (this.deleted.has(p)) return undefined;
    const text = this.base.read(p);
    if (text !== undefined) this.files.set(p, { path: p, text });
    return text;
  }

  /** A view for one part's patch walk (its line cache is the tree as it stands now). */
  provider(): BaseProvider {
    const cache = new Map<string, readonly string[]>();
    return {
      hasTree: this.base.hasTree || this.files.size > 0,
      blobId: (p) => {
        const text = this.text(p);
        return text === undefined ? undefined : gitBlobId(text);
      },
      lines: (p) => {
        let lines = cache.get(p);
        if (!lines) {
          const text = this.text(p);
          if (text === undefined) return undefined;
          lines = splitLines(text).lines;
          cache.set(p, lines);
        }
        return lines;
      },
    };
  }

  /** Applies one file's patch; returns its diffstat entry. */
  apply(fp: FilePatch, mailFile: string): FileChangeCount {
    const shown = fp.move && fp.source !== null ? renameDisplay(fp.source, fp.path) : fp.path;
    if (fp.binary) return { path: shown, insertions: 0, deletions: 0, binary: true };
    const applied = applyFilePatch(fp.source === null ? null : (this.text(fp.source) ?? ""), fp, mailFile);
    if (fp.move === "rename") this.remove(fp.source!);
    if (applied.text === null) this.remove(fp.path);
    else {
      this.deleted.delete(fp.path);
      this.files.set(fp.path, { path: fp.path, text: applied.text, mailLines: applied.mailLines, addedLines: applied.addedLines });
    }
    const joins = fp.hunks.flatMap((h) => h.reading.joins);
    if (joins.length > 0) {
      const first = joins[0]!.continuation;
      this.diagnostics.push(
        diagnosticAt(
          "note",
          "lines-unwrapped",
          `rejoined ${joins.length} line${joins.length === 1 ? "" : "s"} of the patch of '${fp.path}' that the mail client had wrapped`,
          pointSpan(mailFile, first.line, first.column),
        ),
      );
    }
    return { path: shown, insertions: applied.insertions, deletions: applied.deletions };
  }

  private remove(p: string): void {
    this.files.delete(p);
    this.deleted.add(p);
  }
}

/** The tree paths a patch touches: each file's own, plus the old name of a rename; binary parts are left as they are. */
function changedPaths(patches: readonly FilePatch[]): string[] {
  const out: string[] = [];
  for (const fp of patches) {
    if (fp.binary) continue;
    if (fp.move === "rename" && fp.source !== null && !out.includes(fp.source)) out.push(fp.source);
    if (!out.includes(fp.path)) out.push(fp.path);
  }
  return out;
}

/** git's blob id of a text (sha1 of `blob <byte length>\0` and the bytes). */
export function gitBlobId(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}
