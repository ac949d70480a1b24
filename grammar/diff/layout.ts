/**
 * Structs and their fields: what moved, grew, shrank, was renamed, inserted or appended.
 *
 * One change per cause: a field that grows is one change, and the fields after it, which move by the same
 * amount, are not reported again (the message says by how much they shift and what the struct's size becomes).
 *
 * @module
 */
import type { Field, SourceSpan, Struct, TypeRef } from "../ir/types.js";
import type { DiffContext } from "./context.js";
import { isSyntheticName, longestIncreasing, matchLists, nameKey } from "./match.js";
import { canonical, differingProperties, show } from "./props.js";
import type { Change, PropertyChange } from "./types.js";

/** Field properties compared elsewhere or never a change (prose, positions). */
const FIELD_SKIP = new Set(["name", "source", "offset", "comment", "description", "members"]);
/** Struct properties compared elsewhere or never a change. */
const STRUCT_SKIP = new Set(["name", "fields", "size", "minSize", "section", "device", "redefinitions", "source"]);
/** Field properties that make the bytes after the field move. */
const LAYOUT_PROPS = new Set(["type", "size", "elementSize", "array", "bits"]);

/** `le16`, `struct foo`, `foo *`, with `[n]`, `[expr]`, `[]`, `:bits`. */
export function typeText(f: Pick<Field, "type" | "array"> & { bits?: number }): string {
  const t: TypeRef = f.type;
  let s = t.kind === "primitive" ? t.name : t.kind === "pointer" ? `${t.target} *` : t.kind === "struct" ? `struct ${t.name}` : t.name;
  const a = f.array;
  if (a.kind === "fixed") s += `[${a.length}]`;
  else if (a.kind === "expr") s += `[${a.expr}]`;
  else if (a.kind === "flexible") s += "[]";
  if (f.bits !== undefined) s += `:${f.bits}`;
  return s;
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

/** A field's type with struct names as the new IR calls them (a renamed struct is not a changed type). */
function normaliseField(ctx: DiffContext, side: "old" | "new") {
  return (prop: string, v: unknown): unknown => {
    if (side === "old" && prop === "type" && v && typeof v === "object" && (v as TypeRef).kind === "struct") {
      const t = v as Extract<TypeRef, { kind: "struct" }>;
      return { ...t, name: ctx.mapStruct(t.name) };
    }
    if (side === "old" && prop === "type" && v && typeof v === "object" && (v as TypeRef).kind === "pointer") {
      const t = v as Extract<TypeRef, { kind: "pointer" }>;
      return { ...t, target: ctx.mapStruct(t.target) };
    }
    // What a field's presence depends on is the feature and the sense, not the sentence it was read from.
    if (prop === "presence" && v && typeof v === "object") {
      const p = v as { feature: string; negotiated: boolean };
      return { feature: side === "old" ? (ctx.featureNames.get(p.feature) ?? p.feature) : p.feature, negotiated: p.negotiated };
    }
    return v;
  };
}

/** The bytes a field stands for, ignoring its name: pairs a renamed field with its old self. */
function fieldShape(ctx: DiffContext, f: Field, side: "old" | "new"): string {
  const norm = normaliseField(ctx, side);
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) if (!FIELD_SKIP.has(k) && k !== "presence" && k !== "access") rest[k] = norm(k, v);
  if (f.members) rest.members = f.members.map((m) => fieldShape(ctx, m, side));
  return canonical(rest);
}

/** A struct's layout without names (field shapes in order): equal shapes carry the same bytes. */
export function structShape(s: Struct): string {
  return canonical(s.fields.map((f) => ({ type: f.type.kind === "primitive" ? f.type.name : f.type.kind, array: f.array, size: f.size, bits: f.bits })));
}

