/**
 * DEVICE_NEEDS_RESET end to end (virtio 1.x §2.1, QEMU's `virtio_error`): a guest whose driver breaks its own
 * controlq gets its pending request failed with a named error, resets the device, and works again; the other
 * guests of the domain are served throughout and see the broken guest's regions detached by the reset.
 */
import { describe, expect, it } from "vitest";
import { DEVICE_NEEDS_RESET } from "../../runtime/ism/device-status.js";
import { IsmDriverError, layoutDriverMemory } from "../../runtime/ism/driver/index.js";
import type { IsmDriver } from "../../runtime/ism/driver/index.js";
import type { IsmLocalGuest } from "../../runtime/ism/guest/index.js";
import { isPackedRing, VRING_DESC_F_NEXT } from "../../runtime/virtqueue/index.js";
import type { RingAddresses, SplitRingAddresses } from "../../runtime/virtqueue/index.js";
import { localDomain, record, settle } from "./driver-helpers.js";

/** These tests corrupt split rings (the guests here negotiate no packed ring). */
function splitRing(r: RingAddresses): SplitRingAddresses {
  if (isPackedRing(r)) throw new Error("a split ring was expected");
  return r;
}

/**
 * Makes the next controlq notification of `guest` carry a hostile chain: the head descriptor of the chain the
 * driver just made available is rewritten to point at itself (a loop the device must refuse), as a buggy or
 * hostile guest kernel could. The driver's own bookkeeping is private and untouched.
 */
function loopNextControlChain(guest: IsmLocalGuest): void {
  const ring = splitRing(layoutDriverMemory(guest.ram, 64, 64).controlq);
  const real = guest.notifyQueue.bind(guest);
  guest.notifyQueue = (queue: number): void => {
    if (queue === 0) {
      guest.notifyQueue = real;
      const memory = guest.memory;
      const availIdx = memory.readU16(ring.availAddress + 2);
      const slot = (availIdx - 1) & (ring.size - 1);
      const head = memory.readU16(ring.availAddress + 4 + 2 * slot);
      const desc = ring.descAddress + 16 * head;
      memory.writeU16(desc + 12, VRING_DESC_F_NEXT);
      memory.writeU16(desc + 14, head);
    }
    real(queue);
  };
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(IsmDriverError);
    return (error as IsmDriverError).reason;
  }
  return "resolved";
}

describe("DEVICE_NEEDS_RESET on an ISM device whose controlq the driver broke", () => {
  it("fails the pending request with device-needs-reset, sets the status bit with a config interrupt, and works again after a reset", async () => {
    const { guests, drivers } = await localDomain(3);
    const [g0, g1, g2] = guests as [IsmLocalGuest, IsmLocalGuest, IsmLocalGuest];
    const [d0, d1, d2] = drivers as [IsmDriver, IsmDriver, IsmDriver];
    // g0 shares a region with g1 before it breaks.
    const shared = await d0.alloc(8192);
    await d0.grant(shared.token, { read: true, write: true, attach: true });
    const attached = await d1.attach(shared.token);
    const g1Events = record(d1);
    const needsReset: IsmDriverError[] = [];
    d0.on("needs-reset", (e) => needsReset.push(e));
    const configBefore = g0.deviceStatus.configChange.load();
    const lineBefore = g0.interruptLine.load();

    loopNextControlChain(g0);
    const pending = d0.query(shared.token);
    expect(await reasonOf(pending)).toBe("device-needs-reset");

    // The device: the queue broken with the virtqueue's reason, DEVICE_NEEDS_RESET set, one config change sent.
    expect(g0.hosted.needsReset).toMatchObject({ queue: "controlq", reason: "chain-too-long" });
    expect(g0.deviceStatus.bits & DEVICE_NEEDS_RESET).toBe(DEVICE_NEEDS_RESET);
    expect(g0.deviceStatus.configChange.load()).toBe(configBefore + 1);
    expect(g0.interruptLine.load()).toBeGreaterThan(lineBefore);
    expect(d0.deviceNeedsReset).toBe(true);
    expect(needsReset.map((e) => e.reason)).toEqual(["device-needs-reset"]);
    expect(d0.failure?.reason).toBe("device-needs-reset");
    // Until the reset, new requests fail the same way; the broken queue is never touched again.
    expect(await reasonOf(d0.alloc(4096))).toBe("device-needs-reset");
    expect(g0.hosted.poll()).toBe(0);

    // The other guests are served while g0 waits for its reset.
    const other = await d2.alloc(4096);
    expect((await d1.query(other.token)).size).toBe(4096);
    expect(attached.attached).toBe(true);

    await d0.reset();
    await settle();
    expect(d0.resets).toBe(1);
    expect(g0.hosted.resets).toBe(1);
    expect(d0.deviceNeedsReset).toBe(false);
    expect(g0.deviceStatus.bits).toBe(0);
    expect(d0.failure).toBeUndefined();
    // The reset detached g0's regions: its own handle is gone and g1 was told the peer left (no other peer remains).
    expect(shared.attached).toBe(false);
    expect(d0.regions()).toEqual([]);
    expect(g1Events.some((e) => e.type === "DETACH" && e.region === attached && e.devid === d0.devid && e.peers === 0)).toBe(true);

    // g0 works again: alloc, share, kick, on fresh rings.
    const again = await d0.alloc(4096);
    await d0.grant(again.token, { read: true, write: true, attach: true });
    const peer = await d2.attach(again.token);
    again.write(0, Uint8Array.of(1, 2, 3));
    expect([...peer.read(0, 3)]).toEqual([1, 2, 3]);
    expect(d0.pendingRequests).toBe(0);
    expect(g0.hosted.needsReset).toBeUndefined();
    expect(d0.memory.lentBuffers).toBe(0);
  });

  it("breaking the eventq sets DEVICE_NEEDS_RESET the same way (one error path for every queue)", async () => {
    const { guests, drivers } = await localDomain(2);
    const [g0] = guests as [IsmLocalGuest];
    const [d0, d1] = drivers as [IsmDriver, IsmDriver];
    const region = await d0.alloc(4096);
    await d0.grant(region.token, { read: true, attach: true });
    // avail.idx of the eventq runs 1000 entries ahead of a 64-entry ring; the next event makes the device look.
    const eventq = splitRing(layoutDriverMemory(g0.ram, 64, 64).eventq);
    g0.memory.writeU16(eventq.availAddress + 2, (g0.memory.readU16(eventq.availAddress + 2) + 1000) & 0xffff);
    await d1.attach(region.token, { read: true });
    await settle();
    expect(g0.hosted.needsReset).toMatchObject({ queue: "eventq", reason: "avail-idx-runaway" });
    expect(d0.deviceNeedsReset).toBe(true);
    expect(await reasonOf(d0.query(region.token))).toBe("device-needs-reset");
    await d0.reset();
    const fresh = await d0.alloc(4096);
    expect((await d0.query(fresh.token)).size).toBe(4096);
  });
});
