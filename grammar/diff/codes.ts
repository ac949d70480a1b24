/**
 * Devices, virtqueues, feature bits, constants, enums, commands and events: names bound to numbers. A number
 * that changes, or a number bound to something else, is a wire change; a name that changes over the same
 * number is an api change; a new name is additive.
 *
 * @module
 */
import type { Constant, Device, Enum, EventType, FeatureBit, SourceSpan, SpecIR, Virtqueue } from "../ir/types.js";
import type { DiffContext } from "./context.js";
import { isSyntheticName, matchLists, nameKey, similarity, type Matching, type PairRule } from "./match.js";
import { structShape } from "./layout.js";
import { differingProperties, show } from "./props.js";
import type { EntityKind, PropertyChange } from "./types.js";

const DEVICE_SKIP = new Set(["name", "slug", "section", "source", "virtqueues", "features", "structs", "enums", "constantGroups"]);
const VIRTQUEUE_SKIP = new Set(["name", "source", "index"]);
const FEATURE_SKIP = new Set(["name", "description", "section", "source", "device", "group"]);
const CONSTANT_SKIP = new Set(["name", "valueText", "value", "group", "comment", "section", "device", "source"]);
const MEMBER_SKIP = new Set(["name", "valueText", "value", "source"]);
const ENUM_SKIP = new Set(["name", "members", "section", "device", "source"]);
// `links` says how each struct was found (provenance); the struct names it found are compared as `request`,
// `reply` and `header`, so a rule that matched differently over the same structs is no change.
const CODE_SKIP = new Set(["name", "section", "device", "source", "links"]);
/** Properties of commands and events that name the structs carrying them. */
const LINKS = new Set(["request", "reply", "framing", "struct", "discriminator", "header"]);

type Linked = { request?: string; reply?: string; links?: readonly { role: string; rule: string; struct: string }[] };

/**
 * The code-carrying header stands in as the request only when nothing tied a payload struct to the command:
 * such a link is the IR not knowing the payload, as good as none (so a later tree that names the payload is not
 * a change of the bytes). Returns the code with those stand-in links dropped.
 */
function withoutStandIns<T extends object>(c: T): T {
  const l = c as T & Linked;
  if (!l.links) return c;
  const out: T & Linked = { ...l };
  for (const role of ["request", "reply"] as const) {
    const mine = l.links.filter((x) => x.role === role);
    if (mine.length > 0 && mine.every((x) => x.rule === "header") && out[role] === mine[0]!.struct) delete out[role];
  }
  return out;
}

function describe(props: readonly PropertyChange[]): string {
  return props.map((c) => `${c.property} ${show(c.old)} → ${show(c.new)}`).join(", ");
}

/**
 * Properties a newer IR may add are compared too; lists of names only say what belongs to a node, and those
 * members are diffed as nodes themselves.
 */
function differing(o: object, n: object, skip: ReadonlySet<string>, normalise?: (p: string, v: unknown, side: "old" | "new") => unknown): PropertyChange[] {
  const names = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === "string"));
  return differingProperties(o, n, skip, normalise).filter((c) => !(names(c.old) && names(c.new) && (Array.isArray(c.old) || Array.isArray(c.new))));
}

/** A value as the spec gives it: the number when it evaluates, else the expression text. */
function valueOf(c: { value: number | null; valueText?: string }): string {
  return c.value !== null ? String(c.value) : (c.valueText ?? "unknown");
}

/** Pairs the devices (by slug, then by device ID) and fills the slug map; the returned step reports them. */
export function matchDevices(ctx: DiffContext): () => void {
  const m = matchLists(ctx.oldIR.devices, ctx.newIR.devices, (d) => d.slug, (d) => d.slug, [
    (o, n) => o.deviceId !== null && o.deviceId === n.deviceId,
  ]);
  for (const p of m.pairs) ctx.deviceSlugs.set(p.old.slug, p.new.slug);
  return () => diffDevices(ctx, m);
}

