/**
 * `virtiokit lint <input> [--base <tree>] [--against <newer tree>] [--json] [--all]`: compiler-style
 * diagnostics for a spec. `--against` also checks what the proposal brings against a newer spec tree than the one
 * it was written for (feature bits, device IDs, register offsets taken there since).
 * Exit 0 clean or warnings only, 1 when the spec has errors, 2 when the input cannot be read.
 * For a mail or patch, findings are limited to the lines the patch brings unless `--all` is given.
 *
 * @module
 */
import { formatDiagnostics } from "../../grammar/diagnostics/diagnostics.js";
import { lint } from "../../grammar/lint/lint.js";
import { lintAgainst } from "../../grammar/lint/lint-against.js";
import { asTyped, displayRootOf, frontEndOrReport, parseInputArgs } from "./frontend-args.js";

export const summary = "report defects in a spec";
export const usage = "usage: virtiokit lint <mail|patch|file.tex|tree> [--base <tree>] [--against <newer tree>] [--json] [--all]";

export async function run(argv: string[]): Promise<number> {
  const args = parseInputArgs(argv, usage, ["all"], ["against"]);
  if (typeof args === "string") {
    process.stderr.write(args + "\n");
    return 2;
  }
  const fe = frontEndOrReport(args);
  if (!fe) return 2;
  const diags = lint(fe.doc, fe.ir, { scope: args.values.all ? undefined : fe.patchScope });
  const against = args.values.against;
  if (typeof against === "string") {
    const newer = frontEndOrReport({ ...args, input: against, base: undefined });
    if (!newer) return 2;
    diags.push(...lintAgainst(fe.ir, newer.ir, against.replace(/\/+$/, "")));
  }
  process.stdout.write(formatDiagnostics(asTyped(diags, displayRootOf(args.input)), { json: args.json }));
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.filter((d) => d.severity === "warning").length;
  if (!args.json) process.stderr.write(`${errors} error(s), ${warnings} warning(s)\n`);
  return errors > 0 ? 1 : 0;
}
