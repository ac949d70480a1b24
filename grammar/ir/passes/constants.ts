/**
 * Pass 5: constants. Every `#define` (top level and inside struct bodies) and every enum, evaluated with
 * forward references; defines grouped as the listing groups them; groups given a role; constants emitted.
 *
 * @module
 */
import { evalConstExpr, expandFunctionMacros, type FunctionMacro, type Member } from "../../clisting/clisting.js";
import type { Document } from "../../document/document.js";
import { editDistance, slugify, splitSentences, squash } from "../text.js";
import type { Constant, ConstantGroup, ConstantGroupKind, Enum, SourceSpan, Struct } from "../types.js";
import { fmt, toSpan, type DiagnosticSink, type MailFor, type PlacedItem, type Sentence } from "./context.js";
import type { DevicesOutput } from "./devices.js";
import type { SectionsOutput } from "./sections.js";
import { presenceFrom } from "./structs.js";

/** A `#define` with where it was written. */
export interface DefineItem {
  p: PlacedItem;
  name: string;
  valueText: string;
  indent: number;
  comment?: string;
  insideStruct?: string;
  pos: SourceSpan;
}

export interface DefinitionsOutput {
  defineItems: DefineItem[];
  enums: Enum[];
  /** The first value text of each define name. */
  rawValue: Map<string, string>;
  /** The value of a define or enum member (memoised, cycle-safe), null when not a constant expression. */
  lookup: (name: string) => number | null;
  definesOfStruct: Map<PlacedItem, DefineItem[]>;
  defineOfPlace: Map<PlacedItem, DefineItem>;
  /** Function-like macros (`#define VIRTIO_CRYPTO_OPCODE(service, op) …`) by name. */
  functionMacros: ReadonlyMap<string, FunctionMacro>;
}

export function definitionsPass(doc: Document, placed: PlacedItem[], secs: Pick<SectionsOutput, "sectionLabel">, devs: Pick<DevicesOutput, "deviceOf">, mailFor: MailFor): DefinitionsOutput {
  const enums: Enum[] = [];
  const enumNames = new Set<string>();
  const enumValues = new Map<string, number>();
  // All #define names first, so expressions may refer forward.
  const defineItems: DefineItem[] = [];
  for (const p of placed) {
    if (p.item.kind === "define") {
      defineItems.push({ p, name: p.item.name, valueText: p.item.valueText, indent: p.item.indent, comment: p.item.comment, insideStruct: p.item.insideStruct, pos: p.span });
    } else if (p.item.kind === "struct") {
      collectStructDefines(p.item.members, p, p.item.name ?? undefined, defineItems, doc, mailFor);
    } else if (p.item.kind === "enum") {
      let next = 0;
      const members = p.item.members.map((m) => {
        const v = m.valueText !== undefined ? evalConstExpr(m.valueText, (n) => enumValues.get(n) ?? null) : next;
        if (v !== null) {
          enumValues.set(m.name, v);
          next = v + 1;
        }
        return { name: m.name, value: v, valueText: m.valueText ?? String(v), source: toSpan(p.span.file, m.pos, doc, mailFor) };
      });
      const en: Enum = { name: p.item.name ?? anonymousEnumName(members.map((m) => m.name), enumNames), members, section: secs.sectionLabel(p.section), source: p.span };
      enumNames.add(en.name);
      const dev = devs.deviceOf(p.section);
      if (dev) en.device = dev;
      enums.push(en);
    }
  }
  const definesOfStruct = new Map<PlacedItem, DefineItem[]>();
  for (const d of defineItems) if (d.p.item.kind === "struct") (definesOfStruct.get(d.p) ?? definesOfStruct.set(d.p, []).get(d.p)!).push(d);
  const defineOfPlace = new Map(defineItems.filter((d) => d.p.item.kind === "define").map((d) => [d.p, d]));
  const rawValue = new Map<string, string>();
  for (const d of defineItems) if (!rawValue.has(d.name)) rawValue.set(d.name, d.valueText);
  // Function-like macros (`#define VIRTIO_CRYPTO_OPCODE(service, op) …`) are no constants themselves, but the
  // constants written as calls of them are: expand the calls before evaluating.
  const macros = new Map<string, FunctionMacro>();
  for (const p of placed) {
    if (p.item.kind === "define" && p.item.params && !macros.has(p.item.name)) macros.set(p.item.name, { params: p.item.params, body: p.item.valueText });
  }
  const evalMemo = new Map<string, number | null>();
  const evaluating = new Set<string>();
  const lookup = (name: string): number | null => {
    if (evalMemo.has(name)) return evalMemo.get(name)!;
    if (enumValues.has(name)) return enumValues.get(name)!;
    const raw = rawValue.get(name);
    if (raw === undefined || evaluating.has(name)) return null;
    evaluating.add(name);
    const expanded = macros.size > 0 && !macros.has(name) ? expandFunctionMacros(raw, macros) : raw;
    const v = expanded === null ? null : evalConstExpr(expanded, lookup);
    evaluating.delete(name);
    evalMemo.set(name, v);
    return v;
  };
  return { defineItems, enums, rawValue, lookup, definesOfStruct, defineOfPlace, functionMacros: macros };
}

