/**
 * The guest's window on a region its device mapped: what a guest sees through the `VIRTIO_ISM_SHM_ID_REGIONS`
 * shared memory region at the offsets an alloc or attach reply gave it.
 *
 * The window is an access handle on the device's mapping with read *and* write as its own permissions: every
 * access is further limited by the mapping's current permissions (its shared control block), which is where the
 * device enforces `rw_perm ∩ permissions`, grants and detaches — in every thread. Handing out a handle with the
 * mapping's permissions of the moment instead would make a later grant that restores WRITE invisible to it.
 *
 * @module
 */
import type { IsmDeviceCore } from "../core.js";
import { REGION_PERM_READ_WRITE, RegionHandle } from "../../shm/index.js";
import type { RegionHandleDescriptor } from "../../shm/index.js";

/**
 * @returns a structured-clone-safe descriptor of `core`'s mapping of `token` if it sits at device offset
 *   `offset`, else `undefined` (not mapped, or mapped elsewhere: a later mapping of the same token)
 */
export function regionWindowDescriptor(core: IsmDeviceCore, token: bigint, offset: number): RegionHandleDescriptor | undefined {
  const handle = core.regionHandle(token);
  if (handle === undefined || handle.offset !== offset) return undefined;
  return { ...handle.toDescriptor(), permissions: REGION_PERM_READ_WRITE };
}

/** @returns the window on `core`'s mapping of `token` at `offset` (see {@link regionWindowDescriptor}) */
export function regionWindow(core: IsmDeviceCore, token: bigint, offset: number): RegionHandle | undefined {
  const descriptor = regionWindowDescriptor(core, token, offset);
  return descriptor === undefined ? undefined : RegionHandle.fromDescriptor(descriptor);
}
