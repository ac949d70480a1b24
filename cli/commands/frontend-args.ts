/**
 * Options shared by the commands that read a spec input (parse, lint, generate), and the one way they report
 * an unusable input.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../../grammar/diagnostics/diagnostics.js";
import type { Diagnostic } from "../../grammar/ir/types.js";
import { InputError, runFrontEnd, type FrontEnd } from "../../grammar/pipeline.js";

export interface InputArgs {
  input: string;
  base?: string;
  json: boolean;
  values: Record<string, string | boolean | undefined>;
}

/** `virtiokit lint` from `usage: virtiokit lint <…>`: the prefix of this command's messages. */
function commandOf(usage: string): string {
  const m = /^usage: (virtiokit(?: [a-z-]+)?)/.exec(usage);
  return m ? m[1]! : "virtiokit";
}

/** Parses `<input> [--base <tree>] [--json]` plus extra boolean flags. Returns an error message on bad usage. */
export function parseInputArgs(argv: string[], usage: string, extraFlags: string[] = [], extraStrings: string[] = []): InputArgs | string {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        base: { type: "string" },
        json: { type: "boolean", default: false },
        ...Object.fromEntries(extraFlags.map((f) => [f, { type: "boolean" as const, default: false }])),
        ...Object.fromEntries(extraStrings.map((f) => [f, { type: "string" as const }])),
      },
    });
  } catch (err) {
    return `${commandOf(usage)}: ${(err as Error).message}\n${usage}`;
  }
  const [input, ...rest] = parsed.positionals;
  if (!input) return `${commandOf(usage)}: missing <input>\n${usage}`;
  if (rest.length) return `${commandOf(usage)}: expected one <input>, got ${parsed.positionals.length}\n${usage}`;
  return { input, base: parsed.values.base as string | undefined, json: parsed.values.json as boolean, values: parsed.values as InputArgs["values"] };
}

/**
 * The folder, as the user typed it, that the tree-relative paths of an input's diagnostics are relative to:
 * the tree itself, or the directory of a single .tex file. Undefined for mails and patches, whose files are
 * those of the post-patch tree (their diagnostics carry the mail line too).
 */
export function displayRootOf(input: string): string | undefined {
  try {
    if (statSync(input).isDirectory()) return input;
  } catch {
    return undefined;
  }
  return input.endsWith(".tex") ? dirname(input) : undefined;
}

/**
 * Diagnostics with their paths as the user would type them (prefixed with the tree they typed), so that
 * `file:line:col` opens from the shell. A path that is already usable as it is stays unchanged.
 */
export function asTyped(ds: readonly Diagnostic[], root: string | undefined): Diagnostic[] {
  if (root === undefined || root === "." || root === "") return [...ds];
  return ds.map((d) => {
    const file = d.source.file;
    if (existsSync(file) || !existsSync(join(root, file))) return d;
    return { ...d, source: { ...d.source, file: join(root, file) } };
  });
}

/**
 * Runs the front end; on unusable input prints its diagnostics and returns null (the caller exits 2). With
 * `--json`, the fatal diagnostics go to stdout as JSON, one object per line, like every other diagnostic
 * (`{"fatal": true, …}` marks them), so a tool reading the JSON sees why nothing else came.
 */
export function frontEndOrReport(args: InputArgs): FrontEnd | null {
  try {
    return runFrontEnd(args.input, { base: args.base });
  } catch (err) {
    if (err instanceof InputError) {
      const ds = asTyped(err.diagnostics, displayRootOf(args.input));
      if (args.json) process.stdout.write(ds.map((d) => JSON.stringify({ fatal: true, ...d }) + "\n").join(""));
      else process.stderr.write(formatDiagnostics(ds));
      return null;
    }
    throw err;
  }
}
