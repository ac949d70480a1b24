/**
 * What the playground computes for one input, in one call: the same front end, lint and generator the CLI runs
 * (`virtiokit lint` and `virtiokit generate`), over the in-memory file system. It runs in the Web Worker; the
 * tests run the same bundled module in Node and compare it with the CLI.
 *
 * @module
 */
import { lint } from "../grammar/lint/lint.js";
import { InputError, runFrontEnd } from "../grammar/pipeline.js";
import { IngestError } from "../grammar/ingest/index.js";
import type { Diagnostic, SpecIR } from "../grammar/ir/types.js";
import { diffIR, type Change } from "../grammar/diff/index.js";
import { generateFolder } from "../generator/generate.js";
import { GeneratorError } from "../generator/plan/context.js";
import * as vfs from "./shims/vfs.js";

/** A shipped tree: its name and its files (path relative to the tree → text). */
export interface ShippedTree {
  name: string;
  files: Record<string, string>;
}

/** What to analyse. */
export type AnalyseRequest =
  /** A pasted (or dropped) mail or patch, applied onto a shipped tree. */
  | { kind: "mail"; text: string; base: string; name?: string }
  /** A shipped tree, whole or from one of its `.tex` files (e.g. a device chapter). */
  | { kind: "tree"; tree: string; file?: string };

/** One generated file of the chosen device. */
export interface GeneratedSource {
  path: string;
  text: string;
}

/** The result: everything the views show. */
export interface AnalyseResult {
  /** The input as the tools name it (`input/mail.txt`, `trees/virtio-1.4/…`). */
  input: string;
  /** Fatal diagnostics when the input could not be used (nothing else is then set). */
  fatal?: Diagnostic[];
  /** What `virtiokit lint` reports (for a mail: the lines the patch adds), in its order. */
  diagnostics: Diagnostic[];
  counts: { errors: number; warnings: number; notes: number };
  /** The IR (typed, with source positions). */
  ir?: SpecIR;
  /** The patch as recovered from the mail (un-quoted, wrapped lines rejoined), for a mail. */
  patch?: string;
  /** Post-patch text of the files the patch changed (path relative to the tree). */
  changedFiles: Record<string, string>;
  /** Device slug whose code is in `generated`, and the files. */
  device?: string;
  generated: GeneratedSource[];
  /** Why no code was generated, when none was. */
  generateProblem?: string;
  /** Milliseconds: front end (ingest, document, IR), lint, generate, diff. */
  timings: { frontEnd: number; lint: number; generate: number; diff?: number };
  /** With a comparison: what changes from the other input to this one (`virtiokit diff <other> <this>`). */
  diff?: { against: string; changes: Change[]; fatal?: Diagnostic[] };
}

/** What to compare the analysed input with: the base tree it applies to, or another input. */
export type CompareWith = { kind: "base" } | { kind: "input"; request: AnalyseRequest; label: string };

const loaded = new Set<string>();

/** Puts a shipped tree into the in-memory file system (once). */
export function loadTree(tree: ShippedTree): void {
  if (loaded.has(tree.name)) return;
  for (const [path, text] of Object.entries(tree.files)) vfs.put(`/trees/${tree.name}/${path}`, text);
  loaded.add(tree.name);
}

/** Which trees are loaded. */
export function loadedTrees(): string[] {
  return [...loaded];
}

/**
 * Analyses one input. The trees it names must have been loaded with {@link loadTree}.
 * @param device - the device whose generated TypeScript to return (default: the one the patch adds, else the first)
 */
