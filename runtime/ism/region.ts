/**
 * One ism region of a communication domain: its token, its host memory, its permission table and the devices
 * referring to it (each through its own mapping in its own device memory).
 *
 * @module
 */
import type { HostMemory, RegionMapping, SharedRegion } from "../shm/index.js";
import { IsmPermissionTable, ISM_RW_PERMISSIONS } from "./permissions.js";

/** A device's reference to a region. */
export interface IsmReferrer {
  /** The referring device. */
  readonly devid: bigint;
  /** Where the region sits in that device's memory. */
  readonly mapping: RegionMapping;
  /** Access the device asked for: the attach `rw_perm`, or READ | WRITE for the allocator's own mapping. */
  readonly requested: number;
  /** Interrupt vector bound to the region's UPDATE events in this device, if any. */
  vector: number | undefined;
}

/** What {@link IsmRegion} is built from. */
export interface IsmRegionInit {
  /** The region's token. */
  readonly token: bigint;
  /** Requested size in bytes. */
  readonly size: number;
  /** Host memory backing the region. */
  readonly backing: SharedRegion;
  /** The pool `backing` came from (released there when nobody refers to the region). */
  readonly pool: HostMemory;
  /** devid of the allocating device. */
  readonly allocator: bigint;
  /** The allocating device's reset epoch at allocation time (see {@link IsmRegion.allocatorEpoch}). */
  readonly allocatorEpoch: number;
  /** The buffer the allocating driver lent (no `VIRTIO_ISM_F_DEV_MEM`), or `undefined`. */
  readonly lentBuffer: bigint | undefined;
}

/**
 * Domain-wide state of one region.
 *
 * Invariant (kept by the command handlers): for every referrer `r`,
 * `r.mapping.permissions === r.requested & permissions.of(r.devid) & (READ | WRITE)`, and `r.mapping` is a live
 * mapping of `backing` in device `r.devid`'s memory; the referrers are exactly the live mappings of `backing`.
 */
export class IsmRegion {
  /** The region's token. */
  readonly token: bigint;
  /** Requested size in bytes (the query and attach `size`). */
  readonly size: number;
  /** Host memory backing the region. */
  readonly backing: SharedRegion;
  /** Pool the backing came from. */
  readonly pool: HostMemory;
  /** devid of the allocating device. */
  readonly allocator: bigint;
  /**
   * Reset epoch of the allocating device when it allocated: a BUFFER_FREE is only sent if the device has not
   * been reset since, because after a reset its driver no longer owns (or knows) the buffer.
   */
  readonly allocatorEpoch: number;
  /** The buffer the allocating driver lent, or `undefined` under `VIRTIO_ISM_F_DEV_MEM`. */
  readonly lentBuffer: bigint | undefined;
  /** Default and dedicated permissions. */
  readonly permissions = new IsmPermissionTable();
  readonly #referrers = new Map<bigint, IsmReferrer>();

  /** @param init - see {@link IsmRegionInit} */
  constructor(init: IsmRegionInit) {
    this.token = init.token;
    this.size = init.size;
    this.backing = init.backing;
    this.pool = init.pool;
    this.allocator = init.allocator;
    this.allocatorEpoch = init.allocatorEpoch;
    this.lentBuffer = init.lentBuffer;
  }

  /** Devices referring to the region, in the order they attached (the allocator first while it refers). */
  get referrers(): readonly IsmReferrer[] {
    return [...this.#referrers.values()];
  }

  /** Number of referring devices. */
  get referrerCount(): number {
    return this.#referrers.size;
  }

  /** @returns the reference of `devid`, if it refers to the region */
  referrer(devid: bigint): IsmReferrer | undefined {
    return this.#referrers.get(devid);
  }

  /** Records a new reference (the caller mapped the region first). */
  addReferrer(referrer: IsmReferrer): void {
    this.#referrers.set(referrer.devid, referrer);
  }

  /** Forgets the reference of `devid` (the caller unmaps it). */
  removeReferrer(devid: bigint): void {
    this.#referrers.delete(devid);
  }

  /** @returns the read/write permissions the mapping of `referrer` must have now */
  mappingPermissionsOf(referrer: Pick<IsmReferrer, "devid" | "requested">): number {
    return referrer.requested & this.permissions.of(referrer.devid) & ISM_RW_PERMISSIONS;
  }

  /**
   * Re-applies the invariant to every live mapping after a permission change: a grant that takes READ or
   * WRITE away takes it from mappings already made, and a later grant can give back at most what was asked
   * for at attach time.
   */
  syncMappingPermissions(): void {
    for (const r of this.#referrers.values()) r.mapping.setPermissions(this.mappingPermissionsOf(r));
  }
}
