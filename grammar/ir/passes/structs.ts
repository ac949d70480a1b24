/**
 * Pass 4: structs. Each C struct/union of a listing becomes an IR {@link Struct} (members to fields, types
 * resolved by name); once constants are known, array dimensions are evaluated and every struct laid out.
 *
 * @module
 */
import type { Member } from "../../clisting.js";
import type { Document } from "../../document.js";
import { layoutFields, resolveType } from "../layout.js";
import { squash } from "../text.js";
import type { ArrayKind, Field, Presence, SourceSpan, Struct } from "../types.js";
import { evalConstExpr } from "../../clisting.js";
import { toSpan, type MailFor, type PlacedItem } from "./context.js";
import type { DevicesOutput } from "./devices.js";
import type { SectionsOutput } from "./sections.js";

export interface StructsOutput {
  structs: Struct[];
  structByName: Map<string, Struct>;
  /** Where each struct (by name) is defined. */
  structPlace: Map<string, PlacedItem>;
}

export function structsPass(doc: Document, placed: PlacedItem[], secs: Pick<SectionsOutput, "sectionLabel">, devs: Pick<DevicesOutput, "deviceOf">, mailFor: MailFor): StructsOutput {
  const sectionLabel = secs.sectionLabel;
  const deviceOf = devs.deviceOf;
  const structs: Struct[] = [];
  const structByName = new Map<string, Struct>();
  const structPlace = new Map<string, PlacedItem>();
  const structItems = placed.filter((p) => p.item.kind === "struct");
  const knownStructs = new Set(structItems.map((p) => (p.item.kind === "struct" ? p.item.name : null)).filter((n): n is string => !!n));
  for (const p of structItems) {
    const item = p.item;
    if (item.kind !== "struct" || !item.name) continue;
    const name = item.name;
    const file = p.span.file;
    const fields = membersToFields(item.members, file, knownStructs, doc, mailFor);
    const prev = structByName.get(name);
    if (prev) {
      (prev.redefinitions ??= []).push(p.span);
      continue;
    }
    const st: Struct = {
      name,
      kind: item.keyword,
      fields,
      size: null,
      minSize: 0,
      section: sectionLabel(p.section),
      source: p.span,
    };
    const dev = deviceOf(p.section);
    if (dev) st.device = dev;
    structs.push(st);
    structByName.set(st.name, st);
    structPlace.set(st.name, p);
  }
  return { structs, structByName, structPlace };
}

/**
 * Array dimensions that are constant expressions ([VIRTIO_NET_MAX_MTU]) get their length, then every struct is
 * laid out, resolving struct-typed members by name (memoised, cycle-safe).
 */
export function layoutPass(st: StructsOutput, lookup: (name: string) => number | null): void {
  const { structs, structByName } = st;
  const sizeMemo = new Map<string, number | null>();
  const inProgress = new Set<string>();
  const structSize = (name: string): number | null => {
    if (sizeMemo.has(name)) return sizeMemo.get(name)!;
    const st = structByName.get(name);
    if (!st || inProgress.has(name)) return null;
    inProgress.add(name);
    const r = layoutFields(st.fields, structSize, st.kind === "union");
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

function membersToFields(members: Member[], file: string, known: Set<string>, doc: Document, mailFor: (file: string, line: number) => SourceSpan["mail"]): Field[] {
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
      if (m.bits !== undefined) f.bits = m.bits;
      out.push(f);
    } else if (m.kind === "nested") {
      const f: Field = {
        name: m.name ?? `anon_${m.pos.line}`,
        type: { kind: "struct", name: m.tag ?? `(anonymous ${m.keyword})`, resolved: true },
        offset: null,
        elementSize: null,
        size: null,
        array: arrayKindOf(m.arrays),
        members: membersToFields(m.members, file, known, doc, mailFor),
        source: toSpan(file, m.pos, doc, mailFor),
      };
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
