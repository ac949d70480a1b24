/**
 * `virtiokit diff`'s engine: compares two IRs and classes every change by what it breaks (wire, api,
 * normative) or as a compatible addition. Works on the IR alone, so it compares trees, proposals, stored IR
 * JSON and git revisions alike.
 *
 * @module
 */
import type { SourceSpan, SpecIR } from "../ir/types.js";
import { diffCommands, diffConstants, diffEnums, diffEvents, diffFeatures, matchDevices } from "./codes.js";
import { DiffContext } from "./context.js";
import { diffStructs } from "./layout.js";
import { diffConformance, diffRequirements } from "./normative.js";
import { CHANGE_CLASSES, type Change } from "./types.js";

export * from "./types.js";
export { typeText } from "./layout.js";

/** Every change from `oldIR` to `newIR`, wire first, then api, normative, additive; each in the new text's order. */
export function diffIR(oldIR: SpecIR, newIR: SpecIR): Change[] {
  const ctx = new DiffContext(oldIR, newIR);
  // Order matters: later stages read the name maps earlier ones fill (devices → features → structs → codes).
  const reportDevices = matchDevices(ctx);
  diffFeatures(ctx);
  diffStructs(ctx);
  reportDevices();
  diffConstants(ctx);
  diffEnums(ctx);
  diffCommands(ctx);
  diffEvents(ctx);
  diffRequirements(ctx);
  diffConformance(ctx);
  return sortChanges(ctx.changes, oldIR, newIR);
}

function sortChanges(changes: Change[], oldIR: SpecIR, newIR: SpecIR): Change[] {
  const fileOrder = (ir: SpecIR): Map<string, number> => new Map(ir.files.map((f, i) => [f, i]));
  const newFiles = fileOrder(newIR);
  const oldFiles = fileOrder(oldIR);
  const pos = (s: SourceSpan | undefined, files: Map<string, number>): [number, number, number] =>
    s ? [files.get(s.file) ?? files.size, s.line, s.column] : [Infinity, 0, 0];
  const keyed = changes.map((c, i) => ({ c, i, cls: CHANGE_CLASSES.indexOf(c.class), at: c.new ? pos(c.new, newFiles) : pos(c.old, oldFiles) }));
  keyed.sort((a, b) => a.cls - b.cls || a.at[0] - b.at[0] || a.at[1] - b.at[1] || a.at[2] - b.at[2] || a.i - b.i);
  return keyed.map((k) => k.c);
}
