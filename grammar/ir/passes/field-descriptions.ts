/**
 * Each field's own description, from the spec's prose: the spec describes a struct's fields in a `description`
 * list after its listing, one `\item[\field{name}] …` per field. A list describes the struct (among those whose
 * prose it is in: the struct's section and those below it, or its device's sections) whose fields its labels name
 * most, the nearest listing before the list on a tie; an item then describes each field its label names. A list
 * whose labels mostly name no field of any struct (feature bits, status values) describes none.
 *
 * @module
 */
import type { Document, ListItem } from "../../document/document.js";
import type { Field, SourceSpan, Struct } from "../types.js";
import type { MailFor } from "./context.js";
import type { DevicesOutput } from "./devices.js";
import type { SectionsOutput } from "./sections.js";
import type { StructsOutput } from "./structs.js";

/** Every field and inline member of a struct by name (a name used twice at different depths is left out). */
function fieldsByName(fields: readonly Field[], out = new Map<string, Field | null>()): Map<string, Field | null> {
  for (const f of fields) {
    if (!f.anonymous) out.set(f.name, out.has(f.name) ? null : f);
    if (f.members) fieldsByName(f.members, out);
  }
  return out;
}

export function fieldDescriptionsPass(doc: Document, st: Pick<StructsOutput, "structs" | "structPlace">, secs: Pick<SectionsOutput, "descendants">, devs: Pick<DevicesOutput, "deviceOf">, mailFor: MailFor): void {
  const names = new Map<Struct, Map<string, Field | null>>(st.structs.map((s) => [s, fieldsByName(s.fields)]));
  // The sections whose prose may describe a struct's fields.
  const scope = new Map<Struct, Set<number>>();
  for (const s of st.structs) {
    const place = st.structPlace.get(s.name);
    if (!place) continue;
    const dev = devs.deviceOf(place.section);
    const inScope = dev ? doc.sections.filter((x) => devs.deviceOf(x.index) === dev).map((x) => x.index) : [place.section, ...secs.descendants(place.section)];
    scope.set(s, new Set(inScope));
  }
  const order = (section: number, block: number): number => section * 1e6 + block;
  for (const section of doc.sections) {
    section.blocks.forEach((b, bi) => {
      if (b.kind !== "list" || b.env !== "description") return;
      const labelled = new Set(b.items.flatMap((i) => i.labelFields));
      if (!labelled.size) return;
      const at = order(section.index, bi);
      let best: { struct: Struct; score: number; distance: number } | undefined;
      for (const s of st.structs) {
        if (!scope.get(s)?.has(section.index)) continue;
        const byName = names.get(s)!;
        const score = [...labelled].filter((n) => byName.get(n)).length;
        if (!score) continue;
        const place = st.structPlace.get(s.name)!;
        const from = order(place.section, place.block);
        // Nearest listing before the list first; listings after it only when none is before.
        const distance = from <= at ? at - from : 1e12 + (from - at);
        if (!best || score > best.score || (score === best.score && distance < best.distance)) best = { struct: s, score, distance };
      }
      // Most labels must be the struct's fields: a list of other things that happens to name one field is not its description.
      if (!best || best.score * 2 < labelled.size) return;
      const byName = names.get(best.struct)!;
      for (const item of b.items) describe(item, byName, mailFor);
    });
  }
}

function describe(item: ListItem, byName: Map<string, Field | null>, mailFor: MailFor): void {
  const text = item.body.text.replace(/\s+/g, " ").trim();
  if (!text) return;
  const span: SourceSpan = { ...item.span };
  const mail = span.mail ?? mailFor(span.file, span.line);
  if (mail) span.mail = mail;
  for (const name of item.labelFields) {
    const f = byName.get(name);
    if (f && !f.description) f.description = { text, source: span };
  }
}
