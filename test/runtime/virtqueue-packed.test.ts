/**
 * Packed virtqueue (virtio 1.x §2.8): driver and device together on hand-checked ring contents, event
 * suppression, IN_ORDER batches, and every hostile case — with the split ring's reason names where the rule
 * is the same, and the packed ring's own (wrong-wrap-counter, avail-ring-overrun, used-id-not-in-flight).
 */
import { describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import { PackedQueueDevice, PackedQueueDriver, UsedBuffer, VirtqueueError, contiguousPackedRing } from "../../runtime/virtqueue/index.js";
import type { PackedRingAddresses, VirtqueueBrokenReason } from "../../runtime/virtqueue/index.js";
import { DATA, makeMemory } from "./fixtures/virtqueue-harness.js";
import { F_AVAIL, F_INDIRECT, F_NEXT, F_USED, F_WRITE, RawPackedRing, availBits, packedAt, usedBits } from "./fixtures/packed-harness.js";

function expectBroken(device: PackedQueueDevice, reason: VirtqueueBrokenReason): void {
  const chain = device.createChain();
  expect(device.pop(chain)).toBe("broken");
  expect(device.brokenReason).toBe(reason);
  expect(device.brokenDetail).not.toBe("");
  expect(device.pop(chain)).toBe("broken");
  expect(device.addUsed(0, 0)).toBe(false);
  expect(device.pushUsed(0, 0)).toBe(false);
  expect(device.needsInterrupt()).toBe(false);
  expect(device.enableKicks()).toBe(false);
  device.disableKicks();
  device.publishUsed();
}

/** A device over a ring the test writes by hand (lap 1: available = AVAIL set, USED clear). */
function hostile(size = 4, options: ConstructorParameters<typeof PackedQueueDevice>[2] = {}): { raw: RawPackedRing; device: PackedQueueDevice; memory: GuestMemory } {
  const memory = makeMemory();
  const ring = packedAt(size);
  return { raw: new RawPackedRing(memory, ring), device: new PackedQueueDevice(memory, ring, options), memory };
}

describe("packed virtqueue: driver and device together", () => {
  it("writes descriptors as §2.8 lays them out and returns token and written length", () => {
    const memory = makeMemory();
    const ring = packedAt(4);
    const driver = new PackedQueueDriver<string>(memory, ring);
    const device = new PackedQueueDevice(memory, ring);
    const raw = new RawPackedRing(memory, ring);
    expect(driver.add([{ address: DATA, length: 5 }], [{ address: DATA + 0x100, length: 32 }], "a")).toBe("added");
    // Head: readable, NEXT, AVAIL=1 USED=0; the ID (0, the first free) in both descriptors.
    expect(raw.readDesc(0)).toEqual({ addr: DATA, len: 5, id: 0, flags: F_NEXT | F_AVAIL });
    expect(raw.readDesc(1)).toEqual({ addr: DATA + 0x100, len: 32, id: 0, flags: F_WRITE | F_AVAIL });
    memory.write(DATA, Uint8Array.from([1, 2, 3, 4, 5]));
    const chain = device.createChain();
    expect(device.pop(chain)).toBe("popped");
    expect([chain.head, chain.count, chain.readableCount, chain.readableBytes, chain.writableBytes]).toEqual([0, 2, 1, 5, 32]);
    expect(device.pop(chain)).toBe("empty");
    expect(device.pushUsed(0, 7)).toBe(true);
    // Used descriptor at the list's first position: ID, length, AVAIL=USED=1, WRITE (data was written).
    expect(raw.readDesc(0)).toMatchObject({ id: 0, len: 7, flags: F_AVAIL | F_USED | F_WRITE });
    const used = new UsedBuffer<string>();
    expect(driver.getUsed(used)).toBe("used");
    expect([used.token, used.length, used.head]).toEqual(["a", 7, 0]);
    expect(driver.getUsed(used)).toBe("empty");
    expect(driver.numFree).toBe(4);
  });

  it("flips both wrap counters at the end of the ring, on a size that is not a power of two", () => {
    const memory = makeMemory();
    const ring = packedAt(3);
    const driver = new PackedQueueDriver<number>(memory, ring);
    const device = new PackedQueueDevice(memory, ring);
    const raw = new RawPackedRing(memory, ring);
    const chain = device.createChain();
    const used = new UsedBuffer<number>();
    for (let i = 0; i < 20; i++) {
      expect(driver.add([{ address: DATA, length: 4 }], [{ address: DATA + 64, length: 4 }], i)).toBe("added");
      expect(device.pop(chain)).toBe("popped");
      expect(device.pushUsed(chain.head, 4)).toBe(true);
      expect(driver.getUsed(used)).toBe("used");
      expect(used.token).toBe(i);
    }
    // 20 lists of 2 = 40 descriptors = 13 laps + 1: the device is in lap 2 (wrap 0) at position 1.
    expect([device.nextAvailPosition, device.availWrapCounter]).toEqual([1, 0]);
    // Position 0 holds the last used descriptor, written in lap 0 (AVAIL=USED=0).
    // The last list (descriptors 38, 39) sat at position 2 of lap 12 (wrap 1) and position 0 of lap 13
    // (wrap 0): its used descriptor overwrote the first, the second still reads available in lap 0.
    expect(raw.readDesc(2).flags & (F_AVAIL | F_USED)).toBe(usedBits(1));
    expect(raw.readDesc(0).flags & (F_AVAIL | F_USED)).toBe(availBits(0));
  });

  it("uses an indirect table: one ring descriptor; only WRITE counts inside the table", () => {
    const memory = makeMemory();
    const ring = packedAt(2);
    const driver = new PackedQueueDriver<number>(memory, ring, { indirectDesc: true });
    const device = new PackedQueueDevice(memory, ring, { indirectDesc: true, maxChainLength: 8 });
    const raw = new RawPackedRing(memory, ring);
    const TABLE = 0x3000;
    const bufs = [1, 2, 3].map((k) => ({ address: DATA + 0x40 * k, length: k }));
    expect(driver.add(bufs, [{ address: DATA + 0x400, length: 9 }], 7, TABLE)).toBe("added");
    expect(raw.readDesc(0)).toEqual({ addr: TABLE, len: 64, id: 0, flags: F_INDIRECT | F_AVAIL });
    expect(driver.numFree).toBe(1);
    // A driver that sets reserved flags inside the table (NEXT, INDIRECT) changes nothing (§2.8.16).
    memory.writeU16(TABLE + 14, F_NEXT | F_INDIRECT);
    const chain = device.createChain();
    expect(device.pop(chain), device.brokenDetail).toBe("popped");
    expect([chain.indirect, chain.count, chain.readableCount, chain.writableBytes]).toEqual([true, 4, 3, 9]);
  });

  it("IN_ORDER: a run of completely used buffers is one used descriptor; the driver hands out each", () => {
    const memory = makeMemory();
    const ring = packedAt(8);
    const driver = new PackedQueueDriver<number>(memory, ring, { inOrder: true });
    const device = new PackedQueueDevice(memory, ring, { inOrder: true });
    const raw = new RawPackedRing(memory, ring);
    for (let t = 0; t < 3; t++) expect(driver.add([{ address: DATA, length: 4 }], [{ address: DATA + 64, length: 8 }], t)).toBe("added");
    const chain = device.createChain();
    const heads: number[] = [];
    for (let t = 0; t < 3; t++) {
      expect(device.pop(chain)).toBe("popped");
      heads.push(chain.head);
    }
    expect(() => device.addUsed(heads[1]!, 8)).toThrow(VirtqueueError);
    device.addUsed(heads[0]!, 8);
    device.addUsed(heads[1]!, 8);
    device.addUsed(heads[2]!, 3);
    device.publishUsed();
    // One used descriptor at position 0 carrying the last ID; positions 2 and 4 still hold available ones.
    expect(raw.readDesc(0)).toMatchObject({ id: heads[2], len: 3, flags: F_AVAIL | F_USED | F_WRITE });
    expect(raw.readDesc(2).flags & (F_AVAIL | F_USED)).toBe(availBits(1));
    expect(device.nextUsedPosition).toBe(6);
    const used = new UsedBuffer<number>();
    const got: [number, number][] = [];
    while (driver.getUsed(used) === "used") got.push([used.token!, used.length]);
    expect(got).toEqual([
      [0, 8],
      [1, 8],
      [2, 3],
    ]);
    expect(driver.broken).toBe(false);
    expect(driver.numFree).toBe(8);
  });

  it("event suppression: DISABLE, ENABLE and EVENT_IDX off_wrap in both directions", () => {
    const memory = makeMemory();
    const ring = packedAt(4);
    const driver = new PackedQueueDriver<number>(memory, ring, { eventIdx: true });
    const device = new PackedQueueDevice(memory, ring, { eventIdx: true });
    const raw = new RawPackedRing(memory, ring);
    device.disableKicks();
    expect(raw.deviceEvent().flags).toBe(1);
    driver.add([{ address: DATA, length: 4 }], [], 0);
    expect(driver.needsKick()).toBe(false);
    const chain = device.createChain();
    expect(device.pop(chain)).toBe("popped");
    expect(device.enableKicks()).toBe(false);
    // DESC with off_wrap = position 1, wrap 1.
    expect(raw.deviceEvent()).toEqual({ offWrap: 1 | (1 << 15), flags: 2 });
    driver.add([{ address: DATA, length: 4 }], [], 1);
    expect(driver.needsKick()).toBe(true);
    driver.add([{ address: DATA, length: 4 }], [], 2);
    expect(driver.needsKick()).toBe(false);
    // Driver side: DESC asking for the used descriptor at position 0.
    expect(driver.enableUsedNotifications()).toBe(false);
    expect(raw.driverEvent()).toEqual({ offWrap: 0 | (1 << 15), flags: 2 });
    device.pushUsed(chain.head, 0);
    expect(device.needsInterrupt()).toBe(true);
    device.pop(chain);
    device.pushUsed(chain.head, 0);
    // The driver has not moved its event: no second interrupt.
    expect(device.needsInterrupt()).toBe(false);
    driver.disableUsedNotifications();
    expect(raw.driverEvent().flags).toBe(1);
  });

  it("NOTIFICATION_DATA carries the next position and wrap; reset hands back what was outstanding", () => {
    const memory = makeMemory();
    const ring = packedAt(3);
    const driver = new PackedQueueDriver<number>(memory, ring);
    const device = new PackedQueueDevice(memory, ring);
    driver.add([{ address: DATA, length: 4 }], [{ address: DATA + 8, length: 4 }], 0);
    driver.add([{ address: DATA, length: 4 }], [], 1);
    // 3 descriptors used of 3: next position 0 in lap 0.
    expect(driver.notificationData(5)).toBe(5);
    expect(device.notifiedAvailable(driver.notificationData(5))).toBe(3);
    const chain = device.createChain();
    device.pop(chain);
    device.reset();
    expect(driver.reset().sort()).toEqual([0, 1]);
    expect(device.pop(chain)).toBe("empty");
    driver.add([{ address: DATA, length: 4 }], [], 2);
    expect(device.pop(chain)).toBe("popped");
    expect(device.pushUsed(chain.head, 0)).toBe(true);
    const used = new UsedBuffer<number>();
    expect(driver.getUsed(used)).toBe("used");
    expect(used.token).toBe(2);
  });
});

describe("packed virtqueue: device against a hostile driver", () => {
  it.each([
    ["size 0", { size: 0 }, "ring-size-invalid"],
    ["size 2.5", { size: 2.5 }, "ring-size-invalid"],
    ["size 32769", { size: 32769 }, "ring-size-too-large"],
    ["descriptor ring not 16-aligned", { descAddress: 8 }, "misaligned-ring"],
    ["driver area not 4-aligned", { driverEventAddress: 0x1002 }, "misaligned-ring"],
    ["device area past the end", { deviceEventAddress: 0x10000 }, "ring-outside-memory"],
    ["device area beyond 2^53", { deviceEventAddress: 2 ** 60 }, "ring-outside-memory"],
  ] as const)("refuses a ring with %s", (_name, patch, reason) => {
    const ring: PackedRingAddresses = { ...packedAt(4), ...patch };
    const device = new PackedQueueDevice(makeMemory(), ring);
    expect(device.broken).toBe(true);
    expectBroken(device, reason);
  });

  it("empty when the next descriptor is not available in the device's lap", () => {
    const { raw, device } = hostile();
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: availBits(0) });
    expect(device.pop(device.createChain())).toBe("empty");
    expect(device.broken).toBe(false);
  });

  it("wrong-wrap-counter: a head marked both available and used in the current lap", () => {
    const { raw, device } = hostile();
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: F_AVAIL | F_USED });
    expectBroken(device, "wrong-wrap-counter");
  });

  it("wrong-wrap-counter: a list's second descriptor written with the other lap's counter", () => {
    const { raw, device } = hostile();
    raw.desc(1, { addr: DATA, len: 4, id: 0, flags: availBits(0) });
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: F_NEXT | availBits(1) });
    expectBroken(device, "wrong-wrap-counter");
  });

  it("a list that wraps carries the next lap's counter after the end", () => {
    const { raw, device } = hostile(2);
    const chain = device.createChain();
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: availBits(1) });
    expect(device.pop(chain)).toBe("popped");
    device.pushUsed(0, 0);
    raw.desc(0, { addr: DATA, len: 4, id: 1, flags: availBits(0) });
    raw.desc(1, { addr: DATA, len: 4, id: 1, flags: F_NEXT | availBits(1) });
    expect(device.pop(chain)).toBe("popped");
    expect([chain.head, chain.count]).toEqual([1, 2]);
  });

  it("avail-ring-overrun: a descriptor made available while the device holds every one", () => {
    const { raw, device } = hostile(2);
    const chain = device.createChain();
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: availBits(1) });
    raw.desc(1, { addr: DATA, len: 4, id: 1, flags: availBits(1) });
    expect(device.pop(chain)).toBe("popped");
    expect(device.pop(chain)).toBe("popped");
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: availBits(0) });
    expectBroken(device, "avail-ring-overrun");
  });

  it("avail-ring-overrun: a list running into descriptors the device holds", () => {
    const { raw, device } = hostile(4);
    const chain = device.createChain();
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: availBits(1) });
    expect(device.pop(chain)).toBe("popped");
    for (const i of [1, 2, 3]) raw.desc(i, { addr: DATA, len: 4, id: 1, flags: F_NEXT | availBits(1) });
    raw.desc(0, { addr: DATA, len: 4, id: 1, flags: availBits(0) });
    expectBroken(device, "avail-ring-overrun");
  });

  it("chain-too-long: a list longer than the queue size (every descriptor has NEXT)", () => {
    const { raw, device } = hostile(2);
    raw.desc(1, { addr: DATA, len: 4, id: 0, flags: F_NEXT | availBits(1) });
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: F_NEXT | availBits(1) });
    expectBroken(device, "chain-too-long");
  });

  it("chain-too-long: more descriptors than maxChainLength, counting an indirect table's entries", () => {
    const { raw, device } = hostile(4, { indirectDesc: true, maxChainLength: 3 });
    raw.table(0x3000, [0, 1, 2].map(() => ({ addr: DATA, len: 4, id: 0, flags: 0 })));
    raw.desc(0, { addr: 0x3000, len: 48, id: 0, flags: F_INDIRECT | availBits(1) });
    expectBroken(device, "chain-too-long");
  });

  it("head-out-of-range: a buffer ID ≥ queue size", () => {
    const { raw, device } = hostile();
    raw.desc(0, { addr: DATA, len: 4, id: 4, flags: availBits(1) });
    expectBroken(device, "head-out-of-range");
  });

  it("head-in-flight: the same buffer ID made available twice before being used", () => {
    const { raw, device } = hostile();
    raw.desc(0, { addr: DATA, len: 4, id: 2, flags: availBits(1) });
    raw.desc(1, { addr: DATA, len: 4, id: 2, flags: availBits(1) });
    expect(device.pop(device.createChain())).toBe("popped");
    expectBroken(device, "head-in-flight");
  });

  it.each([
    ["indirect-not-negotiated", false, [{ addr: 0x3000, len: 16, id: 0, flags: F_INDIRECT }]],
    ["indirect-with-next", true, [{ addr: 0x3000, len: 16, id: 0, flags: F_INDIRECT | F_NEXT }]],
    ["indirect-with-next", true, [{ addr: DATA, len: 4, id: 0, flags: F_NEXT }, { addr: 0x3000, len: 16, id: 0, flags: F_INDIRECT }]],
    ["indirect-size-invalid", true, [{ addr: 0x3000, len: 24, id: 0, flags: F_INDIRECT }]],
    ["indirect-size-invalid", true, [{ addr: 0x3000, len: 0, id: 0, flags: F_INDIRECT }]],
    ["indirect-outside-memory", true, [{ addr: 0xfff0, len: 32, id: 0, flags: F_INDIRECT }]],
    ["indirect-outside-memory", true, [{ addr: 2n ** 60n, len: 16, id: 0, flags: F_INDIRECT }]],
    ["zero-length-buffer", false, [{ addr: DATA, len: 0, id: 0, flags: 0 }]],
    ["readable-after-writable", false, [{ addr: DATA, len: 4, id: 0, flags: F_WRITE | F_NEXT }, { addr: DATA, len: 4, id: 0, flags: 0 }]],
    ["buffer-outside-memory", false, [{ addr: 0xfffc, len: 8, id: 0, flags: 0 }]],
    ["buffer-outside-memory", false, [{ addr: 2n ** 64n - 1n, len: 1, id: 0, flags: 0 }]],
  ] as const)("%s", (reason, indirectDesc, list) => {
    const { raw, device } = hostile(4, { indirectDesc });
    // Body first, head last, each available in lap 1 (as an honest driver would publish it).
    for (let i = list.length - 1; i >= 0; i--) raw.desc(i, { ...list[i]!, flags: list[i]!.flags | availBits(1) });
    expectBroken(device, reason);
  });

  it("length-overflow: the list totals more than 2^32 - 1 bytes", () => {
    // In-memory buffers of 64 MiB each (the same bytes): the 64th brings the total to 2^32 > 2^32 - 1.
    const memory = makeMemory(2 ** 26);
    const ring = packedAt(128);
    const raw = new RawPackedRing(memory, ring);
    for (let i = 64; i >= 0; i--) raw.desc(i, { addr: 0, len: 2 ** 26, id: 0, flags: (i < 64 ? F_NEXT : 0) | availBits(1) });
    const device = new PackedQueueDevice(memory, ring);
    expectBroken(device, "length-overflow");
    expect(device.descriptorsVisited).toBe(64);
  });

  it.each([
    ["zero-length-buffer", [{ addr: DATA, len: 0, id: 0, flags: 0 }]],
    ["readable-after-writable", [{ addr: DATA, len: 4, id: 0, flags: F_WRITE }, { addr: DATA, len: 4, id: 0, flags: 0 }]],
    ["buffer-outside-memory", [{ addr: 0x10000, len: 1, id: 0, flags: 0 }]],
  ] as const)("%s inside an indirect table", (reason, table) => {
    const { raw, device } = hostile(4, { indirectDesc: true });
    raw.table(0x3000, table);
    raw.desc(0, { addr: 0x3000, len: 16 * table.length, id: 0, flags: F_INDIRECT | availBits(1) });
    expectBroken(device, reason);
  });

  it("reset clears a broken state that came from the ring, not a refused layout", () => {
    const { raw, device } = hostile();
    raw.desc(0, { addr: DATA, len: 0, id: 0, flags: availBits(1) });
    expectBroken(device, "zero-length-buffer");
    device.reset();
    raw.desc(0, { addr: DATA, len: 4, id: 0, flags: availBits(1) });
    expect(device.pop(device.createChain())).toBe("popped");
    const refused = new PackedQueueDevice(makeMemory(), { ...packedAt(4), descAddress: 8 });
    refused.reset();
    expect(refused.brokenReason).toBe("misaligned-ring");
  });
});

