/**
 * Region permissions as the driver API spells them (`{ read, write, attach, manage }`) and as the wire does
 * (the `VIRTIO_ISM_PERM_*` bits of the generated constants).
 *
 * @module
 */
import { IsmDriverError } from "./errors.js";
import { IsmPermission } from "./wire.js";

/** A set of region permissions; a missing member is `false`. */
export interface IsmPermissionSet {
  /** `VIRTIO_ISM_PERM_READ`: may read (attach with read access). */
  readonly read?: boolean;
  /** `VIRTIO_ISM_PERM_WRITE`: may write. */
  readonly write?: boolean;
  /** `VIRTIO_ISM_PERM_ATTACH`: may attach. */
  readonly attach?: boolean;
  /** `VIRTIO_ISM_PERM_MANAGE`: may change the region's permissions. */
  readonly manage?: boolean;
}

/** Read and write access of a mapping (what `attach` asks for, what a mapping has now). */
export interface IsmAccess {
  /** Readable. */
  readonly read: boolean;
  /** Writable. */
  readonly write: boolean;
}

/** Every permission bit the driver sends in a grant (CLEAN_DEFAULT is added by `grantDevice` on request). */
const GRANTABLE = IsmPermission.READ | IsmPermission.WRITE | IsmPermission.ATTACH | IsmPermission.MANAGE;

/**
 * @returns the wire bits of `set` (a number is checked to hold only READ/WRITE/ATTACH/MANAGE)
 * @throws IsmDriverError `invalid-argument`
 */
export function permissionBits(set: IsmPermissionSet | number): number {
  if (typeof set === "number") {
    if (!Number.isInteger(set) || set < 0 || (set & ~GRANTABLE) !== 0) {
      throw new IsmDriverError("invalid-argument", `permission bits must be a combination of READ, WRITE, ATTACH, MANAGE; got ${String(set)}`);
    }
    return set;
  }
  if (typeof set !== "object" || set === null) throw new IsmDriverError("invalid-argument", "permissions must be an object or a number");
  return (
    (set.read === true ? IsmPermission.READ : 0) |
    (set.write === true ? IsmPermission.WRITE : 0) |
    (set.attach === true ? IsmPermission.ATTACH : 0) |
    (set.manage === true ? IsmPermission.MANAGE : 0)
  );
}

/** @returns the permission set of wire bits `bits` (unknown bits are ignored) */
export function permissionSet(bits: number): Required<IsmPermissionSet> {
  return {
    read: (bits & IsmPermission.READ) !== 0,
    write: (bits & IsmPermission.WRITE) !== 0,
    attach: (bits & IsmPermission.ATTACH) !== 0,
    manage: (bits & IsmPermission.MANAGE) !== 0,
  };
}

/** @returns the `rw_perm` bits of an access request */
export function accessBits(access: Partial<IsmAccess>): number {
  if (typeof access !== "object" || access === null) throw new IsmDriverError("invalid-argument", "access must be an object { read, write }");
  return (access.read === true ? IsmPermission.READ : 0) | (access.write === true ? IsmPermission.WRITE : 0);
}

/** @returns a short text form such as `rw--` (read, write, attach, manage) */
export function describePermissionBits(bits: number): string {
  const s = permissionSet(bits);
  return `${s.read ? "r" : "-"}${s.write ? "w" : "-"}${s.attach ? "a" : "-"}${s.manage ? "m" : "-"}`;
}