function describeFieldProps(changes: readonly PropertyChange[], o: Field, n: Field): string {
  const parts: string[] = [];
  const props = new Set(changes.map((c) => c.property));
  if (props.has("type") || props.has("array") || props.has("bits")) parts.push(`type ${typeText(o)} → ${typeText(n)}`);
  if (props.has("size") || props.has("elementSize")) parts.push(`size ${show(o.size)} → ${show(n.size)}`);
  for (const c of changes) {
    if (["type", "array", "bits", "size", "elementSize"].includes(c.property)) continue;
    if (c.property === "presence") {
      const p = (f: Field): string => (f.presence ? `only if ${f.presence.feature} is ${f.presence.negotiated ? "" : "not "}negotiated` : "always");
      parts.push(`present ${p(o)} → ${p(n)}`);
      continue;
    }
    parts.push(`${c.property} ${show(c.old)} → ${show(c.new)}`);
  }
  return parts.join(", ");
}

interface FieldScope {
  /** `struct virtio_net_config`, or `struct x, field y` for inline members. */
  label: string;
  /** Dotted path prefix of the fields (e.g. `virtio_net_config`). */
  path: string;
  device?: string;
  oldSpan: SourceSpan;
  newSpan: SourceSpan;
  /** Whether appending to this struct is how the spec grows it (device configuration space). */
  growable: boolean;
  /** A union whose size did not change: a member added to it moves no byte. */
  unionSameSize?: boolean;
  oldStruct: Struct;
  newStruct: Struct;
}

/** Compares the struct lists: pairs structs (by name, then by layout), then diffs each pair's fields. */
export function diffStructs(ctx: DiffContext): void {
  const { oldIR, newIR } = ctx;
  const names = (s: Struct): string => canonical(s.fields.map((f) => f.name));
  const m = matchLists(oldIR.structs, newIR.structs, (s) => nameKey(s.name), (s) => nameKey(s.name), [
    // Renamed, fields and layout unchanged.
    (o, n) => o.fields.length > 0 && structShape(o) === structShape(n) && names(o) === names(n),
    // Renamed in the same section with the same layout (fields may be renamed too).
    (o, n) => o.fields.length > 1 && ctx.mapSection(o.section) === n.section && structShape(o) === structShape(n),
  ]);
  for (const p of m.pairs) ctx.structNames.set(p.old.name, p.new.name);
  const configStructs = new Set(newIR.devices.map((d) => d.configStruct).filter((s): s is string => !!s));

  for (const { old: o, new: n } of m.pairs) {
    const device = n.device ?? o.device;
    const label = `struct ${n.name}`;
    if (o.name !== n.name && !(isSyntheticName(o.name) && isSyntheticName(n.name))) {
      ctx.emit({
        class: "api", kind: "renamed", entity: "struct", path: n.name, device, oldName: o.name, newName: n.name,
        message: `struct ${o.name} renamed to ${n.name} (same layout)`, old: o.source, new: n.source,
      });
    }
    const props = differingProperties(o, n, STRUCT_SKIP);
    if (props.length) {
      ctx.emit({
        class: "wire", kind: "changed", entity: "struct", path: n.name, device, properties: props,
        message: `${label}: ${props.map((c) => `${c.property} ${show(c.old)} → ${show(c.new)}`).join(", ")}`, old: o.source, new: n.source,
      });
    }
    const before = ctx.changes.length;
    const oldDefect = ctx.oldIR.diagnostics.find(
      (d) => d.severity === "error" && d.code === "listing-syntax" && d.source.file === o.source.file && d.source.line >= o.source.line && d.source.line <= o.source.endLine,
    );
    // A device's configuration space grows by appending fields; so do structs named as configuration structures.
    const growable = configStructs.has(n.name) || /_(?:cfg|config)$/.test(n.name);
    diffFields(ctx, o.fields, n.fields, { label, path: n.name, device, oldSpan: o.source, newSpan: n.source, growable, oldStruct: o, newStruct: n });
    if (oldDefect) {
      // The old text of this struct could not be read whole: a change here may be nothing but the repair (1d38844).
      for (const c of ctx.changes.slice(before)) {
        if (c.class === "wire") c.warning ??= `the old text of struct ${o.name} had a syntax error at line ${oldDefect.source.line} (${oldDefect.message.split(":")[0]}): this change may only repair it`;
      }
    }
    const fieldCauses = ctx.changes.slice(before).filter((c) => c.class === "wire" || (c.class === "additive" && c.entity === "field"));
    const sizeText = (s: Struct): string => (s.size !== null ? String(s.size) : `at least ${s.minSize}`);
    if (sizeText(o) !== sizeText(n)) {
      const last = fieldCauses[fieldCauses.length - 1];
      if (last) last.message += `; struct size ${sizeText(o)} → ${sizeText(n)}`;
      else {
        // No field says why (e.g. an embedded struct changed): the size change is the change.
        ctx.emit({
          class: "wire", kind: "changed", entity: "struct", path: n.name, device,
          properties: [{ property: "size", old: o.size ?? o.minSize, new: n.size ?? n.minSize }],
          message: `${label}: size ${sizeText(o)} → ${sizeText(n)}`, old: o.source, new: n.source,
        });
      }
    }
  }
  for (const r of m.removed) {
    const s = r.old;
    ctx.emit({
      class: "api", kind: "removed", entity: "struct", path: s.name, device: s.device ? (ctx.deviceSlugs.get(s.device) ?? s.device) : undefined, oldName: s.name,
      message: `struct ${s.name} removed`, old: s.source, new: ctx.newSectionSpan(s.section),
    });
  }
  for (const a of m.added) {
    const s = a.new;
    ctx.emit({
      class: "additive", kind: "added", entity: "struct", path: s.name, device: s.device, newName: s.name,
      message: `struct ${s.name} added (${s.fields.length} field${s.fields.length === 1 ? "" : "s"}, size ${s.size ?? `at least ${s.minSize}`})`,
      old: ctx.oldSectionSpan(s.section), new: s.source,
    });
  }
}

