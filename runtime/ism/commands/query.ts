/**
 * `VIRTIO_ISM_CTRL_QUERY_INFO`: the region's size and the *querying* device's permissions on it.
 *
 * Any device of the domain may query any live region by token, attached or not (spec/ism-decisions.md,
 * "query of a region not attached"): the normative text only requires the region to exist, and a peer needs
 * its permissions before it attaches.
 *
 * @module
 */
import type { VirtioIsmCtrlQuery, VirtioIsmCtrlQueryReply } from "../../../generated/ism/structs.js";
import { ISM_QUERY_REPLY_SIZE, VIRTIO_ISM_E2BIG, VIRTIO_ISM_ENOENT } from "../constants.js";
import { refuse, succeed } from "./context.js";
import type { IsmCommandContext, IsmCommandOutcome } from "./context.js";

/** Executes a query request; see the module comment. */
export function executeQuery(ctx: IsmCommandContext, request: VirtioIsmCtrlQuery): IsmCommandOutcome<VirtioIsmCtrlQueryReply> {
  const region = ctx.domain.regions.get(request.token);
  if (region === undefined) return refuse(VIRTIO_ISM_ENOENT, `no region with token ${request.token}`);
  if (ctx.replyCapacity < ISM_QUERY_REPLY_SIZE) {
    return refuse(VIRTIO_ISM_E2BIG, `query reply needs ${ISM_QUERY_REPLY_SIZE} bytes, ${ctx.replyCapacity} given`);
  }
  return succeed({ size: BigInt(region.size), permissions: BigInt(region.permissions.of(ctx.device.devid)) });
}
