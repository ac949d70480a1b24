/**
 * `VIRTIO_ISM_CTRL_ALLOC_REGION`.
 *
 * Checks, in this order (spec/ism-decisions.md, "ack precedence"): malformed fields (`ERR`: size 0, missing
 * or impossible lent buffer), free chunk slots (`ENOSPEC`: "the device MUST first look for the free chunks"),
 * reply room (`E2BIG`), host memory (`ENOMEM`). Every refusal happens before anything is taken, so a refused
 * alloc leaves no region, no mapping, no host memory and no token behind.
 *
 * @module
 */
import { ShmError } from "../../shm/index.js";
import { VIRTIO_ISM_E2BIG, VIRTIO_ISM_ENOMEM, VIRTIO_ISM_ENOSPEC, VIRTIO_ISM_ERR } from "../constants.js";
import { ISM_ALLOCATOR_PERMISSIONS, ISM_RW_PERMISSIONS } from "../permissions.js";
import { IsmRegion } from "../region.js";
import type { VirtioIsmCtrlAlloc, VirtioIsmCtrlAllocReplyInput } from "../../../generated/ism/structs.js";
import { chunkReplyBytes } from "../wire/replies.js";
import { refuse, succeed } from "./context.js";
import type { IsmCommandContext, IsmCommandOutcome } from "./context.js";
import { lentBufferProblem } from "./lent-buffer.js";
import { addReference } from "./references.js";

/** Executes an alloc request; see the module comment. */
export function executeAlloc(ctx: IsmCommandContext, request: VirtioIsmCtrlAlloc): IsmCommandOutcome<VirtioIsmCtrlAllocReplyInput> {
  const { device, domain } = ctx;
  if (request.size === 0n) return refuse(VIRTIO_ISM_ERR, "alloc of size 0");
  const bufferProblem = lentBufferProblem(device, request.buffer, request.size);
  if (bufferProblem !== undefined) return refuse(VIRTIO_ISM_ERR, bufferProblem);
  const chunkSize = BigInt(domain.chunkSize);
  // size >= 1, so num >= 1: "If size is smaller than chunk_size, the ism region also occupies one chunk."
  const num = (request.size + chunkSize - 1n) / chunkSize;
  if (num > BigInt(device.memory.freeChunks)) {
    return refuse(VIRTIO_ISM_ENOSPEC, `${num} chunks needed, ${device.memory.freeChunks} free`);
  }
  // From here num <= free slots <= 2^24 and size <= num * chunkSize <= the device memory size, a safe integer.
  const chunks = Number(num);
  const size = Number(request.size);
  if (ctx.replyCapacity < chunkReplyBytes(chunks)) {
    // Nothing allocated; the hint tells the driver how many chunks to make room for (token 0: none issued).
    return refuse(VIRTIO_ISM_E2BIG, `reply needs ${chunkReplyBytes(chunks)} bytes, ${ctx.replyCapacity} given`, { first: 0n, num: chunks });
  }
  const pool = domain.poolFor(device.devMem);
  let backing;
  try {
    backing = pool.allocateRegion(size, domain.chunkSize);
  } catch (cause) {
    if (cause instanceof ShmError && cause.reason === "host-memory-exhausted") {
      return refuse(VIRTIO_ISM_ENOMEM, cause.message);
    }
    throw cause;
  }
  const token = domain.regions.issueToken();
  if (token === undefined) {
    pool.free(backing);
    return refuse(VIRTIO_ISM_ERR, "no fresh token could be drawn (random source broken)");
  }
  const region = new IsmRegion({
    token,
    size,
    backing,
    pool,
    allocator: device.devid,
    allocatorEpoch: device.epoch,
    lentBuffer: device.devMem ? undefined : request.buffer,
  });
  region.permissions.setDedicated(device.devid, ISM_ALLOCATOR_PERMISSIONS);
  domain.regions.add(region);
  // A fresh SharedArrayBuffer is zero-filled (ECMA-262 CreateSharedByteDataBlock) and region buffers are never
  // recycled, so the region is clear before the driver sees it, as "Alloc ISM Region" requires.
  const referrer = addReference(device, region, ISM_RW_PERMISSIONS);
  return succeed({ token, chunks: referrer.mapping.chunkOffsets().map(BigInt) });
}
