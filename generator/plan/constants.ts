/**
 * Constant planning: names of the generated constant objects, their short keys, feature-bit groups, and
 * the spec-named top-level exports.
 *
 * A group's object name is the device name plus the group's role (`IsmAck`, `IsmPermission`,
 * `IsmEventType`, `IsmAllocCommand`); when a device has two groups of one role (or the role says nothing,
 * `generic`/`flags`), the group's id names it instead (`NetworkVirtioNetHdrFlagsValues`).
 *
 * @module
 */
import type { Constant, ConstantGroup, ConstantGroupKind, Device, Enum, FeatureBit, SourceSpan } from "../../grammar/ir/types.js";
import { lowerFirst, NameRegistry, pascal, shortKeys } from "../names.js";
import type { PlanContext } from "./context.js";

/** One member of a generated constant object. */
export interface MemberPlan {
  /** Spec name (`VIRTIO_ISM_OK`). */
  name: string;
  /** Short key in the object (`OK`). */
  key: string;
  value: number;
  source: SourceSpan;
  /** Extra text for the TSDoc (comment, feature condition). */
  note?: string;
}

/** A generated constant object (`as const`), its value-union type and its name lookup. */
export interface GroupPlan {
  /** Object and type name (`IsmAck`). */
  objectName: string;
  /** Name lookup function (`ismAckName`). */
  nameFn: string;
  /** IR group kind, or `enum` for a C enum. */
  kind: ConstantGroupKind | "enum";
  title: string;
  section: string;
  source: SourceSpan;
  device?: string;
  /** IR group id or enum name. */
  id: string;
  members: MemberPlan[];
}

/** A generated feature-bit object (bit numbers), its masks and its helpers. */
export interface FeatureGroupPlan {
  /** Object of bit numbers (`IsmFeature`). */
  objectName: string;
  /** Object of bigint masks (`IsmFeatureMask`). */
  maskName: string;
  /** `ismFeatureName(bit)`. */
  nameFn: string;
  /** `hasIsmFeature(features, key)`. */
  hasFn: string;
  /** `withIsmFeature(features, key)`. */
  withFn: string;
  /** `withoutIsmFeature(features, key)`. */
  withoutFn: string;
  title: string;
  section: string;
  device?: string;
  bits: (MemberPlan & { description: string })[];
}

/** Everything constants.ts holds. */
export interface ConstantsPlan {
  groups: GroupPlan[];
  features: FeatureGroupPlan[];
  /** Spec-named top-level exports (`VIRTIO_ISM_OK`): names unique across the output, first value kept. */
  specNames: { name: string; value: number; from: string }[];
}

const ROLE: Partial<Record<ConstantGroupKind, string>> = {
  ack: "Ack",
  class: "Class",
  request: "Request",
  permission: "Permission",
  event: "EventType",
  "shm-id": "ShmId",
  status: "Status",
};

function idSuffix(id: string): string {
  const i = id.indexOf(":");
  return i >= 0 ? id.slice(i + 1) : id;
}

/** Plans the constants of `devices` (groups, enums, feature bits) plus the device-independent feature bits. */
export function planConstants(ctx: PlanContext, devices: readonly Device[], names: NameRegistry, independent: "features" | "all" | "none" = "features"): ConstantsPlan {
  const ir = ctx.ir;
  const groups: GroupPlan[] = [];
  const features: FeatureGroupPlan[] = [];
  const constantsById = new Map<string, Constant[]>();
  for (const c of ir.constants) {
    const list = constantsById.get(c.group) ?? [];
    list.push(c);
    constantsById.set(c.group, list);
  }
  // The device-independent part (a split tree's common folder) is planned like one more device, with no name prefix.
  const scopes: { slug: string | undefined; features: readonly FeatureBit[] }[] = devices.map((d) => ({ slug: d.slug, features: d.features }));
  if (independent === "all") scopes.push({ slug: undefined, features: [] });
  for (const dev of scopes) {
    const devName = dev.slug === undefined ? "" : pascal(dev.slug);
    const devGroups = ir.constantGroups.filter((g) => g.device === dev.slug);
    const roleCount = new Map<string, number>();
    const roleName = (g: ConstantGroup): string | undefined => {
      if (g.kind === "command") return commandGroupName(g);
      return ROLE[g.kind];
    };
    const commandGroupName = (g: ConstantGroup): string | undefined => {
      const members = constantsById.get(g.id) ?? [];
      const parent = members[0]?.parent;
      if (!parent || members.some((c) => c.parent !== parent)) return undefined;
      const classGroup = devGroups.find((cg) => cg.kind === "class" && cg.constants.includes(parent));
      if (!classGroup) return undefined;
      const keys = shortKeys(classGroup.constants);
      return `${pascal(keys[classGroup.constants.indexOf(parent)]!)}Command`;
    };
    for (const g of devGroups) {
      const r = roleName(g);
      if (r) roleCount.set(r, (roleCount.get(r) ?? 0) + 1);
    }
    for (const g of devGroups) {
      const r = roleName(g);
      const stem = r && roleCount.get(r) === 1 ? r : pascal(idSuffix(g.id));
      const objectName = names.claim(stem.startsWith(devName) ? stem : `${devName}${stem}`);
      const members = groupMembers(ctx, g.constants.map((n) => (constantsById.get(g.id) ?? []).find((c) => c.name === n)), g.id);
      if (!members.length) continue;
      const group: GroupPlan = { objectName, nameFn: `${lowerFirst(objectName)}Name`, kind: g.kind, title: g.title, section: g.section, source: g.source, id: g.id, members };
      if (dev.slug !== undefined) group.device = dev.slug;
      groups.push(group);
    }
    for (const e of ir.enums.filter((en) => en.device === dev.slug)) groups.push(planEnum(ctx, e, names));
    if (dev.features.length) features.push(...planFeatures(ctx, dev.features, devName, dev.slug, names));
  }
  if (ir.featureBits.length && independent !== "none") {
    const section = ir.sections.find((s) => s.label === ir.featureBits[0]!.section);
    const stem = pascal(section?.title ?? "Device Independent");
    features.push(...planFeatures(ctx, ir.featureBits, stem, undefined, names));
  }
  return { groups, features, specNames: specNames(ctx, groups, features) };
}

