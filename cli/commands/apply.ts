/**
 * `virtiokit apply <mail|patch> --base <tree> --out <dir>`: rebuilds the post-patch tree of a mailed proposal.
 *
 * Writes every file of the base tree to `<dir>` with the patched files updated, prints the diffstat in git's
 * format on stdout and diagnostics (`file:line:col: severity: message`) on stderr.
 * The tree is written into a temporary directory beside `<dir>` and renamed into place at the end, and only
 * when every file and hunk of the patch applied: `<dir>` never holds a partially patched tree.
 * Exit status: 0 applied; 1 applied, but the mail's own diffstat disagrees with what was applied;
 * 2 the input cannot be read or applied, or the command line is wrong.
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../../grammar/diagnostics/diagnostics.js";
import { outDirProblem } from "../out-dir.js";
import { formatDiffstat, IngestError, loadInput, type LoadedInput } from "../../grammar/ingest/index.js";

/** One-line description for `virtiokit --help`. */
export const summary = "apply a mailed patch onto a base tree and write the post-patch tree";

export const usage = [
  "usage: virtiokit apply <mail|mbox|patch> --base <tree|git repository> --out <dir> [--json]",
  "",
  "  <mail|patch>   a mail as archived (raw, MIME, quoted-printable, base64, format=flowed, a web copy, or a",
  "                 reply quoting the patch), an mbox with a patch series (applied in part order), or a diff",
  "  --base <tree>  the spec tree the patch was made against (not needed if the patch only creates files);",
  "                 a git repository (bare or a clone): the newest commit whose tree has every blob the",
  "                 patch's index lines name (or the mail's base-commit:), said on stderr",
  "  --out <dir>    where to write the post-patch tree (must not exist, or be empty)",
  "  --json         print {diffstat, mailDiffstat, changed, diagnostics} as JSON on stdout",
  "",
  "exit status: 0 applied, 1 applied but the mail's diffstat disagrees, 2 input unusable",
].join("\n");

/** Runs the command; returns the exit status. */
export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        base: { type: "string" },
        out: { type: "string" },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (err) {
    return usageError(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(usage + "\n");
    return 0;
  }
  if (positionals.length !== 1) return usageError(positionals.length === 0 ? "missing <mail|patch>" : "expected exactly one <mail|patch>");
  if (values.out === undefined) return usageError("missing --out <dir>");
  const input = positionals[0]!;
  const out = values.out;

  let loaded: LoadedInput;
  try {
    loaded = loadInput(input, values.base === undefined ? {} : { base: values.base });
  } catch (err) {
    if (err instanceof IngestError) {
      process.stderr.write(formatDiagnostics(err.diagnostics));
      return 2;
    }
    throw err;
  }
  if (loaded.input.kind !== "mail" && loaded.input.kind !== "patch") {
    return commandError(`'${input}' is a ${loaded.input.kind === "tree" ? "directory" : ".tex file"}, not a mail or a patch`);
  }

  const outProblem = checkOutDir(out, values.base);
  if (outProblem) return commandError(outProblem);
  try {
    writeTreeAtomically(loaded, values.base, out);
  } catch (err) {
    return commandError(`cannot write '${out}': ${err instanceof Error ? err.message : String(err)}`);
  }

  const mismatch = loaded.diagnostics.some((d) => d.code === "diffstat-mismatch");
  if (values.json) {
    const report = {
      baseCommit: loaded.baseCommit ?? null,
      series: loaded.series ?? null,
      diffstat: loaded.diffstat,
      mailDiffstat: loaded.mailDiffstat ?? null,
      changed: loaded.tree.changed,
      diagnostics: loaded.diagnostics,
    };
    process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  } else {
    if (loaded.diffstat) process.stdout.write(formatDiffstat(loaded.diffstat));
    process.stderr.write(formatDiagnostics(loaded.diagnostics));
  }
  return mismatch ? 1 : 0;
}

function usageError(message: string): number {
  process.stderr.write(`virtiokit apply: ${message}\n${usage}\n`);
  return 2;
}

function commandError(message: string): number {
  process.stderr.write(`virtiokit apply: error: ${message}\n`);
  return 2;
}

/** Why `out` cannot receive the tree, or undefined when it can. */
function checkOutDir(out: string, base: string | undefined): string | undefined {
  const problem = outDirProblem(out);
  if (problem) return problem;
  if (base !== undefined) {
    // Copying a tree into itself would never end (and would change the base).
    const rel = relative(resolve(base), resolve(out));
    if (rel === "" || (!rel.startsWith("..") && !isAbsolute(rel))) return `--out '${out}' is inside the base tree '${base}'`;
  }
  return undefined;
}

/**
 * Writes the tree into a fresh temporary directory beside `out` and renames it into place once complete, so
 * `out` never holds a partial tree: after a failure (disk full, a path leading outside) nothing is left.
 */
function writeTreeAtomically(loaded: LoadedInput, base: string | undefined, out: string): void {
  const parent = dirname(resolve(out));
  mkdirSync(parent, { recursive: true });
  const temp = mkdtempSync(join(parent, `.${basename(out)}.partial-`));
  try {
    writeTree(loaded, base, temp);
    // `out` may exist as an empty directory (checked before); rename cannot replace it on every platform.
    if (existsSync(out)) rmdirSync(out);
    renameSync(temp, out);
  } catch (err) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  }
}

/** Copies the base (everything but `.git`), then writes the changed files and removes the deleted ones. */
function writeTree(loaded: LoadedInput, base: string | undefined, out: string): void {
  mkdirSync(out, { recursive: true });
  if (loaded.baseCommit) {
    // The commit's whole tree, as `git archive` writes it (modes and all, no .git).
    const { gitDir, commit } = loaded.baseCommit;
    const bare = existsSync(join(gitDir, "HEAD")) && existsSync(join(gitDir, "objects"));
    const tar = execFileSync("git", [...(bare ? ["--git-dir", gitDir] : ["-C", gitDir]), "archive", "--format=tar", commit], { maxBuffer: 1024 * 1024 * 1024 });
    execFileSync("tar", ["-x", "-C", out], { input: tar });
  } else if (base !== undefined) {
    cpSync(base, out, { recursive: true, verbatimSymlinks: true, filter: (src) => basename(src) !== ".git" });
  }
  const root = realpathSync(out);
  for (const path of loaded.tree.changed) {
    // Paths were checked by ingest: relative, no `..`, no empty segment. A directory copied from the base
    // may still be a symbolic link, so the real parent must be inside `out` too.
    const target = join(out, ...path.split("/"));
    mkdirSync(dirname(target), { recursive: true });
    const parent = realpathSync(dirname(target));
    if (parent !== root && !parent.startsWith(root + sep)) throw new Error(`'${path}' leads outside the output folder`);
    const file = loaded.tree.files.get(path);
    if (file) {
      writeFileSync(target, file.text);
      // git records only whether a file is executable (100755) or not (100644).
      const mode = loaded.modes?.get(path);
      if (mode === "100755") chmodSync(target, 0o755);
      else if (mode === "100644") chmodSync(target, 0o644);
    } else rmSync(target, { force: true });
  }
}
