/**
 * Loading spec trees from disk: a directory (recursively) or the directory of a single .tex file, and
 * choosing a tree's entry file.
 *
 * Only the files a spec build reads are loaded: `*.tex`, and `*.h`/`*.c` for `\lstinputlisting`.
 * Hidden entries (`.git`) and `node_modules` are skipped, and symbolic links to directories are not followed,
 * so a link cycle cannot make the walk endless.
 *
 * @module
 */
import { readdirSync, statSync, type Dirent } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../ir/types.js";
import { fail, pointSpan } from "./errors.js";
import { readTextFile, rethrowFsError, sha256Hex } from "./text.js";

/** One file of a spec tree. */
export interface SpecFile {
  /** Path relative to the tree root, with `/` separators. */
  path: string;
  text: string;
  /** For a file a patch changed: index = line - 1 → the 1-based mail line that carried that line (context and added lines). */
  mailLines?: (number | undefined)[];
  /** For a file a patch changed: the 1-based lines the patch added (its own content, not context). */
  addedLines?: number[];
}

/** Limits of a tree walk (a spec tree has well under a hundred files). */
export const TREE_LIMITS = { maxFiles: 10_000, maxBytes: 256 * 1024 * 1024, maxDepth: 32 } as const;

/** Files a spec tree is made of. */
export function isSpecFileName(name: string): boolean {
  return /\.(?:tex|h|c)$/.test(name);
}

/** A loaded set of files with what loading had to say. */
export interface LoadedFiles {
  /** Path → file, in path order. */
  files: Map<string, SpecFile>;
  /** The raw bytes of each file, for hashing. */
  bytes: Map<string, Uint8Array>;
  diagnostics: Diagnostic[];
}

/**
 * Loads every spec file under `dir`. `shown` is the directory as the user named it (diagnostic paths are
 * `shown/relative`). Throws an IngestError when a file cannot be read or the tree exceeds {@link TREE_LIMITS}.
 */
export function loadTreeDir(dir: string, shown: string, opts: { recursive?: boolean } = {}): LoadedFiles {
  const recursive = opts.recursive ?? true;
  const found: string[] = [];
  const walk = (abs: string, rel: string, depth: number): void => {
    if (depth > TREE_LIMITS.maxDepth) fail("tree-too-large", `'${shown}' is nested deeper than ${TREE_LIMITS.maxDepth} levels`, pointSpan(shown, 1));
    let entries: Dirent[];
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch (err) {
      rethrowFsError(err, rel === "" ? shown : `${shown}/${rel}`);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith(".") || e.name === "node_modules") continue;
      const childRel = rel === "" ? e.name : `${rel}/${e.name}`;
      const childAbs = join(abs, e.name);
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          isFile = statSync(childAbs).isFile();
        } catch {
          isFile = false; // a dangling link is not part of the tree
        }
      }
      if (e.isDirectory()) {
        if (recursive) walk(childAbs, childRel, depth + 1);
      } else if (isFile && isSpecFileName(e.name)) {
        found.push(childRel);
        if (found.length > TREE_LIMITS.maxFiles) fail("tree-too-large", `'${shown}' has more than ${TREE_LIMITS.maxFiles} spec files`, pointSpan(shown, 1));
      }
    }
  };
  walk(dir, "", 0);
  found.sort();

  const files = new Map<string, SpecFile>();
  const bytes = new Map<string, Uint8Array>();
  const diagnostics: Diagnostic[] = [];
  let total = 0;
  for (const rel of found) {
    const read = readTextFile(join(dir, ...rel.split("/")), `${shown}/${rel}`);
    total += read.bytes.length;
    if (total > TREE_LIMITS.maxBytes) fail("tree-too-large", `'${shown}' holds more than ${TREE_LIMITS.maxBytes} bytes of spec files`, pointSpan(shown, 1));
    files.set(rel, { path: rel, text: read.text });
    bytes.set(rel, read.bytes);
    diagnostics.push(...read.diagnostics);
  }
  return { files, bytes, diagnostics };
}

