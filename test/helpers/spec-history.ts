/**
 * The virtio-spec git history shipped as `spec/history/virtio-spec.bundle`, cloned once per test process into
 * a temporary directory. Tests that read real commits (ingest corpus, older revisions, revision diffs) use it.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** Path of the shipped bundle (relative to the repository root). */
export const SPEC_HISTORY_BUNDLE = resolve(import.meta.dirname, "../../spec/history/virtio-spec.bundle");

let cloned: string | undefined;

/** Why the history cannot be used here (no git, no bundle), or undefined when it can. */
export function specHistoryMissing(): string | undefined {
  if (!existsSync(SPEC_HISTORY_BUNDLE)) return `spec history bundle missing: ${SPEC_HISTORY_BUNDLE}`;
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
  } catch {
    return "git is not installed";
  }
  return undefined;
}

/** The git directory of a clone of the bundle (made on first call, reused after). */
export function specHistoryGitDir(): string {
  if (cloned) return cloned;
  const dir = join(mkdtempSync(join(tmpdir(), "virtio-spec-")), "repo");
  execFileSync("git", ["clone", "-q", "--bare", SPEC_HISTORY_BUNDLE, dir], { stdio: "ignore" });
  cloned = dir;
  return dir;
}

/** `git <args>` in the history clone, stdout as text. */
export function specGit(args: readonly string[]): string {
  return execFileSync("git", ["--git-dir", specHistoryGitDir(), ...args], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
}
