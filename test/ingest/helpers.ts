/**
 * Shared paths and helpers of the ingest tests.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { IngestError } from "../../grammar/ingest/index.js";

/** The repository root. */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** This suite's fixtures. */
export const FIXTURES = join(REPO, "test/fixtures/ingest");
/** The two seed mails. */
export const VHOST_MAIL = join(REPO, "spec/seeds/vhost-pci-net.mail.txt");
export const ISM_MAIL = join(REPO, "spec/seeds/virtio-ism-v3.mail.txt");

/**
 * A base tree by commit: the repository's copy under spec/ when it has the files, else the shared input
 * folder it was copied from (the copy into spec/ is being made while this suite is written).
 */
function baseTree(name: string): string {
  const local = join(REPO, "spec", name);
  return existsSync(join(local, "content.tex")) ? local : resolve(REPO, "../shared/virtio-spec", name);
}
export const VHOST_BASE = baseTree("base-be7a82c");
export const ISM_BASE = baseTree("base-985bbf3");

/** A fresh temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = "vk-ingest-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Applies `patchText` with real `git apply` onto a copy of `base` in `work`, and returns the text of `files`
 * afterwards. Throws (with git's message) when git refuses.
 */
export function gitApply(base: string, patchText: string, work: string, files: string[]): Map<string, string> {
  const tree = join(work, "tree");
  cpSync(base, tree, { recursive: true });
  const patch = join(work, "patch.diff");
  writeFileSync(patch, patchText);
  execFileSync("git", ["apply", "--whitespace=nowarn", patch], { cwd: tree, stdio: "pipe" });
  return new Map(files.map((f) => [f, readFileSync(join(tree, f), "utf8")]));
}

/** Runs `fn` and returns the IngestError it throws (fails the test when it throws nothing or something else). */
export function ingestError(fn: () => unknown): IngestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof IngestError) return err;
    throw err;
  }
  throw new Error("expected an IngestError, got none");
}

/** The errors among a list of diagnostics. */
export function errorsOf(e: IngestError) {
  return e.diagnostics.filter((d) => d.severity === "error");
}
