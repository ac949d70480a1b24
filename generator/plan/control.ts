/**
 * Control-queue planning: the command table of a device and how its framing struct splits into the
 * driver-written request and the device-written reply.
 *
 * The split comes from the framing struct's fields (see structs.ts): everything up to and including the
 * first uncounted `[]` is driver-written, the rest device-written. Within the driver part, the field named
 * like the IR group kind `class` holds the class code and the one named `command` or `request` the command
 * code (falling back to position: class first, then command); any other fixed field is a header field the
 * caller supplies (e.g. `vhost_pci_id`). Within the device part, the first fixed field is the status (`ack`),
 * and a following `[]` carries the reply.
 *
 * @module
 */
import type { Command, Device } from "../../grammar/ir/types.js";
import { NameRegistry, pascal, shortKeys } from "../names.js";
import type { GroupPlan } from "./constants.js";
import type { PlanContext } from "./context.js";
import { requirementsFor, type RequirementMatch } from "./requirements.js";
import { commandStructPlan, type FieldPlan, type StructPlan, type StructPlanner } from "./structs.js";

/** One command of the table. */
export interface CommandPlan {
  command: Command;
  /** Short key (`ALLOC_REGION`). */
  key: string;
  /** Handler method of the device skeleton (`handleAllocRegion`). */
  handler: string;
  /** Class code when the framing has a class field. */
  classValue: number | undefined;
  value: number;
  /** Request struct; undefined means the payload is raw bytes. */
  request: StructPlan | undefined;
  /** Reply struct; undefined means no reply data. */
  reply: StructPlan | undefined;
  requirements: RequirementMatch;
  /** Degradations for the TSDoc. */
  notes: string[];
}

/** The control queue of one device. */
export interface ControlPlan {
  device: Device;
  /** PascalCase device name used in generated names (`Ism`). */
  prefix: string;
  /** IR name of the framing struct. */
  framing: string;
  driver: StructPlan;
  device_: StructPlan | undefined;
  classField: FieldPlan | undefined;
  commandField: FieldPlan;
  /** Other driver-written fixed fields the caller supplies. */
  headerFields: FieldPlan[];
  payloadField: FieldPlan;
  ackField: FieldPlan | undefined;
  replyField: FieldPlan | undefined;
  /** The device's ack constant group, with the keys of its success and error values. */
  ack: { group: GroupPlan; okKey: string; errKey: string } | undefined;
  commands: CommandPlan[];
}

/** Plans the control queue of `device`, or returns undefined (with a warning) when it has none usable. */
export function planControl(ctx: PlanContext, device: Device, planner: StructPlanner, groups: readonly GroupPlan[]): ControlPlan | undefined {
  const commands = ctx.ir.commands.filter((c) => c.device === device.slug);
  if (!commands.length) return undefined;
  const framingNames = [...new Set(commands.map((c) => c.framing).filter((f): f is string => !!f))];
  if (framingNames.length !== 1) {
    ctx.warn(`device ${device.slug}: ${framingNames.length ? "several framing structs" : "no framing struct"} for its commands; no control codec generated (a command table is)`);
    return undefined;
  }
  const framing = framingNames[0]!;
  const planned = planner.plan(framing);
  let driver: StructPlan;
  let dev: StructPlan | undefined;
  if (planned?.kind === "framing") {
    driver = planned.framing.driver;
    dev = planned.framing.device;
  } else if (planned?.kind === "codec") {
    driver = planned.plan;
  } else {
    ctx.warn(`device ${device.slug}: framing struct ${framing} has no codec; no control codec generated`);
    return undefined;
  }
  const payloadField = driver.fields[driver.fields.length - 1]!;
  const header = driver.fields.slice(0, -1);
  if (payloadField.array.kind !== "rest" || payloadField.wire !== "u8" || header.some((f) => f.array.kind !== "scalar" || f.presence || f.wire === "struct")) {
    ctx.warn(`device ${device.slug}: framing struct ${framing} is not fixed fields then a byte array; no control codec generated`);
    return undefined;
  }
  const hasClass = commands.some((c) => c.class !== undefined);
  let classField = hasClass ? header.find((f) => f.name === "class") : undefined;
  let commandField = header.find((f) => f.name === "command" || f.name === "request");
  if (hasClass && !classField) classField = header[0];
  if (!commandField) commandField = header.find((f) => f !== classField);
  if (!commandField || (hasClass && !classField)) {
    ctx.warn(`device ${device.slug}: framing struct ${framing} has no field for the command code; no control codec generated`);
    return undefined;
  }
  const headerFields = header.filter((f) => f !== classField && f !== commandField);
  let ackField: FieldPlan | undefined;
  let replyField: FieldPlan | undefined;
  if (dev) {
    ackField = dev.fields[0];
    replyField = dev.fields[1];
    if (!ackField || ackField.array.kind !== "scalar" || ackField.presence || dev.fields.length > 2 || (replyField && (replyField.array.kind !== "rest" || replyField.wire !== "u8"))) {
      ctx.warn(`device ${device.slug}: device-written part of ${framing} is not a status field then an optional byte array; no control codec generated`);
      return undefined;
    }
  }
  const ackGroup = groups.find((g) => g.device === device.slug && g.kind === "ack");
  let ack: ControlPlan["ack"];
  if (ackField && ackGroup) {
    const ok = ackGroup.members.find((m) => /(^|_)OK$/.test(m.name)) ?? ackGroup.members.find((m) => m.value === 0);
    const err =
      ackGroup.members.find((m) => /ERR$/.test(m.name)) ?? [...ackGroup.members].sort((a, b) => b.value - a.value)[0];
    if (ok && err) ack = { group: ackGroup, okKey: ok.key, errKey: err.key };
  }
  if (ackField && !ack) ctx.warn(`device ${device.slug}: no ack constant group with a success and an error value; reply status is a plain number`);

  const usable = commands.filter((c) => {
    if (c.value === null || (hasClass && (c.classValue === null || c.classValue === undefined))) {
      ctx.warn(`command ${c.name}: code cannot be evaluated; left out of the table`);
      return false;
    }
    return true;
  });
  const keys = shortKeys(usable.map((c) => c.name));
  const handlers = new NameRegistry();
  const codes = new Set<string>();
  const out: CommandPlan[] = [];
  usable.forEach((c, i) => {
    const code = `${c.classValue ?? ""}/${c.value}`;
    if (codes.has(code)) {
      ctx.warn(`command ${c.name}: same code as an earlier command; left out of the table`);
      return;
    }
    codes.add(code);
    const notes: string[] = [];
    const request = commandStructPlan(ctx, planner, c.request, `command ${c.name}: request`, notes, RAW);
    const reply = replyField ? commandStructPlan(ctx, planner, c.reply, `command ${c.name}: reply`, notes, RAW) : undefined;
    out.push({
      command: c,
      key: keys[i]!,
      handler: handlers.claim(`handle${pascal(keys[i]!)}`),
      classValue: hasClass ? (c.classValue ?? undefined) : undefined,
      value: c.value!,
      request,
      reply,
      requirements: requirementsFor(ctx.ir, c.section),
      notes,
    });
  });
  return {
    device,
    prefix: pascal(device.slug),
    framing,
    driver,
    device_: dev,
    classField,
    commandField,
    headerFields,
    payloadField,
    ackField,
    replyField,
    ack,
    commands: out,
  };
}

/** What the control codec does with a payload struct that has no codec. */
const RAW = "carried as raw bytes";

