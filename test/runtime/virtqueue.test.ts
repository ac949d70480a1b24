import { describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import {
  DescriptorChain,
  SplitQueueDevice,
  SplitQueueDriver,
  UsedBuffer,
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT as INDIRECT,
  VRING_DESC_F_NEXT as NEXT,
  VRING_DESC_F_WRITE as WRITE,
  VRING_USED_F_NO_NOTIFY,
  VirtqueueError,
  gatherReadable,
  legacyRingAddresses,
  scatterWritable,
  vringNeedEvent,
  vringSize,
} from "../../runtime/virtqueue/index.js";
import type {
  SplitQueueDeviceOptions,
  SplitRingAddresses,
  VirtqueueBrokenReason,
  VirtqueueErrorReason,
} from "../../runtime/virtqueue/index.js";
import { DATA, RawRing, makeMemory, ringAt } from "./fixtures/virtqueue-harness.js";

function expectVirtqueueError(fn: () => unknown, reason: VirtqueueErrorReason): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VirtqueueError);
    expect((e as VirtqueueError).reason).toBe(reason);
    return;
  }
  throw new Error(`expected VirtqueueError ${reason}, nothing thrown`);
}

/** A device on a fresh 8-entry ring, plus a raw writer playing the (hostile) driver. */
function hostileSetup(options: SplitQueueDeviceOptions = { indirectDesc: true }): {
  raw: RawRing;
  device: () => SplitQueueDevice;
} {
  const memory = makeMemory();
  const raw = new RawRing(memory, ringAt(8));
  return { raw, device: () => new SplitQueueDevice(memory, ringAt(8), options) };
}

/** Pops once and expects the queue to break with `reason`; checks the queue then stays inert. */
function expectBroken(device: SplitQueueDevice, reason: VirtqueueBrokenReason): void {
  const chain = device.createChain();
  expect(device.pop(chain)).toBe("broken");
  expect(device.broken).toBe(true);
  expect(device.brokenReason).toBe(reason);
  expect(device.brokenDetail).not.toBe("");
  // Once broken: every method reports it, nothing throws, nothing is written.
  expect(device.pop(chain)).toBe("broken");
  expect(device.addUsed(0, 0)).toBe(false);
  expect(device.pushUsed(0, 0)).toBe(false);
  expect(device.needsInterrupt()).toBe(false);
  expect(device.enableKicks()).toBe(false);
  device.disableKicks();
  device.publishUsed();
}

