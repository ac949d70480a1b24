/**
 * Feature negotiation of the ISM driver.
 *
 * The driver accepts only bits it implements: `VIRTIO_ISM_F_DEV_MEM` (according to the caller's preference)
 * and `VIRTIO_F_VERSION_1` when offered, and `VIRTIO_F_RING_PACKED` when offered (the spec: a driver SHOULD accept
 * it) unless the caller asks for split rings. Ring features (`VIRTIO_F_EVENT_IDX`, `VIRTIO_F_INDIRECT_DESC`) are
 * not negotiated: the control and event queues carry few, short chains.
 *
 * Without `VIRTIO_ISM_F_DEV_MEM` the driver lends a buffer of guest memory for every alloc and attach ("the
 * driver provides memory"); with it, the device provides the region memory and no buffer goes on the wire.
 *
 * @module
 */
import { VIRTIO_F_RING_PACKED } from "../../virtqueue/index.js";
import { IsmDriverError } from "./errors.js";
import { IsmFeatureMask, VIRTIO_F_VERSION_1_MASK } from "./wire.js";

/**
 * What the driver wants of `VIRTIO_ISM_F_DEV_MEM`:
 * - `prefer`: take it when offered, lend guest buffers otherwise (default);
 * - `require`: fail when the device does not offer it;
 * - `refuse`: never take it (the driver always lends buffers).
 */
export type DevMemPreference = "prefer" | "require" | "refuse";

/** Which ring layout the driver takes: `packed` when the device offers it (default), or always `split`. */
export type RingPreference = "packed" | "split";

/** Mask of `VIRTIO_F_RING_PACKED`. */
export const RING_PACKED_FEATURE: bigint = 1n << BigInt(VIRTIO_F_RING_PACKED);

/** Mask of `VIRTIO_ISM_F_DEV_MEM`. */
export const DEV_MEM_FEATURE: bigint = IsmFeatureMask.VIRTIO_ISM_F_DEV_MEM;

/**
 * Chooses the driver features from the device's offer.
 *
 * @param offered - the device feature bits
 * @param devMem - preference for `VIRTIO_ISM_F_DEV_MEM`
 * @returns the bits the driver accepts (a subset of `offered`)
 * @throws IsmDriverError `feature-unsupported` (DEV_MEM required but not offered) or `invalid-argument`
 */
export function negotiateFeatures(offered: bigint, devMem: DevMemPreference = "prefer", ring: RingPreference = "packed"): bigint {
  if (typeof offered !== "bigint" || offered < 0n || offered >= 1n << 64n) {
    throw new IsmDriverError("invalid-argument", `device features must be a 64-bit unsigned bigint, got ${String(offered)}`);
  }
  if (devMem !== "prefer" && devMem !== "require" && devMem !== "refuse") {
    throw new IsmDriverError("invalid-argument", `unknown DEV_MEM preference ${String(devMem)}`);
  }
  const hasDevMem = (offered & DEV_MEM_FEATURE) !== 0n;
  if (devMem === "require" && !hasDevMem) {
    throw new IsmDriverError("feature-unsupported", "VIRTIO_ISM_F_DEV_MEM is required but the device does not offer it");
  }
  let accepted = offered & VIRTIO_F_VERSION_1_MASK;
  if (hasDevMem && devMem !== "refuse") accepted |= DEV_MEM_FEATURE;
  if (ring !== "packed" && ring !== "split") throw new IsmDriverError("invalid-argument", `unknown ring preference ${String(ring)}`);
  if (ring === "packed") accepted |= offered & RING_PACKED_FEATURE;
  return accepted;
}

/** @returns whether `features` include `VIRTIO_F_RING_PACKED` */
export function hasPackedRing(features: bigint): boolean {
  return (features & RING_PACKED_FEATURE) !== 0n;
}

/** @returns whether `features` include `VIRTIO_ISM_F_DEV_MEM` */
export function hasDevMem(features: bigint): boolean {
  return (features & DEV_MEM_FEATURE) !== 0n;
}
