/**
 * Taking and dropping a device's reference to a region — shared by alloc, attach, detach and device reset, so
 * that the bookkeeping (mapping, referrer list, per-device indexes, events, release of the host memory) is
 * written once.
 *
 * @module
 */
import { EVENTQ_ROUTE } from "../events.js";
import type { IsmEventDelivery } from "../events.js";
import type { IsmReferrer, IsmRegion } from "../region.js";
import type { IsmDeviceState, IsmDomainServices } from "./context.js";

/** Chunk-slot index of the first chunk of `referrer`'s mapping: the index of the region's notify address. */
export function firstSlotOf(referrer: IsmReferrer): number {
  return referrer.mapping.chunkSlots[0]!;
}

/**
 * Maps `region` into `device`'s memory with the access it asked for (limited by its permissions) and records
 * the reference. The caller checked that the device has enough free chunk slots and does not refer to the
 * region yet, so the map cannot fail.
 */
export function addReference(device: IsmDeviceState, region: IsmRegion, requested: number): IsmReferrer {
  const mapping = device.memory.map(region.backing, region.mappingPermissionsOf({ devid: device.devid, requested }));
  const referrer: IsmReferrer = { devid: device.devid, requested, mapping, vector: undefined };
  region.addReferrer(referrer);
  device.attached.set(region.token, region);
  device.byFirstSlot.set(firstSlotOf(referrer), region);
  return referrer;
}

/** ATTACH events to every referrer but `newcomer`, each with the region's offset in the receiver's memory. */
export function attachEvents(region: IsmRegion, newcomer: bigint): IsmEventDelivery[] {
  const peers = region.referrerCount - 1;
  return region.referrers
    .filter((r) => r.devid !== newcomer)
    .map((r) => ({ to: r.devid, route: EVENTQ_ROUTE, event: { kind: "attach", offset: r.mapping.offset, devid: newcomer, peers } }));
}

/**
 * Drops `device`'s reference to `region`: unmaps it (every handle of the mapping stops working), sends DETACH
 * to the remaining referrers, and when nobody is left releases the host memory, retires the token and — for a
 * region whose memory the allocating driver lent — sends BUFFER_FREE to the allocating device, unless that
 * device was reset since (its driver no longer knows the buffer).
 */
export function dropReference(domain: IsmDomainServices, device: IsmDeviceState, region: IsmRegion): IsmEventDelivery[] {
  const referrer = region.referrer(device.devid);
  if (referrer === undefined) return [];
  device.byFirstSlot.delete(firstSlotOf(referrer));
  device.attached.delete(region.token);
  device.memory.unmap(referrer.mapping);
  region.removeReferrer(device.devid);
  const remaining = region.referrers;
  const events: IsmEventDelivery[] = remaining.map((r) => ({
    to: r.devid,
    route: EVENTQ_ROUTE,
    event: { kind: "detach", offset: r.mapping.offset, devid: device.devid, peers: remaining.length - 1 },
  }));
  if (remaining.length === 0) {
    domain.regions.remove(region.token);
    region.pool.free(region.backing);
    if (region.lentBuffer !== undefined && domain.epochOf(region.allocator) === region.allocatorEpoch) {
      events.push({ to: region.allocator, route: EVENTQ_ROUTE, event: { kind: "buffer-free", buffer: region.lentBuffer } });
    }
  }
  return events;
}