describe("split virtqueue: driver and device together", () => {
  it("passes a chain of readable then writable buffers and returns token and written length", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<string>(memory, ringAt(8));
    const device = new SplitQueueDevice(memory, ringAt(8));
    memory.write(DATA, new TextEncoder().encode("hello, "));
    memory.write(DATA + 0x100, new TextEncoder().encode("device"));
    expect(
      driver.add(
        [
          { address: DATA, length: 7 },
          { address: DATA + 0x100, length: 6 },
        ],
        [{ address: DATA + 0x200, length: 32 }],
        "req-1",
      ),
    ).toBe("added");
    expect(driver.numFree).toBe(5);
    const chain = device.createChain();
    expect(device.pop(chain)).toBe("popped");
    expect(chain.count).toBe(3);
    expect(chain.readableCount).toBe(2);
    expect(chain.writableCount).toBe(1);
    expect(chain.readableBytes).toBe(13);
    expect(chain.writableBytes).toBe(32);
    expect(chain.indirect).toBe(false);
    const input = new Uint8Array(chain.readableBytes);
    expect(gatherReadable(memory, chain, input)).toBe(13);
    expect(new TextDecoder().decode(input)).toBe("hello, device");
    const reply = new TextEncoder().encode("HELLO, DEVICE");
    const written = scatterWritable(memory, chain, reply);
    expect(device.pushUsed(chain.head, written)).toBe(true);
    const used = new UsedBuffer<string>();
    expect(driver.getUsed(used)).toBe("used");
    expect(used.token).toBe("req-1");
    expect(used.length).toBe(13);
    expect(new TextDecoder().decode(memory.slice(DATA + 0x200, 13))).toBe("HELLO, DEVICE");
    expect(driver.numFree).toBe(8);
    expect(driver.getUsed(used)).toBe("empty");
    expect(device.pop(chain)).toBe("empty");
  });

  it("uses an indirect table: one ring descriptor for many buffers", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(4), { indirectDesc: true });
    const device = new SplitQueueDevice(memory, ringAt(4), { indirectDesc: true, maxChainLength: 16 });
    const readable = Array.from({ length: 5 }, (_, i) => ({ address: DATA + 0x10 * i, length: 0x10 }));
    const writable = Array.from({ length: 6 }, (_, i) => ({ address: DATA + 0x1000 + 0x10 * i, length: 8 }));
    // 0x7003: an unaligned table address is legal; the device must read it through a DataView.
    expect(driver.add(readable, writable, 7, DATA + 0x3003)).toBe("added");
    expect(driver.numFree).toBe(3);
    const raw = new RawRing(memory, ringAt(4));
    expect(raw.readDesc(0)).toEqual({ addr: DATA + 0x3003, len: 11 * 16, flags: INDIRECT, next: 0 });
    const chain = device.createChain();
    expect(device.pop(chain)).toBe("popped");
    expect(chain.indirect).toBe(true);
    expect(chain.readableCount).toBe(5);
    expect(chain.writableCount).toBe(6);
    expect(Array.from(chain.addresses.subarray(0, 11))).toEqual([...readable, ...writable].map((b) => b.address));
    expect(device.pushUsed(chain.head, 48)).toBe(true);
    const used = new UsedBuffer<number>();
    expect(driver.getUsed(used)).toBe("used");
    expect([used.token, used.length]).toEqual([7, 48]);
    expect(driver.numFree).toBe(4);
  });

  it("reports no-space when the table is full and reuses descriptors once they come back", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(4));
    const device = new SplitQueueDevice(memory, ringAt(4));
    const buf = (i: number): { address: number; length: number } => ({ address: DATA + 16 * i, length: 16 });
    expect(driver.add([buf(0), buf(1)], [buf(2)], 1)).toBe("added");
    expect(driver.add([buf(3)], [], 2)).toBe("added");
    expect(driver.add([buf(4)], [buf(5)], 3)).toBe("no-space");
    expect(driver.numFree).toBe(0);
    const chain = device.createChain();
    expect(device.pop(chain)).toBe("popped");
    const first = chain.head;
    expect(device.pop(chain)).toBe("popped");
    expect(device.pop(chain)).toBe("empty");
    // Complete out of order: the second chain first.
    device.pushUsed(chain.head, 0);
    const used = new UsedBuffer<number>();
    expect(driver.getUsed(used)).toBe("used");
    expect(used.token).toBe(2);
    expect(driver.add([buf(4)], [buf(5)], 3)).toBe("no-space");
    device.pushUsed(first, 16);
    expect(driver.getUsed(used)).toBe("used");
    expect([used.token, used.length]).toEqual([1, 16]);
    expect(driver.add([buf(4)], [buf(5)], 3)).toBe("added");
    expect(driver.add([buf(6)], [buf(7)], 4)).toBe("added");
    expect(driver.numFree).toBe(0);
    expect(device.pop(chain)).toBe("popped");
    expect(chain.addresses[0]).toBe(DATA + 64);
    expect(device.pop(chain)).toBe("popped");
    expect(chain.addresses[0]).toBe(DATA + 96);
  });

  it("keeps working across the 16-bit wrap of avail.idx and used.idx", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(2));
    const device = new SplitQueueDevice(memory, ringAt(2));
    const chain = device.createChain();
    const used = new UsedBuffer<number>();
    const raw = new RawRing(memory, ringAt(2));
    const readable = [{ address: DATA, length: 4 }];
    const writable = [{ address: DATA + 8, length: 4 }];
    let mismatches = 0;
    for (let i = 0; i < 70_000; i++) {
      // Plain comparisons in the loop: expect() per iteration would dominate the run time.
      if (driver.add(readable, writable, i) !== "added" || device.pop(chain) !== "popped") mismatches++;
      device.pushUsed(chain.head, 4);
      if (driver.getUsed(used) !== "used" || used.token !== i || used.length !== 4) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(raw.availIdx()).toBe(70_000 & 0xffff);
    expect(raw.usedIdx()).toBe(70_000 & 0xffff);
  });

  it("batches used elements until publishUsed", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(8));
    const device = new SplitQueueDevice(memory, ringAt(8));
    const chain = device.createChain();
    driver.add([], [{ address: DATA, length: 4 }], 1);
    driver.add([], [{ address: DATA + 4, length: 4 }], 2);
    const heads: number[] = [];
    while (device.pop(chain) === "popped") heads.push(chain.head);
    for (const h of heads) device.addUsed(h, 4);
    const used = new UsedBuffer<number>();
    expect(driver.getUsed(used)).toBe("empty");
    device.publishUsed();
    expect(driver.getUsed(used)).toBe("used");
    expect(driver.getUsed(used)).toBe("used");
    expect(driver.getUsed(used)).toBe("empty");
  });
});