/** The feature that guards a field added to a struct, read from the field's presence or the new text's wording. */
function guardOf(ctx: DiffContext, f: Field, device: string | undefined): string | undefined {
  if (f.presence?.negotiated) return f.presence.feature;
  // An unnamed union or struct is spoken of by its members' names.
  const names: string[] = [];
  const collect = (x: Field): void => {
    if (x.presence?.negotiated) names.push(`\0${x.presence.feature}`);
    if (!isSyntheticName(x.name) && x.anonymous !== true) names.push(x.name);
    else for (const m of x.members ?? []) collect(m);
  };
  collect(f);
  const presence = names.find((n) => n.startsWith("\0"));
  if (presence) return presence.slice(1);
  if (!names.length) return undefined;
  const escape = (n: string): string => n.replace(/[^A-Za-z0-9_]/g, "\\$&");
  const mention = new RegExp(`(?<![A-Za-z0-9_])(?:${names.map(escape).join("|")})(?![A-Za-z0-9_])`);
  const candidates = ctx.addedFeatures.filter((b) => b.device === undefined || device === undefined || b.device === device);
  const byDescription = candidates.find((b) => mention.test(b.description));
  if (byDescription) return byDescription.name;
  // A sentence of the new text that names both the field and a new feature bit.
  for (const r of ctx.newIR.requirements) {
    if (device !== undefined && r.device !== undefined && r.device !== device) continue;
    if (!mention.test(r.text)) continue;
    const b = candidates.find((c) => r.text.includes(c.name));
    if (b) return b.name;
  }
  return undefined;
}

