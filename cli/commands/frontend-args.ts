/**
 * Options shared by the commands that read a spec input (parse, lint, generate).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatDiagnostics } from "../../grammar/diagnostics.js";
import { InputError, runFrontEnd, type FrontEnd } from "../../grammar/pipeline.js";

export interface InputArgs {
  input: string;
  base?: string;
  json: boolean;
  values: Record<string, string | boolean | undefined>;
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
    return `${(err as Error).message}\n${usage}`;
  }
  const [input, ...rest] = parsed.positionals;
  if (!input || rest.length) return usage;
  return { input, base: parsed.values.base as string | undefined, json: parsed.values.json as boolean, values: parsed.values as InputArgs["values"] };
}

/** Runs the front end; on unusable input prints the diagnostics and returns null (the caller exits 2). */
export function frontEndOrReport(args: InputArgs): FrontEnd | null {
  try {
    return runFrontEnd(args.input, { base: args.base });
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(formatDiagnostics(err.diagnostics));
      return null;
    }
    throw err;
  }
}