describe("split virtqueue: notification suppression", () => {
  it("vring_need_event wraps like the C macro", () => {
    expect(vringNeedEvent(0, 1, 0)).toBe(true);
    expect(vringNeedEvent(1, 1, 0)).toBe(false);
    expect(vringNeedEvent(0xffff, 0, 0xfffe)).toBe(true);
    expect(vringNeedEvent(0xfffe, 0, 0xffff)).toBe(false);
    expect(vringNeedEvent(5, 5, 5)).toBe(false);
    expect(vringNeedEvent(3, 10, 2)).toBe(true);
    expect(vringNeedEvent(10, 10, 2)).toBe(false);
  });

  it("without EVENT_IDX the driver kicks unless the device set NO_NOTIFY", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(8));
    const device = new SplitQueueDevice(memory, ringAt(8));
    const raw = new RawRing(memory, ringAt(8));
    expect(driver.needsKick()).toBe(false); // nothing added
    driver.add([{ address: DATA, length: 1 }], [], 1);
    expect(driver.needsKick()).toBe(true);
    device.disableKicks();
    expect(raw.usedFlags()).toBe(VRING_USED_F_NO_NOTIFY);
    driver.add([{ address: DATA, length: 1 }], [], 2);
    expect(driver.needsKick()).toBe(false);
    // Buffers are pending, so enabling kicks tells the device to keep going instead of sleeping.
    expect(device.enableKicks()).toBe(true);
    expect(raw.usedFlags()).toBe(0);
    const chain = device.createChain();
    while (device.pop(chain) === "popped") device.pushUsed(chain.head, 0);
    expect(device.enableKicks()).toBe(false);
  });

  it("without EVENT_IDX the device interrupts unless the driver set NO_INTERRUPT", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(8));
    const device = new SplitQueueDevice(memory, ringAt(8));
    const raw = new RawRing(memory, ringAt(8));
    const chain = device.createChain();
    driver.add([{ address: DATA, length: 1 }], [], 1);
    driver.add([{ address: DATA, length: 1 }], [], 2);
    device.pop(chain);
    device.pushUsed(chain.head, 0);
    expect(device.needsInterrupt()).toBe(true);
    expect(device.needsInterrupt()).toBe(false); // nothing new since
    driver.disableUsedNotifications();
    expect(raw.availFlags()).toBe(VRING_AVAIL_F_NO_INTERRUPT);
    device.pop(chain);
    device.pushUsed(chain.head, 0);
    expect(device.needsInterrupt()).toBe(false);
    // Used buffers are pending: the driver must collect them rather than sleep.
    expect(driver.enableUsedNotifications()).toBe(true);
    expect(raw.availFlags()).toBe(0);
    const used = new UsedBuffer<number>();
    while (driver.getUsed(used) === "used");
    expect(driver.enableUsedNotifications()).toBe(false);
  });

  it("with EVENT_IDX the driver kicks only when avail.idx crosses avail_event", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(8), { eventIdx: true });
    const device = new SplitQueueDevice(memory, ringAt(8), { eventIdx: true });
    const raw = new RawRing(memory, ringAt(8));
    const chain = device.createChain();
    const add = (t: number): void => void driver.add([{ address: DATA, length: 1 }], [], t);
    add(1);
    expect(driver.needsKick()).toBe(true); // avail_event 0 is in [0, 1)
    add(2);
    add(3);
    expect(driver.needsKick()).toBe(false); // avail_event 0 not in [1, 3)
    // The device drains and asks for a kick at the next index (3)...
    while (device.pop(chain) === "popped") device.pushUsed(chain.head, 0);
    expect(device.enableKicks()).toBe(false);
    expect(raw.availEvent()).toBe(3);
    add(4);
    add(5);
    expect(driver.needsKick()).toBe(true); // 3 in [3, 5)
    // ...and the used.flags word is ignored under EVENT_IDX.
    raw.setUsedFlags(VRING_USED_F_NO_NOTIFY);
    raw.setAvailEvent(5);
    add(6);
    expect(driver.needsKick()).toBe(true);
  });

  it("with EVENT_IDX the device interrupts only when used.idx crosses used_event", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(8), { eventIdx: true });
    const device = new SplitQueueDevice(memory, ringAt(8), { eventIdx: true });
    const raw = new RawRing(memory, ringAt(8));
    const chain = device.createChain();
    for (let t = 0; t < 6; t++) driver.add([{ address: DATA, length: 1 }], [], t);
    const complete = (): void => {
      expect(device.pop(chain)).toBe("popped");
      device.pushUsed(chain.head, 0);
    };
    expect(device.needsInterrupt()).toBe(false); // nothing published yet
    complete();
    expect(device.needsInterrupt()).toBe(true); // first decision always notifies
    expect(device.needsInterrupt()).toBe(false); // nothing new since
    complete();
    expect(device.needsInterrupt()).toBe(false); // used_event 0 not in [1, 2)
    expect(driver.enableUsedNotifications()).toBe(true); // two used pending
    expect(raw.usedEvent()).toBe(0);
    const used = new UsedBuffer<number>();
    while (driver.getUsed(used) === "used");
    expect(driver.enableUsedNotifications()).toBe(false);
    expect(raw.usedEvent()).toBe(2);
    complete();
    expect(device.needsInterrupt()).toBe(true); // 2 in [2, 3)
    complete();
    complete();
    expect(device.needsInterrupt()).toBe(false); // 2 not in [3, 5)
    // NO_INTERRUPT is ignored under EVENT_IDX: only used_event counts.
    raw.setAvailFlags(VRING_AVAIL_F_NO_INTERRUPT);
    raw.setUsedEvent(5);
    complete();
    expect(device.needsInterrupt()).toBe(true);
  });
});

