/**
 * Requirements: every MUST/SHOULD/MAY sentence of a device or driver normative section, with a stable id and
 * the hash of its text.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { spanAt, type Document } from "../../document/document.js";
import { keywordsOf, levelOf, squash } from "../text.js";
import type { NormativeSection, Requirement } from "../types.js";
import type { DiagnosticSink } from "./context.js";
import type { DevicesOutput } from "./devices.js";
import type { SectionsOutput } from "./sections.js";

export interface RequirementsOutput {
  requirements: Requirement[];
  normativeSections: NormativeSection[];
}

export function requirementsPass(doc: Document, secs: Pick<SectionsOutput, "sectionLabel" | "sentencesBySection">, devs: Pick<DevicesOutput, "deviceOf">, diagnostics: DiagnosticSink): RequirementsOutput {
  const requirements: Requirement[] = [];
  const normativeSections: NormativeSection[] = [];
  for (const s of doc.sections) {
    if (s.normative !== "device" && s.normative !== "driver") continue;
    const label = secs.sectionLabel(s.index);
    const ns: NormativeSection = { label, role: s.normative, title: s.title, requirements: [], source: s.span };
    const dev = devs.deviceOf(s.index);
    if (dev) ns.device = dev;
    let n = 0;
    for (const sent of secs.sentencesBySection.get(s.index) ?? []) {
      const keywords = keywordsOf(sent.text);
      const level = levelOf(keywords);
      if (!level) continue;
      n++;
      const text = squash(sent.text);
      const r: Requirement = {
        id: `${label}#${n}`,
        role: s.normative,
        level,
        keywords,
        text,
        section: label,
        sectionTitle: s.title,
        textHash: createHash("sha256").update(text).digest("hex").slice(0, 16),
        source: spanAt(sent.prose, sent.offset),
      };
      if (dev) r.device = dev;
      requirements.push(r);
      ns.requirements.push(r.id);
    }
    if (ns.requirements.length === 0) {
      diagnostics.push({ severity: "warning", code: "normative-without-requirement", message: `${s.title}: normative section holds no MUST/SHOULD/MAY sentence`, source: s.span });
    }
    normativeSections.push(ns);
  }
  return { requirements, normativeSections };
}