/** Defines the listing writes together, before they become a {@link ConstantGroup}. */
export interface PendingGroup {
  title: string;
  items: DefineItem[];
  section: number;
  /** For defines inside a struct body: the member they give the values of. */
  field?: string;
}

/**
 * Groups defines: consecutive defines of one listing, split by comments and other items; a define indented
 * under the previous less-indented one is its child (the spec's class → command nesting).
 */
export function pendingGroupsPass(doc: Document, placed: PlacedItem[], defs: Pick<DefinitionsOutput, "defineOfPlace" | "definesOfStruct">): PendingGroup[] {
  const pendingGroups: PendingGroup[] = [];
  let cur: PendingGroup | undefined;
  let lastKey = "";
  let lastComment: string | undefined;
  for (const p of placed) {
    const key = `${p.section}:${p.block}`;
    if (key !== lastKey) {
      cur = undefined;
      lastComment = undefined;
    }
    if (p.item.kind === "comment") {
      lastComment = squash(p.item.text);
      cur = undefined;
    } else if (p.item.kind === "define") {
      const d = defs.defineOfPlace.get(p)!;
      // Runs separated only by blank lines stay one group (the spec spaces a group out visually: the ISM
      // permissions, the ack values); a comment or any other item starts a new group.
      if (!cur) {
        cur = { title: lastComment ?? introTitle(p.intro) ?? doc.sections[p.section]!.title, items: [], section: p.section };
        pendingGroups.push(cur);
        lastComment = undefined;
      }
      cur.items.push(d);
    } else if (p.item.kind === "struct") {
      cur = undefined;
      // Defines written inside a struct body describe the values of the member that follows them.
      const inner = defs.definesOfStruct.get(p) ?? [];
      if (inner.length) {
        const field = followingField(p.item.members, inner[0]!.name);
        pendingGroups.push({ title: field ? `${p.item.name ?? "struct"} ${field} values` : `${p.item.name} constants`, items: inner, section: p.section, field });
      }
    } else {
      cur = undefined;
    }
    lastKey = key;
  }
  return pendingGroups;
}

/**
 * Value-set sentences: "set \field{ack} to VIRTIO_X", "\field{ev_type} is VIRTIO_Y": which field a constant is a
 * value of. Used to name the role of groups (ack values, event types) without knowing the device.
 */
export function valueOfFieldPass(sentences: Sentence[]): Map<string, string> {
  const valueOfField = new Map<string, string>();
  for (const sent of sentences) {
    // Cheap filters first: the regex below is tried at every word, and there are ~10^4 sentences.
    if (sent.prose.fields.length === 0 || !/[A-Z]_[A-Z]/.test(sent.text)) continue;
    for (const m of sent.text.matchAll(/\b([a-z_][a-z0-9_]*)\s+(?:to|is|=|equals?)\s+([A-Z][A-Z0-9_]+)/g)) {
      if (sent.prose.fields.some((f) => f.name === m[1]) && !valueOfField.has(m[2]!)) valueOfField.set(m[2]!, m[1]!);
    }
  }
  return valueOfField;
}

