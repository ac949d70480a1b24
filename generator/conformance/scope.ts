/**
 * Which requirements of an IR a spec's conformance suite covers.
 *
 * A spec's suite covers (a) every requirement whose `device` is one of the spec's devices (manifest
 * `devices`), and (b) every requirement of a normative section the patch changed: a proposal such as
 * vhost-pci-net also changes device-independent sections (the PCI common configuration layout, the reserved
 * feature bits), whose requirements carry no device but are part of what the proposal asks implementers to
 * meet. "Changed" means the patch added the section's heading or the first line of one of its requirements
 * (`source.mail.added`); lines the mail only quotes as hunk context do not count, or every section next to
 * a hunk would join the suite. The whole changed section is included, since a new sentence can change the
 * meaning of its neighbours.
 *
 * @module
 */
import type { Requirement, RequirementLevel, SourceSpan, SpecIR } from "../../grammar/ir/types.js";

/**
 * Why a requirement is in scope: it belongs to a listed device, its normative section was patched, or it
 * belongs to no device and the suite is a split tree's device-independent one (the common part: virtqueues,
 * transports, feature bits, the admin virtqueue).
 */
export type RequirementOrigin = "device" | "patch" | "independent";

/** Options of {@link selectRequirements} and {@link groupRequirements}. */
export interface ScopeOptions {
  /** Also take every requirement that belongs to no device (a split tree's common suite). */
  independent?: boolean;
}

/** A requirement in a spec's conformance scope, with the group it is reported under. */
export interface ScopedRequirement {
  /** The IR requirement, unchanged. */
  requirement: Requirement;
  /** Group key: the device slug, or {@link GENERAL_GROUP} for device-independent requirements. */
  group: string;
  /** Why it is in scope. */
  origin: RequirementOrigin;
}

/** A group of scoped requirements: one device, or the device-independent sections the patch touched. */
export interface RequirementGroup {
  /** Device slug, or {@link GENERAL_GROUP}. */
  key: string;
  /** Human title: the device's section title, or a description of the device-independent group. */
  title: string;
  /** The group's requirements in document order. */
  requirements: ScopedRequirement[];
}

/** Group key of requirements that belong to no device (transport and core sections a patch changed). */
export const GENERAL_GROUP = "general";

/** Title of {@link GENERAL_GROUP}. */
export const GENERAL_GROUP_TITLE = "Device-independent sections changed by the patch";
/** Title of {@link GENERAL_GROUP} in a suite that takes every device-independent requirement. */
export const INDEPENDENT_GROUP_TITLE = "Device-independent sections";

/**
 * Why a spec's scope cannot be computed.
 *
 * - `unknown-device`: the device list names a device the IR does not define (a manifest typo would otherwise
 *   yield an empty, vacuously "complete" suite).
 * - `invalid-spec-name`: the spec name is not a lower-case slug; it names files and goes into generated code.
 */
export type ConformanceScopeErrorReason = "unknown-device" | "invalid-spec-name";

/** A spec entry that cannot be turned into a conformance scope. */
export class ConformanceScopeError extends Error {
  /** Machine-readable cause. */
  readonly reason: ConformanceScopeErrorReason;
  /** The offending device slug or spec name. */
  readonly subject: string;

  /**
   * @param reason - Machine-readable cause.
   * @param subject - The offending device slug or spec name.
   * @param message - Human-readable explanation.
   */
  constructor(reason: ConformanceScopeErrorReason, subject: string, message: string) {
    super(message);
    this.name = "ConformanceScopeError";
    this.reason = reason;
    this.subject = subject;
  }
}

/** Spec names are slugs (they name `test/conformance/<name>.checks.ts`). */
const SPEC_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * Throws unless `name` is a lower-case slug.
 *
 * @throws {@link ConformanceScopeError} `invalid-spec-name`.
 */
export function assertSpecName(name: string): void {
  if (typeof name !== "string" || !SPEC_NAME.test(name)) {
    throw new ConformanceScopeError("invalid-spec-name", String(name), `spec name ${JSON.stringify(name)} is not a lower-case slug`);
  }
}

/** Order in which roles are reported. */
export const ROLE_ORDER: readonly Requirement["role"][] = ["device", "driver"];

