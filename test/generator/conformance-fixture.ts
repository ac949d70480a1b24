/**
 * Small hand-built IRs for the conformance generator's unit tests: fast (no front end) and shaped to hit
 * one rule at a time. The real seeds are exercised in conformance-generate.test.ts.
 */
import type { NormativeSection, Requirement, RequirementLevel, SourceSpan, SpecIR } from "../../grammar/ir/types.js";
import { IR_VERSION } from "../../grammar/ir/types.js";

/** A one-line span in `file`, optionally carried by mail line `mail` (added by the patch, or context). */
export function span(line: number, mail?: number, added = true, file = "dev.tex"): SourceSpan {
  const s: SourceSpan = { file, line, column: 1, endLine: line, endColumn: 80 };
  if (mail !== undefined) s.mail = { file: "proposal.mail.txt", line: mail, added };
  return s;
}

/** What a test says about one requirement; the rest is derived. */
export interface ReqSpec {
  /** Normative section path (after the `devicenormative:` prefix). */
  path: string;
  role?: "device" | "driver";
  level?: RequirementLevel;
  text?: string;
  device?: string;
  line: number;
  /** Mail line that carried the sentence. */
  mail?: number;
  /** Whether the patch added that line (default) or only quoted it as context. */
  added?: boolean;
}

/**
 * Builds an IR with the given devices, requirements, and normative sections derived from them;
 * `sectionMail` gives a section heading's mail line and whether the patch added it.
 */
export function makeIR(devices: string[], reqs: ReqSpec[], sectionMail: Record<string, { line: number; added: boolean }> = {}): SpecIR {
  const counters = new Map<string, number>();
  const sections = new Map<string, NormativeSection>();
  const requirements: Requirement[] = reqs.map((r) => {
    const role = r.role ?? "device";
    const label = `${role}normative:${r.path}`;
    const n = (counters.get(label) ?? 0) + 1;
    counters.set(label, n);
    const level = r.level ?? "MUST";
    const req: Requirement = {
      id: `${label}#${n}`,
      role,
      level,
      keywords: [level],
      text: r.text ?? `The ${role} ${level} do thing ${n} of ${r.path}.`,
      section: label,
      sectionTitle: `${role === "device" ? "Device" : "Driver"} Requirements: ${r.path.split(" / ").pop()}`,
      textHash: "0".repeat(16),
      source: span(r.line, r.mail, r.added ?? true),
    };
    if (r.device !== undefined) req.device = r.device;
    let sec = sections.get(label);
    if (!sec) {
      const heading = sectionMail[label];
      sec = { label, role, title: r.path.split(" / ").pop()!, requirements: [], source: span(r.line - 1, heading?.line, heading?.added) };
      if (r.device !== undefined) sec.device = r.device;
      sections.set(label, sec);
    }
    sec.requirements.push(req.id);
    return req;
  });
  return {
    irVersion: IR_VERSION,
    input: { kind: "mail", path: "proposal.mail.txt", sha256: "ab".repeat(32), base: "base" },
    files: ["dev.tex"],
    sections: [],
    devices: devices.map((slug, i) => ({
      name: `${slug[0]!.toUpperCase()}${slug.slice(1)} Device`,
      slug,
      deviceId: 40 + i,
      section: `sec:Device Types / ${slug}`,
      virtqueues: [],
      features: [],
      structs: [],
      enums: [],
      constantGroups: [],
      source: span(1),
    })),
    featureBits: [],
    structs: [],
    enums: [],
    constants: [],
    constantGroups: [],
    commands: [],
    events: [],
    normativeSections: [...sections.values()],
    requirements,
    conformance: [],
    diagnostics: [],
  };
}
