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
 * @module
 */
import { statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Diagnostic, InputInfo } from "../ir/types.js";
import { applyFilePatch, rebuildPatch } from "./apply.js";
import { compareDiffstat, computeDiffstat, type Diffstat } from "./diffstat.js";
import { diagnosticAt, fail, IngestError, pointSpan } from "./errors.js";
import { Budget } from "./hunk-read.js";
import { extractPatch } from "./mail.js";
import { parsePatch, type BaseProvider } from "./patch.js";
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
  const extracted = extractPatch(splitMailLines(read.text));
  if (!extracted) {
    fail("input-unrecognised", `no patch found in '${path}'`, pointSpan(path, 1), {
      hint: "expected a 'diff --git' line, or '---'/'+++' lines followed by an '@@' hunk",
    });
  }

  // The base tree: its spec files, plus any other file a patch touches, read on demand.
  const baseDir = opts.base;
  const files = new Map<string, SpecFile>();
  if (baseDir !== undefined) {
    let ok = false;
    try {
      ok = statSync(baseDir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok) fail("base-not-found", `the base tree '${baseDir}' does not exist or is not a directory`, pointSpan(baseDir, 1));
    const loaded = loadTreeDir(baseDir, baseDir);
    diagnostics.push(...loaded.diagnostics);
    for (const [p, f] of loaded.files) files.set(p, f);
  }
  const baseText = (p: string): string | undefined => {
    const known = files.get(p);
    if (known) return known.text;
    if (baseDir === undefined) return undefined;
    const abs = join(baseDir, ...p.split("/"));
    try {
      if (!statSync(abs).isFile()) return undefined;
    } catch {
      return undefined;
    }
    const r = readTextFile(abs, `${baseDir}/${p}`);
    diagnostics.push(...r.diagnostics);
    files.set(p, { path: p, text: r.text });
    return r.text;
  };
  const baseLines = new Map<string, readonly string[]>();
  const provider: BaseProvider = {
    hasTree: baseDir !== undefined,
    lines(p) {
      let lines = baseLines.get(p);
      if (!lines) {
        const text = baseText(p);
        if (text === undefined) return undefined;
        lines = splitLines(text).lines;
        baseLines.set(p, lines);
      }
      return lines;
    },
  };

  const budget = new Budget(opts.unwrapBudget ?? DEFAULT_UNWRAP_BUDGET);
  const patches = parsePatch(extracted.lines, {
    mailFile: path,
    base: provider,
    wrapWidth: extracted.wrapWidth,
    budget,
    diagnostics,
  });
  if (patches.length === 0) fail("input-unrecognised", `the patch in '${path}' changes no file`, pointSpan(path, 1));

  const counts: { path: string; insertions: number; deletions: number }[] = [];
  for (const fp of patches) {
    const applied = applyFilePatch(fp.created ? null : (baseText(fp.path) ?? ""), fp, path);
    if (applied.text === null) files.delete(fp.path);
    else files.set(fp.path, { path: fp.path, text: applied.text, mailLines: applied.mailLines, addedLines: applied.addedLines });
    counts.push({ path: fp.path, insertions: applied.insertions, deletions: applied.deletions });
    const joins = fp.hunks.flatMap((h) => h.reading.joins);
    if (joins.length > 0) {
      const first = joins[0]!.continuation;
      diagnostics.push(
        diagnosticAt(
          "note",
          "lines-unwrapped",
          `rejoined ${joins.length} line${joins.length === 1 ? "" : "s"} of the patch of '${fp.path}' that the mail client had wrapped`,
          pointSpan(path, first.line, first.column),
        ),
      );
    }
  }
  const sorted = new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  const diffstat = computeDiffstat(counts);
  const result: LoadedInput = {
    tree: {
      root: resolve(baseDir ?? dirname(path)),
      files: sorted,
      entry: "",
      changed: patches.map((fp) => fp.path),
    },
    input: { kind: extracted.kind, path, sha256: sha256Hex(read.bytes) },
    diagnostics,
    diffstat,
    unwrappedPatch: rebuildPatch(patches),
  };
  if (baseDir !== undefined) result.input.base = baseDir;
  if (extracted.mailDiffstat) {
    result.mailDiffstat = extracted.mailDiffstat;
    diagnostics.push(...compareDiffstat(diffstat, extracted.mailDiffstat, path));
  }
  const entry = chooseEntry(sorted.keys(), baseDir ?? path, diagnostics) ?? result.tree.changed.find((p) => sorted.has(p));
  if (entry === undefined) fail("tree-empty", `applying '${path}' leaves no file in the tree`, pointSpan(path, 1));
  result.tree.entry = entry;
  return result;
}
