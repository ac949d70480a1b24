/**
 * Command-table planning, for the devices whose commands carry structs of their own (no one framing struct
 * with a byte payload, which `control.ts` plans): each command's code and the codecs of its request, reply
 * and common header, as the IR links them.
 *
 * @module
 */
import type { Command, Device } from "../../grammar/ir/types.js";
import { pascal, shortKeys } from "../names.js";
import type { PlanContext } from "./context.js";
import { commandStructPlan, type StructPlan, type StructPlanner } from "./structs.js";

/** One command of the table. */
export interface CommandEntryPlan {
  command: Command;
  /** Short key (`RESOURCE_FLUSH`). */
  key: string;
  value: number;
  classValue: number | undefined;
  request: StructPlan | undefined;
  reply: StructPlan | undefined;
  header: StructPlan | undefined;
  /** What the table leaves out for this command, for its TSDoc. */
  notes: string[];
}

/** The command table of one device (or of the device-independent commands: the admin virtqueue's). */
export interface CommandTablePlan {
  /** The device, or undefined for commands that belong to no device. */
  device: Device | undefined;
  /** PascalCase name used in generated names (`Gpu`, `Common`). */
  prefix: string;
  entries: CommandEntryPlan[];
}

/**
 * Plans the table of `commands` (all of one device, or all with no device). Commands whose code does not
 * evaluate, or repeats an earlier one, are left out with a warning.
 */
export function planCommandTable(ctx: PlanContext, device: Device | undefined, commands: readonly Command[], planner: StructPlanner): CommandTablePlan | undefined {
  const usable = commands.filter((c) => {
    if (c.value === null) {
      ctx.warn(`command ${c.name}: code cannot be evaluated; left out of the command table`);
      return false;
    }
    return true;
  });
  if (!usable.length) return undefined;
  const keys = shortKeys(usable.map((c) => c.name));
  const codes = new Set<string>();
  const entries: CommandEntryPlan[] = [];
  usable.forEach((c, i) => {
    const code = `${c.classValue ?? ""}/${c.value}`;
    if (codes.has(code)) {
      ctx.warn(`command ${c.name}: same code as an earlier command; left out of the command table`);
      return;
    }
    codes.add(code);
    const notes: string[] = [];
    // A request struct that is a framing struct (virtio_blk_req: a header and data the driver writes, then a
    // status the device writes) gives its driver-written part as the request and, unless the text names a
    // reply of its own, its device-written part as the reply.
    const framed = c.request ? framingOf(planner, c.request) : undefined;
    entries.push({
      command: c,
      key: keys[i]!,
      value: c.value!,
      classValue: c.classValue ?? undefined,
      request: framed ? framed.driver : commandStructPlan(ctx, planner, c.request, `command ${c.name}: request`, notes, LEFT_OUT),
      reply: !c.reply && framed ? framed.device : commandStructPlan(ctx, planner, c.reply, `command ${c.name}: reply`, notes, LEFT_OUT),
      header: c.header && c.header !== c.request ? (framingOf(planner, c.header)?.driver ?? commandStructPlan(ctx, planner, c.header, `command ${c.name}: header`, notes, LEFT_OUT)) : undefined,
      notes,
    });
  });
  return { device, prefix: pascal(device?.slug ?? "common"), entries };
}

/** The two parts of a framing struct, when `name` is one. */
function framingOf(planner: StructPlanner, name: string): { driver: StructPlan; device: StructPlan } | undefined {
  const p = planner.plan(name);
  return p?.kind === "framing" ? { driver: p.framing.driver, device: p.framing.device } : undefined;
}

/** What the command table does with a struct that has no codec. */
const LEFT_OUT = "left out of the table";