/** Order in which levels are reported: absolute requirements first, then recommendations, then permissions. */
export const LEVEL_ORDER: readonly RequirementLevel[] = [
  "MUST", "MUST NOT", "SHALL", "SHALL NOT", "REQUIRED",
  "SHOULD", "SHOULD NOT", "RECOMMENDED",
  "MAY", "OPTIONAL",
];

/**
 * The distinct levels among `levels` in report order ({@link LEVEL_ORDER}); a level the IR has but
 * {@link LEVEL_ORDER} lacks is appended (sorted), never dropped.
 */
export function levelsInOrder(levels: Iterable<RequirementLevel>): RequirementLevel[] {
  const present = new Set(levels);
  const extra = [...present].filter((l) => !LEVEL_ORDER.includes(l)).sort();
  return [...LEVEL_ORDER.filter((l) => present.has(l)), ...extra];
}

/**
 * The requirements of `ir` in scope for a spec whose devices are `devices`, in document order.
 *
 * @throws {@link ConformanceScopeError} `unknown-device` when a listed device is not in the IR.
 */
export function selectRequirements(ir: SpecIR, devices: readonly string[], options: ScopeOptions = {}): ScopedRequirement[] {
  const known = ir.devices.map((d) => d.slug);
  for (const slug of devices) {
    if (!known.includes(slug)) {
      throw new ConformanceScopeError("unknown-device", slug, `device ${JSON.stringify(slug)} is not defined by the spec (devices: ${known.join(", ") || "none"})`);
    }
  }
  const wanted = new Set(devices);
  const patched = patchedSections(ir);
  const out: ScopedRequirement[] = [];
  for (const requirement of ir.requirements) {
    const group = requirement.device ?? GENERAL_GROUP;
    if (requirement.device !== undefined && wanted.has(requirement.device)) {
      out.push({ requirement, group, origin: "device" });
    } else if (options.independent && requirement.device === undefined) {
      out.push({ requirement, group, origin: "independent" });
    } else if (patched.has(requirement.section)) {
      out.push({ requirement, group, origin: "patch" });
    }
  }
  return out;
}

/**
 * Groups scoped requirements: listed devices first in manifest order, then any other device whose sections
 * the patch touched (by slug), then the device-independent group. Empty groups are kept for listed devices
 * (a device with no requirement is worth seeing in a report) and dropped otherwise.
 */
export function groupRequirements(ir: SpecIR, devices: readonly string[], scoped: readonly ScopedRequirement[], options: ScopeOptions = {}): RequirementGroup[] {
  const byKey = new Map<string, ScopedRequirement[]>();
  for (const s of scoped) {
    const list = byKey.get(s.group);
    if (list) list.push(s);
    else byKey.set(s.group, [s]);
  }
  const others = [...byKey.keys()].filter((k) => k !== GENERAL_GROUP && !devices.includes(k)).sort();
  const keys = [...devices, ...others, ...(byKey.has(GENERAL_GROUP) ? [GENERAL_GROUP] : [])];
  return keys.map((key) => ({
    key,
    title: key === GENERAL_GROUP ? (options.independent ? INDEPENDENT_GROUP_TITLE : GENERAL_GROUP_TITLE) : (ir.devices.find((d) => d.slug === key)?.name ?? key),
    requirements: byKey.get(key) ?? [],
  }));
}

/** Labels of the normative sections whose heading or some requirement the patch added. */
function patchedSections(ir: SpecIR): Set<string> {
  const labels = new Set<string>();
  const added = (span: SourceSpan): boolean => span.mail?.added === true;
  for (const s of ir.normativeSections) if (added(s.source)) labels.add(s.label);
  for (const r of ir.requirements) if (added(r.source)) labels.add(r.section);
  return labels;
}

/** The suite name part of a split tree's common folder (`virtio-1-4-common`). */
export const TREE_COMMON = "common";

/**
 * The conformance suite name of one folder of a split tree (a device slug or {@link TREE_COMMON}): the spec's
 * name and the slug as one lower-case slug (`virtio-1.4` + `gpu` → `virtio-1-4-gpu`); it names the check file.
 */
export function treeConformanceName(spec: string, slug: string): string {
  return `${spec}-${slug}`.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
