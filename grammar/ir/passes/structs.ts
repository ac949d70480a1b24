/**
 * Pass 4: structs. Each C struct/union of a listing becomes an IR {@link Struct} (members to fields, types
 * resolved by name); once constants are known, array dimensions are evaluated and every struct laid out.
 *
 * @module
 */
import type { Member, NestedMember } from "../../clisting/clisting.js";
import type { Document } from "../../document/document.js";
import { layoutFields, resolveType, SPEC_VOCABULARY, type LayoutProblem } from "../layout.js";
import { squash } from "../text.js";
import type { ArrayKind, Field, Presence, SourceSpan, Struct } from "../types.js";
import { evalConstExpr } from "../../clisting/clisting.js";
import { toSpan, type DiagnosticSink, type MailFor, type PlacedItem } from "./context.js";
import type { DevicesOutput } from "./devices.js";
import type { SectionsOutput } from "./sections.js";

export interface StructsOutput {
  structs: Struct[];
  structByName: Map<string, Struct>;
  /** Where each struct (by name) is defined. */
  structPlace: Map<string, PlacedItem>;
}

export function structsPass(doc: Document, placed: PlacedItem[], secs: Pick<SectionsOutput, "sectionLabel">, devs: Pick<DevicesOutput, "deviceOf">, mailFor: MailFor, diagnostics: DiagnosticSink): StructsOutput {
  const sectionLabel = secs.sectionLabel;
  const deviceOf = devs.deviceOf;
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
  return { structs, structByName, structPlace };
}

/**
 * Array dimensions that are constant expressions ([VIRTIO_NET_MAX_MTU]) get their length, then every struct is
 * laid out, resolving struct-typed members by name (memoised, cycle-safe).
 */
export function layoutPass(st: StructsOutput, lookup: (name: string) => number | null, diagnostics: DiagnosticSink): void {
  const { structs, structByName } = st;
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
}

const PRESENCE_RE = /\bonly (?:if|when)\s+([A-Z][A-Z0-9_]+)\s+(?:is\s+)?(not\s+)?(?:negotiated|set|offered|accepted)/i;

/** "only if FEATURE is (not) negotiated" in a comment: the field or constant exists under that feature. */
export function presenceFrom(text: string | undefined): Presence | undefined {
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