describe("packed virtqueue: driver against a hostile device", () => {
  function driverSetup(options: { inOrder?: boolean } = {}): { driver: PackedQueueDriver<number>; raw: RawPackedRing; used: UsedBuffer<number> } {
    const memory = makeMemory();
    const driver = new PackedQueueDriver<number>(memory, packedAt(8), options);
    driver.add([{ address: DATA, length: 4 }], [{ address: DATA + 16, length: 16 }], 100);
    driver.add([{ address: DATA, length: 4 }], [], 101);
    return { driver, raw: new RawPackedRing(memory, packedAt(8)), used: new UsedBuffer<number>() };
  }

  function expectDriverBroken(driver: PackedQueueDriver<number>, used: UsedBuffer<number>, reason: VirtqueueBrokenReason): void {
    expect(driver.getUsed(used)).toBe("broken");
    expect(driver.brokenReason).toBe(reason);
    expect(driver.brokenDetail).not.toBe("");
    expect(driver.getUsed(used)).toBe("broken");
    expect(driver.add([{ address: DATA, length: 4 }], [], 1)).toBe("broken");
    expect(driver.needsKick()).toBe(false);
    expect(driver.enableUsedNotifications()).toBe(false);
  }

  it("used-idx-runaway: a used descriptor with nothing outstanding", () => {
    const memory = makeMemory();
    const driver = new PackedQueueDriver<number>(memory, packedAt(8));
    new RawPackedRing(memory, packedAt(8)).desc(0, { addr: 0, len: 0, id: 0, flags: usedBits(1) });
    expectDriverBroken(driver, new UsedBuffer<number>(), "used-idx-runaway");
  });

  it("wrong-wrap-counter: a used descriptor written with the other lap's counter", () => {
    const { driver, raw, used } = driverSetup();
    raw.desc(0, { addr: 0, len: 0, id: 0, flags: usedBits(0) });
    expectDriverBroken(driver, used, "wrong-wrap-counter");
  });

  it("used-id-out-of-range", () => {
    const { driver, raw, used } = driverSetup();
    raw.desc(0, { addr: 0, len: 0, id: 8, flags: usedBits(1) });
    expectDriverBroken(driver, used, "used-id-out-of-range");
  });

  it("used-id-not-in-flight: an ID never made available", () => {
    const { driver, raw, used } = driverSetup();
    raw.desc(0, { addr: 0, len: 0, id: 5, flags: usedBits(1) });
    expectDriverBroken(driver, used, "used-id-not-in-flight");
  });

  it("used-id-not-in-flight: the same ID completed twice", () => {
    const { driver, raw, used } = driverSetup();
    raw.desc(0, { addr: 0, len: 0, id: 0, flags: usedBits(1) });
    expect(driver.getUsed(used)).toBe("used");
    raw.desc(2, { addr: 0, len: 0, id: 0, flags: usedBits(1) });
    expectDriverBroken(driver, used, "used-id-not-in-flight");
  });

  it("used-len-too-large: more than the buffer's writable bytes", () => {
    const { driver, raw, used } = driverSetup();
    raw.desc(0, { addr: 0, len: 17, id: 0, flags: usedBits(1) | F_WRITE });
    expectDriverBroken(driver, used, "used-len-too-large");
  });

  it("ignores len of a used descriptor without WRITE (§2.8.6: reserved)", () => {
    const { driver, raw, used } = driverSetup();
    raw.desc(0, { addr: 0, len: 0xffffffff, id: 1, flags: usedBits(1) });
    expect(driver.getUsed(used)).toBe("used");
    expect([used.token, used.length]).toEqual([101, 0]);
  });

  it("IN_ORDER: a batch ending at an ID not in flight is refused", () => {
    const { driver, raw, used } = driverSetup({ inOrder: true });
    raw.desc(0, { addr: 0, len: 0, id: 6, flags: usedBits(1) });
    expectDriverBroken(driver, used, "used-id-not-in-flight");
  });

  it("a contiguous ring fits its own size", () => {
    const r = contiguousPackedRing(5, 0x100);
    expect([r.descAddress, r.driverEventAddress, r.deviceEventAddress]).toEqual([0x100, 0x100 + 80, 0x100 + 84]);
  });
});