describe("split virtqueue: device against a hostile driver", () => {
  it.each([
    ["size 6", { size: 6 }, "ring-size-not-power-of-two"],
    ["size 0", { size: 0 }, "ring-size-not-power-of-two"],
    ["size 2.5", { size: 2.5 }, "ring-size-not-power-of-two"],
    ["size 65536", { size: 65536 }, "ring-size-too-large"],
    ["desc not 16-aligned", { descAddress: 8 }, "misaligned-ring"],
    ["avail not 2-aligned", { availAddress: 0x1001 }, "misaligned-ring"],
    ["used not 4-aligned", { usedAddress: 0x2002 }, "misaligned-ring"],
    ["used past the end", { usedAddress: 0xffc0 }, "ring-outside-memory"],
    ["desc past the end", { descAddress: 0x10000 }, "ring-outside-memory"],
    ["avail at a negative address", { availAddress: -2 }, "ring-outside-memory"],
    ["used beyond 2^53", { usedAddress: 2 ** 60 }, "ring-outside-memory"],
  ] as const)("refuses a ring with %s", (_name, patch, reason) => {
    const ring: SplitRingAddresses = { ...ringAt(8), ...patch };
    const device = new SplitQueueDevice(makeMemory(), ring);
    expect(device.broken).toBe(true);
    expect(device.brokenReason).toBe(reason);
    expectBroken(device, reason);
  });

  it("refuses a ring straddling two regions", () => {
    const memory = new GuestMemory([
      { guestAddress: 0, buffer: new SharedArrayBuffer(0x1008) },
      { guestAddress: 0x1008, buffer: new SharedArrayBuffer(0x2000) },
    ]);
    expect(new SplitQueueDevice(memory, ringAt(8)).brokenReason).toBe("ring-outside-memory");
  });

  it("avail-idx-runaway: avail.idx more than the queue size ahead", () => {
    const { raw, device } = hostileSetup();
    raw.setAvailIdx(9);
    expectBroken(device(), "avail-idx-runaway");
  });

  it("avail-idx-runaway: avail.idx moved backwards", () => {
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr: DATA, len: 4, flags: 0, next: 0 }).offer([0]);
    const d = device();
    const chain = d.createChain();
    expect(d.pop(chain)).toBe("popped");
    raw.setAvailIdx(0);
    expectBroken(d, "avail-idx-runaway");
  });

  it("head-out-of-range: an avail entry ≥ queue size", () => {
    const { raw, device } = hostileSetup();
    raw.offer([8]);
    expectBroken(device(), "head-out-of-range");
  });

  it("head-in-flight: the same head offered twice before being used", () => {
    const { raw, device } = hostileSetup();
    raw.desc(2, { addr: DATA, len: 4, flags: 0, next: 0 }).offer([2, 2]);
    const d = device();
    expect(d.pop(d.createChain())).toBe("popped");
    expectBroken(d, "head-in-flight");
  });

  it("next-out-of-range: next ≥ queue size", () => {
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr: DATA, len: 4, flags: NEXT, next: 8 }).offer([0]);
    expectBroken(device(), "next-out-of-range");
  });

  it("next-out-of-range: next ≥ indirect table entries", () => {
    const { raw, device } = hostileSetup();
    raw
      .desc(0, { addr: DATA + 0x1000, len: 32, flags: INDIRECT, next: 0 })
      .table(DATA + 0x1000, [
        { addr: DATA, len: 4, flags: NEXT, next: 1 },
        { addr: DATA, len: 4, flags: NEXT, next: 2 },
      ])
      .offer([0]);
    expectBroken(device(), "next-out-of-range");
  });

  it("chain-too-long: a loop in the descriptor table", () => {
    const { raw, device } = hostileSetup();
    raw
      .desc(0, { addr: DATA, len: 4, flags: NEXT, next: 1 })
      .desc(1, { addr: DATA, len: 4, flags: NEXT, next: 0 })
      .offer([0]);
    const d = device();
    expectBroken(d, "chain-too-long");
    expect(d.descriptorsVisited).toBe(8);
  });

  it("chain-too-long: a loop inside an indirect table", () => {
    const { raw, device } = hostileSetup({ indirectDesc: true, maxChainLength: 1000 });
    raw
      .desc(0, { addr: DATA + 0x1000, len: 48, flags: INDIRECT, next: 0 })
      .table(DATA + 0x1000, [
        { addr: DATA, len: 4, flags: NEXT, next: 1 },
        { addr: DATA, len: 4, flags: NEXT, next: 2 },
        { addr: DATA, len: 4, flags: NEXT, next: 1 },
      ])
      .offer([0]);
    const d = device();
    expectBroken(d, "chain-too-long");
    expect(d.descriptorsVisited).toBe(4); // the pointer plus the table's three entries
  });

  it("chain-too-long: an indirect chain longer than the queue size", () => {
    const { raw, device } = hostileSetup();
    const entries = Array.from({ length: 8 }, (_, i) => ({ addr: DATA, len: 4, flags: i < 7 ? NEXT : 0, next: i + 1 }));
    raw.desc(0, { addr: DATA + 0x1000, len: 16 * 8, flags: INDIRECT, next: 0 }).table(DATA + 0x1000, entries).offer([0]);
    expectBroken(device(), "chain-too-long");
    // The same chain is accepted when the device opts into longer chains (as QEMU does for Linux guests).
    const { raw: raw2, device: device2 } = hostileSetup({ indirectDesc: true, maxChainLength: 9 });
    raw2.desc(0, { addr: DATA + 0x1000, len: 16 * 8, flags: INDIRECT, next: 0 }).table(DATA + 0x1000, entries).offer([0]);
    const d = device2();
    const chain = d.createChain();
    expect(d.pop(chain)).toBe("popped");
    expect(chain.count).toBe(8);
  });

  it.each([
    ["zero", 0],
    ["not a multiple of 16", 24],
    ["over 65536 entries", 16 * 65537],
  ])("indirect-size-invalid: table length %s", (_name, len) => {
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr: DATA, len, flags: INDIRECT, next: 0 }).offer([0]);
    expectBroken(device(), "indirect-size-invalid");
  });

  it("nested-indirect: INDIRECT inside an indirect table", () => {
    const { raw, device } = hostileSetup();
    raw
      .desc(0, { addr: DATA + 0x1000, len: 16, flags: INDIRECT, next: 0 })
      .table(DATA + 0x1000, [{ addr: DATA + 0x1000, len: 16, flags: INDIRECT, next: 0 }])
      .offer([0]);
    expectBroken(device(), "nested-indirect");
  });

  it("indirect-with-next: INDIRECT and NEXT in one descriptor", () => {
    const { raw, device } = hostileSetup();
    raw
      .desc(0, { addr: DATA + 0x1000, len: 16, flags: INDIRECT | NEXT, next: 1 })
      .desc(1, { addr: DATA, len: 4, flags: 0, next: 0 })
      .table(DATA + 0x1000, [{ addr: DATA, len: 4, flags: 0, next: 0 }])
      .offer([0]);
    expectBroken(device(), "indirect-with-next");
  });

  it("indirect-not-negotiated: INDIRECT without VIRTIO_RING_F_INDIRECT_DESC", () => {
    const { raw, device } = hostileSetup({});
    raw.desc(0, { addr: DATA + 0x1000, len: 16, flags: INDIRECT, next: 0 }).offer([0]);
    expectBroken(device(), "indirect-not-negotiated");
  });

  it("indirect-outside-memory: the table runs past guest memory", () => {
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr: 0xfff0, len: 32, flags: INDIRECT, next: 0 }).offer([0]);
    expectBroken(device(), "indirect-outside-memory");
  });

  it("indirect-outside-memory: the table address is beyond 2^53", () => {
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr: 1n << 60n, len: 16, flags: INDIRECT, next: 0 }).offer([0]);
    expectBroken(device(), "indirect-outside-memory");
  });

  it("readable-after-writable: in the main table", () => {
    const { raw, device } = hostileSetup();
    raw
      .desc(0, { addr: DATA, len: 4, flags: WRITE | NEXT, next: 1 })
      .desc(1, { addr: DATA, len: 4, flags: 0, next: 0 })
      .offer([0]);
    expectBroken(device(), "readable-after-writable");
  });

  it("readable-after-writable: inside an indirect table", () => {
    const { raw, device } = hostileSetup();
    raw
      .desc(0, { addr: DATA + 0x1000, len: 32, flags: INDIRECT, next: 0 })
      .table(DATA + 0x1000, [
        { addr: DATA, len: 4, flags: WRITE | NEXT, next: 1 },
        { addr: DATA, len: 4, flags: 0, next: 0 },
      ])
      .offer([0]);
    expectBroken(device(), "readable-after-writable");
  });

  it("length-overflow: the chain totals more than 2^32 - 1 bytes", () => {
    // In-memory buffers of 64 MiB each (all the same bytes): the 64th brings the total to 2^32 > 2^32 - 1.
    const memory = makeMemory(2 ** 26);
    const ring = { size: 128, descAddress: 0, availAddress: 0x1000, usedAddress: 0x2000 };
    const raw = new RawRing(memory, ring);
    for (let i = 0; i < 65; i++) raw.desc(i, { addr: 0, len: 2 ** 26, flags: i < 64 ? NEXT : 0, next: i + 1 });
    raw.offer([0]);
    const device = new SplitQueueDevice(memory, ring);
    expectBroken(device, "length-overflow");
    expect(device.descriptorsVisited).toBe(64);
  });

  it.each([
    ["past the end", 0xfffc, 8],
    ["entirely outside", 0x20000, 4],
    ["above 2^53", 2n ** 53n, 4],
    ["at 2^64 - 1", 2n ** 64n - 1n, 4],
    ["a huge length", DATA, 0xffffffff],
  ] as const)("buffer-outside-memory: a buffer %s", (_name, addr, len) => {
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr, len, flags: 0, next: 0 }).offer([0]);
    expectBroken(device(), "buffer-outside-memory");
  });

  it("buffer-outside-memory: a buffer in a gap between regions", () => {
    const memory = new GuestMemory([
      { guestAddress: 0, buffer: new SharedArrayBuffer(0x4000) },
      { guestAddress: 0x8000, buffer: new SharedArrayBuffer(0x4000) },
    ]);
    const raw = new RawRing(memory, ringAt(8));
    raw.desc(0, { addr: 0x3ff0, len: 0x20, flags: 0, next: 0 }).offer([0]);
    expectBroken(new SplitQueueDevice(memory, ringAt(8)), "buffer-outside-memory");
  });

  it("accepts a buffer spanning two contiguous regions", () => {
    const memory = new GuestMemory([
      { guestAddress: 0, buffer: new SharedArrayBuffer(0x4000) },
      { guestAddress: 0x4000, buffer: new SharedArrayBuffer(0x4000) },
    ]);
    const raw = new RawRing(memory, ringAt(8));
    raw.desc(0, { addr: 0x3ff0, len: 0x20, flags: 0, next: 0 }).offer([0]);
    const device = new SplitQueueDevice(memory, ringAt(8));
    const chain = device.createChain();
    expect(device.pop(chain)).toBe("popped");
    expect([chain.addresses[0], chain.lengths[0]]).toEqual([0x3ff0, 0x20]);
  });

  it("zero-length-buffer: a buffer descriptor of length 0", () => {
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr: DATA, len: 0, flags: 0, next: 0 }).offer([0]);
    expectBroken(device(), "zero-length-buffer");
  });

  it("ignores the WRITE flag on a descriptor that points at an indirect table", () => {
    const { raw, device } = hostileSetup();
    raw
      .desc(0, { addr: DATA + 0x1000, len: 16, flags: INDIRECT | WRITE, next: 0 })
      .table(DATA + 0x1000, [{ addr: DATA, len: 4, flags: 0, next: 0 }])
      .offer([0]);
    const d = device();
    const chain = d.createChain();
    expect(d.pop(chain)).toBe("popped");
    expect(chain.readableCount).toBe(1);
  });

  it("reads each descriptor once, so values are checked as used", () => {
    // A stale (already validated) chain stays valid even if the driver rewrites the table afterwards.
    const { raw, device } = hostileSetup();
    raw.desc(0, { addr: DATA, len: 4, flags: 0, next: 0 }).offer([0]);
    const d = device();
    const chain = d.createChain();
    expect(d.pop(chain)).toBe("popped");
    raw.desc(0, { addr: 0xffff_ffff, len: 0xffff_ffff, flags: NEXT, next: 99 });
    expect([chain.addresses[0], chain.lengths[0], chain.count]).toEqual([DATA, 4, 1]);
  });
});

