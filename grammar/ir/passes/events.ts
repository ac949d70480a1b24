/**
 * Events: "If \field{F} is A [or B], the corresponding structure is struct S" links event-type constants to the
 * struct they announce; event constants the text never links are still event types, with a warning.
 *
 * @module
 */
import { spanAt } from "../../document/document.js";
import { CONSTANT_NAME_RE } from "../text.js";
import type { Constant, ConstantGroup, EventType, SourceSpan, Struct } from "../types.js";
import { cmpSpan, type DiagnosticSink, type Sentence } from "./context.js";
import type { CodeSeed } from "./command-links.js";

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
    // The constant is what the field *is* ("If \field{type} is A or B, …"), not a value the device sets it to
    // ("the device MUST set the \field{status} field to VIRTIO_RTC_S_OK if …": a status code, no event).
    const isClause = new RegExp(`\\b${field.name}\\b(?:\\s+field)?\\s+is\\s+(?:either\\s+)?([A-Z][A-Z0-9_]*(?:(?:,\\s*|\\s+or\\s+|,\\s*or\\s+)[A-Z][A-Z0-9_]*)*)`);
    const named = isClause.exec(sent.text)?.[1];
    // …and the sentence announces the struct ("the corresponding structure is struct S"), not a condition on
    // another struct's field ("interpret the fields other than struct S's \field{status} only when status is OK").
    if (!named || !/\bcorresponding\s+struct(?:ure)?\b|\bstructure\s+is\b|\bis\s+(?:an?\s+|the\s+)?struct\s+[a-z_]/.test(sent.text)) continue;
    for (const cm of named.matchAll(CONSTANT_NAME_RE)) {
      if (!rawValue.has(cm[0])) continue;
      if (!eventStruct.has(cm[0])) eventStruct.set(cm[0], { struct: st.name, field: field.name, span: spanAt(prose, sent.offset) });
    }
  }
  return eventStruct;
}

/** Where the struct-by-section rule looks: the structs each section defines, in order. */
export interface EventStructsBySection {
  structsOfSection: (sectionLabel: string) => Struct[];
}

export function eventsPass(
  eventStruct: Map<string, EventLink>,
  constantByName: Map<string, Constant>,
  groups: ConstantGroup[],
  diagnostics: DiagnosticSink,
  seeds: CodeSeed[] = [],
  commandNames: ReadonlySet<string> = new Set(),
  bySection?: EventStructsBySection,
): EventType[] {
  const events: EventType[] = [];
  // Event codes the command rules found with the struct that carries them (the header whose code field holds
  // them): "The values for \field{event} are: … Sent by the device", defines inside an event struct's body.
  eventStruct = new Map(eventStruct);
  const seen = new Set(eventStruct.keys());
  for (const s of seeds) {
    if (seen.has(s.def.name)) continue;
    seen.add(s.def.name);
    if (s.header) {
      eventStruct.set(s.def.name, { struct: s.header, field: s.codeField ?? "", span: s.def.source });
      if (!constantByName.has(s.def.name)) {
        const e: EventType = { name: s.def.name, value: s.def.value, struct: s.header, source: s.def.source };
        if (s.codeField) e.discriminator = s.codeField;
        if (s.def.device) e.device = s.def.device;
        events.push(e);
        eventStruct.delete(s.def.name);
      }
    }
  }
  for (const [name, ev] of eventStruct) {
    if (commandNames.has(name)) continue;
    const c = constantByName.get(name);
    const e: EventType = { name, value: c?.value ?? null, struct: ev.struct, discriminator: ev.field, source: c?.source ?? ev.span };
    if (c?.device) e.device = c.device;
    events.push(e);
  }
  // Codes the command rules took are commands (crypto's opcodes once looked like events: "is … struct").
  for (const n of commandNames) eventStruct.delete(n);
  for (const g of groups) {
    if (g.kind !== "event") continue;
    if (g.constants.length && g.constants.every((n) => commandNames.has(n))) {
      g.kind = "request";
      continue;
    }
    // Constants the spec writes together are values of one field: a member the text links gives the rest
    // its struct ("If \field{status} is VIRTIO_RTC_S_OK …" covers VIRTIO_RTC_S_EIO of the same listing).
    const linkedMember = g.constants.map((n) => eventStruct.get(n)).find((x) => x !== undefined);
    // Otherwise the one struct of the group's section that its name calls an event (or the section's only
    // struct) carries them: struct virtio_scsi_event beside VIRTIO_SCSI_T_TRANSPORT_RESET.
    let bySec: EventLink | undefined;
    if (!linkedMember && bySection) {
      const here = bySection.structsOfSection(g.section);
      const evs = here.filter((s) => /(?:^|_)(?:event|evt|notif)(?:_|$)/.test(s.name));
      const pick = evs.length === 1 ? evs[0] : here.length === 1 ? here[0] : undefined;
      if (pick) bySec = { struct: pick.name, field: "", span: pick.source };
    }
    for (const n of g.constants) {
      if (commandNames.has(n) || eventStruct.has(n)) continue;
      const via = linkedMember ?? bySec;
      if (via) {
        const c = constantByName.get(n)!;
        const e: EventType = { name: n, value: c.value, struct: via.struct, source: c.source };
        if (via.field) e.discriminator = via.field;
        if (c.device) e.device = c.device;
        events.push(e);
        continue;
      }
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