function diffFields(ctx: DiffContext, olds: readonly Field[], news: readonly Field[], scope: FieldScope): void {
  const m = matchLists(olds, news, (f) => nameKey(f.name), (f) => nameKey(f.name), [
    // Same place, same bytes: renamed.
    (o, n, i, j) => i === j && fieldShape(ctx, o, "old") === fieldShape(ctx, n, "new"),
    // Same offset, same bytes (fields before it were inserted or removed too).
    (o, n) => o.offset !== null && o.offset === n.offset && fieldShape(ctx, o, "old") === fieldShape(ctx, n, "new"),
    // Same place, offset and size, other type (e.g. reserved bytes put to use): renamed and retyped.
    (o, n, i, j) => i === j && o.offset !== null && o.offset === n.offset && o.size !== null && o.size === n.size,
  ]);
  const pairs = m.pairs; // in new order
  const carved = findCarveOuts(olds, news, m);
  for (const c of carved) {
    const names = c.news.map((f) => `'${f.name}' (${typeText(f)})`).join(", ");
    const guard = c.news.map((f) => (isReservedName(f.name) ? undefined : guardOf(ctx, f, scope.device))).find((g) => g !== undefined);
    const used = c.news.filter((f) => !isReservedName(f.name));
    ctx.emit({
      entity: "field", device: scope.device, class: "additive", kind: "added", path: `${scope.path}.${used[0]!.name}`, newName: used[0]!.name,
      message: `${scope.label}: reserved '${c.old.name}' (${typeText(c.old)}, offset ${c.old.offset}) put to use as ${names}; no other byte moves${guard ? `, guarded by ${guard}` : ""}`,
      old: c.old.source, new: used[0]!.source,
      ...(guard ? {} : { warning: `no feature bit guards ${used.map((f) => `'${f.name}'`).join(", ")}: a peer that predates it sends zero there (the old text reserved it)` }),
    });
  }
  const carvedOld = new Set(carved.map((c) => c.old));
  const carvedNew = new Set(carved.flatMap((c) => c.news));
  const order = longestIncreasing(pairs.map((p) => p.oldIndex));
  const moved = new Set(pairs.filter((_, k) => !order.has(k)));
  const causes: { oldIndex: number; newIndex: number; change: Change }[] = [];
  const at = (f: Field): string => (f.offset === null ? "" : `, offset ${f.offset}`);
  const base = { entity: "field" as const, device: scope.device };

  // Offset delta of the first field after new position j that kept its place: how far a cause shifted the rest.
  const shiftAfter = (newIndex: number): string => {
    const next = pairs.find((p) => p.newIndex > newIndex && !moved.has(p));
    if (!next || next.old.offset === null || next.new.offset === null || next.old.offset === next.new.offset) return "";
    return `; later fields shift by ${signed(next.new.offset - next.old.offset)}`;
  };

  const swapped = new Set<(typeof pairs)[number]>();
  for (const p of moved) {
    if (swapped.has(p) || carvedOld.has(p.old) || carvedNew.has(p.new)) continue;
    const partner = pairs.find((q) => q !== p && q.oldIndex === p.newIndex && q.newIndex === p.oldIndex);
    const offsets = (q: (typeof pairs)[number]): string => `'${q.new.name}' offset ${show(q.old.offset)} → ${show(q.new.offset)}`;
    if (partner) {
      swapped.add(p).add(partner);
      const [first, second] = p.oldIndex < partner.oldIndex ? [p, partner] : [partner, p];
      causes.push({
        oldIndex: Math.min(p.oldIndex, partner.oldIndex), newIndex: Math.min(p.newIndex, partner.newIndex),
        change: {
          ...base, class: "wire", kind: "moved", path: `${scope.path}.${first.new.name}`, newName: first.new.name,
          message: `${scope.label}: fields '${first.new.name}' and '${second.new.name}' swapped (${offsets(first)}, ${offsets(second)})`,
          old: first.old.source, new: first.new.source,
        },
      });
      continue;
    }
    causes.push({
      oldIndex: p.oldIndex, newIndex: p.newIndex,
      change: {
        ...base, class: "wire", kind: "moved", path: `${scope.path}.${p.new.name}`, newName: p.new.name,
        message: `${scope.label}: field '${p.new.name}' moved (position ${p.oldIndex + 1} → ${p.newIndex + 1}, offset ${show(p.old.offset)} → ${show(p.new.offset)})`,
        old: p.old.source, new: p.new.source,
      },
    });
  }

  for (const p of pairs) {
    const { old: o, new: n } = p;
    if (carvedOld.has(o) || carvedNew.has(n)) continue;
    const path = `${scope.path}.${n.name}`;
    if (o.name !== n.name && !(isSyntheticName(o.name) && isSyntheticName(n.name))) {
      ctx.emit({
        ...base, class: "api", kind: "renamed", path, oldName: o.name, newName: n.name,
        message: `${scope.label}: field '${o.name}' renamed to '${n.name}'${at(n)}`, old: o.source, new: n.source,
      });
    }
    const oldNorm = normaliseField(ctx, "old");
    const newNorm = normaliseField(ctx, "new");
    let props = differingProperties(o, n, FIELD_SKIP, (k, v, side) => (side === "old" ? oldNorm(k, v) : newNorm(k, v)));
    const alternatives = unionAlternatives(ctx, o, n);
    if (props.length && alternatives) {
      // The old field is still there, as one member of a union over the same bytes: the others are new readings.
      ctx.emit({
        ...base, class: "additive", kind: "added", path, newName: n.name,
        message: `${scope.label}: field '${o.name}' (${typeText(o)}, offset ${show(o.offset)}) is now one member of a union over the same bytes, beside ${alternatives.map((m) => `'${m.name}' (${typeText(m)})`).join(", ")}`,
        old: o.source, new: n.source,
      });
      props = props.filter((c) => c.property === "presence");
    }
    if (props.length && nowDefined(o, n, props)) {
      ctx.emit({
        ...base, class: "additive", kind: "changed", path, properties: props,
        message: `${scope.label}: field '${n.name}': its type ${typeText(n)} was named but not defined in the old text; now defined (${n.elementSize} bytes each)`,
        old: o.source, new: n.source,
      });
    } else if (props.length && sameBytesRetyped(o, n, props)) {
      ctx.emit({
        ...base, class: "api", kind: "changed", path, properties: props,
        message: `${scope.label}: field '${n.name}' retyped ${typeText(o)} → ${typeText(n)} over the same bytes (offset ${show(o.offset)}, ${o.size !== null ? `${o.size} bytes` : `${o.elementSize}-byte elements`})`,
        old: o.source, new: n.source,
      });
    } else if (props.length) {
      const layout = props.some((c) => LAYOUT_PROPS.has(c.property));
      const change: Change = {
        ...base, class: "wire", kind: "changed", path, properties: props,
        message: `${scope.label}: field '${n.name}': ${describeFieldProps(props, o, n)}${layout ? shiftAfter(p.newIndex) : ""}`,
        old: o.source, new: n.source,
      };
      if (layout) causes.push({ oldIndex: p.oldIndex, newIndex: p.newIndex, change });
      else ctx.emit(change);
    }
    if ((o.members || n.members) && !alternatives) {
      const unionSameSize = o.aggregate === "union" && n.aggregate === "union" && o.size !== null && o.size === n.size;
      diffFields(ctx, o.members ?? [], n.members ?? [], {
        ...scope, label: `${scope.label}, field '${n.name}'`, path, oldSpan: o.source, newSpan: n.source, growable: false, unionSameSize,
      });
    }
  }

  for (const r of m.removed) {
    const f = r.old;
    if (carvedOld.has(f)) continue;
    causes.push({
      oldIndex: r.oldIndex, newIndex: Infinity,
      change: {
        ...base, class: "wire", kind: "removed", path: `${scope.path}.${f.name}`, oldName: f.name,
        message: `${scope.label}: field '${f.name}' (${typeText(f)}${at(f)}) removed`, old: f.source, new: scope.newSpan,
      },
    });
  }
  // Fields added after the last field that was already there: the struct grows at its end.
  const lastKept = Math.max(-1, ...pairs.map((p) => p.newIndex));
  const variableSize = olds.some((f) => f.size === null || f.offset === null);
  for (const a of m.added) {
    const f = a.new;
    if (carvedNew.has(f)) continue;
    const path = `${scope.path}.${f.name}`;
    const what = `${scope.label}: field '${f.name}' (${typeText(f)}${at(f)})`;
    if (scope.unionSameSize) {
      ctx.emit({ ...base, class: "additive", kind: "added", path, newName: f.name, message: `${what} added to the union; its size stays`, old: scope.oldSpan, new: f.source });
      continue;
    }
    if (a.newIndex > lastKept && olds.length > 0) {
      const guard = guardOf(ctx, f, scope.device);
      if (guard || scope.growable) {
        ctx.emit({
          ...base, class: "additive", kind: "added", path, newName: f.name,
          message: `${what} appended${guard ? `, guarded by ${guard}` : ""}`, old: scope.oldSpan, new: f.source,
          ...(guard ? {} : { warning: `no feature bit guards '${f.name}': a driver cannot tell whether the device has it` }),
        });
        continue;
      }
      if (variableSize) {
        // The struct had no fixed size to change: nothing the old text put on the wire moves.
        ctx.emit({
          ...base, class: "additive", kind: "added", path, newName: f.name, message: `${what} appended after the variable-size part`, old: scope.oldSpan, new: f.source,
          warning: `no feature bit guards '${f.name}': a peer that predates it neither sends nor expects it`,
        });
        continue;
      }
      causes.push({
        oldIndex: Infinity, newIndex: a.newIndex,
        change: { ...base, class: "wire", kind: "added", path, newName: f.name, message: `${what} appended, guarded by no feature bit`, old: scope.oldSpan, new: f.source },
      });
      continue;
    }
    if (olds.length === 0) {
      ctx.emit({ ...base, class: "additive", kind: "added", path, newName: f.name, message: `${what} added`, old: scope.oldSpan, new: f.source });
      continue;
    }
    causes.push({
      oldIndex: Infinity, newIndex: a.newIndex,
      change: { ...base, class: "wire", kind: "added", path, newName: f.name, message: `${what} inserted${shiftAfter(a.newIndex)}`, old: scope.oldSpan, new: f.source },
    });
  }

  // A field whose offset changed with nothing before it to explain it (e.g. a struct it follows changed size).
  const firstCauseOld = Math.min(Infinity, ...causes.map((c) => c.oldIndex));
  const firstCauseNew = Math.min(Infinity, ...causes.map((c) => c.newIndex));
  for (const p of pairs) {
    if (moved.has(p) || carvedOld.has(p.old) || p.old.offset === p.new.offset) continue;
    if (p.oldIndex > firstCauseOld || p.newIndex > firstCauseNew) continue;
    if (causes.some((c) => c.change.path === `${scope.path}.${p.new.name}`)) continue;
    causes.push({
      oldIndex: p.oldIndex, newIndex: p.newIndex,
      change: {
        ...base, class: "wire", kind: "moved", path: `${scope.path}.${p.new.name}`, newName: p.new.name,
        message: `${scope.label}: field '${p.new.name}' offset ${show(p.old.offset)} → ${show(p.new.offset)}`, old: p.old.source, new: p.new.source,
      },
    });
  }
  causes.sort((a, b) => Math.min(a.newIndex, a.oldIndex) - Math.min(b.newIndex, b.oldIndex));
  for (const c of causes) ctx.emit(c.change);
}

