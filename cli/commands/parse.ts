/**
 * `virtiokit parse <input> [--base <tree>] [--json]`: prints the IR (JSON) or a summary of it.
 *
 * @module
 */
import type { SpecIR } from "../../grammar/ir/types.js";
import { formatDiagnostic } from "../../grammar/diagnostics/diagnostics.js";
import { lint } from "../../grammar/lint/lint.js";
import type { Diagnostic } from "../../grammar/ir/types.js";
import { asTyped, displayRootOf, frontEndOrReport, parseInputArgs } from "./frontend-args.js";

export const summary = "print the IR of a spec";
export const usage = "usage: virtiokit parse <mail|patch|file.tex|tree> [--base <tree>] [--json] [--timing]";

export async function run(argv: string[]): Promise<number> {
  const args = parseInputArgs(argv, usage, ["timing"]);
  if (typeof args === "string") {
    process.stderr.write(args + "\n");
    return 2;
  }
  const fe = frontEndOrReport(args);
  if (!fe) return 2;
  if (args.json) process.stdout.write(JSON.stringify(fe.ir, null, 2) + "\n");
  else {
    // The same findings `virtiokit lint` would print for this input (same scope), so the two never disagree.
    const findings = asTyped(lint(fe.doc, fe.ir, { scope: fe.patchScope }), displayRootOf(args.input));
    process.stdout.write(summarise(fe.ir, findings, args.input));
  }
  if (args.values.timing) {
    const t = fe.timings;
    process.stderr.write(`timing: ingest ${t.ingest.toFixed(0)} ms, LaTeX + document ${t.document.toFixed(0)} ms, IR ${t.ir.toFixed(0)} ms\n`);
  }
  return 0;
}

/** How many of lint's findings the summary lists before it says how many more there are. */
const SHOWN_FINDINGS = 5;

/**
 * A human summary: devices, their queues and features, counts, and lint's findings (`findings`, when given:
 * their count and the first few, where they are).
 */
export function summarise(ir: SpecIR, findings?: readonly Diagnostic[], input?: string): string {
  const lines: string[] = [];
  lines.push(`${ir.input.path} (${ir.input.kind}${ir.input.base ? ` on ${ir.input.base}` : ""}), IR ${ir.irVersion}`);
  lines.push(`  ${ir.files.length} files, ${ir.sections.length} sections, ${ir.structs.length} structs, ${ir.enums.length} enums, ${ir.constants.length} constants, ${ir.commands.length} commands, ${ir.events.length} events`);
  lines.push(`  ${ir.normativeSections.length} normative sections, ${ir.requirements.length} requirements, ${ir.conformance.length} conformance lists`);
  const ds = findings ?? ir.diagnostics;
  const errors = ds.filter((d) => d.severity === "error").length;
  const warnings = ds.filter((d) => d.severity === "warning").length;
  lines.push(`  ${ds.length} diagnostics (${errors} errors, ${warnings} warnings)${ds.length ? `: run 'virtiokit lint ${input ?? "<input>"}' to see them all` : ""}`);
  for (const d of ds.slice(0, SHOWN_FINDINGS)) lines.push(`    ${formatDiagnostic(d).split("\n")[0]}`);
  if (ds.length > SHOWN_FINDINGS) lines.push(`    … and ${ds.length - SHOWN_FINDINGS} more`);
  for (const d of ir.devices) {
    lines.push(`  device ${d.name} [${d.slug}] id ${d.deviceId ?? "unassigned"}: ${d.virtqueues.length} virtqueues, ${d.features.length} feature bits, ${d.structs.length} structs${d.configStruct ? `, config ${d.configStruct}` : ""}`);
  }
  return lines.join("\n") + "\n";
}
