/**
 * Builds the IR from the document model.
 *
 * Every link the IR holds (which struct a command sends, which field counts which array, which constant is an
 * event type, which fields exist only under a feature) is read from the document's structure and wording by
 * rules stated at each step below. None of them names a device: the same rules read virtio-net's control queue
 * in the full spec. Where a rule has to fall back on naming, it says so with a note diagnostic instead of
 * guessing silently.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { evalConstExpr, parseListing, type ListingItem, type Member, type NestedMember } from "../clisting.js";
import { spanAt, type Block, type DocSection, type Document, type Prose } from "../document.js";
import { layoutFields, resolveType, SPEC_VOCABULARY, type LayoutProblem } from "./layout.js";
import { CONSTANT_NAME_RE, keywordsOf, levelOf, sameNoun, slugify, splitSentences, squash } from "./text.js";
import {
  IR_VERSION,
  type ArrayKind,
  type Command,
  type ConformanceList,
  type Constant,
  type ConstantGroup,
  type ConstantGroupKind,
  type Device,
  type Diagnostic,
  type Enum,
  type EventType,
  type FeatureBit,
  type Field,
  type InputInfo,
  type NormativeSection,
  type Presence,
  type Requirement,
  type Section,
  type SourceSpan,
  type SpecIR,
  type Struct,
  type Virtqueue,
} from "./types.js";

/** A parsed listing item with where it sits in the document. */
interface PlacedItem {
  item: ListingItem;
  section: number;
  /** Index of the listing block within its section, and of the item within the listing. */
  block: number;
  order: number;
  /** The prose paragraph right before the listing in the same section (its introduction). */
  intro?: string;
  span: SourceSpan;
}

interface Ctx {
  doc: Document;
  diagnostics: Diagnostic[];
  sectionLabel: (i: number) => string;
  deviceOf: (i: number) => string | undefined;
  listingFile: Map<PlacedItem, string>;
}

function toSpan(file: string, pos: { line: number; column: number; endLine: number; endColumn: number }, doc: Document, mailFor: (file: string, line: number) => SourceSpan["mail"]): SourceSpan {
  const span: SourceSpan = { file, line: pos.line, column: pos.column, endLine: pos.endLine, endColumn: pos.endColumn };
  const mail = mailFor(file, pos.line);
  if (mail) span.mail = mail;
  void doc;
  return span;
}

/** Options for {@link buildIR}. */
export interface BuildOptions {
  /** Maps a file line to the mail line that carried it (when the input was a mail). */
  mailLine?: (file: string, line: number) => SourceSpan["mail"];
}

const PRESENCE_RE = /\bonly (?:if|when)\s+([A-Z][A-Z0-9_]+)\s+(?:is\s+)?(not\s+)?(?:negotiated|set|offered|accepted)/i;
const PRESENCE_PROSE_RE = /\b(?:exists?|is present|is valid|is only valid|only exists)\b.*?\b(?:if|when)\s+([A-Z][A-Z0-9_]+)\s+is\s+(not\s+)?negotiated/i;

function presenceFrom(text: string | undefined): Presence | undefined {
  if (!text) return undefined;
  const m = PRESENCE_RE.exec(text);
  if (!m) return undefined;
  return { feature: m[1]!, negotiated: !m[2], text: squash(text) };
}

function accessFrom(comment: string | undefined): Field["access"] {
  if (!comment) return undefined;
  const c = comment.toLowerCase();
  if (/read[- ]write/.test(c)) return "read-write";
  if (/read[- ]only/.test(c)) return "read-only";
  if (/write[- ]only/.test(c)) return "write-only";
  return undefined;
}