/** Names the spec gives bytes it keeps for later: `reserved`, `padding`, `reserved2`, `pad`, `unused0`. */
function isReservedName(name: string): boolean {
  return /^(?:reserved|padding|pad|rsvd|unused)\d*$/i.test(name);
}

/** A reserved field whose bytes are now (partly) a new field: the old field and the new fields over its bytes. */
interface CarveOut {
  old: Field;
  news: Field[];
}

/**
 * Reserved bytes put to use (`u8 padding[3]` → `u8 id; u8 padding[2]`): new fields that exactly tile the bytes
 * of an old reserved field, at least one of them not reserved, while the fields after it keep their offsets.
 * One change, not "inserted" plus "shrunk": nothing an old peer put on the wire moves, and the old text said
 * those bytes were reserved.
 */
function findCarveOuts(olds: readonly Field[], news: readonly Field[], m: { pairs: { old: Field; new: Field }[]; added: { new: Field }[] }): CarveOut[] {
  const out: CarveOut[] = [];
  const added = new Set(m.added.map((a) => a.new));
  const newOf = new Map(m.pairs.map((p) => [p.old, p.new]));
  for (const r of olds) {
    if (!isReservedName(r.name) || r.offset === null || r.size === null || r.size === 0 || r.bits !== undefined) continue;
    const start = r.offset;
    const end = r.offset + r.size;
    const inside = news.filter((f) => f.offset !== null && f.size !== null && f.offset >= start && f.offset + f.size <= end);
    if (!inside.some((f) => !isReservedName(f.name) && added.has(f))) continue;
    // Every new field inside is either added or the reserved field's own remainder.
    if (!inside.every((f) => added.has(f) || (newOf.get(r) === f && isReservedName(f.name)))) continue;
    // They tile the old field's bytes exactly (bit-fields share their storage: count each storage once).
    let at = start;
    for (const f of inside) {
      if (f.offset! < at) continue;
      if (f.offset !== at) break;
      at = f.offset + f.size!;
    }
    if (at !== end) continue;
    // The field after the old reserved bytes is still right after them.
    const next = olds[olds.indexOf(r) + 1];
    const nextNew = next ? newOf.get(next) : undefined;
    if (next && (!nextNew || nextNew.offset !== next.offset)) continue;
    out.push({ old: r, news: inside });
  }
  return out;
}

