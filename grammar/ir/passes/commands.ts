/**
 * Commands: which constants are commands (or classes), and which struct each command sends and receives.
 *
 * A control framing struct has a `command` or `request` field and a flexible byte array (the command-specific
 * data). Constants prefixed with its name in upper case are its classes/commands (VIRTIO_NET_CTRL_*,
 * VIRTIO_ISM_CTRL_*, VHOST_PCI_CTRL_*). The request and reply structs of each command are decided in
 * {@link linkSection}.
 *
 * @module
 */
import type { Document } from "../../document/document.js";
import { slugify } from "../text.js";
import type { Command, Constant, ConstantGroup, Struct } from "../types.js";
import type { DiagnosticSink, PlacedItem, Sentence } from "./context.js";
import type { DefineItem, PendingGroup } from "./constants.js";
import type { DevicesOutput } from "./devices.js";
import { commandLinksPass, type CodeSeed } from "./command-links.js";

export interface FramingsOutput {
  framings: Struct[];
  framingOfConstant: (name: string, device: string | undefined) => Struct | undefined;
  /** A command #define indented under a class #define: the class. */
  constantParent: Map<string, string>;
  /** The constants that name classes or commands of a framing struct. */
  commandish: Set<string>;
}

export function framingsPass(structs: Struct[], pending: PendingGroup[], devs: Pick<DevicesOutput, "deviceOf">): FramingsOutput {
  const framings = structs.filter((s) => s.fields.some((f) => f.name === "command" || f.name === "request") && s.fields.some((f) => f.array.kind === "flexible"));
  const framingOfConstant = (name: string, device: string | undefined): Struct | undefined =>
    framings.find((f) => f.device === device && name.startsWith(f.name.toUpperCase() + "_"));
  const constantParent = new Map<string, string>();
  const commandish = new Set<string>();
  for (const g of pending) {
    const dev = devs.deviceOf(g.section);
    const stack: { indent: number; name: string }[] = [];
    for (const d of g.items) {
      while (stack.length && stack[stack.length - 1]!.indent >= d.indent) stack.pop();
      if (stack.length) constantParent.set(d.name, stack[stack.length - 1]!.name);
      stack.push({ indent: d.indent, name: d.name });
      if (!g.field && framingOfConstant(d.name, dev)) commandish.add(d.name);
    }
  }
  return { framings, framingOfConstant, constantParent, commandish };
}

export interface CommandsInput {
  doc: Document;
  lookup: (name: string) => number | null;
  enums: import("../types.js").Enum[];
  structs: Struct[];
  devs: Pick<DevicesOutput, "deviceOf">;
  sectionLabel: (i: number) => string;
  placed: PlacedItem[];
  sentences: Sentence[];
  defineItems: DefineItem[];
  structByName: Map<string, Struct>;
  framing: FramingsOutput;
  constants: Constant[];
  constantByName: Map<string, Constant>;
  /** Regrouped in place: one group of classes per device, one group of commands per class. */
  groups: ConstantGroup[];
}

export interface CommandsOutput {
  commands: Command[];
  /** Event codes the command rules found (an item "Sent by the device", a code field of an event struct). */
  eventSeeds: CodeSeed[];
}

export function commandsPass(input: CommandsInput, diagnostics: DiagnosticSink): CommandsOutput {
  const { doc, placed, structByName, constantByName, groups } = input;
  const { framings, framingOfConstant, commandish } = input.framing;
  const commands: Command[] = [];
  const commandConstants = input.constants.filter((c) => commandish.has(c.name));
  const isClassFraming = (c: Constant) => !!framingOfConstant(c.name, c.device)?.fields.some((f) => f.name === "class");
  const classes = commandConstants.filter((c) => isClassFraming(c) && !c.parent);
  const leafCommands = commandConstants.filter((c) => (isClassFraming(c) ? !!c.parent : true));
  for (const cls of classes) {
    if (!leafCommands.some((c) => c.parent === cls.name)) {
      diagnostics.push({ severity: "warning", code: "class-without-commands", message: `command class ${cls.name} has no command #define indented under it`, source: cls.source });
    }
  }
  regroupCommands(groups, classes, leafCommands);

  const placeOfConstant = new Map<string, PlacedItem>();
  for (const d of input.defineItems) if (!placeOfConstant.has(d.name)) placeOfConstant.set(d.name, d.p);
  const corresponds = new Map<string, string>();
  for (const sent of input.sentences) {
    if (!sent.text.includes("corresponds to")) continue;
    for (const m of sent.text.matchAll(/\b([A-Z][A-Z0-9_]+)\s+corresponds to\s+(?:struct\s+)?([a-z_][a-z0-9_]*)/g)) corresponds.set(m[1]!, m[2]!);
  }
  // Commands of one section share its structs; see linkSection.
  const bySection = new Map<number, Constant[]>();
  for (const c of leafCommands) {
    const p = placeOfConstant.get(c.name)!;
    (bySection.get(p.section) ?? bySection.set(p.section, []).get(p.section)!).push(c);
  }
  const ctx: LinkContext = { doc, placed, structByName, framings, corresponds, diagnostics };
  for (const [sec, cmds] of bySection) {
    const links = linkSection(ctx, sec, cmds);
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
  // Every other device's request and message codes, and the admin virtqueue's opcodes.
  const framed = new Set(commandConstants.map((c) => c.name));
  const linked = commandLinksPass(
    { doc, placed, sentences: input.sentences, defineItems: input.defineItems, lookup: input.lookup, enums: input.enums, structs: input.structs, structByName, devs: input.devs, framed, constantParent: input.framing.constantParent },
    diagnostics,
  );
  for (const l of linked.commands) {
    const d = l.seed.def;
    const cmd: Command = { name: d.name, value: d.value, section: input.sectionLabel(d.section), source: d.source };
    if (l.request) cmd.request = l.request;
    if (l.reply) cmd.reply = l.reply;
    if (l.header) cmd.header = l.header;
    if (l.seed.codeField) cmd.codeField = l.seed.codeField;
    if (l.seed.header && !cmd.header && l.seed.header !== cmd.request) cmd.header = l.seed.header;
    if (l.links.length) cmd.links = l.links;
    if (d.device) cmd.device = d.device;
    commands.push(cmd);
  }
  return { commands, eventSeeds: linked.events };
}

interface LinkContext {
  doc: Document;
  placed: PlacedItem[];
  structByName: Map<string, Struct>;
  framings: Struct[];
  corresponds: Map<string, string>;
  diagnostics: DiagnosticSink;
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
function linkSection(ctx: LinkContext, sec: number, cmds: Constant[]): Map<string, { request?: string; reply?: string }> {
  const { placed, structByName, framings, corresponds } = ctx;
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
      ctx.diagnostics.push({ severity: "warning", code: "command-link-ambiguous", message: `${cmds.length} commands and ${unclaimed.length} request structs in one section; say which goes with which ("X corresponds to struct Y")`, source: ctx.doc.sections[sec]!.span });
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

/** Regroups class/command constants: one group of requests or classes per device, one group of commands per class. */
function regroupCommands(groups: ConstantGroup[], classes: Constant[], leaves: Constant[]): void {
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
}
