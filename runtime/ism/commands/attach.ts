/**
 * `VIRTIO_ISM_CTRL_ATTACH_REGION`.
 *
 * Checks, in this order (spec/ism-decisions.md, "ack precedence"): malformed fields (`ERR`: `rw_perm` bits
 * other than READ/WRITE, missing lent buffer), the token (`ENOENT`), the lent buffer's range (`ERR`),
 * permissions (`PERM_EATTACH`, then `PERM_EREAD`, then `PERM_EWRITE`), a second attach by the same device
 * (`ERR`), free chunk slots (`ENOSPEC`), reply room (`E2BIG`, with `size` and `num` "for next request").
 * All checks happen before anything changes: a refused attach maps nothing and sends no event.
 *
 * On success the region is mapped into this device's own free chunk slots, lowest first, region chunk `i`
 * into the `i`-th slot — so each device sees the region at its own offsets — with read/write access
 * `rw_perm ∩ permissions`, and every other referrer gets an ATTACH event.
 *
 * @module
 */
import type { VirtioIsmCtrlAttach, VirtioIsmCtrlAttachReplyInput } from "../../../generated/ism/structs.js";
import {
  VIRTIO_ISM_E2BIG,
  VIRTIO_ISM_ENOENT,
  VIRTIO_ISM_ENOSPEC,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_PERM_ATTACH,
  VIRTIO_ISM_PERM_EATTACH,
  VIRTIO_ISM_PERM_EREAD,
  VIRTIO_ISM_PERM_EWRITE,
  VIRTIO_ISM_PERM_READ,
  VIRTIO_ISM_PERM_WRITE,
} from "../constants.js";
import { ISM_RW_PERMISSIONS } from "../permissions.js";
import { chunkReplyBytes } from "../wire/replies.js";
import { refuse, succeed } from "./context.js";
import type { IsmCommandContext, IsmCommandOutcome } from "./context.js";
import { lentBufferProblem } from "./lent-buffer.js";
import { addReference, attachEvents } from "./references.js";

/** Executes an attach request; see the module comment. */
export function executeAttach(ctx: IsmCommandContext, request: VirtioIsmCtrlAttach): IsmCommandOutcome<VirtioIsmCtrlAttachReplyInput> {
  const { device, domain } = ctx;
  if ((request.rw_perm & ~BigInt(ISM_RW_PERMISSIONS)) !== 0n) {
    return refuse(VIRTIO_ISM_ERR, `rw_perm 0x${request.rw_perm.toString(16)} has bits other than READ and WRITE`);
  }
  if (!device.devMem && (request.buffer === undefined || request.buffer === 0n)) {
    return refuse(VIRTIO_ISM_ERR, "VIRTIO_ISM_F_DEV_MEM is not negotiated and no buffer was given");
  }
  const region = domain.regions.get(request.token);
  if (region === undefined) return refuse(VIRTIO_ISM_ENOENT, `no region with token ${request.token}`);
  const bufferProblem = lentBufferProblem(device, request.buffer, BigInt(region.size));
  if (bufferProblem !== undefined) return refuse(VIRTIO_ISM_ERR, bufferProblem);
  const rw = Number(request.rw_perm);
  const granted = region.permissions.of(device.devid);
  if ((granted & VIRTIO_ISM_PERM_ATTACH) === 0) return refuse(VIRTIO_ISM_PERM_EATTACH, "no ATTACH permission");
  if ((rw & VIRTIO_ISM_PERM_READ) !== 0 && (granted & VIRTIO_ISM_PERM_READ) === 0) {
    return refuse(VIRTIO_ISM_PERM_EREAD, "READ asked for without READ permission");
  }
  if ((rw & VIRTIO_ISM_PERM_WRITE) !== 0 && (granted & VIRTIO_ISM_PERM_WRITE) === 0) {
    return refuse(VIRTIO_ISM_PERM_EWRITE, "WRITE asked for without WRITE permission");
  }
  if (device.attached.has(region.token)) return refuse(VIRTIO_ISM_ERR, "the region is already attached by this device");
  const chunks = region.backing.chunkCount;
  if (chunks > device.memory.freeChunks) {
    return refuse(VIRTIO_ISM_ENOSPEC, `${chunks} chunks needed, ${device.memory.freeChunks} free`);
  }
  if (ctx.replyCapacity < chunkReplyBytes(chunks)) {
    // "set the num for next request": size and num are written whenever the fixed part fits.
    return refuse(VIRTIO_ISM_E2BIG, `reply needs ${chunkReplyBytes(chunks)} bytes, ${ctx.replyCapacity} given`, {
      first: BigInt(region.size),
      num: chunks,
    });
  }
  const referrer = addReference(device, region, rw);
  return succeed({ size: BigInt(region.size), chunks: referrer.mapping.chunkOffsets().map(BigInt) }, attachEvents(region, device.devid));
}
