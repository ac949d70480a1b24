/**
 * Reading spec trees out of a git repository without a work tree: `git ls-tree` lists a revision's spec files,
 * `git cat-file --batch` reads their blobs, all into memory. Blobs are cached by object id, so walking a history
 * reads each file version once.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Diagnostic } from "../ir/types.js";
import type { LoadedInput, SpecFile } from "../ingest/index.js";
import { decodeText, sha256Hex } from "../ingest/text.js";
import { chooseEntry, isSpecFileName, treeSha256 } from "../ingest/tree.js";

/** A git repository cannot be read, or a revision does not exist in it. */
export class GitReadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GitReadError";
  }
}

/** One spec file of a revision's tree. */
export interface GitTreeEntry {
  path: string;
  oid: string;
}

/** A revision's spec files and an id for the set (equal ids: the same files with the same contents). */
export interface GitSpecTree {
  entries: GitTreeEntry[];
  /** sha256 of the spec-file listing (paths and blob ids): the cache key of the tree's IR. */
  id: string;
}

const MAX_BUFFER = 512 * 1024 * 1024;

/** Whether `dir` looks like a git directory (bare repository or `.git`) or a work tree holding one. */
export function isGitRepository(dir: string): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
  } catch {
    return false;
  }
  return existsSync(join(dir, "HEAD")) && existsSync(join(dir, "objects")) ? true : existsSync(join(dir, ".git"));
}

/** A repository read through `git`: a bare git directory or a work tree. */
export class GitRepo {
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly args: string[];

  constructor(readonly dir: string) {
    if (!isGitRepository(dir)) throw new GitReadError(`'${dir}' is not a git repository`);
    const bare = existsSync(join(dir, "HEAD")) && existsSync(join(dir, "objects"));
    this.args = bare ? ["--git-dir", dir] : ["-C", dir];
  }

  /** `git <args>` as text; a failure becomes a {@link GitReadError} with git's own message. */
  git(args: readonly string[], input?: string | Buffer): string {
    return this.gitBytes(args, input).toString("utf8");
  }

  private gitBytes(args: readonly string[], input?: string | Buffer): Buffer {
    try {
      return execFileSync("git", [...this.args, ...args], { input, maxBuffer: MAX_BUFFER, stdio: ["pipe", "pipe", "pipe"] });
    } catch (err) {
      const e = err as { code?: string; stderr?: Buffer };
      if (e.code === "ENOENT") throw new GitReadError("git is not installed");
      const why = e.stderr?.toString("utf8").trim().split("\n")[0] ?? String(err);
      throw new GitReadError(`git ${args[0]} in '${this.dir}' failed: ${why}`);
    }
  }

  /** The full commit id of `rev`, or a {@link GitReadError} saying the revision is unknown. */
  resolve(rev: string): string {
    try {
      return this.git(["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]).trim();
    } catch {
      throw new GitReadError(`'${rev}' is not a commit in '${this.dir}'`);
    }
  }

  /** The spec files (`*.tex`, `*.h`, `*.c`) of a commit's tree. */
  specTree(commit: string): GitSpecTree {
    const out = this.git(["ls-tree", "-r", "-z", "--full-tree", commit]);
    const entries: GitTreeEntry[] = [];
    for (const rec of out.split("\0")) {
      if (!rec) continue;
      const tab = rec.indexOf("\t");
      const [, type, oid] = rec.slice(0, tab).split(" ");
      const path = rec.slice(tab + 1);
      const name = path.slice(path.lastIndexOf("/") + 1);
      // Same selection as a tree on disk (grammar/ingest/tree.ts): spec files, no hidden entries.
      if (type !== "blob" || !oid || !isSpecFileName(name) || path.split("/").some((p) => p.startsWith(".") || p === "node_modules")) continue;
      entries.push({ path, oid });
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { entries, id: sha256Hex(entries.map((e) => `${e.oid} ${e.path}`).join("\n")) };
  }

  /** Reads the blobs not yet cached, in one `git cat-file --batch`. */
  private readBlobs(oids: readonly string[]): void {
    const missing = [...new Set(oids.filter((o) => !this.blobs.has(o)))];
    if (!missing.length) return;
    const out = this.gitBytes(["cat-file", "--batch"], missing.join("\n") + "\n");
    let pos = 0;
    for (const oid of missing) {
      const nl = out.indexOf(10, pos);
      const header = out.subarray(pos, nl).toString("utf8").split(" ");
      if (header[1] !== "blob") throw new GitReadError(`blob ${oid} is missing from '${this.dir}'`);
      const size = Number(header[2]);
      this.blobs.set(oid, out.subarray(nl + 1, nl + 1 + size));
      pos = nl + 1 + size + 1;
    }
  }

  /** Drops cached blobs that are not in `keep` (a history walk keeps the current and previous trees only). */
  pruneBlobs(keep: Iterable<GitSpecTree>): void {
    const live = new Set<string>();
    for (const t of keep) for (const e of t.entries) live.add(e.oid);
    for (const oid of this.blobs.keys()) if (!live.has(oid)) this.blobs.delete(oid);
  }

  /**
   * A commit's spec tree as ingest would load it from disk: the input is `<dir>@<rev>`, file paths are relative
   * to the repository root. Throws a {@link GitReadError} when the tree holds no .tex file.
   */
  load(rev: string, tree?: GitSpecTree, shown = `${this.dir}@${rev}`): LoadedInput {
    const commit = this.resolve(rev);
    const t = tree ?? this.specTree(commit);
    this.readBlobs(t.entries.map((e) => e.oid));
    const files = new Map<string, SpecFile>();
    const bytes = new Map<string, Uint8Array>();
    const diagnostics: Diagnostic[] = [];
    for (const e of t.entries) {
      const b = this.blobs.get(e.oid)!;
      const decoded = decodeText(b, `${shown}:${e.path}`);
      files.set(e.path, { path: e.path, text: decoded.text });
      bytes.set(e.path, b);
      diagnostics.push(...decoded.diagnostics);
    }
    const entry = chooseEntry(files.keys(), shown, diagnostics);
    if (entry === undefined) throw new GitReadError(`'${shown}' contains no .tex file`);
    return {
      tree: { root: this.dir, files, entry, changed: [] },
      input: { kind: "tree", path: shown, sha256: treeSha256(bytes) },
      diagnostics,
    };
  }
}
