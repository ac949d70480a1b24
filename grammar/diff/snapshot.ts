/**
 * The part of an IR that generated code is made of, kept next to the generated folder (`ir.json`) so the next
 * `virtiokit generate` can say what changed for the users of the codecs, in diff's terms.
 *
 * @module
 */
import type { SpecIR } from "../ir/types.js";
import { diffIR } from "./index.js";
import type { Change } from "./types.js";

/** File name of the snapshot in a generated folder. */
export const IR_SNAPSHOT_FILE = "ir.json";

/**
 * The IR restricted to the selected devices and structs (and what belongs to them): devices, their structs,
 * constants, enums, commands, events, and the device-independent feature bits. Requirements are left out:
 * generated code does not depend on them.
 */
export function snapshotIR(ir: SpecIR, select: { devices: readonly string[]; structs?: readonly string[] | undefined; deviceIndependent?: boolean }): SpecIR {
  const devices = new Set(select.devices);
  // A split tree's common folder holds what belongs to no device (the admin virtqueue's commands, the
  // transports' constants): `deviceIndependent` keeps those too.
  const mine = (x: { device?: string }): boolean => (x.device !== undefined ? devices.has(x.device) : select.deviceIndependent === true);
  const structs = ir.structs.filter((s) => mine(s) || select.structs?.includes(s.name));
  const sections = new Set<string>();
  const keep = <T extends { section?: string }>(xs: T[]): T[] => {
    for (const x of xs) if (x.section) sections.add(x.section);
    return xs;
  };
  const out: SpecIR = {
    irVersion: ir.irVersion,
    input: ir.input,
    files: ir.files,
    sections: [],
    devices: keep(ir.devices.filter((d) => devices.has(d.slug))),
    featureBits: keep(ir.featureBits),
    structs: keep(structs),
    enums: keep(ir.enums.filter(mine)),
    constants: keep(ir.constants.filter(mine)),
    constantGroups: keep(ir.constantGroups.filter(mine)),
    commands: keep(ir.commands.filter(mine)),
    events: ir.events.filter(mine),
    normativeSections: [],
    requirements: [],
    conformance: [],
    diagnostics: [],
  };
  out.sections = ir.sections.filter((s) => sections.has(s.label));
  return out;
}

/**
 * One line: the wire and api changes per device between two snapshots, e.g.
 * `ism: 1 wire, 0 api; other: none`; with more than four devices, only those that changed (`gpu: 2 wire, 0 api; 22
 * other devices: none`). Changes outside every device count under `common`.
 */
export function changeSummary(before: SpecIR, after: SpecIR, devices: readonly string[]): string {
  const changes = diffIR(before, after);
  const by = new Map<string, Change[]>(devices.map((d) => [d, []]));
  for (const c of changes) {
    if (c.class !== "wire" && c.class !== "api") continue;
    const key = c.device !== undefined && by.has(c.device) ? c.device : "common";
    (by.get(key) ?? by.set(key, []).get(key)!).push(c);
  }
  const line = (d: string, cs: Change[]): string => {
    if (!cs.length) return `${d}: none`;
    const wire = cs.filter((c) => c.class === "wire").length;
    return `${d}: ${wire} wire, ${cs.length - wire} api`;
  };
  // A tree of many devices: name only the ones that changed.
  if (by.size > 4) {
    const changed = [...by].filter(([, cs]) => cs.length);
    return changed.length ? changed.map(([d, cs]) => line(d, cs)).join("; ") + `; ${by.size - changed.length} other devices: none` : `none in ${by.size} devices`;
  }
  return [...by].map(([d, cs]) => line(d, cs)).join("; ");
}
