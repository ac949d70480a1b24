/**
 * `VIRTIO_ISM_CTRL_DETACH_REGION`: drops this device's reference (`ENOENT` when it holds none).
 *
 * The allocator detaching is no different from any other referrer (spec/ism-decisions.md, "allocator
 * detach"): the region lives on while anyone refers to it; the allocator keeps its dedicated permissions
 * (MANAGE included) and may attach again by token.
 *
 * @module
 */
import type { VirtioIsmCtrlDetach } from "../../../generated/ism/structs.js";
import { VIRTIO_ISM_ENOENT } from "../constants.js";
import { refuse, succeed } from "./context.js";
import type { IsmCommandContext, IsmCommandOutcome } from "./context.js";
import { dropReference } from "./references.js";

/** Executes a detach request; see the module comment. */
export function executeDetach(ctx: IsmCommandContext, request: VirtioIsmCtrlDetach): IsmCommandOutcome<undefined> {
  const region = ctx.device.attached.get(request.token);
  if (region === undefined) return refuse(VIRTIO_ISM_ENOENT, `region ${request.token} is not attached by this device`);
  return succeed(undefined, dropReference(ctx.domain, ctx.device, region));
}
