/**
 * Conformance lists: a \conformance heading, or any section whose own lists \ref normative sections (the 2016
 * spec writes plain \section{Driver Conformance} with such lists), with each reference and whether it resolves.
 *
 * @module
 */
import type { DocSection, Document } from "../../document/document.js";
import type { ConformanceList, SourceSpan } from "../types.js";
import type { SectionsOutput } from "./sections.js";

export function conformancePass(doc: Document, secs: Pick<SectionsOutput, "sectionLabel">): ConformanceList[] {
  const labelSet = new Set(doc.labels.map((l) => l.label));
  const conformance: ConformanceList[] = [];
  const refsNormative = (s: DocSection) =>
    s.blocks.some((b) => b.kind === "list" && b.items.some((it) => it.refs.some((r) => /^(device|driver)normative:/.test(r))));
  for (const s of doc.sections) {
    if (s.normative !== "conformance" && !refsNormative(s)) continue;
    // refs textually inside this section: between its heading and the next section heading
    const next = doc.sections[s.index + 1];
    const refs = doc.refs.filter((r) => inSection(r.span, s, next));
    const title = s.title;
    const role = /driver/i.test(title) ? "driver" : /device/i.test(title) ? "device" : "other";
    conformance.push({
      label: secs.sectionLabel(s.index),
      title,
      role,
      refs: refs.filter((r) => /normative:/.test(r.label) || r.label.startsWith("sec:")).map((r) => ({ label: r.label, resolved: labelSet.has(r.label), source: r.span })),
      source: s.span,
    });
  }
  return conformance;
}

function inSection(span: SourceSpan, s: DocSection, next: DocSection | undefined): boolean {
  if (span.file !== s.span.file) return false;
  if (span.line < s.span.line) return false;
  if (next && next.span.file === span.file && span.line >= next.span.line) return false;
  return true;
}
