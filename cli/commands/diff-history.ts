/**
 * `virtiokit diff --history <git dir> <rev-range>`: the wire changelog of a range of commits.
 *
 * @module
 */
import { formatChange } from "../../grammar/diff/format.js";
import { GitReadError, GitRepo } from "../../grammar/diff/git.js";
import { historyFilter, HistoryWalker, type HistoryEntry } from "../../grammar/diff/history.js";
import type { Change, ChangeClass } from "../../grammar/diff/types.js";
import { inClasses } from "./diff.js";

export interface HistoryOptions {
  struct?: string | undefined;
  device?: string | undefined;
  only: Set<ChangeClass | "warning">;
  failOn: Set<ChangeClass | "warning">;
  json: boolean;
  timing: boolean;
  usage: string;
}

/** Prints the changelog; 0 when the walk finished (a commit whose tree cannot be parsed is reported, not fatal), 2 on a bad repository or range. */
export async function runHistory(dir: string, positionals: string[], opts: HistoryOptions): Promise<number> {
  if (positionals.length !== 1 || (opts.struct !== undefined && opts.device !== undefined)) {
    process.stderr.write(`${opts.usage}\n`);
    return 2;
  }
  const range = positionals[0]!;
  const t0 = performance.now();
  let walker: HistoryWalker;
  try {
    walker = new HistoryWalker(new GitRepo(dir));
    walker.commits(range);
  } catch (err) {
    if (err instanceof GitReadError) {
      process.stderr.write(`virtiokit diff: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const filter = historyFilter({ struct: opts.struct, device: opts.device });
  const entries: (Omit<HistoryEntry, "changes"> & { changes: Change[] })[] = [];
  let shownChanges = 0;
  for (const e of walker.walk(range)) {
    const changes = filter(e.changes).filter((c) => inClasses(c, opts.only));
    if (!changes.length && !e.error) continue;
    shownChanges += changes.length;
    const side = (rev: string) => ({ input: `${dir}@${rev.slice(0, 12)}`, root: `${dir}@${rev.slice(0, 12)}:` });
    if (opts.json) entries.push({ ...e, changes });
    else {
      const lines = [`${e.commit.slice(0, 12)} ${e.date} ${e.subject}`];
      if (e.error) lines.push(`  error: ${e.error}`);
      for (const c of changes) lines.push(...formatChange(c, { old: side(e.parent), new: side(e.commit) }).split("\n").map((l) => `  ${l}`));
      process.stdout.write(lines.join("\n") + "\n");
    }
  }
  if (opts.json) process.stdout.write(JSON.stringify(entries, null, 2) + "\n");
  const s = walker.stats;
  process.stderr.write(
    `${s.commits} commits (${s.merges} merges skipped, ${s.unchanged} without spec changes), ${s.parsed} trees parsed, ${shownChanges} change(s) shown` +
      (opts.timing ? `, ${((performance.now() - t0) / 1000).toFixed(1)} s` : "") + "\n",
  );
  return 0;
}