describe("split virtqueue: driver against a hostile device", () => {
  function driverSetup(): { driver: SplitQueueDriver<number>; raw: RawRing; used: UsedBuffer<number> } {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(8));
    driver.add([{ address: DATA, length: 4 }], [{ address: DATA + 16, length: 16 }], 100);
    driver.add([{ address: DATA, length: 4 }], [], 101);
    return { driver, raw: new RawRing(memory, ringAt(8)), used: new UsedBuffer<number>() };
  }

  function expectDriverBroken(driver: SplitQueueDriver<number>, used: UsedBuffer<number>, reason: VirtqueueBrokenReason): void {
    expect(driver.getUsed(used)).toBe("broken");
    expect(driver.brokenReason).toBe(reason);
    expect(driver.brokenDetail).not.toBe("");
    expect(driver.getUsed(used)).toBe("broken");
    expect(driver.add([{ address: DATA, length: 4 }], [], 1)).toBe("broken");
    expect(driver.needsKick()).toBe(false);
    expect(driver.enableUsedNotifications()).toBe(false);
  }

  it("used-id-out-of-range", () => {
    const { driver, raw, used } = driverSetup();
    raw.setUsedElem(0, 8, 0).setUsedIdx(1);
    expectDriverBroken(driver, used, "used-id-out-of-range");
  });

  it("used-id-not-head: a descriptor that heads no outstanding chain", () => {
    const { driver, raw, used } = driverSetup();
    // Heads are 0 (two descriptors: 0 → 1) and 2; descriptor 1 is inside chain 0, 5 is free.
    raw.setUsedElem(0, 1, 0).setUsedIdx(1);
    expectDriverBroken(driver, used, "used-id-not-head");
  });

  it("used-id-not-head: the same head completed twice", () => {
    const { driver, raw, used } = driverSetup();
    raw.setUsedElem(0, 2, 0).setUsedElem(1, 2, 0).setUsedIdx(2);
    expect(driver.getUsed(used)).toBe("used");
    expect(used.token).toBe(101);
    expectDriverBroken(driver, used, "used-id-not-head");
  });

  it("used-len-too-large: more than the chain's writable bytes", () => {
    const { driver, raw, used } = driverSetup();
    raw.setUsedElem(0, 0, 17).setUsedIdx(1);
    expectDriverBroken(driver, used, "used-len-too-large");
  });

  it("used-len-too-large: any length for a chain with nothing writable", () => {
    const { driver, raw, used } = driverSetup();
    raw.setUsedElem(0, 2, 1).setUsedIdx(1);
    expectDriverBroken(driver, used, "used-len-too-large");
  });

  it("used-idx-runaway: more completions than outstanding chains", () => {
    const { driver, raw, used } = driverSetup();
    raw.setUsedElem(0, 0, 0).setUsedElem(1, 2, 0).setUsedIdx(3);
    expectDriverBroken(driver, used, "used-idx-runaway");
  });

  it("accepts an exact writable-length completion and keeps the queue usable", () => {
    const { driver, raw, used } = driverSetup();
    raw.setUsedElem(0, 0, 16).setUsedIdx(1);
    expect(driver.getUsed(used)).toBe("used");
    expect([used.token, used.length, used.head]).toEqual([100, 16, 0]);
    expect(driver.broken).toBe(false);
  });
});