function diffDevices(ctx: DiffContext, m: Matching<Device, Device>): void {
  for (const { old: o, new: n } of m.pairs) {
    if (o.slug !== n.slug) {
      ctx.emit({
        class: "api", kind: "renamed", entity: "device", path: n.slug, device: n.slug, oldName: o.slug, newName: n.slug,
        message: `device '${o.name}' [${o.slug}] renamed to '${n.name}' [${n.slug}] (device ID ${show(n.deviceId)})`, old: o.source, new: n.source,
      });
    }
    const props = differing(o, n, DEVICE_SKIP, (p, v, side) => (side === "old" && p === "configStruct" && typeof v === "string" ? ctx.mapStruct(v) : v));
    if (props.length) {
      ctx.emit({ class: "wire", kind: "changed", entity: "device", path: n.slug, device: n.slug, properties: props, message: `device ${n.slug}: ${describe(props)}`, old: o.source, new: n.source });
    }
    diffVirtqueues(ctx, o, n);
  }
  for (const r of m.removed) {
    const d = r.old;
    ctx.emit({ class: "api", kind: "removed", entity: "device", path: d.slug, device: d.slug, oldName: d.slug, message: `device '${d.name}' [${d.slug}] (ID ${show(d.deviceId)}) removed`, old: d.source, new: ctx.newSectionSpan(d.section) });
  }
  for (const a of m.added) {
    const d = a.new;
    ctx.emit({
      class: "additive", kind: "added", entity: "device", path: d.slug, device: d.slug, newName: d.slug,
      message: `device '${d.name}' [${d.slug}] added (device ID ${d.deviceId ?? "not assigned"}, ${d.virtqueues.length} virtqueue${d.virtqueues.length === 1 ? "" : "s"}, ${d.features.length} feature bit${d.features.length === 1 ? "" : "s"})`,
      old: ctx.oldSectionSpan(d.section), new: d.source,
    });
  }
}

function diffVirtqueues(ctx: DiffContext, od: Device, nd: Device): void {
  const key = (q: Virtqueue): string => q.name || q.indexText;
  const m = matchLists(od.virtqueues, nd.virtqueues, key, key, [(o, n) => o.indexText === n.indexText]);
  const label = `device ${nd.slug}`;
  for (const { old: o, new: n } of m.pairs) {
    if (key(o) !== key(n)) {
      ctx.emit({ class: "api", kind: "renamed", entity: "virtqueue", path: `${nd.slug}.${key(n)}`, device: nd.slug, oldName: key(o), newName: key(n), message: `${label}: virtqueue ${o.indexText} renamed '${key(o)}' → '${key(n)}'`, old: o.source, new: n.source });
    }
    const props = differing(o, n, VIRTQUEUE_SKIP);
    if (props.length) {
      ctx.emit({ class: "wire", kind: "changed", entity: "virtqueue", path: `${nd.slug}.${key(n)}`, device: nd.slug, properties: props, message: `${label}: virtqueue '${key(n)}': ${props.map((c) => c.property === "indexText" ? `index ${show(c.old)} → ${show(c.new)}` : `${c.property} ${show(c.old)} → ${show(c.new)}`).join(", ")}`, old: o.source, new: n.source });
    }
  }
  for (const r of m.removed) {
    ctx.emit({ class: "wire", kind: "removed", entity: "virtqueue", path: `${nd.slug}.${key(r.old)}`, device: nd.slug, oldName: key(r.old), message: `${label}: virtqueue '${key(r.old)}' (index ${r.old.indexText}) removed`, old: r.old.source, new: nd.source });
  }
  for (const a of m.added) {
    ctx.emit({ class: "additive", kind: "added", entity: "virtqueue", path: `${nd.slug}.${key(a.new)}`, device: nd.slug, newName: key(a.new), message: `${label}: virtqueue '${key(a.new)}' (index ${a.new.indexText}) added`, old: od.source, new: a.new.source });
  }
}

interface ScopedFeature {
  bit: FeatureBit;
  /** Device slug as the new IR names it, or `*` for device-independent bits. */
  scope: string;
  owner?: Device;
}

function features(ir: SpecIR, slugs?: Map<string, string>): ScopedFeature[] {
  const out: ScopedFeature[] = ir.featureBits.map((bit) => ({ bit, scope: "*" }));
  for (const d of ir.devices) for (const bit of d.features) out.push({ bit, scope: slugs?.get(d.slug) ?? d.slug, owner: d });
  return out;
}

/** Whether two names for the same bit name the same thing (a rename) rather than two things (the bit reused). */
function sameMeaning(o: FeatureBit, n: FeatureBit): boolean {
  const tail = (s: string): string => s.split("_").pop() ?? s;
  return tail(o.name) === tail(n.name) || similarity(o.description, n.description) >= 0.25;
}

