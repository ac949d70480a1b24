/**
 * Generation of one folder: plan the IR, write each file in one pass with ts-morph's code writer
 * (`code-block-writer`, the `CodeBlockWriter` ts-morph hands to writer functions), return the texts.
 *
 * Why the writer alone and not `project.createSourceFile(path, writer)`: loading ts-morph loads the
 * TypeScript compiler (about 1.4 s here) and each `createSourceFile` parses the text it was given (another
 * second for both seeds), which would put `generate` far above its one-second budget while adding nothing
 * to the output. `verify: true` does that parse (lazily importing ts-morph) and fails on any syntax error;
 * the tests use it.
 *
 * Output is deterministic: no timestamps, IR document order everywhere, fixed indentation and newlines.
 *
 * @module
 */
import CodeBlockWriter from "code-block-writer";
import type { SpecIR } from "../grammar/ir/types.js";
import { folderFiles, RUNTIME_IMPORT, type FolderImports, type Provenance } from "./emit/files.js";
import { planSpec, type SelectOptions, type SpecPlan } from "./plan/index.js";

/** One generated file. */
export interface GeneratedFile {
  /** Path relative to the output folder (e.g. `structs.ts`). */
  path: string;
  text: string;
}

/** The result of generating one folder. */
export interface GenerateResult {
  files: GeneratedFile[];
  /** What the generator degraded (struct left out, bytes instead of a struct, …). */
  warnings: string[];
  plan: SpecPlan;
}

/** Options of {@link generateFolder}. */
export interface GenerateOptions extends SelectOptions {
  /** Input path for the header, relative to the repository (defaults to IR `input.path`). */
  input?: string | undefined;
  /** Base tree for the header (defaults to IR `input.base`). */
  base?: string | undefined;
  /** Parse every file with ts-morph and throw when one has a syntax error (slow: loads TypeScript). */
  verify?: boolean;
  /** Where the files import the runtime from (default: a folder at `generated/<spec>/`). */
  imports?: FolderImports;
}

/** Generated code that does not parse: a generator bug, never an input problem. */
export class GeneratedSyntaxError extends Error {
  /**
   * @param file - the generated file
   * @param messages - the parser's messages
   */
  constructor(
    readonly file: string,
    readonly messages: string[],
  ) {
    super(`generated ${file} does not parse: ${messages.join("; ")}`);
    this.name = "GeneratedSyntaxError";
  }
}

/**
 * Generates the files of one folder from an IR.
 *
 * @throws {@link GeneratorError} for an unknown device slug or struct name
 */
export async function generateFolder(ir: SpecIR, options: GenerateOptions): Promise<GenerateResult> {
  const plan = planSpec(ir, options);
  const provenance: Provenance = { input: options.input ?? ir.input.path, base: options.base ?? ir.input.base, sha256: ir.input.sha256 };
  const files = folderFiles(plan, provenance, options.imports ?? { runtime: RUNTIME_IMPORT }).map((spec) => {
    const w = new CodeBlockWriter({ indentNumberOfSpaces: 2, useTabs: false, newLine: "\n", useSingleQuote: false });
    spec.write(w);
    let text = w.toString();
    if (!text.endsWith("\n")) text += "\n";
    return { path: spec.path, text };
  });
  if (options.verify) await verify(files);
  return { files, warnings: plan.warnings, plan };
}

async function verify(files: readonly GeneratedFile[]): Promise<void> {
  const { Project } = await import("ts-morph");
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { noResolve: true } });
  for (const f of files) {
    const sf = project.createSourceFile(`/out/${f.path}`, f.text, { overwrite: true });
    const diags = project.getProgram().getSyntacticDiagnostics(sf);
    if (diags.length) throw new GeneratedSyntaxError(f.path, diags.map((d) => `${d.getLineNumber() ?? "?"}: ${String(d.getMessageText())}`));
  }
}
