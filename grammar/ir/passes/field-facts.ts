/**
 * Field facts from prose: which field counts a variable-length array, and which fields exist only under a
 * feature. The prose a struct's fields are discussed in is its device's sections, or its own section outside
 * devices.
 *
 * @module
 */
import { sameNoun } from "../text.js";
import type { Struct } from "../types.js";
import type { DiagnosticSink, Sentence } from "./context.js";
import type { DevicesOutput } from "./devices.js";
import type { SectionsOutput } from "./sections.js";
import type { StructsOutput } from "./structs.js";

const PRESENCE_PROSE_RE = /\b(?:exists?|is present|is valid|is only valid|only exists)\b.*?\b(?:if|when)\s+([A-Z][A-Z0-9_]+)\s+is\s+(not\s+)?negotiated/i;

export function fieldFactsPass(st: Pick<StructsOutput, "structs" | "structPlace">, secs: Pick<SectionsOutput, "sentences" | "sentencesBySection">, devs: Pick<DevicesOutput, "deviceOf">, diagnostics: DiagnosticSink): void {
  const { structs, structPlace } = st;
  const { sentences, sentencesBySection } = secs;
  const deviceOf = devs.deviceOf;
  const deviceSentences = new Map<string, Sentence[]>();
  const scopeSentences = (st: Struct): Sentence[] => {
    const sec = structPlace.get(st.name)!.section;
    const dev = deviceOf(sec);
    if (!dev) return sentencesBySection.get(sec) ?? [];
    let list = deviceSentences.get(dev);
    if (!list) deviceSentences.set(dev, (list = sentences.filter((x) => deviceOf(x.section) === dev)));
    return list;
  };
  for (const st of structs) {
    st.fields.forEach((f, i) => {
      if (f.array.kind !== "flexible" && f.array.kind !== "expr") return;
      const arr = f.array;
      const before = st.fields.slice(0, i).filter((x) => x.type.kind === "primitive" && x.array.kind === "none");
      // Rule 1: the dimension names a field ([entries]).
      if (arr.kind === "expr") {
        const named = before.find((x) => new RegExp(`\\b${x.name}\\b`).test(arr.expr));
        if (named) arr.countField = named.name;
        return;
      }
      // Rule 2: a sentence "\field{N} is the number of … <array>".
      for (const s of scopeSentences(st)) {
        if (!s.text.includes("number of")) continue;
        const m = /\b([a-z_][a-z0-9_]*)\s+is the number of (?:the )?([a-z_][a-z0-9_ ]*)/i.exec(s.text);
        if (!m) continue;
        const counter = before.find((x) => x.name === m[1]);
        const noun = m[2]!.trim().split(/\s+/)[0]!;
        if (counter && (sameNoun(noun, f.name) || s.text.includes(f.name))) {
          arr.countField = counter.name;
          return;
        }
      }
      // Rule 3 (naming): an integer field before the array whose name joins the array's name or element type
      // with num/count/nr. Said as a note, since it is not read from the text.
      const stems = [f.name, f.type.kind === "struct" ? f.type.name : ""].filter(Boolean);
      const named = before.find((x) => /(^|_)(num|count|nr|cnt)(_|$)/.test(x.name) && stems.some((stem) => x.name.includes(stem)));
      if (named) {
        arr.countField = named.name;
        diagnostics.push({ severity: "note", code: "count-field-inferred", message: `${st.name}.${f.name}[]: taking ${named.name} as its element count from the names only; the text does not say so`, source: f.source });
      }
    });
  }
  // Presence from prose: "\field{x} … only … if FEATURE is (not) negotiated" applies to the fields of that name
  // in the structs discussed in the same scope.
  for (const sent of sentences) {
    if (!sent.text.includes("negotiated") || sent.prose.fields.length === 0) continue;
    const m = PRESENCE_PROSE_RE.exec(sent.text);
    if (!m) continue;
    for (const fld of sent.prose.fields) {
      for (const st of structs) {
        const sec = structPlace.get(st.name)!.section;
        const inScope = deviceOf(sec) ? deviceOf(sec) === deviceOf(sent.section) : sec === sent.section;
        if (!inScope) continue;
        const field = st.fields.find((x) => x.name === fld.name);
        if (field && !field.presence) field.presence = { feature: m[1]!, negotiated: !m[2], text: sent.text };
      }
    }
  }
}