export function diffFeatures(ctx: DiffContext): void {
  const olds = features(ctx.oldIR, ctx.deviceSlugs);
  const news = features(ctx.newIR);
  const key = (f: ScopedFeature): string => `${f.scope}\0${f.bit.name}`;
  const m = matchLists(olds, news, key, key, [(o, n) => o.scope === n.scope && o.bit.bit === n.bit.bit]);
  const where = (f: ScopedFeature): string => (f.scope === "*" ? "" : ` of ${f.scope}`);
  for (const p of m.pairs) ctx.featureNames.set(p.old.bit.name, p.new.bit.name);
  for (const { old: o, new: n } of m.pairs) {
    const path = `${n.scope}.${n.bit.name}`;
    const device = n.scope === "*" ? undefined : n.scope;
    if (o.bit.name !== n.bit.name) {
      if (sameMeaning(o.bit, n.bit)) {
        ctx.emit({ class: "api", kind: "renamed", entity: "feature", path, device, oldName: o.bit.name, newName: n.bit.name, message: `feature bit ${n.bit.bit}${where(n)}: ${o.bit.name} renamed to ${n.bit.name}`, old: o.bit.source, new: n.bit.source });
      } else {
        ctx.emit({ class: "wire", kind: "reused", entity: "feature", path, device, oldName: o.bit.name, newName: n.bit.name, message: `feature bit ${n.bit.bit}${where(n)} reused: was ${o.bit.name}, now ${n.bit.name}`, old: o.bit.source, new: n.bit.source });
        ctx.addedFeatures.push(n.bit);
      }
    }
    const props = differing(o.bit, n.bit, FEATURE_SKIP);
    if (props.length) {
      const text = props.map((c) => (c.property === "bit" ? `bit ${show(c.old)} → ${show(c.new)}` : `${c.property} ${show(c.old)} → ${show(c.new)}`)).join(", ");
      ctx.emit({ class: "wire", kind: "changed", entity: "feature", path, device, properties: props, message: `feature ${n.bit.name}${where(n)}: ${text}`, old: o.bit.source, new: n.bit.source });
    }
  }
  for (const r of m.removed) {
    const f = r.old;
    const newOwner = f.scope === "*" ? undefined : ctx.newIR.devices.find((d) => d.slug === f.scope);
    ctx.emit({ class: "api", kind: "removed", entity: "feature", path: `${f.scope}.${f.bit.name}`, device: f.scope === "*" ? undefined : f.scope, oldName: f.bit.name, message: `feature ${f.bit.name} (bit ${f.bit.bit})${where(f)} removed`, old: f.bit.source, new: newOwner?.source ?? ctx.newSectionSpan(f.bit.section) });
  }
  for (const a of m.added) {
    const f = a.new;
    ctx.addedFeatures.push(f.bit);
    const oldOwner = f.owner ? ctx.oldIR.devices.find((d) => ctx.deviceSlugs.get(d.slug) === f.owner!.slug) : undefined;
    ctx.emit({ class: "additive", kind: "added", entity: "feature", path: `${f.scope}.${f.bit.name}`, device: f.scope === "*" ? undefined : f.scope, newName: f.bit.name, message: `feature ${f.bit.name} (bit ${f.bit.bit})${where(f)} added`, old: oldOwner?.source ?? ctx.oldSectionSpan(f.bit.section), new: f.bit.source });
  }
}

/** Names that are reported as commands, events or feature bits, not again as plain constants. */
function richerNames(ir: SpecIR): Set<string> {
  const out = new Set<string>();
  for (const c of ir.commands) out.add(c.name);
  for (const e of ir.events) out.add(e.name);
  for (const f of ir.featureBits) out.add(f.name);
  for (const d of ir.devices) for (const f of d.features) out.add(f.name);
  return out;
}

/** Position of each constant within its section (constants are written as lists): a renamed one keeps it. */
function sectionIndex(cs: readonly Constant[]): Map<Constant, number> {
  const seen = new Map<string, number>();
  const out = new Map<Constant, number>();
  for (const c of cs) {
    const i = seen.get(c.section) ?? 0;
    out.set(c, i);
    seen.set(c.section, i + 1);
  }
  return out;
}

