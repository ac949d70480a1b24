/**
 * `VIRTIO_ISM_CTRL_GRANT_SET_DEFAULT` and `VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE`.
 *
 * Checks: permission bits (`ERR` for unknown bits, and for `CLEAN_DEFAULT` in `SET_DEFAULT`: "just used with
 * VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE"), the peer devid (`ERR` unless it names a device of the domain),
 * the region attached by this device (`ENOENT`, as the normative text says), the MANAGE permission (`ERR`:
 * the draft defines no ack for it; see spec/ism-decisions.md, "grant without MANAGE").
 *
 * `CLEAN_DEFAULT` in `SET_FOR_DEVICE` is accepted and stored as nothing: a dedicated set already replaces
 * the default for its device ("if there is dedicated permissions, the default permissions are illegal to this
 * device"), so "clean all permissions of default" is what every dedicated grant does.
 *
 * A grant applies to live mappings at once: each referrer's mapping keeps `rw_perm ∩ its permissions`, so
 * taking READ or WRITE away takes it from handles already in use.
 *
 * @module
 */
import type { VirtioIsmCtrlGrantDefault, VirtioIsmCtrlGrantDev } from "../../../generated/ism/structs.js";
import { VIRTIO_ISM_ENOENT, VIRTIO_ISM_ERR, VIRTIO_ISM_PERM_MANAGE } from "../constants.js";
import { ISM_GRANT_DEVICE_BITS, ISM_GRANTABLE_PERMISSIONS } from "../permissions.js";
import { IsmRegion } from "../region.js";
import { refuse, succeed } from "./context.js";
import type { IsmCommandContext, IsmCommandOutcome } from "./context.js";

/** The region if this device refers to it and holds MANAGE, else the refusal. */
function managedRegion(ctx: IsmCommandContext, token: bigint): IsmRegion | IsmCommandOutcome<undefined> {
  const region = ctx.device.attached.get(token);
  if (region === undefined) return refuse(VIRTIO_ISM_ENOENT, `region ${token} is not attached by this device`);
  if ((region.permissions.of(ctx.device.devid) & VIRTIO_ISM_PERM_MANAGE) === 0) {
    return refuse(VIRTIO_ISM_ERR, "no MANAGE permission on the region");
  }
  return region;
}

/** Executes `GRANT_SET_DEFAULT`. */
export function executeGrantDefault(ctx: IsmCommandContext, request: VirtioIsmCtrlGrantDefault): IsmCommandOutcome<undefined> {
  if ((request.permissions & ~BigInt(ISM_GRANTABLE_PERMISSIONS)) !== 0n) {
    return refuse(VIRTIO_ISM_ERR, `permissions 0x${request.permissions.toString(16)} have bits a default set cannot hold`);
  }
  const region = managedRegion(ctx, request.token);
  if (!(region instanceof IsmRegion)) return region;
  region.permissions.setDefault(Number(request.permissions));
  region.syncMappingPermissions();
  return succeed(undefined);
}

/** Executes `GRANT_SET_FOR_DEVICE`. */
export function executeGrantDevice(ctx: IsmCommandContext, request: VirtioIsmCtrlGrantDev): IsmCommandOutcome<undefined> {
  if ((request.permissions & ~BigInt(ISM_GRANT_DEVICE_BITS)) !== 0n) {
    return refuse(VIRTIO_ISM_ERR, `permissions 0x${request.permissions.toString(16)} have unknown bits`);
  }
  if (!ctx.domain.hasDevice(request.peer_devid)) {
    return refuse(VIRTIO_ISM_ERR, `peer_devid ${request.peer_devid} names no device of this domain`);
  }
  const region = managedRegion(ctx, request.token);
  if (!(region instanceof IsmRegion)) return region;
  region.permissions.setDedicated(request.peer_devid, Number(request.permissions) & ISM_GRANTABLE_PERMISSIONS);
  region.syncMappingPermissions();
  return succeed(undefined);
}
