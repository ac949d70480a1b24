/**
 * The front end in one call: input (mail, patch, .tex file or tree) → post-patch tree → document model → IR.
 *
 * @module
 */
import { buildDocument, isAdded, type Document } from "./document/document.js";
import { loadInput, type LoadedInput } from "./ingest/index.js";
import { buildIR } from "./ir/build.js";
import type { Diagnostic, SourceSpan, SpecIR } from "./ir/types.js";

export interface FrontEnd {
  loaded: LoadedInput;
  doc: Document;
  ir: SpecIR;
  /** Lines the patch added (file → 1-based lines): lint's default scope for a mail or patch. */
  patchScope?: Map<string, Set<number>>;
  /** Wall time of each stage in milliseconds (ingest, document = LaTeX parse + walk, ir). */
  timings: { ingest: number; document: number; ir: number };
}

/** The input cannot be used: one or more fatal diagnostics (unreadable, does not apply, not LaTeX). */
export class InputError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join("; "));
    this.name = "InputError";
  }
}

/** Reads an input and builds its IR. Throws {@link InputError} when the input is unusable. */
export function runFrontEnd(input: string, opts: { base?: string } = {}): FrontEnd {
  let loaded: LoadedInput;
  const t0 = performance.now();
  try {
    loaded = loadInput(input, opts);
  } catch (err) {
    const diags = (err as { diagnostics?: Diagnostic[] }).diagnostics;
    if (Array.isArray(diags) && diags.length) throw new InputError(diags);
    throw err;
  }
  return runFrontEndOn(loaded, t0);
}

/**
 * The front end after ingest: document model and IR of an already loaded input (a tree read from git, or one
 * changed in memory). Throws {@link InputError} when the tree is not LaTeX the document model can read.
 */
export function runFrontEndOn(loaded: LoadedInput, startedAt = performance.now()): FrontEnd {
  const t0 = startedAt;
  const t1 = performance.now();
  const { tree } = loaded;
  const mailFile = loaded.input.kind === "mail" || loaded.input.kind === "patch" ? loaded.input.path : undefined;
  // Document's TreeFile caches a Set of added lines; keep ingest's objects untouched.
  const files = new Map([...tree.files].map(([k, f]) => [k, { ...f }] as const));
  const doc = buildDocument({ files, entry: tree.entry, mailFile });
  if (doc.fatal) throw new InputError([doc.fatal]);
  const t2 = performance.now();
  const mailLine = (file: string, line: number): SourceSpan["mail"] => {
    const f = files.get(file);
    const l = f?.mailLines?.[line - 1];
    return mailFile && f && l !== undefined ? { file: mailFile, line: l, added: isAdded(f, line) } : undefined;
  };
  const ir = buildIR(doc, loaded.input, { mailLine });
  ir.diagnostics.unshift(...loaded.diagnostics);
  const t3 = performance.now();
  let patchScope: Map<string, Set<number>> | undefined;
  if (mailFile) {
    patchScope = new Map();
    for (const [path, f] of tree.files) {
      // Lint looks at what the proposal brings: the lines the patch added, not its context lines.
      if (f.addedLines?.length) patchScope.set(path, new Set(f.addedLines));
    }
  }
  return { loaded, doc, ir, patchScope, timings: { ingest: t1 - t0, document: t2 - t1, ir: t3 - t2 } };
}