describe("split virtqueue: API misuse by the trusted caller", () => {
  it("driver refuses bad buffers and options with named errors, writing nothing", () => {
    const memory = makeMemory();
    const driver = new SplitQueueDriver<number>(memory, ringAt(4));
    const raw = new RawRing(memory, ringAt(4));
    const ok = { address: DATA, length: 4 };
    expectVirtqueueError(() => driver.add([], [], 1), "empty-chain");
    expectVirtqueueError(() => driver.add([{ address: DATA, length: 0 }], [], 1), "invalid-buffer");
    expectVirtqueueError(() => driver.add([{ address: DATA, length: 2 ** 32 }], [], 1), "invalid-buffer");
    expectVirtqueueError(() => driver.add([ok], [{ address: 0xfffe, length: 4 }], 1), "buffer-outside-memory");
    expectVirtqueueError(() => driver.add([{ address: Number.NaN, length: 4 }], [], 1), "buffer-outside-memory");
    expectVirtqueueError(() => driver.add([ok, ok, ok, ok, ok], [], 1), "chain-too-long");
    expectVirtqueueError(() => driver.add([ok], [], 1, DATA + 0x100), "indirect-not-negotiated");
    expect(raw.availIdx()).toBe(0);
    expect(driver.numFree).toBe(4);
    const indirect = new SplitQueueDriver<number>(memory, ringAt(4), { indirectDesc: true });
    expectVirtqueueError(() => indirect.add([ok, ok], [], 1, 0xfff8), "indirect-outside-memory");
  });

  it("driver refuses a chain over 2^32 - 1 bytes before looking at addresses", () => {
    const driver = new SplitQueueDriver<number>(makeMemory(), ringAt(4));
    expectVirtqueueError(
      () => driver.add([{ address: DATA, length: 0x8000_0000 }], [{ address: DATA, length: 0x8000_0000 }], 1),
      "length-overflow",
    );
  });

  it("driver refuses an invalid layout with the layout reason", () => {
    expectVirtqueueError(() => new SplitQueueDriver(makeMemory(), { ...ringAt(8), size: 12 }), "ring-size-not-power-of-two");
    expectVirtqueueError(() => new SplitQueueDriver(makeMemory(), { ...ringAt(8), usedAddress: 0x2001 }), "misaligned-ring");
    expectVirtqueueError(() => new SplitQueueDriver(makeMemory(), { ...ringAt(8), descAddress: 0xfff0 }), "ring-outside-memory");
  });

  it("device refuses bad options, foreign used heads and oversized used lengths", () => {
    const memory = makeMemory();
    expectVirtqueueError(() => new SplitQueueDevice(memory, ringAt(8), { maxChainLength: 0 }), "invalid-option");
    expectVirtqueueError(() => new SplitQueueDevice(memory, ringAt(8), { lastAvailIdx: 65536 }), "invalid-option");
    const driver = new SplitQueueDriver<number>(memory, ringAt(8));
    const device = new SplitQueueDevice(memory, ringAt(8));
    driver.add([], [{ address: DATA, length: 8 }], 1);
    const chain = device.createChain();
    expectVirtqueueError(() => device.pop(new DescriptorChain(2)), "chain-capacity-too-small");
    expect(device.pop(chain)).toBe("popped");
    expectVirtqueueError(() => device.addUsed(chain.head + 1, 0), "invalid-used-head");
    expectVirtqueueError(() => device.addUsed(chain.head, 9), "invalid-used-length");
    expectVirtqueueError(() => device.addUsed(chain.head, -1), "invalid-used-length");
    expect(device.pushUsed(chain.head, 8)).toBe(true);
    expectVirtqueueError(() => device.addUsed(chain.head, 0), "invalid-used-head");
  });
});

describe("split virtqueue: layout helpers", () => {
  it("vringSize and legacyRingAddresses follow vring_size / vring_init", () => {
    // Values worked out by hand from the C formulas (the oracle test checks them against gcc).
    expect(vringSize(8, 4096)).toBe(4096 + 6 + 64);
    expect(vringSize(256, 4096)).toBe(8192 + 6 + 2048);
    expect(vringSize(8, 4)).toBe(128 + 22 + 2 + 6 + 64);
    expect(legacyRingAddresses(256, 0x10000, 4096)).toEqual({
      size: 256,
      descAddress: 0x10000,
      availAddress: 0x11000,
      usedAddress: 0x12000,
    });
    expectVirtqueueError(() => vringSize(3, 4096), "ring-size-not-power-of-two");
    expectVirtqueueError(() => vringSize(8, 3), "invalid-option");
    expectVirtqueueError(() => legacyRingAddresses(8, 8, 4096), "misaligned-ring");
  });
});
