/**
 * The notify area (`VIRTIO_ISM_SHM_ID_NOTIFY`) of a device, as the device model sees it.
 *
 * Layout decided here (spec/ism-decisions.md, "notify address"): the area has one notify address of
 * `notify_size` bytes per chunk slot of the device memory; a region's notify address is the one of the chunk
 * slot holding its *first* chunk in this device, i.e. it starts at `(chunks[0] / chunk_size) * notify_size`.
 * Distinct regions of a device have distinct first slots, so every region gets its own address, which the
 * driver computes from the alloc/attach reply without another command. A write of any value, of any width,
 * anywhere inside the address is a kick (the value carries no meaning in the draft); a write to an address that
 * is not the first slot of an attached region is a stray kick and is ignored.
 *
 * @module
 */
import { EVENTQ_ROUTE } from "./events.js";
import type { IsmEventDelivery } from "./events.js";
import type { IsmRegion } from "./region.js";
import type { IsmDeviceState } from "./commands/context.js";

/** What a kick did. */
export type IsmKickOutcome = "updated" | "stray" | "out-of-range";

/** Result of a kick of the notify area. */
export interface IsmKickResult {
  /** `updated` when the address belongs to an attached region. */
  readonly outcome: IsmKickOutcome;
  /** The kicked region's token, when there is one. */
  readonly token: bigint | undefined;
  /** UPDATE events for every other referrer (eventq, or the vector it bound). */
  readonly events: readonly IsmEventDelivery[];
}

/** @returns the notify-area offset of the region whose first chunk sits in slot `firstSlot` */
export function notifyOffsetOfSlot(firstSlot: number, notifySize: number): number {
  return firstSlot * notifySize;
}

/** @returns the UPDATE events a kick of `region` by `kicker` produces */
export function updateEvents(region: IsmRegion, kicker: bigint): IsmEventDelivery[] {
  return region.referrers
    .filter((r) => r.devid !== kicker)
    .map((r) => ({
      to: r.devid,
      route: r.vector === undefined ? EVENTQ_ROUTE : { kind: "irq", vector: r.vector },
      event: { kind: "update", offset: r.mapping.offset, devid: kicker },
    }));
}

/** A driver write at notify-area offset `offset` of `device`. Never throws. */
export function kickAt(device: IsmDeviceState, offset: number): IsmKickResult {
  const slots = device.memory.chunkCount;
  // slots * notifySize was checked to be a safe integer when the device was created.
  if (!Number.isSafeInteger(offset) || offset < 0 || offset >= slots * device.notifySize) {
    return { outcome: "out-of-range", token: undefined, events: [] };
  }
  const region = device.byFirstSlot.get(Math.floor(offset / device.notifySize));
  if (region === undefined) return { outcome: "stray", token: undefined, events: [] };
  return { outcome: "updated", token: region.token, events: updateEvents(region, device.devid) };
}
