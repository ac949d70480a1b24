/**
 * Printing a diff: compiler-style lines (default), JSON, or Markdown for a review comment.
 *
 * @module
 */
import type { SourceSpan } from "../ir/types.js";
import { CHANGE_CLASSES, countChanges, type Change, type ChangeClass, type DiffResult, type DiffSide } from "./types.js";

/** `root/file:line:col` (the root makes the position openable from where the command ran). */
export function position(span: SourceSpan | undefined, side: DiffSide): string {
  if (!span) return side.input;
  return `${side.root}${span.file}:${span.line}:${span.column}`;
}

/** The stable code of a change, e.g. `field-changed`. */
export function changeCode(c: Change): string {
  return `${c.entity}-${c.kind}`;
}

/** One change as compiler-style text: the new position first, the old one on the next line. No trailing newline. */
export function formatChange(c: Change, result: Pick<DiffResult, "old" | "new">): string {
  const primary = c.new ? position(c.new, result.new) : position(c.old, result.old);
  const head = c.warning ? `${primary}: warning: ${c.message} (${c.class}) [${changeCode(c)}]` : `${primary}: ${c.class}: ${c.message} [${changeCode(c)}]`;
  const lines = [head];
  if (c.warning) lines.push(`  warning: ${c.warning}`);
  if (c.new && c.old) lines.push(`  old: ${position(c.old, result.old)}`);
  const mail = c.new?.mail ?? c.old?.mail;
  if (mail) lines.push(`  mail: ${mail.file}:${mail.line}`);
  return lines.join("\n");
}

/** `3 wire, 1 api, 0 normative, 12 additive change(s), 1 warning(s)`. */
export function summaryLine(changes: readonly Change[]): string {
  const n = countChanges(changes);
  return `${n.wire} wire, ${n.api} api, ${n.normative} normative, ${n.additive} additive change(s), ${n.warnings} warning(s)`;
}

export function formatText(result: DiffResult): string {
  return result.changes.map((c) => formatChange(c, result) + "\n").join("");
}

export function formatJson(result: DiffResult): string {
  return JSON.stringify({ old: result.old, new: result.new, summary: countChanges(result.changes), changes: result.changes }, null, 2) + "\n";
}

const HEADINGS: Record<ChangeClass, string> = {
  wire: "Wire changes (existing devices and drivers disagree on the bytes)",
  api: "API changes (generated TypeScript: renamed or removed names)",
  normative: "Normative changes (requirements added, removed, reworded or re-levelled)",
  additive: "Additive changes (compatible)",
};

function md(text: string): string {
  return text.replace(/([\\`*_[\]<>|])/g, "\\$1");
}

/** A review comment: counts, then one list per class with both positions. */
export function formatMarkdown(result: DiffResult): string {
  const out: string[] = [];
  const n = countChanges(result.changes);
  out.push(`### virtiokit diff: \`${result.old.input}\` → \`${result.new.input}\``, "");
  out.push(`**${n.wire} wire**, ${n.api} api, ${n.normative} normative, ${n.additive} additive${n.warnings ? `, **${n.warnings} warning${n.warnings === 1 ? "" : "s"}**` : ""}`, "");
  for (const cls of CHANGE_CLASSES) {
    const list = result.changes.filter((c) => c.class === cls);
    if (!list.length) continue;
    const long = list.length > 25;
    out.push(`#### ${HEADINGS[cls]}: ${list.length}`, "");
    if (long) out.push("<details><summary>show all</summary>", "");
    for (const c of list) {
      const at = [c.new ? `\`${position(c.new, result.new)}\`` : "", c.old ? `was \`${position(c.old, result.old)}\`` : ""].filter(Boolean).join(", ");
      out.push(`- ${c.warning ? "⚠️ " : ""}${md(c.message)}${c.warning ? ` — ${md(c.warning)}` : ""} (${at})`);
    }
    if (long) out.push("", "</details>");
    out.push("");
  }
  if (!result.changes.length) out.push("No changes.", "");
  return out.join("\n");
}