function valueChange<T extends { value: number | null; valueText: string }>(o: T, n: T): PropertyChange | undefined {
  // An expression rewritten to the same value (`4` → `(1 << 2)`) is no change; an unevaluated one is compared as text.
  const ov = valueOf(o);
  const nv = valueOf(n);
  if (o.value !== null && n.value !== null ? o.value === n.value : o.valueText.replace(/\s+/g, "") === n.valueText.replace(/\s+/g, "")) return undefined;
  return { property: "value", old: ov, new: nv };
}

export function diffConstants(ctx: DiffContext): void {
  const richer = new Set([...richerNames(ctx.oldIR), ...richerNames(ctx.newIR)]);
  const olds = ctx.oldIR.constants.filter((c) => !richer.has(c.name));
  const news = ctx.newIR.constants.filter((c) => !richer.has(c.name));
  const oi = sectionIndex(olds);
  const ni = sectionIndex(news);
  const m = matchLists(olds, news, (c) => c.name, (c) => c.name, [
    (o, n) => o.value !== null && o.value === n.value && ctx.mapSection(o.section) === n.section && oi.get(o) === ni.get(n),
  ]);
  for (const p of m.pairs) ctx.constantNames.set(p.old.name, p.new.name);
  const sectionNew = (c: Constant): SourceSpan | undefined => ctx.newSectionSpan(c.section);
  for (const { old: o, new: n } of m.pairs) {
    if (o.name !== n.name) {
      ctx.emit({ class: "api", kind: "renamed", entity: "constant", path: n.name, device: n.device, oldName: o.name, newName: n.name, message: `constant ${o.name} renamed to ${n.name} (value ${valueOf(n)})`, old: o.source, new: n.source });
    }
    const props: PropertyChange[] = [];
    const v = valueChange(o, n);
    if (v) props.push(v);
    props.push(...differing(o, n, CONSTANT_SKIP, (p, val, side) => normaliseCode(ctx, p, val, side)));
    if (props.length) ctx.emit({ class: "wire", kind: "changed", entity: "constant", path: n.name, device: n.device, properties: props, message: `constant ${n.name}: ${describe(props)}`, old: o.source, new: n.source });
  }
  for (const r of m.removed) {
    const c = r.old;
    ctx.emit({ class: "api", kind: "removed", entity: "constant", path: c.name, device: c.device ? ctx.deviceSlugs.get(c.device) : undefined, oldName: c.name, message: `constant ${c.name} (${valueOf(c)}) removed`, old: c.source, new: sectionNew(c) });
  }
  for (const a of m.added) {
    const c = a.new;
    ctx.emit({ class: "additive", kind: "added", entity: "constant", path: c.name, device: c.device, newName: c.name, message: `constant ${c.name} = ${valueOf(c)} added`, old: ctx.oldSectionSpan(c.section), new: c.source });
  }
}

/** References to other nodes by name, rewritten to the new IR's names so a renamed referent changes nothing here. */
function normaliseCode(ctx: DiffContext, prop: string, v: unknown, side: "old" | "new"): unknown {
  if (prop === "presence" && v && typeof v === "object") {
    const p = v as { feature: string; negotiated: boolean };
    return { feature: side === "old" ? (ctx.featureNames.get(p.feature) ?? p.feature) : p.feature, negotiated: p.negotiated };
  }
  if (side !== "old" || typeof v !== "string") return v;
  if (prop === "request" || prop === "reply" || prop === "framing" || prop === "struct" || prop === "header") return ctx.mapStruct(v);
  if (prop === "class" || prop === "parent") return ctx.constantNames.get(v) ?? v;
  return v;
}