export async function analyse(req: AnalyseRequest, device?: string, compare?: CompareWith): Promise<AnalyseResult> {
  const t0 = performance.now();
  let path: string;
  let base: string | undefined;
  if (req.kind === "mail") {
    vfs.clear("/input/");
    path = `/input/${req.name ?? "mail.txt"}`;
    vfs.put(path, req.text);
    base = `/trees/${req.base}`;
  } else {
    path = req.file ? `/trees/${req.tree}/${req.file}` : `/trees/${req.tree}`;
  }
  const empty = { diagnostics: [], counts: { errors: 0, warnings: 0, notes: 0 }, changedFiles: {}, generated: [] };
  let fe;
  try {
    fe = runFrontEnd(path, base === undefined ? {} : { base });
  } catch (err) {
    if (err instanceof InputError || err instanceof IngestError) {
      const fatal = err instanceof InputError ? err.diagnostics : err.diagnostics;
      return { input: path.slice(1), fatal, ...empty, timings: { frontEnd: performance.now() - t0, lint: 0, generate: 0 } };
    }
    throw err;
  }
  const t1 = performance.now();
  const diagnostics = lint(fe.doc, fe.ir, { scope: fe.patchScope });
  const t2 = performance.now();
  const counts = {
    errors: diagnostics.filter((d) => d.severity === "error").length,
    warnings: diagnostics.filter((d) => d.severity === "warning").length,
    notes: diagnostics.filter((d) => d.severity === "note").length,
  };
  const changedFiles: Record<string, string> = {};
  for (const p of fe.loaded.tree.changed) {
    const f = fe.loaded.tree.files.get(p);
    if (f) changedFiles[p] = f.text;
  }
  const slug = device ?? defaultDevice(fe.ir, fe.patchScope);
  let generated: GeneratedSource[] = [];
  let generateProblem: string | undefined;
  if (slug) {
    try {
      generated = (await generateFolder(fe.ir, { devices: [slug], imports: { runtime: "virtiokit/runtime/codec" } })).files;
    } catch (err) {
      if (!(err instanceof GeneratorError)) throw err;
      generateProblem = err.message;
    }
  } else generateProblem = "the input defines no device";
  const t3 = performance.now();
  let diff: AnalyseResult["diff"];
  if (compare) {
    const other = compare.kind === "base" ? (base !== undefined ? { path: base, label: `the base tree ${req.kind === "mail" ? req.base : ""}`.trim() } : undefined) : { ...compareInput(compare.request), label: compare.label };
    if (!other) diff = { against: "nothing (a tree has no base)", changes: [] };
    else {
      try {
        const old = runFrontEnd(other.path, other.base === undefined ? {} : { base: other.base });
        diff = { against: other.label, changes: diffIR(old.ir, fe.ir) };
      } catch (err) {
        if (!(err instanceof InputError || err instanceof IngestError)) throw err;
        diff = { against: other.label, changes: [], fatal: err.diagnostics };
      }
    }
  }
  const t4 = performance.now();
  return {
    input: path.slice(1),
    diagnostics,
    counts,
    ir: fe.ir,
    ...(fe.loaded.unwrappedPatch !== undefined ? { patch: fe.loaded.unwrappedPatch } : {}),
    changedFiles,
    ...(slug ? { device: slug } : {}),
    generated,
    ...(generateProblem ? { generateProblem } : {}),
    ...(diff ? { diff } : {}),
    timings: { frontEnd: t1 - t0, lint: t2 - t1, generate: t3 - t2, ...(diff ? { diff: t4 - t3 } : {}) },
  };
}

/** Where the other side of a comparison is read from (its mail goes to its own path, beside this input's). */
function compareInput(req: AnalyseRequest): { path: string; base?: string } {
  if (req.kind === "mail") {
    const path = `/input/compare/${req.name ?? "mail.txt"}`;
    vfs.put(path, req.text);
    return { path, base: `/trees/${req.base}` };
  }
  return { path: req.file ? `/trees/${req.tree}/${req.file}` : `/trees/${req.tree}` };
}

/**
 * The device the patch is most about: the one whose chapter (from its heading to the next device's) holds the
 * most lines the patch adds; for a tree, the first device.
 */
function defaultDevice(ir: SpecIR, added: Map<string, Set<number>> | undefined): string | undefined {
  if (!added) return ir.devices[0]?.slug;
  let best: { slug: string; lines: number } | undefined;
  for (const d of ir.devices) {
    const next = ir.devices
      .filter((o) => o.source.file === d.source.file && o.source.line > d.source.line)
      .reduce((m, o) => Math.min(m, o.source.line), Infinity);
    let lines = 0;
    for (const l of added.get(d.source.file) ?? []) if (l >= d.source.line && l < next) lines++;
    if (lines > 0 && (!best || lines > best.lines)) best = { slug: d.slug, lines };
  }
  return best?.slug ?? ir.devices[0]?.slug;
}
