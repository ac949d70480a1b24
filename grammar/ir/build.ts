/**
 * Builds the IR from the document model, as a sequence of passes (grammar/ir/passes/), in the order the data
 * flows. Each pass has a typed input and output; all append to one diagnostic sink, sorted at the end.
 *
 * Every link the IR holds (which struct a command sends, which field counts which array, which constant is an
 * event type, which fields exist only under a feature) is read from the document's structure and wording by
 * the rules stated in each pass. None of them names a device: the same rules read virtio-net's control queue
 * in the full spec. Where a rule has to fall back on naming, it says so with a note diagnostic instead of
 * guessing silently.
 *
 * | pass | file | decides |
 * | --- | --- | --- |
 * | sections | `sections.ts` | section labels and tree; prose split into sentences |
 * | devices | `devices.ts` | which sections are devices (a "Device ID" subsection); later their virtqueues, config struct, owned items |
 * | listings | `listings.ts` | every listing parsed as C and placed in its section |
 * | structs/layout | `structs.ts` | C structs to IR structs; array dimensions and layout |
 * | constants | `constants.ts` | defines and enums, their values, groups and group roles |
 * | commands | `commands.ts` | which constants are commands, which struct each command sends and receives |
 * | events | `events.ts` | which struct each event type announces |
 * | field facts | `field-facts.ts` | count fields of arrays, presence of fields under features |
 * | features | `features.ts` | feature bits of each device and of the reserved range, legacy bits marked |
 * | device IDs | `device-ids.ts` | every row of the device ID table, with its device chapter |
 * | requirements | `requirements.ts` | MUST/SHOULD/MAY sentences of normative sections |
 * | conformance | `conformance.ts` | conformance lists and their references |
 *
 * @module
 */
import type { Document } from "../document/document.js";
import { IR_VERSION, type InputInfo, type SourceSpan, type SpecIR } from "./types.js";
import { cmpSpan, compareCodeUnits, type DiagnosticSink } from "./passes/context.js";
import { sectionsPass } from "./passes/sections.js";
import { completeDevicesPass, discoverDevicesPass } from "./passes/devices.js";
import { listingsPass } from "./passes/listings.js";
import { layoutPass, structsPass } from "./passes/structs.js";
import { constantsPass, definitionsPass, pendingGroupsPass, valueOfFieldPass } from "./passes/constants.js";
import { commandsPass, framingsPass } from "./passes/commands.js";
import { eventLinksPass, eventsPass } from "./passes/events.js";
import { fieldFactsPass } from "./passes/field-facts.js";
import { fieldDescriptionsPass } from "./passes/field-descriptions.js";
import { featuresPass } from "./passes/features.js";
import { deviceIdsPass } from "./passes/device-ids.js";
import { requirementsPass } from "./passes/requirements.js";
import { conformancePass } from "./passes/conformance.js";

export { cmpSpan, compareCodeUnits } from "./passes/context.js";

/** Options for {@link buildIR}. */
export interface BuildOptions {
  /** Maps a file line to the mail line that carried it (when the input was a mail). */
  mailLine?: (file: string, line: number) => SourceSpan["mail"];
}

export function buildIR(doc: Document, input: InputInfo, opts: BuildOptions = {}): SpecIR {
  const mailFor = opts.mailLine ?? (() => undefined);
  const diagnostics: DiagnosticSink = [...doc.diagnostics];

  const secs = sectionsPass(doc);
  const devs = discoverDevicesPass(doc, secs, diagnostics);
  const placed = listingsPass(doc, mailFor, diagnostics);
  const st = structsPass(doc, placed, secs, devs, mailFor, diagnostics);
  const defs = definitionsPass(doc, placed, secs, devs, mailFor);
  layoutPass(st, defs.lookup, diagnostics);
  const pending = pendingGroupsPass(doc, placed, defs);
  const framing = framingsPass(st.structs, pending, devs);
  const valueOfField = valueOfFieldPass(secs.sentences);
  const eventStruct = eventLinksPass(secs.sentences, st.structByName, defs.rawValue);
  const consts = constantsPass(pending, defs, { ...framing, eventStruct, valueOfField }, secs, devs, diagnostics);
  const { commands, eventSeeds } = commandsPass(
    { doc, lookup: defs.lookup, enums: defs.enums, structs: st.structs, devs, sectionLabel: secs.sectionLabel, placed, sentences: secs.sentences, defineItems: defs.defineItems, structByName: st.structByName, framing, constants: consts.constants, constantByName: consts.constantByName, groups: consts.groups },
    diagnostics,
  );
  const structsOfSection = new Map<string, typeof st.structs>();
  for (const s of st.structs) (structsOfSection.get(s.section) ?? structsOfSection.set(s.section, []).get(s.section)!).push(s);
  const events = eventsPass(eventStruct, consts.constantByName, consts.groups, diagnostics, eventSeeds, new Set(commands.map((c) => c.name)), {
    structsOfSection: (label) => structsOfSection.get(label) ?? [],
  });
  fieldFactsPass(st, secs, devs, diagnostics);
  fieldDescriptionsPass(doc, st, secs, devs, mailFor);
  completeDevicesPass({ doc, secs, devs, placed, structs: st.structs, enums: defs.enums, groups: consts.groups });
  const featureBits = featuresPass(doc, secs, devs);
  const deviceIds = deviceIdsPass(doc, devs.devices);
  const { requirements, normativeSections } = requirementsPass(doc, secs, devs, diagnostics);
  const conformance = conformancePass(doc, secs);

  diagnostics.sort((a, b) => cmpSpan(a.source, b.source) || compareCodeUnits(a.code, b.code));
  return {
    irVersion: IR_VERSION,
    input,
    files: doc.files,
    sections: secs.sections,
    devices: devs.devices,
    featureBits,
    deviceIds,
    structs: st.structs,
    enums: defs.enums,
    constants: consts.constants,
    constantGroups: consts.groups,
    commands,
    events,
    normativeSections,
    requirements,
    conformance,
    diagnostics,
  };
}
