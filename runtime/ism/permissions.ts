/**
 * Region permissions ("Permissions", "Grant ISM Region"): a default set for every device plus dedicated sets
 * for chosen devices, where a dedicated set replaces the default entirely for its device.
 *
 * @module
 */
import {
  VIRTIO_ISM_PERM_ATTACH,
  VIRTIO_ISM_PERM_CLEAN_DEFAULT,
  VIRTIO_ISM_PERM_MANAGE,
  VIRTIO_ISM_PERM_READ,
  VIRTIO_ISM_PERM_WRITE,
} from "./constants.js";

/** READ | WRITE: the bits of an attach `rw_perm` and of a mapping. */
export const ISM_RW_PERMISSIONS = VIRTIO_ISM_PERM_READ | VIRTIO_ISM_PERM_WRITE;

/** Every permission a region can carry: READ | WRITE | ATTACH | MANAGE. */
export const ISM_GRANTABLE_PERMISSIONS = ISM_RW_PERMISSIONS | VIRTIO_ISM_PERM_ATTACH | VIRTIO_ISM_PERM_MANAGE;

/** Bits accepted in a `GRANT_SET_FOR_DEVICE` request: the grantable ones plus `CLEAN_DEFAULT`. */
export const ISM_GRANT_DEVICE_BITS = ISM_GRANTABLE_PERMISSIONS | VIRTIO_ISM_PERM_CLEAN_DEFAULT;

/** Default permissions of a newly allocated region: READ | WRITE | ATTACH ("Grant ISM Region", device MUST). */
export const ISM_DEFAULT_REGION_PERMISSIONS = ISM_RW_PERMISSIONS | VIRTIO_ISM_PERM_ATTACH;

/** Dedicated permissions of the allocating device: READ | WRITE | ATTACH | MANAGE ("Grant ISM Region"). */
export const ISM_ALLOCATOR_PERMISSIONS = ISM_GRANTABLE_PERMISSIONS;

/**
 * The permission table of one region.
 *
 * Invariant: every stored set is a subset of {@link ISM_GRANTABLE_PERMISSIONS} (callers validate request bits
 * before calling the setters, which mask defensively).
 */
export class IsmPermissionTable {
  #default: number;
  readonly #dedicated = new Map<bigint, number>();

  /** @param defaults - the initial default set */
  constructor(defaults: number = ISM_DEFAULT_REGION_PERMISSIONS) {
    this.#default = defaults & ISM_GRANTABLE_PERMISSIONS;
  }

  /** The default set. */
  get defaults(): number {
    return this.#default;
  }

  /** Dedicated sets by devid, in the order they were first set. */
  dedicated(): ReadonlyMap<bigint, number> {
    return new Map(this.#dedicated);
  }

  /** @returns the permissions `devid` has: its dedicated set if it has one, else the default set */
  of(devid: bigint): number {
    return this.#dedicated.get(devid) ?? this.#default;
  }

  /** Replaces the default set. */
  setDefault(permissions: number): void {
    this.#default = permissions & ISM_GRANTABLE_PERMISSIONS;
  }

  /** Replaces (or creates) the dedicated set of `devid`. */
  setDedicated(devid: bigint, permissions: number): void {
    this.#dedicated.set(devid, permissions & ISM_GRANTABLE_PERMISSIONS);
  }
}

/** @returns a readable form such as `"rwa-"` (read, write, attach, manage) for messages and reports */
export function describeIsmPermissions(permissions: number): string {
  return (
    (permissions & VIRTIO_ISM_PERM_READ ? "r" : "-") +
    (permissions & VIRTIO_ISM_PERM_WRITE ? "w" : "-") +
    (permissions & VIRTIO_ISM_PERM_ATTACH ? "a" : "-") +
    (permissions & VIRTIO_ISM_PERM_MANAGE ? "m" : "-")
  );
}