export function diffEnums(ctx: DiffContext): void {
  const memberNames = (e: Enum): string => e.members.map((x) => x.name).join(" ");
  const m = matchLists(ctx.oldIR.enums, ctx.newIR.enums, (e) => nameKey(e.name), (e) => nameKey(e.name), [(o, n) => similarity(memberNames(o), memberNames(n)) >= 0.5]);
  for (const { old: o, new: n } of m.pairs) {
    if (o.name !== n.name && !(isSyntheticName(o.name) && isSyntheticName(n.name))) ctx.emit({ class: "api", kind: "renamed", entity: "enum", path: n.name, device: n.device, oldName: o.name, newName: n.name, message: `enum ${o.name} renamed to ${n.name}`, old: o.source, new: n.source });
    const props = differing(o, n, ENUM_SKIP);
    if (props.length) ctx.emit({ class: "wire", kind: "changed", entity: "enum", path: n.name, device: n.device, properties: props, message: `enum ${n.name}: ${describe(props)}`, old: o.source, new: n.source });
    const mm = matchLists(o.members, n.members, (x) => x.name, (x) => x.name, [(a, b, i, j) => i === j && a.value !== null && a.value === b.value]);
    const label = `enum ${n.name}`;
    for (const { old: a, new: b } of mm.pairs) {
      if (a.name !== b.name) ctx.emit({ class: "api", kind: "renamed", entity: "enum-member", path: `${n.name}.${b.name}`, device: n.device, oldName: a.name, newName: b.name, message: `${label}: member ${a.name} renamed to ${b.name} (value ${valueOf(b)})`, old: a.source, new: b.source });
      const mp: PropertyChange[] = [];
      const v = valueChange(a, b);
      if (v) mp.push(v);
      mp.push(...differing(a, b, MEMBER_SKIP));
      if (mp.length) ctx.emit({ class: "wire", kind: "changed", entity: "enum-member", path: `${n.name}.${b.name}`, device: n.device, properties: mp, message: `${label}: member ${b.name}: ${describe(mp)}`, old: a.source, new: b.source });
    }
    for (const r of mm.removed) ctx.emit({ class: "api", kind: "removed", entity: "enum-member", path: `${n.name}.${r.old.name}`, device: n.device, oldName: r.old.name, message: `${label}: member ${r.old.name} (${valueOf(r.old)}) removed`, old: r.old.source, new: n.source });
    for (const a of mm.added) ctx.emit({ class: "additive", kind: "added", entity: "enum-member", path: `${n.name}.${a.new.name}`, device: n.device, newName: a.new.name, message: `${label}: member ${a.new.name} = ${valueOf(a.new)} added`, old: o.source, new: a.new.source });
  }
  for (const r of m.removed) ctx.emit({ class: "api", kind: "removed", entity: "enum", path: r.old.name, oldName: r.old.name, message: `enum ${r.old.name} removed`, old: r.old.source, new: ctx.newSectionSpan(r.old.section) });
  for (const a of m.added) ctx.emit({ class: "additive", kind: "added", entity: "enum", path: a.new.name, device: a.new.device, newName: a.new.name, message: `enum ${a.new.name} added (${a.new.members.length} members)`, old: ctx.oldSectionSpan(a.new.section), new: a.new.source });
}

type Code = { name: string; value: number | null; device?: string; source: SourceSpan; section?: string; classValue?: number | null };

/**
 * Per scope and role (request, reply, header), the structs that at least half of the scope's codes (and three or
 * more) link to: the device's common framing, which a text names for every code until it names each one's own.
 */
function sharedStructs<T extends Code>(codes: readonly T[], scopeOf: (c: T) => string): (scope: string, role: string) => ReadonlySet<string> {
  const counts = new Map<string, Map<string, number>>();
  const totals = new Map<string, number>();
  for (const c of codes) {
    const sc = scopeOf(c);
    totals.set(sc, (totals.get(sc) ?? 0) + 1);
    const linked = c as T & Linked & { header?: string };
    for (const role of ["request", "reply", "header"] as const) {
      const struct = linked[role];
      if (typeof struct !== "string") continue;
      const k = `${sc}\0${role}`;
      const m = counts.get(k) ?? counts.set(k, new Map()).get(k)!;
      m.set(struct, (m.get(struct) ?? 0) + 1);
    }
  }
  const empty: ReadonlySet<string> = new Set();
  return (sc, role) => {
    const m = counts.get(`${sc}\0${role}`);
    const total = totals.get(sc) ?? 0;
    if (!m) return empty;
    return new Set([...m].filter(([, k]) => k >= 3 && k * 2 >= total).map(([s]) => s));
  };
}