function groupMembers(ctx: PlanContext, constants: (Constant | undefined)[], id: string): MemberPlan[] {
  const usable = constants.filter((c): c is Constant => {
    if (!c) return false;
    if (c.value === null) ctx.warn(`constant ${c.name} (${id}): value '${c.valueText}' cannot be evaluated; left out`);
    return c.value !== null;
  });
  const keys = shortKeys(usable.map((c) => c.name));
  return usable.map((c, i) => {
    const notes = [c.comment, c.presence ? `On the wire only if ${c.presence.feature} is ${c.presence.negotiated ? "" : "not "}negotiated.` : undefined].filter(Boolean);
    const m: MemberPlan = { name: c.name, key: keys[i]!, value: c.value!, source: c.source };
    if (notes.length) m.note = [...new Set(notes)].join(" ");
    return m;
  });
}

function planEnum(ctx: PlanContext, e: Enum, names: NameRegistry): GroupPlan {
  const usable = e.members.filter((m) => {
    if (m.value === null) ctx.warn(`enum ${e.name}: member ${m.name} = '${m.valueText}' cannot be evaluated; left out`);
    return m.value !== null;
  });
  const keys = shortKeys(usable.map((m) => m.name));
  const objectName = names.claim(pascal(e.name));
  const plan: GroupPlan = {
    objectName,
    nameFn: `${lowerFirst(objectName)}Name`,
    kind: "enum",
    title: `enum ${e.name}`,
    section: e.section,
    source: e.source,
    id: e.name,
    members: usable.map((m, i) => ({ name: m.name, key: keys[i]!, value: m.value!, source: m.source })),
  };
  if (e.device) plan.device = e.device;
  return plan;
}

function planFeatures(ctx: PlanContext, bits: readonly FeatureBit[], stem: string, device: string | undefined, names: NameRegistry): FeatureGroupPlan[] {
  const byGroup = new Map<string, FeatureBit[]>();
  for (const b of bits) {
    // A bit the spec holds back (UNUSED (30)) is not a feature anyone negotiates: no constant for it.
    if (b.reserved) continue;
    const list = byGroup.get(b.group ?? "") ?? [];
    list.push(b);
    byGroup.set(b.group ?? "", list);
  }
  const out: FeatureGroupPlan[] = [];
  for (const [group, list] of byGroup) {
    // Bits of different groups may live in different words (a device's own bits vs its peer's), so each
    // group gets its own object rather than one merged set.
    const sub = byGroup.size > 1 && group ? pascal(group.replace(/feature bits?/i, "")) : "";
    const base = stem.replace(/FeatureBits?$/, "");
    const objectName = names.claim(`${base}${sub}Feature`);
    const keys = shortKeys(list.map((b) => b.name));
    const title = group || `${device ?? "device-independent"} feature bits`;
    const plan: FeatureGroupPlan = {
      objectName,
      maskName: names.claim(`${objectName}Mask`),
      nameFn: `${lowerFirst(objectName)}Name`,
      hasFn: `has${objectName}`,
      withFn: `with${objectName}`,
      withoutFn: `without${objectName}`,
      title,
      section: list[0]!.section,
      bits: list.map((b, i) => ({ name: b.name, key: keys[i]!, value: b.bit, source: b.source, description: b.description })),
    };
    if (device) plan.device = device;
    out.push(plan);
  }
  void ctx;
  return out;
}

function specNames(ctx: PlanContext, groups: GroupPlan[], features: FeatureGroupPlan[]): ConstantsPlan["specNames"] {
  const seen = new Map<string, { value: number; from: string }>();
  const conflicts = new Set<string>();
  const add = (name: string, value: number, from: string): void => {
    const prev = seen.get(name);
    if (!prev) seen.set(name, { value, from });
    else if (prev.value !== value) conflicts.add(name);
  };
  for (const g of groups) for (const m of g.members) add(m.name, m.value, `${g.objectName}.${m.key}`);
  for (const f of features) for (const b of f.bits) add(b.name, b.value, `${f.objectName}.${b.key}`);
  for (const c of conflicts) ctx.warn(`constant ${c} has different values in different groups; no top-level ${c} export (use the group objects)`);
  return [...seen].filter(([n]) => !conflicts.has(n)).map(([name, v]) => ({ name, ...v }));
}