export function buildIR(doc: Document, input: InputInfo, opts: BuildOptions = {}): SpecIR {
  const mailFor = opts.mailLine ?? (() => undefined);
  const diagnostics: Diagnostic[] = [...doc.diagnostics];

  // ---- Sections and labels --------------------------------------------------------------------------------
  const sectionLabel = (i: number): string => {
    const s = doc.sections[i]!;
    return s.label ?? `anon:${s.span.file}:${s.span.line}`;
  };
  const sections: Section[] = doc.sections
    .filter((s) => s.level >= -1)
    .map((s) => {
      const out: Section = { label: sectionLabel(s.index), title: s.title, level: s.level, source: s.span };
      if (s.parent !== undefined && doc.sections[s.parent]!.level >= -1) out.parent = sectionLabel(s.parent);
      if (s.normative) out.normative = s.normative;
      return out;
    });
  const children = new Map<number, number[]>();
  for (const s of doc.sections) if (s.parent !== undefined) (children.get(s.parent) ?? children.set(s.parent, []).get(s.parent)!).push(s.index);
  const descendants = (i: number): number[] => {
    const out: number[] = [];
    const walk = (j: number) => {
      for (const c of children.get(j) ?? []) {
        out.push(c);
        walk(c);
      }
    };
    walk(i);
    return out;
  };
  const titleIs = (s: DocSection, re: RegExp) => re.test(s.title);

  // ---- Devices: a section with a "Device ID" subsection is a device ---------------------------------------
  const deviceBySection = new Map<number, string>();
  const devices: Device[] = [];
  for (const s of doc.sections) {
    const kids = children.get(s.index) ?? [];
    const idSection = kids.map((k) => doc.sections[k]!).find((k) => titleIs(k, /^device id$/i));
    if (!idSection) continue;
    const slug = slugify(s.title.replace(/\s+device$/i, ""));
    const idText = idSection.blocks.map((b) => (b.kind === "prose" ? b.prose.text : "")).join(" ");
    const idMatch = /\b(\d+)\b/.exec(idText);
    const deviceId = idMatch ? Number(idMatch[1]) : null;
    if (deviceId === null) {
      diagnostics.push({
        severity: "warning",
        code: "device-id-missing",
        message: `${s.title}: the Device ID section gives no number (${JSON.stringify(squash(idText)) || "empty"}); the device cannot be enumerated`,
        source: idSection.span,
      });
    }
    devices.push({
      name: s.title,
      slug,
      deviceId,
      section: sectionLabel(s.index),
      virtqueues: [],
      features: [],
      structs: [],
      enums: [],
      constantGroups: [],
      source: s.span,
    });
    deviceBySection.set(s.index, slug);
  }
  // The device whose section encloses each section (computed once: sections come parent-first).
  const sectionDevice: (string | undefined)[] = [];
  for (const s of doc.sections) sectionDevice[s.index] = deviceBySection.get(s.index) ?? (s.parent !== undefined ? sectionDevice[s.parent] : undefined);
  const deviceOf = (i: number): string | undefined => sectionDevice[i];

  // Every sentence of the document's prose, split once and reused by the linking rules below.
  interface Sentence { section: number; prose: Prose; text: string; offset: number }
  const sentences: Sentence[] = [];
  const sentencesBySection = new Map<number, Sentence[]>();
  for (const s of doc.sections) {
    const list: Sentence[] = [];
    for (const prose of prosesOf(s.blocks)) for (const x of splitSentences(prose.text)) list.push({ section: s.index, prose, text: x.text, offset: x.offset });
    sentencesBySection.set(s.index, list);
    sentences.push(...list);
  }
  const deviceNamed = new Map(devices.map((d) => [d.slug, d]));

  // ---- Listings -----------------------------------------------------------------------------------------
  const placed: PlacedItem[] = [];
  for (const s of doc.sections) {
    s.blocks.forEach((b, bi) => {
      if (b.kind !== "listing") return;
      const parsed = parseListing(b.body, { line: b.bodyLine, column: b.bodyColumn });
      for (const p of parsed.problems) {
        diagnostics.push({
          severity: "error",
          code: "listing-syntax",
          message: p.expected ? `${p.message} (expected ${p.expected})` : p.message,
          source: toSpan(b.file, p.pos, doc, mailFor),
        });
      }
      const intro = introOf(s.blocks, bi);
      parsed.items.forEach((item, order) => {
        const span = toSpan(b.file, item.pos, doc, mailFor);
        if (item.kind === "opaque") {
          diagnostics.push({ severity: "warning", code: "listing-not-c", message: `listing is not C (${item.reason}); not read as wire structures`, source: span });
        }
        if (item.kind === "struct" && item.missingSemicolon) {
          const endSpan: SourceSpan = { ...span, line: item.pos.endLine, column: item.pos.endColumn, endLine: item.pos.endLine, endColumn: item.pos.endColumn };
          diagnostics.push({ severity: "error", code: "struct-syntax", message: `struct ${item.name ?? "(anonymous)"}: expected ';' after the closing '}'`, source: endSpan });
        }
        placed.push({ item, section: s.index, block: bi, order, intro, span });
      });
    });
  }

  // ---- Structs ----------------------------------------------------------------------------------------------
  const structs: Struct[] = [];
  const structByName = new Map<string, Struct>();
  const structPlace = new Map<string, PlacedItem>();
  const structItems = placed.filter((p) => p.item.kind === "struct");
  const knownStructs = new Set(structItems.map((p) => (p.item.kind === "struct" ? p.item.name : null)).filter((n): n is string => !!n));
  // A struct defined inside another (`struct virtio_blk_geometry { ... } geometry;`) is a struct of the spec too.
  const nestedDefs = new Map<PlacedItem, NestedMember[]>();
  for (const p of structItems) if (p.item.kind === "struct") nestedDefs.set(p, namedNested(p.item.members));
  for (const list of nestedDefs.values()) for (const n of list) knownStructs.add(n.tag!);
  const outsideVocabulary: { field: Field; written: string; struct?: string }[] = [];
  const addStruct = (p: PlacedItem, name: string, kind: "struct" | "union", members: Member[], source: SourceSpan) => {
    const prev = structByName.get(name);
    if (prev) {
      (prev.redefinitions ??= []).push(source);
      return;
    }
    const seen = outsideVocabulary.length;
    const fields = membersToFields(members, p.span.file, knownStructs, doc, mailFor, outsideVocabulary);
    for (const o of outsideVocabulary.slice(seen)) o.struct = name;
    const st: Struct = { name, kind, fields, size: null, minSize: 0, section: sectionLabel(p.section), source };
    const dev = deviceOf(p.section);
    if (dev) st.device = dev;
    structs.push(st);
    structByName.set(st.name, st);
    structPlace.set(st.name, p);
  };
  for (const p of structItems) {
    const item = p.item;
    if (item.kind !== "struct" || !item.name) continue;
    addStruct(p, item.name, item.keyword, item.members, p.span);
  }
  for (const [p, list] of nestedDefs) for (const n of list) addStruct(p, n.tag!, n.keyword, n.members, toSpan(p.span.file, n.pos, doc, mailFor));
  // Wire types outside the spec's vocabulary are laid out when their size is plain (le128, a pointer) but said.
  for (const { field: f, written, struct } of outsideVocabulary) {
    const t = f.type;
    diagnostics.push({
      severity: "warning",
      code: "wire-type-outside-vocabulary",
      message: `${struct}.${f.name}: ${written} is not one of the spec's wire types (${[...SPEC_VOCABULARY].join(" ")}); laid out as ${t.kind === "pointer" ? "an 8-byte guest address" : t.kind === "primitive" ? `${t.size} byte${t.size > 1 ? "s" : ""}` : "unknown"}`,
      source: f.source,
    });
  }
  // Layout, resolving struct-typed members by name (memoised, cycle-safe).
  const sizeMemo = new Map<string, number | null>();
  const inProgress = new Set<string>();
  const structSize = (name: string): number | null => {
    if (sizeMemo.has(name)) return sizeMemo.get(name)!;
    const st = structByName.get(name);
    if (!st || inProgress.has(name)) return null;
    inProgress.add(name);
    const problems: LayoutProblem[] = [];
    const r = layoutFields(st.fields, structSize, st.kind === "union", problems);
    for (const pr of problems) diagnostics.push({ severity: "error", code: pr.code, message: `${st.name}: ${pr.message}`, source: pr.field.source });
    inProgress.delete(name);
    st.size = r.size;
    st.minSize = r.minSize;
    sizeMemo.set(name, r.size);
    return r.size;
  };

  // ---- Constants and enums -------------------------------------------------------------------------------
  const constants: Constant[] = [];
  const constantByName = new Map<string, Constant>();
  const enums: Enum[] = [];
  const groups: ConstantGroup[] = [];
  const groupIds = new Set<string>();
  const newGroupId = (device: string | undefined, title: string): string => {
    const base = `${device ?? "spec"}:${slugify(title) || "constants"}`;
    let id = base;
    for (let k = 2; groupIds.has(id); k++) id = `${base}-${k}`;
    groupIds.add(id);
    return id;
  };
  const enumValues = new Map<string, number>();
  // First pass: all #define names so expressions may refer forward.
  const defineItems: { p: PlacedItem; name: string; valueText: string; indent: number; comment?: string; insideStruct?: string; pos: SourceSpan }[] = [];
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
      const en: Enum = { name: p.item.name ?? `anon_enum_${p.span.line}`, members, section: sectionLabel(p.section), source: p.span };
      const dev = deviceOf(p.section);
      if (dev) en.device = dev;
      enums.push(en);
    }
  }
  const definesOfStruct = new Map<PlacedItem, typeof defineItems>();
  for (const d of defineItems) if (d.p.item.kind === "struct") (definesOfStruct.get(d.p) ?? definesOfStruct.set(d.p, []).get(d.p)!).push(d);
  const defineOfPlace = new Map(defineItems.filter((d) => d.p.item.kind === "define").map((d) => [d.p, d]));
  const rawValue = new Map<string, string>();
  for (const d of defineItems) if (!rawValue.has(d.name)) rawValue.set(d.name, d.valueText);
  const evalMemo = new Map<string, number | null>();
  const evaluating = new Set<string>();
  const lookup = (name: string): number | null => {
    if (evalMemo.has(name)) return evalMemo.get(name)!;
    if (enumValues.has(name)) return enumValues.get(name)!;
    const raw = rawValue.get(name);
    if (raw === undefined || evaluating.has(name)) return null;
    evaluating.add(name);
    const v = evalConstExpr(raw, lookup);
    evaluating.delete(name);
    evalMemo.set(name, v);
    return v;
  };

  // Array dimensions that are constant expressions ([VIRTIO_NET_MAX_MTU]) get their length, then lay out.
  const fixDims = (fields: Field[]) => {
    for (const f of fields) {
      if (f.array.kind === "expr") {
        const v = evalConstExpr("(" + f.array.expr.replace(/\]\[/g, ")*(") + ")", lookup);
        if (v !== null && v >= 0) f.array.length = v;
      }
      if (f.members) fixDims(f.members);
    }
  };
  for (const st of structs) fixDims(st.fields);
  for (const st of structs) structSize(st.name);

  // Group defines: consecutive defines of one listing, split by blank lines / comments; a define indented under
  // the previous less-indented one is its child (the spec's class → command nesting).
  type Pending = { title: string; items: typeof defineItems; section: number; field?: string };
  const pendingGroups: Pending[] = [];
  {
    let cur: Pending | undefined;
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
        const d = defineOfPlace.get(p)!;
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
        const inner = definesOfStruct.get(p) ?? [];
        if (inner.length) {
          const field = followingField(p.item.members, inner[0]!.name);
          pendingGroups.push({ title: field ? `${p.item.name ?? "struct"} ${field} values` : `${p.item.name} constants`, items: inner, section: p.section, field });
        }
      } else {
        cur = undefined;
      }
      lastKey = key;
    }
  }

  // ---- Framing structs and command constants ----------------------------------------------------------
  // A control framing struct has a `command` or `request` field and a flexible byte array (the command-specific
  // data). Constants prefixed with its name in upper case are its classes/commands (VIRTIO_NET_CTRL_*,
  // VIRTIO_ISM_CTRL_*, VHOST_PCI_CTRL_*).
  const framings = structs.filter((s) => s.fields.some((f) => f.name === "command" || f.name === "request") && s.fields.some((f) => f.array.kind === "flexible"));
  const framingOfConstant = (name: string, device: string | undefined): Struct | undefined =>
    framings.find((f) => f.device === device && name.startsWith(f.name.toUpperCase() + "_"));

  const constantParent = new Map<string, string>();
  const commandish = new Set<string>();
  for (const g of pendingGroups) {
    const dev = deviceOf(g.section);
    const stack: { indent: number; name: string }[] = [];
    for (const d of g.items) {
      while (stack.length && stack[stack.length - 1]!.indent >= d.indent) stack.pop();
      if (stack.length) constantParent.set(d.name, stack[stack.length - 1]!.name);
      stack.push({ indent: d.indent, name: d.name });
      if (!g.field && framingOfConstant(d.name, dev)) commandish.add(d.name);
    }
  }

  // Value-set sentences: "set \field{ack} to VIRTIO_X", "\field{ev_type} is VIRTIO_Y": which field a constant is a
  // value of. Used to name the role of groups (ack values, event types) without knowing the device.
  const valueOfField = new Map<string, string>();
  for (const sent of sentences) {
    // Cheap filters first: the regex below is tried at every word, and there are ~10^4 sentences.
    if (sent.prose.fields.length === 0 || !/[A-Z]_[A-Z]/.test(sent.text)) continue;
    for (const m of sent.text.matchAll(/\b([a-z_][a-z0-9_]*)\s+(?:to|is|=|equals?)\s+([A-Z][A-Z0-9_]+)/g)) {
      if (sent.prose.fields.some((f) => f.name === m[1]) && !valueOfField.has(m[2]!)) valueOfField.set(m[2]!, m[1]!);
    }
  }

  // ---- Events: "If \field{F} is A [or B], the corresponding structure is struct S" ------------------------
  const events: EventType[] = [];
  const eventStruct = new Map<string, { struct: string; field: string; span: SourceSpan }>();
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

  for (const g of pendingGroups) {
    const dev = deviceOf(g.section);
    const names = g.items.map((d) => d.name);
    const kind = groupKind(g, names);
    const id = newGroupId(dev, g.title);
    const first = g.items[0]!;
    const group: ConstantGroup = { id, title: squash(g.title), kind, constants: [], section: sectionLabel(g.section), source: first.pos };
    if (dev) group.device = dev;
    groups.push(group);
    for (const d of g.items) {
      if (constantByName.has(d.name)) {
        diagnostics.push({
          severity: rawValue.get(d.name) === d.valueText ? "warning" : "error",
          code: "duplicate-constant",
          message: `${d.name} is defined again (first at ${fmt(constantByName.get(d.name)!.source)})`,
          source: d.pos,
        });
        continue;
      }
      const c: Constant = { name: d.name, value: lookup(d.name), valueText: d.valueText, group: id, section: sectionLabel(g.section), source: d.pos };
      const parent = constantParent.get(d.name);
      if (parent) c.parent = parent;
      if (d.comment) c.comment = d.comment;
      const pres = presenceFrom(d.comment);
      if (pres) c.presence = pres;
      if (dev) c.device = dev;
      if (c.value === null) {
        diagnostics.push({ severity: "warning", code: "constant-value", message: `${d.name}: value '${d.valueText}' is not an integer constant expression`, source: d.pos });
      }
      constants.push(c);
      constantByName.set(c.name, c);
      group.constants.push(c.name);
    }
  }

  function groupKind(g: Pending, names: string[]): ConstantGroupKind {
    const dev = deviceOf(g.section);
    const title = g.title.toLowerCase();
    if (names.some((n) => commandish.has(n))) {
      const framing = framingOfConstant(names.find((n) => commandish.has(n))!, dev);
      if (framing?.fields.some((f) => f.name === "class")) return names.some((n) => constantParent.has(n)) && names.every((n) => constantParent.has(n)) ? "command" : "class";
      return "request";
    }
    if (names.some((n) => eventStruct.has(n)) || /\bevent/.test(title)) return "event";
    if (names.some((n) => valueOfField.get(n) === "ack") || /\back\b/.test(title)) return "ack";
    if (/permission/.test(title)) return "permission";
    if (/status/.test(title)) return "status";
    if (/flag/.test(title)) return "flags";
    return "generic";
  }

  // ---- Commands ------------------------------------------------------------------------------------------
  const commands: Command[] = [];
  const commandConstants = constants.filter((c) => commandish.has(c.name));
  const isClassFraming = (c: Constant) => !!framingOfConstant(c.name, c.device)?.fields.some((f) => f.name === "class");
  const classes = commandConstants.filter((c) => isClassFraming(c) && !c.parent);
  const leafCommands = commandConstants.filter((c) => (isClassFraming(c) ? !!c.parent : true));
  for (const cls of classes) {
    if (!leafCommands.some((c) => c.parent === cls.name)) {
      diagnostics.push({ severity: "warning", code: "class-without-commands", message: `command class ${cls.name} has no command #define indented under it`, source: cls.source });
    }
  }
  // Regroup class/command constants: one group of classes per device, one group of commands per class.
  regroupCommands(groups, constants, classes, leafCommands);

  const placeOfConstant = new Map<string, PlacedItem>();
  for (const d of defineItems) if (!placeOfConstant.has(d.name)) placeOfConstant.set(d.name, d.p);
  const corresponds = new Map<string, string>();
  for (const sent of sentences) {
    if (!sent.text.includes("corresponds to")) continue;
    for (const m of sent.text.matchAll(/\b([A-Z][A-Z0-9_]+)\s+corresponds to\s+(?:struct\s+)?([a-z_][a-z0-9_]*)/g)) corresponds.set(m[1]!, m[2]!);
  }
  // Commands of one section share its structs; see linkSection.
  const bySection = new Map<number, Constant[]>();
  for (const c of leafCommands) {
    const p = placeOfConstant.get(c.name)!;
    (bySection.get(p.section) ?? bySection.set(p.section, []).get(p.section)!).push(c);
  }
  for (const [sec, cmds] of bySection) {
    const links = linkSection(sec, cmds);
    for (const c of cmds) {
      const framing = framingOfConstant(c.name, c.device);
      const cmd: Command = { name: c.name, value: c.value, section: c.section, source: c.source };
      if (c.parent) {
        cmd.class = c.parent;
        cmd.classValue = constantByName.get(c.parent)?.value ?? null;
      }
      const l = links.get(c.name);
      if (l?.request) cmd.request = l.request;
      if (l?.reply) cmd.reply = l.reply;
      if (framing) cmd.framing = framing.name;
      if (c.device) cmd.device = c.device;
      commands.push(cmd);
    }
  }

  /**
   * Links the commands defined in one section to the structs defined there (framing structs excluded).
   * A struct whose introducing sentence speaks of a reply is a reply, any other a request payload.
   * - "X corresponds to Y" sentences link explicitly.
   * - When every struct comes before the section's first command (class sections: formats, then "The class and
   *   command:"), the commands share the structs: one request struct goes to every command; as many request
   *   structs as commands pair in order.
   * - Otherwise each struct belongs to the nearest command #define before it (request-per-listing sections).
   */
  function linkSection(sec: number, cmds: Constant[]): Map<string, { request?: string; reply?: string }> {
    const out = new Map<string, { request?: string; reply?: string }>();
    for (const c of cmds) out.set(c.name, {});
    const items = placed.filter((p) => p.section === sec && (p.item.kind === "struct" || (p.item.kind === "define" && cmds.some((c) => c.name === (p.item as { name: string }).name))));
    const structsHere = items.filter((p) => p.item.kind === "struct" && p.item.name && structByName.has(p.item.name) && !framings.includes(structByName.get(p.item.name)!));
    const isReply = (p: PlacedItem) => /\breply\b|_reply\b|device writes|device-written/i.test(p.intro ?? "") || /_reply$/.test((p.item as { name: string }).name);
    const firstCmd = items.findIndex((p) => p.item.kind === "define");
    const structsBefore = structsHere.every((p) => items.indexOf(p) < firstCmd);
    for (const c of cmds) {
      const target = corresponds.get(c.name);
      if (target && structByName.has(target)) out.get(c.name)!.request = target;
    }
    if (structsBefore) {
      const req = structsHere.filter((p) => !isReply(p)).map((p) => (p.item as { name: string }).name);
      const rep = structsHere.filter(isReply).map((p) => (p.item as { name: string }).name);
      const unclaimed = req.filter((r) => ![...corresponds.values()].includes(r));
      const pending = cmds.filter((c) => !out.get(c.name)!.request);
      if (unclaimed.length === 1) for (const c of pending) out.get(c.name)!.request = unclaimed[0];
      else if (unclaimed.length === pending.length) pending.forEach((c, i) => (out.get(c.name)!.request = unclaimed[i]));
      else if (unclaimed.length > 0) {
        diagnostics.push({ severity: "warning", code: "command-link-ambiguous", message: `${cmds.length} commands and ${unclaimed.length} request structs in one section; say which goes with which ("X corresponds to struct Y")`, source: doc.sections[sec]!.span });
      }
      if (rep.length === 1) for (const c of cmds) out.get(c.name)!.reply = rep[0];
      else if (rep.length === cmds.length) cmds.forEach((c, i) => (out.get(c.name)!.reply = rep[i]));
    } else {
      let current: string | undefined;
      for (const p of items) {
        if (p.item.kind === "define") current = p.item.name;
        else if (current && structsHere.includes(p)) {
          const l = out.get(current)!;
          const name = (p.item as { name: string }).name;
          if (isReply(p)) l.reply ??= name;
          else l.request ??= name;
        }
      }
    }
    return out;
  }

  for (const [name, ev] of eventStruct) {
    const c = constantByName.get(name);
    const e: EventType = { name, value: c?.value ?? null, struct: ev.struct, discriminator: ev.field, source: c?.source ?? ev.span };
    if (c?.device) e.device = c.device;
    events.push(e);
  }
  // Event constants whose struct the text never names are still event types; flag the missing link.
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

  // ---- Field facts from prose: count fields and presence conditions --------------------------------------
  // The prose a struct's fields are discussed in: its device's sections, or its own section outside devices.
  const deviceSentences = new Map<string, Sentence[]>();
  const scopeSentences = (st: Struct): Sentence[] => {
    const sec = structPlace.get(st.name)!.section;
    const dev = deviceOf(sec);
    if (!dev) return sentencesBySection.get(sec) ?? [];
    let list = deviceSentences.get(dev);
    if (!list) deviceSentences.set(dev, (list = sentences.filter((x) => sectionDevice[x.section] === dev)));
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
        const inScope = sectionDevice[sec] ? sectionDevice[sec] === sectionDevice[sent.section] : sec === sent.section;
        if (!inScope) continue;
        const field = st.fields.find((x) => x.name === fld.name);
        if (field && !field.presence) field.presence = { feature: m[1]!, negotiated: !m[2], text: sent.text };
      }
    }
  }

  // ---- Devices: virtqueues, feature bits, config struct, owned items ---------------------------------------
  for (const dev of devices) {
    const secIndex = doc.sections.findIndex((s) => sectionLabel(s.index) === dev.section);
    const sub = descendants(secIndex).map((i) => doc.sections[i]!);
    const vq = sub.find((s) => /^virtqueues$/i.test(s.title));
    if (vq) {
      for (const item of listItems(vq.blocks)) {
        const m = /^(.+)$/.exec(item.label);
        if (!m) continue;
        const v: Virtqueue = { indexText: item.label, index: /^\d+$/.test(item.label) ? Number(item.label) : null, name: squash(item.body.text), source: item.span };
        dev.virtqueues.push(v);
      }
    }
    const fb = sub.find((s) => /^feature bits$/i.test(s.title));
    if (fb) {
      for (const s of [fb, ...descendants(fb.index).map((i) => doc.sections[i]!)]) {
        for (const item of listItems(s.blocks)) {
          const bit = featureFromItem(item.label);
          if (!bit) continue;
          const f: FeatureBit = { name: bit.name, bit: bit.bit, description: squash(item.body.text), device: dev.slug, section: sectionLabel(s.index), source: item.span };
          if (s !== fb && !s.normative) f.group = s.title;
          dev.features.push(f);
        }
      }
    }
    const cfg = sub.find((s) => /configuration layout/i.test(s.title) && !s.normative);
    if (cfg) {
      const st = placed.find((p) => p.section === cfg.index && p.item.kind === "struct" && p.item.name);
      if (st && st.item.kind === "struct" && st.item.name) dev.configStruct = st.item.name;
    }
    dev.structs = structs.filter((s) => s.device === dev.slug).map((s) => s.name);
    dev.enums = enums.filter((e) => e.device === dev.slug).map((e) => e.name);
    dev.constantGroups = groups.filter((g) => g.device === dev.slug).map((g) => g.id);
  }
  void deviceNamed;

  // Device-independent feature bits: the "Reserved Feature Bits" chapter (and its sections).
  const featureBits: FeatureBit[] = [];
  for (const s of doc.sections) {
    if (!/reserved feature bits/i.test(s.title) || s.normative || /legacy/i.test(s.title)) continue;
    for (const item of listItems(s.blocks)) {
      const bit = featureFromItem(item.label);
      if (bit) featureBits.push({ name: bit.name, bit: bit.bit, description: squash(item.body.text), section: sectionLabel(s.index), source: item.span });
    }
  }

  // ---- Requirements ------------------------------------------------------------------------------------
  const requirements: Requirement[] = [];
  const normativeSections: NormativeSection[] = [];
  for (const s of doc.sections) {
    if (s.normative !== "device" && s.normative !== "driver") continue;
    const label = sectionLabel(s.index);
    const ns: NormativeSection = { label, role: s.normative, title: s.title, requirements: [], source: s.span };
    const dev = deviceOf(s.index);
    if (dev) ns.device = dev;
    let n = 0;
    for (const sent of sentencesBySection.get(s.index) ?? []) {
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

  // ---- Conformance lists -----------------------------------------------------------------------------------
  const labelSet = new Set(doc.labels.map((l) => l.label));
  const conformance: ConformanceList[] = [];
  // A conformance list: a \conformance heading, or any section whose own lists \ref normative sections (the
  // 2016 spec writes plain \section{Driver Conformance} with such lists).
  const refsNormative = (s: DocSection) =>
    s.blocks.some((b) => b.kind === "list" && b.items.some((it) => it.refs.some((r) => /^(device|driver)normative:/.test(r))));
  for (const s of doc.sections) {
    if (s.normative !== "conformance" && !refsNormative(s)) continue;
    const refs = doc.refs.filter((r) => {
      // refs textually inside this section: between its heading and the next section heading
      const next = doc.sections[s.index + 1];
      return inSection(r.span, s, next);
    });
    const title = s.title;
    const role = /driver/i.test(title) ? "driver" : /device/i.test(title) ? "device" : "other";
    conformance.push({
      label: sectionLabel(s.index),
      title,
      role,
      refs: refs.filter((r) => /normative:/.test(r.label) || r.label.startsWith("sec:")).map((r) => ({ label: r.label, resolved: labelSet.has(r.label), source: r.span })),
      source: s.span,
    });
  }

  diagnostics.sort((a, b) => cmpSpan(a.source, b.source) || compareCodeUnits(a.code, b.code));
  return {
    irVersion: IR_VERSION,
    input,
    files: doc.files,
    sections,
    devices,
    featureBits,
    structs,
    enums,
    constants,
    constantGroups: groups,
    commands,
    events,
    normativeSections,
    requirements,
    conformance,
    diagnostics,
  };
}

function regroupCommands(groups: ConstantGroup[], constants: Constant[], classes: Constant[], leaves: Constant[]): void {
  // Single-level request codes (no class): one group per device, wherever the spec spread their #defines.
  const requests = leaves.filter((l) => !l.parent && !classes.includes(l));
  const reqByDevice = new Map<string, Constant[]>();
  for (const r of requests) (reqByDevice.get(r.device ?? "spec") ?? reqByDevice.set(r.device ?? "spec", []).get(r.device ?? "spec")!).push(r);
  for (const [dev, reqs] of reqByDevice) {
    const names = new Set(reqs.map((r) => r.name));
    for (const g of groups) g.constants = g.constants.filter((n) => !names.has(n));
    const g: ConstantGroup = { id: `${dev}:requests`, title: "requests", kind: "request", constants: reqs.map((r) => r.name), section: reqs[0]!.section, source: reqs[0]!.source };
    if (dev !== "spec") g.device = dev;
    groups.push(g);
    for (const r of reqs) r.group = g.id;
  }
  for (let i = groups.length - 1; i >= 0; i--) if (groups[i]!.constants.length === 0) groups.splice(i, 1);
  if (classes.length === 0) return;
  const moving = new Set([...classes, ...leaves.filter((l) => l.parent)].map((c) => c.name));
  for (const g of groups) g.constants = g.constants.filter((n) => !moving.has(n));
  const byDevice = new Map<string, Constant[]>();
  for (const c of classes) (byDevice.get(c.device ?? "spec") ?? byDevice.set(c.device ?? "spec", []).get(c.device ?? "spec")!).push(c);
  const firstEmpty = (id: string) => groups.findIndex((g) => g.id === id);
  for (const [dev, cls] of byDevice) {
    const id = `${dev}:classes`;
    const g: ConstantGroup = { id, title: "command classes", kind: "class", constants: cls.map((c) => c.name), section: cls[0]!.section, source: cls[0]!.source };
    if (dev !== "spec") g.device = dev;
    groups.push(g);
    for (const c of cls) c.group = id;
    for (const c of cls) {
      const kids = leaves.filter((l) => l.parent === c.name);
      if (!kids.length) continue;
      const kid: ConstantGroup = { id: `${dev}:${slugify(c.name)}`, title: `${c.name} commands`, kind: "command", constants: kids.map((k) => k.name), section: kids[0]!.section, source: kids[0]!.source };
      if (dev !== "spec") kid.device = dev;
      groups.push(kid);
      for (const k of kids) k.group = kid.id;
    }
  }
  // Drop groups emptied by the move.
  for (let i = groups.length - 1; i >= 0; i--) if (groups[i]!.constants.length === 0) groups.splice(i, 1);
  void firstEmpty;
  void constants;
}

function fmt(s: SourceSpan): string {
  return `${s.file}:${s.line}:${s.column}`;
}

/**
 * Orders spans by file, line, column. Strings compare by UTF-16 code units, not `localeCompare`: the order must
 * not depend on the machine's locale (IR and diagnostics are deterministic), and ICU collation was a visible
 * cost in cold-run profiles.
 */
export function cmpSpan(a: SourceSpan, b: SourceSpan): number {
  return compareCodeUnits(a.file, b.file) || a.line - b.line || a.column - b.column;
}

/** Locale-independent string order (UTF-16 code units), for deterministic sorting. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function inSection(span: SourceSpan, s: DocSection, next: DocSection | undefined): boolean {
  if (span.file !== s.span.file) return false;
  if (span.line < s.span.line) return false;
  if (next && next.span.file === span.file && span.line >= next.span.line) return false;
  return true;
}

function introOf(blocks: Block[], index: number): string | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const b = blocks[i]!;
    if (b.kind === "prose") return squash(b.prose.text);
    if (b.kind === "listing") return undefined;
  }
  return undefined;
}

/** "The permissions:" → "permissions"; long sentences are not titles. */
function introTitle(intro: string | undefined): string | undefined {
  if (!intro) return undefined;
  const last = splitSentences(intro).pop()?.text ?? intro;
  const m = /^(?:The\s+)?(.{1,40}?):$/.exec(last.trim());
  return m ? m[1] : undefined;
}

function prosesOf(blocks: Block[]): Prose[] {
  const out: Prose[] = [];
  for (const b of blocks) {
    if (b.kind === "prose") out.push(b.prose);
    else if (b.kind === "list") for (const it of b.items) out.push(it.body);
  }
  return out;
}

function listItems(blocks: Block[]) {
  return blocks.flatMap((b) => (b.kind === "list" ? b.items : []));
}

function featureFromItem(label: string): { name: string; bit: number } | undefined {
  const m = /^([A-Z][A-Z0-9_]+)\s*\(\s*(\d+)\s*\)/.exec(label.trim());
  return m ? { name: m[1]!, bit: Number(m[2]) } : undefined;
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

function collectStructDefines(
  members: Member[],
  p: PlacedItem,
  structName: string | undefined,
  out: { p: PlacedItem; name: string; valueText: string; indent: number; comment?: string; insideStruct?: string; pos: SourceSpan }[],
  doc: Document,
  mailFor: (file: string, line: number) => SourceSpan["mail"],
): void {
  for (const m of members) {
    if (m.kind === "define") {
      out.push({ p, name: m.name, valueText: m.valueText, indent: m.indent, comment: m.comment, insideStruct: structName, pos: toSpan(p.span.file, m.pos, doc, mailFor) });
    } else if (m.kind === "nested") {
      collectStructDefines(m.members, p, structName, out, doc, mailFor);
    }
  }
}

/** Nested struct/union definitions with a tag, at any depth, in source order. */
function namedNested(members: Member[]): NestedMember[] {
  const out: NestedMember[] = [];
  for (const m of members) {
    if (m.kind !== "nested") continue;
    if (m.tag !== null && m.bitfieldBase === undefined) out.push(m);
    out.push(...namedNested(m.members));
  }
  return out;
}

/**
 * The fields of a struct body. Fields whose type is laid out but is not in the spec's vocabulary (`le128`,
 * `void *`, `uint32_t`) are added to `outside`, with the type as written.
 */
function membersToFields(
  members: Member[],
  file: string,
  known: Set<string>,
  doc: Document,
  mailFor: (file: string, line: number) => SourceSpan["mail"],
  outside: { field: Field; written: string }[],
): Field[] {
  const out: Field[] = [];
  for (const m of members) {
    if (m.kind === "field") {
      const array = arrayKindOf(m.arrays);
      const f: Field = {
        name: m.name,
        type: resolveType(m.baseType, m.pointer, m.structRef, known),
        offset: null,
        elementSize: null,
        size: null,
        array,
        source: toSpan(file, m.pos, doc, mailFor),
      };
      if (m.comment) {
        f.comment = m.comment;
        const pres = presenceFrom(m.comment);
        if (pres) f.presence = pres;
        const acc = accessFrom(m.comment);
        if (acc) f.access = acc;
      }
      if ((f.type.kind === "primitive" || f.type.kind === "pointer") && !(f.type.kind === "primitive" && SPEC_VOCABULARY.has(m.baseType))) {
        outside.push({ field: f, written: m.typeText });
      }
      if (m.bits !== undefined) {
        f.bits = m.bits;
        f.bitWidth = m.bits;
      }
      out.push(f);
    } else if (m.kind === "nested") {
      const members = membersToFields(m.members, file, known, doc, mailFor, outside);
      // An anonymous member is named from what it contains, so that adding a line above never renames it.
      const f: Field = {
        name: m.name ?? `anon_${members[0]?.name ?? m.keyword}`,
        type: m.bitfieldBase !== undefined ? resolveType(m.bitfieldBase, false, undefined, known) : { kind: "struct", name: m.tag ?? `(anonymous ${m.keyword})`, resolved: true },
        offset: null,
        elementSize: null,
        size: null,
        array: arrayKindOf(m.arrays),
        members,
        aggregate: m.bitfieldBase !== undefined ? "bits" : m.keyword,
        source: toSpan(file, m.pos, doc, mailFor),
      };
      if (m.name === null) f.anonymous = true;
      if (m.comment) f.comment = m.comment;
      out.push(f);
    }
  }
  return out;
}

function arrayKindOf(arrays: { kind: string; value?: number; text?: string }[]): ArrayKind {
  if (arrays.length === 0) return { kind: "none" };
  // Multi-dimensional arrays (u8 macs[entries][6]) multiply out when every dimension is literal.
  let length = 1;
  let expr: string | undefined;
  for (const a of arrays) {
    if (a.kind === "empty") return { kind: "flexible" };
    if (a.kind === "literal") length *= a.value!;
    else expr = (expr ? `${expr}][` : "") + (a.text ?? "");
  }
  if (expr !== undefined) return { kind: "expr", expr: arrays.length > 1 ? arrays.map((a) => (a.kind === "literal" ? String(a.value) : a.text)).join("][") : expr };
  return { kind: "fixed", length };
}
