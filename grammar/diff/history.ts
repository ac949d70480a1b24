/**
 * History mode: every commit of a range diffed against its parent, for a spec's wire changelog.
 *
 * Merge commits are skipped: what they bring is what their side branch's commits brought, and those commits
 * are in the range and diffed themselves. A commit that changes no spec file costs one `git ls-tree`; IRs are
 * cached by the spec files' blob ids, so each tree is parsed once.
 *
 * @module
 */
import type { SpecIR } from "../ir/types.js";
import { InputError, runFrontEndOn } from "../pipeline.js";
import { GitReadError, GitRepo, type GitSpecTree } from "./git.js";
import { diffIR } from "./index.js";
import type { Change } from "./types.js";

/** One commit of the walk. */
export interface HistoryEntry {
  commit: string;
  parent: string;
  date: string;
  subject: string;
  changes: Change[];
  /** Set when a tree of this commit could not be read (the walk goes on). */
  error?: string;
}

/** Figures of a walk. */
export interface HistoryStats {
  commits: number;
  merges: number;
  /** Commits whose spec files equal their parent's. */
  unchanged: number;
  parsed: number;
}

export class HistoryWalker {
  private readonly cache = new Map<string, SpecIR | string>();
  readonly stats: HistoryStats = { commits: 0, merges: 0, unchanged: 0, parsed: 0 };

  constructor(readonly repo: GitRepo) {}

  /** The commits of `range` (git rev-list syntax), oldest first, with their parents. */
  commits(range: string): { commit: string; parents: string[] }[] {
    const out = this.repo.git(["rev-list", "--reverse", "--topo-order", "--parents", range]);
    return out.split("\n").filter(Boolean).map((l) => {
      const [commit, ...parents] = l.split(" ");
      return { commit: commit!, parents };
    });
  }

  private ir(commit: string, tree: GitSpecTree): SpecIR | string {
    const hit = this.cache.get(tree.id);
    if (hit !== undefined) {
      // Most recently used last: the parent of the next commit is usually this one.
      this.cache.delete(tree.id);
      this.cache.set(tree.id, hit);
      return hit;
    }
    let value: SpecIR | string;
    try {
      value = runFrontEndOn(this.repo.load(commit, tree, `${this.repo.dir}@${commit.slice(0, 12)}`)).ir;
      this.stats.parsed++;
    } catch (err) {
      if (err instanceof InputError) value = err.message;
      else if (err instanceof GitReadError) value = err.message;
      else throw err;
    }
    this.cache.set(tree.id, value);
    while (this.cache.size > 4) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }

  /** Walks `range`, yielding each non-merge commit with its changes against its parent. */
  *walk(range: string): Generator<HistoryEntry> {
    let lastTrees: GitSpecTree[] = [];
    for (const { commit, parents } of this.commits(range)) {
      if (parents.length !== 1) {
        if (parents.length > 1) this.stats.merges++;
        continue;
      }
      this.stats.commits++;
      const parent = parents[0]!;
      const [date, ...subject] = this.repo.git(["log", "-1", "--format=%as %s", commit]).trim().split(" ");
      const entry: HistoryEntry = { commit, parent, date: date ?? "", subject: subject.join(" "), changes: [] };
      const before = this.repo.specTree(parent);
      const after = this.repo.specTree(commit);
      this.repo.pruneBlobs([...lastTrees, before, after]);
      lastTrees = [before, after];
      if (before.id === after.id) {
        this.stats.unchanged++;
        yield entry;
        continue;
      }
      const o = this.ir(parent, before);
      const n = this.ir(commit, after);
      if (typeof o === "string" || typeof n === "string") entry.error = typeof n === "string" ? n : `parent: ${o as string}`;
      else entry.changes = diffIR(o, n);
      yield entry;
    }
  }
}

/**
 * Keeps the changes about one struct (following its renames as the walk goes) or one device (slug or name).
 * Returns a filter to call on each commit's changes in walk order.
 */
export function historyFilter(opts: { struct?: string; device?: string }, deviceNames: (slugOrName: string) => boolean = () => false): (changes: Change[]) => Change[] {
  let struct = opts.struct;
  return (changes) =>
    changes.filter((c) => {
      if (struct !== undefined) {
        if (c.entity !== "struct" && c.entity !== "field") return false;
        const top = c.path.split(".")[0];
        const hit = top === struct || c.oldName === struct;
        if (hit && c.entity === "struct" && c.kind === "renamed" && c.newName) struct = c.newName;
        return hit;
      }
      if (opts.device !== undefined) return c.device === opts.device || (c.device !== undefined && deviceNames(c.device));
      return true;
    });
}
