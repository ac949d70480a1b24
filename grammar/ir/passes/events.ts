/**
 * Events: "If \field{F} is A [or B], the corresponding structure is struct S" links event-type constants to the
 * struct they announce; event constants the text never links are still event types, with a warning.
 *
 * @module
 */
import { spanAt } from "../../document.js";
import { CONSTANT_NAME_RE } from "../text.js";
import type { Constant, ConstantGroup, EventType, SourceSpan, Struct } from "../types.js";
import { cmpSpan, type DiagnosticSink, type Sentence } from "./context.js";

/** An event constant's struct, the discriminating field, and the sentence that says so. */
export interface EventLink {
  struct: string;
  field: string;
  span: SourceSpan;
}

export function eventLinksPass(sentences: Sentence[], structByName: Map<string, Struct>, rawValue: Map<string, string>): Map<string, EventLink> {
  const eventStruct = new Map<string, EventLink>();
  for (const sent of sentences) {
    const prose = sent.prose;
    const sm = /\bstruct\s+([a-z_][a-z0-9_]*)/.exec(sent.text);
    if (!sm || !structByName.has(sm[1]!)) continue;
    const st = structByName.get(sm[1]!)!;
    const field = prose.fields.find((f) => sent.text.includes(f.name) && st.fields.some((x) => x.name === f.name));
    if (!field) continue;
    if (!/\bis\b/.test(sent.text)) continue;
    for (const cm of sent.text.matchAll(CONSTANT_NAME_RE)) {
      if (!rawValue.has(cm[0])) continue;
      if (!eventStruct.has(cm[0])) eventStruct.set(cm[0], { struct: st.name, field: field.name, span: spanAt(prose, sent.offset) });
    }
  }
  return eventStruct;
}

export function eventsPass(eventStruct: Map<string, EventLink>, constantByName: Map<string, Constant>, groups: ConstantGroup[], diagnostics: DiagnosticSink): EventType[] {
  const events: EventType[] = [];
  for (const [name, ev] of eventStruct) {
    const c = constantByName.get(name);
    const e: EventType = { name, value: c?.value ?? null, struct: ev.struct, discriminator: ev.field, source: c?.source ?? ev.span };
    if (c?.device) e.device = c.device;
    events.push(e);
  }
  for (const g of groups) {
    if (g.kind !== "event") continue;
    for (const n of g.constants) {
      if (eventStruct.has(n)) continue;
      const c = constantByName.get(n)!;
      const e: EventType = { name: n, value: c.value, source: c.source };
      if (c.device) e.device = c.device;
      events.push(e);
      diagnostics.push({ severity: "warning", code: "event-without-struct", message: `event type ${n} is never linked to a struct ("If \\field{type} is ${n}, the corresponding structure is struct …")`, source: c.source });
    }
  }
  events.sort((a, b) => cmpSpan(a.source, b.source));
  return events;
}