/**
 * A field given another type over exactly the same bytes: a primitive becomes a struct of the same size (or an
 * array of them), e.g. `le16 unclassified_queue` → `struct rss_rq_id unclassified_queue` (da0e169: the same two
 * bytes, now described as bit-fields). The generated type changes; the bytes at that place do not.
 */
function sameBytesRetyped(o: Field, n: Field, props: readonly PropertyChange[]): boolean {
  if (!props.every((c) => c.property === "type" || c.property === "members" || c.property === "aggregate")) return false;
  // Arrays sized by another field have no size: the element size and the array's length expression then say it.
  if (o.offset !== n.offset || o.size !== n.size || o.elementSize === null || o.elementSize !== n.elementSize) return false;
  if (canonical(o.array) !== canonical(n.array) || o.bits !== n.bits) return false;
  const kinds = new Set([o.type.kind, n.type.kind]);
  return kinds.has("struct") && kinds.has("primitive");
}

/**
 * A field that became a union over the same bytes with the old field as one of its members (fd15f89:
 * `u8 padding_reserved_2[6]` → `union { u8 padding_reserved_2[6]; struct ipsec_resource_hdr … }`): the new
 * members, or undefined when `n` is no such union.
 */
function unionAlternatives(ctx: DiffContext, o: Field, n: Field): Field[] | undefined {
  if (o.members || n.aggregate !== "union" || !n.members) return undefined;
  if (o.offset !== n.offset || o.size === null || o.size !== n.size) return undefined;
  const oldShape = fieldShape(ctx, o, "old");
  const kept = n.members.find((m) => m.name === o.name && fieldShape(ctx, m, "new") === oldShape);
  return kept ? n.members.filter((m) => m !== kept) : undefined;
}

/**
 * A field whose struct type the old text named without defining it (617aa2d defines `struct virtio_dev_part`,
 * which aa4f6f0 used): nothing the old text gave a layout changes; the new definition is reported as an added
 * struct.
 */
function nowDefined(o: Field, n: Field, props: readonly PropertyChange[]): boolean {
  if (o.type.kind !== "struct" || n.type.kind !== "struct" || o.type.name !== n.type.name) return false;
  if (o.type.resolved !== false || n.type.resolved !== true) return false;
  return props.every((c) => c.property === "type" || ((c.property === "elementSize" || c.property === "size") && c.old === null));
}