/** `\input{x}`, `\include{x}` and `\lstinputlisting[…]{x}` of a LaTeX text (comments skipped), as written. */
function referencedFiles(text: string): string[] {
  const out: string[] = [];
  const re = /\\(input|include|lstinputlisting)\s*(?:\[[^\]]*\])?\s*\{([^}]+)\}/g;
  for (const line of text.split("\n")) {
    const code = line.replace(/(^|[^\\])%.*$/, "$1");
    for (const m of code.matchAll(re)) out.push(m[1] === "lstinputlisting" || /\.[a-z]+$/.test(m[2]!) ? m[2]!.trim() : `${m[2]!.trim()}.tex`);
  }
  return out;
}

/**
 * Loads a single .tex file `name` of `dir` and, transitively, the files it `\input`s, `\include`s and
 * `\lstinputlisting`s (paths relative to `dir`, as LaTeX resolves them from the main file's folder). Other
 * files beside it are not read: a binary or unrelated file there is none of this input's business. A
 * referenced file that does not exist is left to the document stage, which reports the `\input` at its line.
 */
export function loadTexClosure(dir: string, shown: string, name: string): LoadedFiles {
  const files = new Map<string, SpecFile>();
  const bytes = new Map<string, Uint8Array>();
  const diagnostics: Diagnostic[] = [];
  const queue = [name];
  let total = 0;
  while (queue.length) {
    const rel = queue.shift()!.replace(/^\.\//, "");
    if (files.has(rel) || rel.split("/").includes("..") || rel.startsWith("/")) continue;
    if (files.size >= TREE_LIMITS.maxFiles) fail("tree-too-large", `'${shown}' references more than ${TREE_LIMITS.maxFiles} files`, pointSpan(shown, 1));
    const abs = join(dir, ...rel.split("/"));
    let isFile = false;
    try {
      isFile = statSync(abs).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) continue;
    const read = readTextFile(abs, shown === "." ? rel : `${shown}/${rel}`);
    total += read.bytes.length;
    if (total > TREE_LIMITS.maxBytes) fail("tree-too-large", `'${shown}' references more than ${TREE_LIMITS.maxBytes} bytes of files`, pointSpan(shown, 1));
    files.set(rel, { path: rel, text: read.text });
    bytes.set(rel, read.bytes);
    diagnostics.push(...read.diagnostics);
    if (rel.endsWith(".tex")) queue.push(...referencedFiles(read.text));
  }
  const sorted = new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { files: sorted, bytes, diagnostics };
}

/**
 * sha256 of a tree: for each file in path order, its path, a NUL, its byte length in decimal, a NUL and its
 * bytes. (The lengths make the encoding unambiguous: no two different trees hash the same input.)
 */
export function treeSha256(bytes: ReadonlyMap<string, Uint8Array>): string {
  const parts: (Uint8Array | string)[] = [];
  for (const path of [...bytes.keys()].sort()) {
    const b = bytes.get(path)!;
    parts.push(`${path}\0${b.length}\0`, b);
  }
  const enc = new TextEncoder();
  const chunks = parts.map((p) => (typeof p === "string" ? enc.encode(p) : p));
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length;
  }
  return sha256Hex(all);
}

/** Names tried, in order, for a tree's entry file. */
export const ENTRY_NAMES = ["virtio.tex", "main.tex", "content.tex"] as const;

/**
 * The entry of a tree: `virtio.tex`, else `main.tex`, else `content.tex` (at the root), else the only .tex
 * file. With several .tex files and none of those names, the first in path order, with an
 * `entry-ambiguous` warning; undefined when there is no .tex file at all.
 */
export function chooseEntry(paths: Iterable<string>, shown: string, diagnostics: Diagnostic[]): string | undefined {
  const all = [...paths];
  for (const name of ENTRY_NAMES) if (all.includes(name)) return name;
  const tex = all.filter((p) => p.endsWith(".tex")).sort();
  if (tex.length === 1) return tex[0];
  if (tex.length === 0) return undefined;
  diagnostics.push({
    severity: "warning",
    code: "entry-ambiguous",
    message: `no ${ENTRY_NAMES.join(", ")} in '${shown}' and ${tex.length} .tex files; taking '${tex[0]}' as the entry`,
    source: pointSpan(shown, 1),
  });
  return tex[0];
}