/** Commands and events: codes per device, with the structs that carry them. */
function diffCodes<T extends Code>(ctx: DiffContext, entity: EntityKind, what: string, olds: readonly T[], news: readonly T[]): void {
  const scope = (c: T, side: "old" | "new"): string => (c.device === undefined ? "*" : side === "old" ? (ctx.deviceSlugs.get(c.device) ?? c.device) : c.device);
  const rules: PairRule<T, T>[] = [
    (o, n) => scope(o, "old") === scope(n, "new") && o.value !== null && o.value === n.value && (o.classValue ?? null) === (n.classValue ?? null),
  ];
  const m = matchLists(olds, news, (c) => `${scope(c, "old")}\0${c.name}`, (c) => `${scope(c, "new")}\0${c.name}`, rules);
  const oldShared = sharedStructs(olds, (c) => scope(c, "old"));
  const newShared = sharedStructs(news, (c) => scope(c, "new"));
  const code = (c: T): string => (c.classValue !== undefined && c.classValue !== null ? `class ${c.classValue} ${what} ${show(c.value)}` : `${what} ${show(c.value)}`);
  for (const { old: o, new: n } of m.pairs) {
    const path = `${scope(n, "new")}.${n.name}`;
    if (o.name !== n.name) ctx.emit({ class: "api", kind: "renamed", entity, path, device: n.device, oldName: o.name, newName: n.name, message: `${what} ${o.name} renamed to ${n.name} (${code(n)})`, old: o.source, new: n.source });
    // A link to a payload struct that one side lacks is the IR not knowing, not the spec changing: only a
    // payload replaced by another struct is a change.
    const props = differing(withoutStandIns(o), withoutStandIns(n), CODE_SKIP, (p, v, side) => normaliseCode(ctx, p, v, side)).filter((c) => !(LINKS.has(c.property) && (c.old === undefined || c.new === undefined)));
    // A payload struct replaced by another of the same layout (e.g. two identical structs merged into one)
    // keeps the bytes: that is a change of the generated API only.
    const sameBytes = (c: PropertyChange): boolean => {
      if (c.property === "discriminator" || !LINKS.has(c.property)) return false;
      const a = ctx.oldIR.structs.find((x) => x.name === c.old);
      const b = ctx.newIR.structs.find((x) => x.name === c.new);
      return !!a && !!b && a.fields.length > 0 && structShape(a) === structShape(b);
    };
    // A payload that goes from the struct most codes of the device share for that role (virtio_blk_req,
    // virtio_gpu_ctrl_hdr) to one of its own, or back, is the text saying more (or less) about the same
    // messages: the generated command table changes, the bytes a device sends do not.
    const refined = (c: PropertyChange): boolean =>
      (c.property === "request" || c.property === "reply" || c.property === "header") &&
      (oldShared(scope(o, "old"), c.property).has(c.old as string) || newShared(scope(n, "new"), c.property).has(c.new as string) ||
        oldShared(scope(o, "old"), c.property).has(c.new as string) || newShared(scope(n, "new"), c.property).has(c.old as string));
    const api = props.filter(sameBytes);
    const refinedProps = props.filter((c) => !sameBytes(c) && refined(c));
    const wire = props.filter((c) => !sameBytes(c) && !refined(c));
    if (api.length) ctx.emit({ class: "api", kind: "changed", entity, path, device: n.device, properties: api, message: `${what} ${n.name}: ${describe(api)} (same layout)`, old: o.source, new: n.source });
    if (refinedProps.length) ctx.emit({ class: "api", kind: "changed", entity, path, device: n.device, properties: refinedProps, message: `${what} ${n.name}: ${describe(refinedProps)} (between the struct most ${what}s of the device share and one of its own: the text names the payload more or less precisely, the bytes stay)`, old: o.source, new: n.source });
    if (wire.length) ctx.emit({ class: "wire", kind: "changed", entity, path, device: n.device, properties: wire, message: `${what} ${n.name}: ${describe(wire)}`, old: o.source, new: n.source });
  }
  for (const r of m.removed) {
    const c = r.old;
    ctx.emit({ class: "api", kind: "removed", entity, path: `${scope(c, "old")}.${c.name}`, device: c.device === undefined ? undefined : scope(c, "old"), oldName: c.name, message: `${what} ${c.name} (${code(c)}) removed`, old: c.source, new: c.section ? ctx.newSectionSpan(c.section) : undefined });
  }
  for (const a of m.added) {
    const c = a.new;
    ctx.emit({ class: "additive", kind: "added", entity, path: `${scope(c, "new")}.${c.name}`, device: c.device, newName: c.name, message: `${what} ${c.name} (${code(c)}) added`, old: c.section ? ctx.oldSectionSpan(c.section) : undefined, new: c.source });
  }
}

export function diffCommands(ctx: DiffContext): void {
  diffCodes(ctx, "command", "command", ctx.oldIR.commands, ctx.newIR.commands);
}

export function diffEvents(ctx: DiffContext): void {
  diffCodes(ctx, "event", "event", ctx.oldIR.events as (EventType & { section?: string })[], ctx.newIR.events);
}
