/**
 * Finding the commit a patch was made against, from the patch itself. A git patch names, on each file's
 * `index <old>..<new>` line, the blob the file was before the patch (abbreviated; `0000000` for a file the
 * patch creates). The base is a commit whose tree has every one of those blobs at its path (and none of
 * the created files); of several such commits the newest is taken, and the caller says how many fitted.
 * A `base-commit:` trailer (git format-patch --base) is taken at its word when the repository has that
 * commit and its tree fits.
 *
 * All lookups go through one `git cat-file --batch-check` process (`<commit>:<path>` per line), so the
 * search costs one process for the whole history, not one per commit.
 *
 * @module
 */
import { GitReadError, GitRepo } from "../diff/git.js";
import type { MailLine } from "./mail-line.js";

/** One pre-image blob a patch names: at `path`, a blob whose id starts with `blob` (or no file, for `absent`). */
export interface PreImage {
  path: string;
  /** Abbreviated blob id; undefined when the patch creates the file (the base must not have it). */
  blob?: string;
  /** The mail line of the `index` line, for messages. */
  line: number;
}

/** The commit chosen, and how. */
export interface BaseChoice {
  commit: string;
  /** `index`: found from the blob ids; `trailer`: the mail's `base-commit:` line. */
  via: "index" | "trailer";
  /** Every commit that fits, newest first (just the one for `trailer`). */
  candidates: string[];
}

const INDEX_RE = /^index ([0-9a-f]{4,64})\.\.([0-9a-f]{4,64})\b/;
const ZERO_RE = /^0+$/;

/**
 * The pre-image blobs named in one message's patch region. The path of each `index` line is its file's old
 * name: the `rename from`/`copy from` line, else the `--- a/<path>` line, else the `diff --git a/<path>` name.
 * Only a path's first appearance counts (in a series, a later part's pre-image of a path an earlier part
 * changed is that part's result, not the base's).
 */
export function preImages(lines: readonly MailLine[], into: PreImage[] = []): PreImage[] {
  const known = new Set(into.map((p) => p.path));
  for (let i = 0; i < lines.length; i++) {
    const m = INDEX_RE.exec(lines[i]!.text);
    if (!m) continue;
    let path: string | undefined;
    for (let j = i - 1; j >= 0 && j >= i - 8; j--) {
      const t = lines[j]!.text;
      const from = /^(?:rename|copy) from (.+)$/.exec(t);
      if (from) {
        path = from[1]!.trimEnd();
        break;
      }
      if (t.startsWith("diff --git ")) break;
    }
    const minus = lines[i + 1]?.text;
    if (path === undefined && minus?.startsWith("--- a/")) path = minus.slice(6).split("\t")[0]!.trimEnd();
    if (path === undefined && minus === "--- /dev/null") {
      const plus = lines[i + 2]?.text;
      if (plus?.startsWith("+++ b/")) path = plus.slice(6).split("\t")[0]!.trimEnd();
    }
    if (path === undefined) {
      for (let j = i - 1; j >= 0 && j >= i - 8; j--) {
        const t = lines[j]!.text;
        if (!t.startsWith("diff --git a/")) continue;
        const rest = t.slice("diff --git ".length).trimEnd();
        const k = rest.indexOf(" b/");
        if (k > 0) path = rest.slice(2, k);
        break;
      }
    }
    if (path === undefined || known.has(path)) continue;
    known.add(path);
    into.push(ZERO_RE.test(m[1]!) ? { path, line: lines[i]!.line } : { path, blob: m[1]!, line: lines[i]!.line });
  }
  return into;
}

/** The `base-commit: <sha>` trailer of a mail (git format-patch --base), when it has one. */
export function baseCommitTrailer(mailLines: readonly string[]): string | undefined {
  for (const l of mailLines) {
    const m = /^(?:> ?)*base-commit: ([0-9a-f]{7,64})\s*$/.exec(l);
    if (m) return m[1];
  }
  return undefined;
}

/**
 * Every commit reachable from the repository's refs whose tree fits `pre`, newest first (by committer date,
 * children before parents). Empty when none fits or `pre` is empty.
 */
export function fittingCommits(repo: GitRepo, pre: readonly PreImage[]): string[] {
  if (pre.length === 0) return [];
  const commits = repo.git(["rev-list", "--all", "--date-order"]).split("\n").filter(Boolean);
  // Filter by one path at a time, most selective first in practice (the first named file), so later
  // lookups only ask about the commits still in the running.
  let alive = commits;
  for (const p of pre) {
    if (alive.length === 0) break;
    const out = batchCheck(repo, alive.map((c) => `${c}:${p.path}`));
    alive = alive.filter((_, k) => {
      const rec = out[k]!;
      if (p.blob === undefined) return rec.missing;
      return !rec.missing && rec.type === "blob" && rec.oid.startsWith(p.blob);
    });
  }
  return alive;
}

/** `git cat-file --batch-check` over `specs`, one record per spec in order. */
function batchCheck(repo: GitRepo, specs: readonly string[]): { missing: boolean; oid: string; type: string }[] {
  const out = repo.git(["cat-file", "--batch-check"], specs.join("\n") + "\n").split("\n");
  return specs.map((_, k) => {
    const rec = out[k] ?? "";
    if (rec.endsWith(" missing") || rec.endsWith(" ambiguous")) return { missing: true, oid: "", type: "" };
    const [oid = "", type = ""] = rec.split(" ");
    return { missing: false, oid, type };
  });
}

/**
 * Chooses the base commit for `pre`: the trailer's commit when the repository has it and its tree fits,
 * else the newest fitting commit. Undefined when nothing fits (the caller reports it).
 */
export function chooseBaseCommit(repo: GitRepo, pre: readonly PreImage[], trailer: string | undefined): BaseChoice | undefined {
  if (trailer !== undefined) {
    let commit: string | undefined;
    try {
      commit = repo.resolve(trailer);
    } catch (err) {
      if (!(err instanceof GitReadError)) throw err;
    }
    if (commit !== undefined && fits(repo, commit, pre)) return { commit, via: "trailer", candidates: [commit] };
  }
  const candidates = fittingCommits(repo, pre);
  if (candidates.length === 0) return undefined;
  return { commit: candidates[0]!, via: "index", candidates };
}

function fits(repo: GitRepo, commit: string, pre: readonly PreImage[]): boolean {
  const out = batchCheck(repo, pre.map((p) => `${commit}:${p.path}`));
  return pre.every((p, k) => (p.blob === undefined ? out[k]!.missing : !out[k]!.missing && out[k]!.oid.startsWith(p.blob)));
}

/** A file of a commit's tree as text (undefined when the commit has no such file). */
export function showFile(repo: GitRepo, commit: string, path: string): string | undefined {
  try {
    return repo.git(["cat-file", "blob", `${commit}:${path}`]);
  } catch (err) {
    if (err instanceof GitReadError) return undefined;
    throw err;
  }
}
