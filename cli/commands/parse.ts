/**
 * `virtiokit parse <input> [--base <tree>] [--json]`: prints the IR (JSON) or a summary of it.
 *
 * @module
 */
import type { SpecIR } from "../../grammar/ir/types.js";
import { frontEndOrReport, parseInputArgs } from "./frontend-args.js";

export const summary = "print the IR of a spec";
const USAGE = "usage: virtiokit parse <mail|patch|file.tex|tree> [--base <tree>] [--json] [--timing]";

export async function run(argv: string[]): Promise<number> {
  const args = parseInputArgs(argv, USAGE, ["timing"]);
  if (typeof args === "string") {
    process.stderr.write(args + "\n");
    return 2;
  }
  const fe = frontEndOrReport(args);
  if (!fe) return 2;
  if (args.json) process.stdout.write(JSON.stringify(fe.ir, null, 2) + "\n");
  else process.stdout.write(summarise(fe.ir));
  if (args.values.timing) {
    const t = fe.timings;
    process.stderr.write(`timing: ingest ${t.ingest.toFixed(0)} ms, LaTeX + document ${t.document.toFixed(0)} ms, IR ${t.ir.toFixed(0)} ms\n`);
  }
  return 0;
}

/** A human summary: devices, their queues and features, counts. */
export function summarise(ir: SpecIR): string {
  const lines: string[] = [];
  lines.push(`${ir.input.path} (${ir.input.kind}${ir.input.base ? ` on ${ir.input.base}` : ""}), IR ${ir.irVersion}`);
  lines.push(`  ${ir.files.length} files, ${ir.sections.length} sections, ${ir.structs.length} structs, ${ir.enums.length} enums, ${ir.constants.length} constants, ${ir.commands.length} commands, ${ir.events.length} events`);
  lines.push(`  ${ir.normativeSections.length} normative sections, ${ir.requirements.length} requirements, ${ir.conformance.length} conformance lists`);
  const errors = ir.diagnostics.filter((d) => d.severity === "error").length;
  lines.push(`  ${ir.diagnostics.length} diagnostics (${errors} errors): run 'virtiokit lint' to see them`);
  for (const d of ir.devices) {
    lines.push(`  device ${d.name} [${d.slug}] id ${d.deviceId ?? "unassigned"}: ${d.virtqueues.length} virtqueues, ${d.features.length} feature bits, ${d.structs.length} structs${d.configStruct ? `, config ${d.configStruct}` : ""}`);
  }
  return lines.join("\n") + "\n";
}
