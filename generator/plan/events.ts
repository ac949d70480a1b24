/**
 * Event-queue planning: the structs a device's event types map to, and the field that tells them apart.
 *
 * @module
 */
import type { Device } from "../../grammar/ir/types.js";
import { pascal, shortKeys } from "../names.js";
import type { PlanContext } from "./context.js";
import type { FieldPlan, StructPlan, StructPlanner } from "./structs.js";

/** One event type. */
export interface EventMemberPlan {
  /** Spec name (`VIRTIO_ISM_EVENT_UPDATE`). */
  name: string;
  /** Short key, the union's `type` (`UPDATE`). */
  key: string;
  value: number;
  struct: StructPlan;
  /** When the event may occur only under a feature condition (from the event constant). */
  presence?: { feature: string; bit: number; negotiated: boolean };
}

/** The event queue of one device. */
export interface EventsPlan {
  device: Device;
  /** PascalCase device name (`Ism`). */
  prefix: string;
  /** Discriminator field, at the same offset and wire type in every event struct. */
  discriminator: FieldPlan;
  members: EventMemberPlan[];
}

/** Plans `device`'s events, or returns undefined (with a warning) when they cannot be decoded generically. */
export function planEvents(ctx: PlanContext, device: Device, planner: StructPlanner): EventsPlan | undefined {
  const events = ctx.ir.events.filter((e) => e.device === device.slug);
  if (!events.length) return undefined;
  const usable = events.filter((e) => {
    if (e.value === null || !e.struct || !e.discriminator) {
      ctx.warn(`event ${e.name}: no value, struct or discriminator in the IR; left out`);
      return false;
    }
    return true;
  });
  const keys = shortKeys(usable.map((e) => e.name));
  const members: EventMemberPlan[] = [];
  let discriminator: FieldPlan | undefined;
  for (const [i, e] of usable.entries()) {
    const p = planner.plan(e.struct!);
    if (p?.kind !== "codec") {
      ctx.warn(`event ${e.name}: struct ${e.struct} has no codec; left out`);
      continue;
    }
    const d = p.plan.fields.find((f) => f.name === e.discriminator);
    if (!d || d.array.kind !== "scalar" || d.staticOffset === null || d.presence || d.wire === "struct" || d.wire === "bytes") {
      ctx.warn(`event ${e.name}: discriminator ${e.discriminator} is not a fixed scalar field of ${e.struct}; left out`);
      continue;
    }
    if (discriminator && (discriminator.staticOffset !== d.staticOffset || discriminator.wire !== d.wire)) {
      ctx.warn(`event ${e.name}: discriminator ${e.discriminator} is not where the other events have theirs; left out`);
      continue;
    }
    discriminator ??= d;
    const m: EventMemberPlan = { name: e.name, key: keys[i]!, value: e.value!, struct: p.plan };
    const constant = ctx.ir.constants.find((c) => c.name === e.name && c.device === device.slug);
    const bit = constant?.presence ? ctx.feature(constant.presence.feature) : undefined;
    if (constant?.presence && bit) m.presence = { feature: constant.presence.feature, bit: bit.bit, negotiated: constant.presence.negotiated };
    members.push(m);
  }
  if (!discriminator || !members.length) return undefined;
  return { device, prefix: pascal(device.slug), discriminator, members };
}
