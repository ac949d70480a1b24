/**
 * `VIRTIO_ISM_CTRL_EVENT_VECTOR_SET`: binds a region's UPDATE events, for this device, to an interrupt
 * vector; from then on those events raise the vector and never go through the eventq. `VIRTIO_MSI_NO_VECTOR`
 * (0xffff) removes the binding (UPDATE events go back to the eventq). The binding belongs to this device's
 * reference and ends with it (detach, reset).
 *
 * Checks: the vector (`ERR` unless `< vectorCount` or `VIRTIO_MSI_NO_VECTOR`), the region attached by this
 * device (`ENOENT`: a device that does not refer to a region receives no UPDATE for it).
 *
 * @module
 */
import { VIRTIO_MSI_NO_VECTOR } from "../../notify/index.js";
import type { VirtioIsmCtrlIrqVector } from "../../../generated/ism/structs.js";
import { VIRTIO_ISM_ENOENT, VIRTIO_ISM_ERR } from "../constants.js";
import { refuse, succeed } from "./context.js";
import type { IsmCommandContext, IsmCommandOutcome } from "./context.js";

/** Executes an event-vector request; see the module comment. */
export function executeEventVector(ctx: IsmCommandContext, request: VirtioIsmCtrlIrqVector): IsmCommandOutcome<undefined> {
  const unbind = request.vector === BigInt(VIRTIO_MSI_NO_VECTOR);
  if (!unbind && request.vector >= BigInt(ctx.device.vectorCount)) {
    return refuse(VIRTIO_ISM_ERR, `vector ${request.vector} is outside the device's ${ctx.device.vectorCount} vectors`);
  }
  const region = ctx.device.attached.get(request.token);
  const referrer = region?.referrer(ctx.device.devid);
  if (referrer === undefined) return refuse(VIRTIO_ISM_ENOENT, `region ${request.token} is not attached by this device`);
  referrer.vector = unbind ? undefined : Number(request.vector);
  return succeed(undefined);
}
