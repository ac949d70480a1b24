/**
 * Read/write permission bits of a region mapping. The values are those of `VIRTIO_ISM_PERM_READ` and
 * `VIRTIO_ISM_PERM_WRITE` in the virtio-ism proposal, so an attach request's `rw_perm` can be passed through.
 *
 * @module
 */
import { ShmError } from "./errors.js";

/** Read permission (`VIRTIO_ISM_PERM_READ`, bit 0). */
export const REGION_PERM_READ = 1;
/** Write permission (`VIRTIO_ISM_PERM_WRITE`, bit 1). */
export const REGION_PERM_WRITE = 2;
/** Read and write. */
export const REGION_PERM_READ_WRITE = REGION_PERM_READ | REGION_PERM_WRITE;

/** A combination of {@link REGION_PERM_READ} and {@link REGION_PERM_WRITE} (0 = no access). */
export type RegionPermissions = number;

/**
 * @returns `permissions` unchanged if it only uses the read/write bits
 * @throws ShmError `invalid-permissions` otherwise
 */
export function checkPermissions(permissions: unknown): RegionPermissions {
  if (typeof permissions !== "number" || !Number.isInteger(permissions) || (permissions & ~3) !== 0 || permissions < 0) {
    throw new ShmError("invalid-permissions", `permissions must be a combination of read (1) and write (2), got ${String(permissions)}`);
  }
  return permissions;
}

/** @returns a readable form such as `"rw"`, `"r-"` or `"--"` for messages */
export function describePermissions(permissions: RegionPermissions): string {
  return `${permissions & REGION_PERM_READ ? "r" : "-"}${permissions & REGION_PERM_WRITE ? "w" : "-"}`;
}
