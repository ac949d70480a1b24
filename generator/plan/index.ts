/**
 * The plan of one generated folder: which IR elements belong to it and how each is generated.
 *
 * Selection: the structs, enums, constant groups, commands and events whose IR `device` is one of the
 * requested slugs, plus extra structs by name, plus every struct they reference (planned on demand).
 *
 * @module
 */
import type { Device, SpecIR } from "../../grammar/ir/types.js";
import { NameRegistry } from "../names.js";
import { planConstants, type ConstantsPlan } from "./constants.js";
import { GeneratorError, PlanContext } from "./context.js";
import { planCommandTable, type CommandTablePlan } from "./commands.js";
import { planControl, type ControlPlan } from "./control.js";
import { planEvents, type EventsPlan } from "./events.js";
import { StructPlanner, type ExternalStruct, type PlannedStruct, type StructPlan } from "./structs.js";

/** What to generate from an IR. */
export interface SelectOptions {
  /** Device slugs (IR `devices[].slug`). */
  devices: readonly string[];
  /** Extra structs by IR name (e.g. transport structs with no device). */
  structs?: readonly string[];
  /**
   * Structs generated in other folders (by IR name): referenced and imported, never generated again. A split
   * tree (one folder per device plus a common one) passes the common part's and the other devices' structs.
   */
  external?: ReadonlyMap<string, ExternalStruct>;
  /**
   * Which device-independent constants go into this folder: `features` (default) the device-independent feature
   * bits; `all` those plus every constant group and enum with no device (a split tree's common part);
   * `none` nothing device-independent (a split tree's device folders, which import it from the common part).
   */
  independent?: "features" | "all" | "none";
}

/** The plan of one folder. */
export interface SpecPlan {
  ir: SpecIR;
  devices: Device[];
  constants: ConstantsPlan;
  /** Planned structs, nested ones before their users (uncodable ones included, for the report). */
  structs: PlannedStruct[];
  controls: ControlPlan[];
  /** Command tables of the devices whose commands have no one framing struct (and, for a split tree's common part, of the commands of no device). */
  commandTables: CommandTablePlan[];
  events: EventsPlan[];
  /** What the generator degraded. */
  warnings: string[];
  /** Import specifier of a struct generated in another folder, by IR name (undefined: this folder's own). */
  moduleOf(structName: string): string | undefined;
}

/** Plans a folder. Throws {@link GeneratorError} for unknown devices or structs. */
export function planSpec(ir: SpecIR, options: SelectOptions): SpecPlan {
  const devices = options.devices.map((slug) => {
    const d = ir.devices.find((x) => x.slug === slug);
    if (!d) throw new GeneratorError("unknown-device", `no device '${slug}' in the spec (known: ${ir.devices.map((x) => x.slug).join(", ")})`);
    return d;
  });
  const ctx = new PlanContext(ir, options.devices);
  for (const name of options.structs ?? []) {
    if (!ctx.struct(name)) throw new GeneratorError("unknown-struct", `no struct '${name}' in the spec`);
  }
  const names = new NameRegistry();
  const constants = planConstants(ctx, devices, names, options.independent ?? "features");
  const planner = new StructPlanner(ctx, options.external);
  const slugs = new Set(options.devices);
  const extra = new Set(options.structs ?? []);
  const owned = (s: { name: string; device?: string | undefined }): boolean =>
    ((s.device !== undefined && slugs.has(s.device)) || extra.has(s.name)) && !options.external?.has(s.name);
  for (const s of ir.structs) {
    if (owned(s)) planner.plan(s.name);
  }
  const controls = devices.map((d) => planControl(ctx, d, planner, constants.groups)).filter((c): c is ControlPlan => c !== undefined);
  const commandTables: CommandTablePlan[] = [];
  for (const d of devices) {
    if (controls.some((c) => c.device === d)) continue;
    const t = planCommandTable(ctx, d, ir.commands.filter((c) => c.device === d.slug), planner);
    if (t) commandTables.push(t);
  }
  if (options.independent === "all") {
    const t = planCommandTable(ctx, undefined, ir.commands.filter((c) => c.device === undefined), planner);
    if (t) commandTables.push(t);
  }
  const events = devices.map((d) => planEvents(ctx, d, planner)).filter((e): e is EventsPlan => e !== undefined);
  // Emit only what the selection reaches: planning an uncodable struct may have planned some of its
  // members (e.g. virtq_desc for virtq), which nothing generated uses.
  const roots = new Set<string>([...ir.structs.filter(owned).map((s) => s.name)]);
  for (const c of controls) for (const cmd of c.commands) for (const x of [cmd.request, cmd.reply]) if (x) roots.add(x.struct.name);
  for (const t of commandTables) for (const e of t.entries) for (const x of [e.request, e.reply, e.header]) if (x) roots.add(x.struct.name);
  for (const e of events) for (const m of e.members) roots.add(m.struct.struct.name);
  const reached = new Set<string>();
  const visit = (p: StructPlan): void => {
    if (reached.has(p.struct.name)) return;
    reached.add(p.struct.name);
    for (const f of p.fields) if (f.nested) visit(f.nested);
  };
  const all = planner.planned();
  for (const s of all) {
    if (!roots.has(s.kind === "framing" ? s.framing.struct.name : s.kind === "codec" ? s.plan.struct.name : s.struct.name)) continue;
    if (s.kind === "codec") visit(s.plan);
    else if (s.kind === "framing") {
      reached.add(s.framing.struct.name);
      for (const part of [s.framing.driver, s.framing.device]) for (const f of part.fields) if (f.nested) visit(f.nested);
    }
  }
  const structs = all.filter((s) => s.kind === "uncodable" || reached.has(s.kind === "framing" ? s.framing.struct.name : s.plan.struct.name));
  return { ir, devices, constants, structs, controls, commandTables, events, warnings: ctx.warnings, moduleOf: (name) => planner.moduleOf(name) };
}