/** What the role of a group is decided from (command classification, event links, value-set sentences). */
export interface GroupRoleInput {
  commandish: Set<string>;
  constantParent: Map<string, string>;
  framingOfConstant: (name: string, device: string | undefined) => Struct | undefined;
  eventStruct: Map<string, unknown>;
  valueOfField: Map<string, string>;
}

export interface ConstantsOutput {
  constants: Constant[];
  constantByName: Map<string, Constant>;
  groups: ConstantGroup[];
}

export function constantsPass(
  pending: PendingGroup[],
  defs: Pick<DefinitionsOutput, "rawValue" | "lookup"> & Partial<Pick<DefinitionsOutput, "functionMacros">>,
  roles: GroupRoleInput,
  secs: Pick<SectionsOutput, "sectionLabel">,
  devs: Pick<DevicesOutput, "deviceOf">,
  diagnostics: DiagnosticSink,
): ConstantsOutput {
  const constants: Constant[] = [];
  const constantByName = new Map<string, Constant>();
  const groups: ConstantGroup[] = [];
  const groupIds = new Set<string>();
  const newGroupId = (device: string | undefined, title: string): string => {
    const base = `${device ?? "spec"}:${slugify(title) || "constants"}`;
    let id = base;
    for (let k = 2; groupIds.has(id); k++) id = `${base}-${k}`;
    groupIds.add(id);
    return id;
  };
  for (const g of pending) {
    const dev = devs.deviceOf(g.section);
    const names = g.items.map((d) => d.name);
    const kind = groupKind(g, names, dev, roles);
    const id = newGroupId(dev, g.title);
    const first = g.items[0]!;
    const group: ConstantGroup = { id, title: squash(g.title), kind, constants: [], section: secs.sectionLabel(g.section), source: first.pos };
    if (dev) group.device = dev;
    groups.push(group);
    for (const d of g.items) {
      if (constantByName.has(d.name)) {
        diagnostics.push({
          severity: defs.rawValue.get(d.name) === d.valueText ? "warning" : "error",
          code: "duplicate-constant",
          message: `${d.name} is defined again (first at ${fmt(constantByName.get(d.name)!.source)})`,
          source: d.pos,
        });
        continue;
      }
      const c: Constant = { name: d.name, value: defs.lookup(d.name), valueText: d.valueText, group: id, section: secs.sectionLabel(g.section), source: d.pos };
      const parent = roles.constantParent.get(d.name);
      if (parent) c.parent = parent;
      if (d.comment) c.comment = d.comment;
      const pres = presenceFrom(d.comment);
      if (pres) c.presence = pres;
      if (dev) c.device = dev;
      const macros = defs.functionMacros ?? new Map<string, FunctionMacro>();
      // A call of a function-like macro the spec never defines (`VIRTIO_CRYPTO_OPCDE(…)` beside
      // VIRTIO_CRYPTO_OPCODE): a defect of the text, said as one; the macro itself is no constant to evaluate.
      const call = /^\s*\(?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(d.valueText);
      if (c.value === null && macros.has(d.name)) {
        // a function-like macro: evaluated where it is called
      } else if (c.value === null && call && !macros.has(call[1]!) && !defs.rawValue.has(call[1]!) && nearMacros(macros, call[1]!).length) {
        // Only a near miss of a macro the spec defines is a typo; a macro of another header (`_IOWR` in a quoted
        // V4L2 define) is outside the spec's vocabulary, said by the constant-value warning below.
        diagnostics.push({
          severity: "error",
          code: "undefined-function-macro",
          message: `${d.name}: its value calls ${call[1]}(…), which the spec does not define (it defines ${nearMacros(macros, call[1]!).join(", ")})`,
          source: d.pos,
        });
      } else if (c.value === null) {
        diagnostics.push({ severity: "warning", code: "constant-value", message: `${d.name}: value '${d.valueText}' is not an integer constant expression`, source: d.pos });
      }
      constants.push(c);
      constantByName.set(c.name, c);
      group.constants.push(c.name);
    }
  }
  return { constants, constantByName, groups };
}

function groupKind(g: PendingGroup, names: string[], dev: string | undefined, roles: GroupRoleInput): ConstantGroupKind {
  const title = g.title.toLowerCase();
  if (names.some((n) => roles.commandish.has(n))) {
    const framing = roles.framingOfConstant(names.find((n) => roles.commandish.has(n))!, dev);
    if (framing?.fields.some((f) => f.name === "class")) return names.some((n) => roles.constantParent.has(n)) && names.every((n) => roles.constantParent.has(n)) ? "command" : "class";
    return "request";
  }
  if (names.some((n) => roles.eventStruct.has(n)) || /\bevent/.test(title)) return "event";
  if (names.some((n) => roles.valueOfField.get(n) === "ack") || /\back\b/.test(title)) return "ack";
  if (/permission/.test(title)) return "permission";
  if (/status/.test(title)) return "status";
  if (/flag/.test(title)) return "flags";
  return "generic";
}

/** "The permissions:" → "permissions"; long sentences are not titles. */
function introTitle(intro: string | undefined): string | undefined {
  if (!intro) return undefined;
  const last = splitSentences(intro).pop()?.text ?? intro;
  const m = /^(?:The\s+)?(.{1,40}?):$/.exec(last.trim());
  return m ? m[1] : undefined;
}

function followingField(members: Member[], defineName: string): string | undefined {
  const i = members.findIndex((m) => m.kind === "define" && m.name === defineName);
  for (let j = i + 1; j < members.length; j++) {
    const m = members[j]!;
    if (m.kind === "field") return m.name;
    if (m.kind === "nested" && m.name) return m.name;
  }
  return undefined;
}

function collectStructDefines(members: Member[], p: PlacedItem, structName: string | undefined, out: DefineItem[], doc: Document, mailFor: MailFor): void {
  for (const m of members) {
    if (m.kind === "define") {
      out.push({ p, name: m.name, valueText: m.valueText, indent: m.indent, comment: m.comment, insideStruct: structName, pos: toSpan(p.span.file, m.pos, doc, mailFor) });
    } else if (m.kind === "nested") {
      collectStructDefines(m.members, p, structName, out, doc, mailFor);
    }
  }
}

/**
 * A stable name for an enum without a tag, from what it contains: the `_`-separated words its members share
 * (VIRTIO_SND_D_OUTPUT, VIRTIO_SND_D_INPUT → `virtio_snd_d`), lower case. A single member gives its name
 * without the last word; a name already taken gets the first member's next word, then a number. Never a line
 * number: adding a line above must not rename it.
 */
export function anonymousEnumName(members: string[], taken: ReadonlySet<string>): string {
  if (members.length === 0) return uniqueName("anon_enum", taken);
  const words = members.map((m) => m.toLowerCase().split("_"));
  let n = 0;
  while (words.every((w) => n < w.length - 1 && w[n] === words[0]![n])) n++;
  if (members.length === 1) n = Math.max(1, words[0]!.length - 1);
  const base = n > 0 ? words[0]!.slice(0, n).join("_") : "anon_enum";
  if (!taken.has(base)) return base;
  const longer = words[0]!.slice(0, n + 1).join("_");
  return uniqueName(longer, taken);
}

function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let k = 2; ; k++) if (!taken.has(`${base}_${k}`)) return `${base}_${k}`;
}

/** The function-like macros the spec defines within two edits of `name` (what a misspelt call meant). */
function nearMacros(macros: ReadonlyMap<string, FunctionMacro>, name: string): string[] {
  return [...macros.keys()].filter((m) => editDistance(m, name, 2) <= 2);
}
