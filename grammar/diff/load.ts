/**
 * The two sides of a diff, each anything the toolkit reads: a tree, a `.tex` file, a mail or patch (with a
 * base tree), an IR JSON file written by `virtiokit parse --json`, or `<git dir>@<rev>`.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { formatDiagnostics } from "../diagnostics/diagnostics.js";
import { IR_VERSION, type Diagnostic, type SpecIR } from "../ir/types.js";
import { InputError, runFrontEnd, runFrontEndOn } from "../pipeline.js";
import { GitReadError, GitRepo, isGitRepository } from "./git.js";
import type { DiffSide } from "./types.js";

/** A side of the diff cannot be read: the message says which and why (the CLI exits 2). */
export class DiffInputError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
    this.name = "DiffInputError";
  }
}

/** One side, read. */
export interface LoadedSide {
  ir: SpecIR;
  side: DiffSide;
}

/** `<dir>@<rev>` when `dir` is a git repository and the whole string is not itself a path. */
export function parseGitSpec(input: string): { dir: string; rev: string } | undefined {
  if (exists(input)) return undefined;
  const at = input.lastIndexOf("@");
  if (at <= 0 || at === input.length - 1) return undefined;
  const dir = input.slice(0, at);
  return isGitRepository(dir) ? { dir, rev: input.slice(at + 1) } : undefined;
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

const REQUIRED_ARRAYS = ["files", "sections", "devices", "featureBits", "structs", "enums", "constants", "commands", "events", "requirements"] as const;

/** Reads an IR JSON file; refuses JSON that is not an IR, or an IR of another major version. */
export function readIRJson(path: string): SpecIR {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new DiffInputError(code === "ENOENT" ? `'${path}' does not exist` : `cannot read '${path}': ${code ?? String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DiffInputError(`'${path}' is not JSON: ${(err as Error).message}`);
  }
  const ir = value as Partial<SpecIR> | null;
  if (!ir || typeof ir !== "object" || typeof ir.irVersion !== "string") throw new DiffInputError(`'${path}' is not a virtiokit IR: no irVersion (write one with 'virtiokit parse --json')`);
  const major = (v: string): string => v.split(".")[0] ?? v;
  if (major(ir.irVersion) !== major(IR_VERSION)) throw new DiffInputError(`'${path}' is IR ${ir.irVersion}; this virtiokit reads IR ${major(IR_VERSION)}.x`);
  for (const k of REQUIRED_ARRAYS) if (!Array.isArray(ir[k])) throw new DiffInputError(`'${path}' is not a virtiokit IR: '${k}' is not a list`);
  const full = ir as SpecIR;
  full.conformance ??= [];
  full.normativeSections ??= [];
  full.constantGroups ??= [];
  full.diagnostics ??= [];
  return full;
}

function looksLikeJson(path: string): boolean {
  if (path.endsWith(".json")) return true;
  try {
    const fd = readFileSync(path, { encoding: "utf8", flag: "r" }).slice(0, 64).trimStart();
    return fd.startsWith("{");
  } catch {
    return false;
  }
}

function frontEnd(run: () => SpecIR, shown: string): SpecIR {
  try {
    return run();
  } catch (err) {
    if (err instanceof InputError) throw new DiffInputError(`cannot read '${shown}':\n${formatDiagnostics(err.diagnostics).trimEnd()}`, err.diagnostics);
    if (err instanceof GitReadError) throw new DiffInputError(err.message);
    throw err;
  }
}

/** Reads `<dir>@<rev>` into memory and builds its IR. */
export function loadGitRevision(dir: string, rev: string, repo = new GitRepo(dir)): SpecIR {
  return frontEnd(() => runFrontEndOn(repo.load(rev, undefined, `${dir}@${rev}`)).ir, `${dir}@${rev}`);
}

/**
 * Writes a revision's spec files into a temporary directory, for inputs that need a tree on disk (the base of a
 * mail). Returns the directory and a function that removes it.
 */
export function materialiseRevision(dir: string, rev: string): { path: string; dispose: () => void } {
  let loaded;
  try {
    loaded = new GitRepo(dir).load(rev);
  } catch (err) {
    if (err instanceof GitReadError) throw new DiffInputError(err.message);
    throw err;
  }
  const root = mkdtempSync(join(tmpdir(), "virtiokit-rev-"));
  for (const f of loaded.tree.files.values()) {
    const abs = join(root, ...f.path.split("/"));
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, f.text);
  }
  return { path: root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** Loads one side of the diff. `base` is the base tree of a mail or patch (a directory or `<git dir>@<rev>`). */
export function loadSide(input: string, base?: string): LoadedSide {
  const git = parseGitSpec(input);
  if (git) return { ir: loadGitRevision(git.dir, git.rev), side: { input, root: `${input}:` } };
  if (!exists(input)) throw new DiffInputError(`'${input}' does not exist (and is not <git dir>@<rev>)`);
  let isDir = false;
  try {
    isDir = statSync(input).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir && looksLikeJson(input)) {
    const ir = readIRJson(input);
    return { ir, side: { input, root: ir.input.kind === "tree" ? `${ir.input.path.replace(/\/+$/, "")}/` : ir.input.kind === "tex" ? `${dirname(ir.input.path)}/` : "" } };
  }
  const baseGit = base !== undefined ? parseGitSpec(base) : undefined;
  const tmp = baseGit ? materialiseRevision(baseGit.dir, baseGit.rev) : undefined;
  try {
    const ir = frontEnd(() => runFrontEnd(input, { base: tmp?.path ?? base }).ir, input);
    if (tmp && ir.input.base !== undefined) ir.input.base = base;
    // A mail's post-patch tree is not on disk: its positions stay tree-relative, with the mail line beside them.
    const root = isDir ? `${input.replace(/\/+$/, "")}/` : ir.input.kind === "tex" ? `${dirname(input)}/` : "";
    return { ir, side: { input, root } };
  } finally {
    tmp?.dispose();
  }
}
