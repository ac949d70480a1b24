/**
 * Conformance checks of `virtio-1-4-common` (the device-independent requirements of virtio 1.4) for the
 * sections on split and packed virtqueues, their notifications and the reserved feature bits, run against
 * runtime/virtqueue: its drivers and devices over fresh guest memory, with a hand-written (hostile) driver or
 * device where the requirement is about what the other side may see. Ring offsets are spelled out here from
 * the spec's struct layouts (§2.7, §2.8), not taken from the runtime, so a check does not assume what it tests.
 *
 * A requirement of these sections with no check carries a todo reason (what would have to exist to check it).
 * Requirements of the other device-independent sections (transports, device groups, the admin virtqueue)
 * are todos without a reason yet.
 *
 * @module
 */
import assert from "node:assert/strict";
import { GuestMemory } from "../../runtime/memory/index.js";
import {
  contiguousPackedRing,
  createQueueDevice,
  createQueueDriver,
  PackedQueueDriver,
  SplitQueueDevice,
  SplitQueueDriver,
  VirtqueueError,
  type RingAddresses,
  type SplitRingAddresses,
  type VirtqueueDevice,
  type VirtqueueDriver,
} from "../../runtime/virtqueue/index.js";
import { registryFor } from "./registry.js";

const { check, todo } = registryFor("virtio-1-4-common");

const VQ = "Basic Facilities of a Virtio Device / Virtqueues";
const PACKED = "Basic Facilities of a Virtio Device / Packed Virtqueues";
/** The spec's own spelling of one normative label ("PAcked"). */
const PACKED_DRIVER_TABLE = "drivernormative:Basic Facilities of a Virtio Device / PAcked Virtqueues / The Virtqueue Descriptor Table";
const RESERVED = "Reserved Feature Bits";

// ------------------------------------------------------------------------------------------------ harness

const NEXT = 1;
const WRITE = 2;
const INDIRECT = 4;
const AVAIL = 1 << 7;
const USED = 1 << 15;
const DATA = 0x4000;
const TABLE = 0x8000;

function memory(): GuestMemory {
  return GuestMemory.fromBuffer(new SharedArrayBuffer(0x10000));
}

/** A split ring of `size`: descriptors at 0, available ring at 0x1000, used ring at 0x2000. */
function splitRing(size: number): SplitRingAddresses {
  return { size, descAddress: 0, availAddress: 0x1000, usedAddress: 0x2000 };
}

interface Pair {
  m: GuestMemory;
  ring: RingAddresses;
  driver: VirtqueueDriver<number>;
  device: VirtqueueDevice;
}

function pair(layout: "split" | "packed", size: number, options: { eventIdx?: boolean; indirectDesc?: boolean; inOrder?: boolean } = {}): Pair {
  const m = memory();
  const ring = layout === "split" ? splitRing(size) : contiguousPackedRing(size, 0);
  return { m, ring, driver: createQueueDriver<number>(m, ring, options), device: createQueueDevice(m, ring, options) };
}

/** A split descriptor (16 bytes: le64 addr, le32 len, le16 flags, le16 next). */
function writeDesc(m: GuestMemory, at: number, addr: number, len: number, flags: number, next: number): void {
  m.writeU64(at, BigInt(addr));
  m.writeU32(at + 8, len);
  m.writeU16(at + 12, flags);
  m.writeU16(at + 14, next);
}

/** A packed descriptor (16 bytes: le64 addr, le32 len, le16 id, le16 flags). */
function writePackedDesc(m: GuestMemory, at: number, addr: number, len: number, id: number, flags: number): void {
  m.writeU64(at, BigInt(addr));
  m.writeU32(at + 8, len);
  m.writeU16(at + 12, id);
  m.writeU16(at + 14, flags);
}

/** The flags of the packed descriptor at `at`. */
const packedFlags = (m: GuestMemory, at: number): number => m.readU16(at + 14);

function readDesc(m: GuestMemory, at: number): { addr: bigint; len: number; flags: number; next: number } {
  return { addr: m.readU64(at), len: m.readU32(at + 8), flags: m.readU16(at + 12), next: m.readU16(at + 14) };
}

/** A hostile driver offering split heads: ring[idx % size] = head, then idx += 1 (avail: le16 flags, le16 idx, le16 ring[]). */
function offer(m: GuestMemory, ring: SplitRingAddresses, heads: number[]): void {
  let idx = m.readU16(ring.availAddress + 2);
  for (const h of heads) {
    m.writeU16(ring.availAddress + 4 + 2 * (idx % ring.size), h);
    idx = (idx + 1) & 0xffff;
  }
  m.writeU16(ring.availAddress + 2, idx);
}

const availFlags = (m: GuestMemory, r: SplitRingAddresses): number => m.readU16(r.availAddress);
const availIdx = (m: GuestMemory, r: SplitRingAddresses): number => m.readU16(r.availAddress + 2);
const usedEventAt = (r: SplitRingAddresses): number => r.availAddress + 4 + 2 * r.size;
const usedFlags = (m: GuestMemory, r: SplitRingAddresses): number => m.readU16(r.usedAddress);
const usedIdx = (m: GuestMemory, r: SplitRingAddresses): number => m.readU16(r.usedAddress + 2);
const availEventAt = (r: SplitRingAddresses): number => r.usedAddress + 4 + 8 * r.size;

function snapshot(m: GuestMemory, at: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  m.read(at, out);
  return out;
}

function popOne(device: VirtqueueDevice): ReturnType<VirtqueueDevice["createChain"]> {
  const chain = device.createChain();
  assert.equal(device.pop(chain), "popped");
  return chain;
}

function throwsVirtqueueError(f: () => unknown, reason: string): void {
  assert.throws(f, (e: unknown) => e instanceof VirtqueueError && e.reason === reason, `expected VirtqueueError ${reason}`);
}

const usedSlot = (): { token: number | undefined; length: number; head: number } => ({ token: undefined, length: 0, head: 0 });

// ------------------------------------------------------------------------------------------------ split: layout, descriptors

check(`drivernormative:${VQ}#1`, () => {
  // Descriptor table 16-byte, available ring 2-byte, used ring 4-byte aligned (§2.7, the table of alignments).
  for (const bad of [{ descAddress: 8 }, { availAddress: 0x1001 }, { usedAddress: 0x2002 }]) {
    throwsVirtqueueError(() => new SplitQueueDriver(memory(), { ...splitRing(8), ...bad }), "misaligned-ring");
  }
  assert.doesNotThrow(() => new SplitQueueDriver(memory(), splitRing(8)));
});

for (const [label, layout] of [[`devicenormative:${VQ} / The Virtqueue Descriptor Table#1`, "split"], [`devicenormative:${PACKED} / The Virtqueue Descriptor Table#1`, "packed"]] as const) {
  check(label, () => {
    // The runtime's device side hands the device model the chain; writing goes only to writable segments.
    const { m, driver, device } = pair(layout, 8);
    m.fill(DATA, 64, 0xab);
    driver.add([{ address: DATA, length: 64 }], [{ address: DATA + 0x100, length: 64 }], 1);
    const chain = popOne(device);
    const before = snapshot(m, DATA, 64);
    // A device model writing its whole reply through the chain.
    let written = 0;
    for (let i = chain.readableCount; i < chain.count; i++) {
      m.fill(chain.addresses[i]!, chain.lengths[i]!, 0xcd);
      written += chain.lengths[i]!;
    }
    assert.ok(device.pushUsed(chain.head, written));
    assert.deepEqual(snapshot(m, DATA, 64), before, "the device-readable buffer changed");
    assert.equal(chain.readableCount, 1);
    assert.equal(chain.count - chain.readableCount, 1);
  });
}

check(`devicenormative:${VQ} / The Virtqueue Descriptor Table#2`, () => {
  const { m, driver, device } = pair("split", 8, { indirectDesc: true });
  driver.add([{ address: DATA, length: 16 }], [{ address: DATA + 0x100, length: 16 }], 1);
  driver.add([{ address: DATA, length: 16 }, { address: DATA + 0x40, length: 16 }], [{ address: DATA + 0x100, length: 16 }], 2, TABLE);
  const table = snapshot(m, 0, 16 * 8);
  const indirect = snapshot(m, TABLE, 16 * 3);
  for (let k = 0; k < 2; k++) {
    const chain = popOne(device);
    assert.ok(device.pushUsed(chain.head, 0));
  }
  assert.deepEqual(snapshot(m, 0, 16 * 8), table, "the device wrote to the descriptor table");
  assert.deepEqual(snapshot(m, TABLE, 16 * 3), indirect, "the device wrote to an indirect table");
});

check(`drivernormative:${VQ} / The Virtqueue Descriptor Table#1`, () => {
  // 2^32 bytes or more in one chain is refused before anything is written.
  const { m, driver } = pair("split", 8);
  const before = snapshot(m, 0, 0x3000);
  throwsVirtqueueError(() => driver.add([{ address: DATA, length: 0xffffffff }, { address: DATA, length: 2 }], [], 1), "length-overflow");
  assert.deepEqual(snapshot(m, 0, 0x3000), before);
  // Loops cannot arise from add(): each chain takes free descriptors, each visited once.
  driver.add(Array.from({ length: 8 }, (_, i) => ({ address: DATA + 16 * i, length: 16 })), [], 2);
  const seen = new Set<number>();
  for (let i = 0; ; ) {
    assert.ok(!seen.has(i), "loop in the chain");
    seen.add(i);
    const d = readDesc(m, 16 * i);
    if (!(d.flags & NEXT)) break;
    i = d.next;
  }
  assert.equal(seen.size, 8);
});

check(`drivernormative:${VQ} / The Virtqueue Descriptor Table#2`, () => {
  // IN_ORDER: a descriptor with NEXT at table offset x has next = x + 1, and 0 for x = queue size - 1.
  const size = 8;
  const { m, driver, device } = pair("split", size, { inOrder: true });
  let nexts = 0;
  for (let round = 0; round < 6; round++) {
    assert.equal(driver.add([{ address: DATA, length: 4 }, { address: DATA + 4, length: 4 }], [{ address: DATA + 8, length: 4 }], round), "added");
    for (let x = 0; x < size; x++) {
      const d = readDesc(m, 16 * x);
      if (d.flags & NEXT) {
        assert.equal(d.next, (x + 1) % size, `descriptor ${x}`);
        nexts++;
      }
    }
    const chain = popOne(device);
    assert.ok(device.pushUsed(chain.head, 0));
    const slot = usedSlot();
    assert.equal(driver.getUsed(slot), "used");
  }
  assert.ok(nexts > 0);
});

// ------------------------------------------------------------------------------------------------ split: indirect descriptors

check(`drivernormative:${VQ} / The Virtqueue Descriptor Table / Indirect Descriptors#1`, () => {
  const { m, driver } = pair("split", 8);
  const before = snapshot(m, 0, 0x3000);
  throwsVirtqueueError(() => driver.add([{ address: DATA, length: 4 }], [], 1, TABLE), "indirect-not-negotiated");
  assert.deepEqual(snapshot(m, 0, 0x3000), before);
});

check(`drivernormative:${VQ} / The Virtqueue Descriptor Table / Indirect Descriptors#2`, () => {
  const { m, driver } = pair("split", 8, { indirectDesc: true });
  driver.add([{ address: DATA, length: 4 }, { address: DATA + 4, length: 4 }], [{ address: DATA + 8, length: 4 }], 1, TABLE);
  for (let i = 0; i < 3; i++) assert.equal(readDesc(m, TABLE + 16 * i).flags & INDIRECT, 0, `indirect entry ${i}`);
});

check(`drivernormative:${VQ} / The Virtqueue Descriptor Table / Indirect Descriptors#3`, () => {
  // In the ring a chain never exceeds the queue size; through an indirect table the driver takes the device's
  // limit as `maxChainLength` (its default follows Linux, which passes longer indirect chains to QEMU).
  const size = 4;
  const five = Array.from({ length: 5 }, (_, i) => ({ address: DATA + 4 * i, length: 4 }));
  throwsVirtqueueError(() => createQueueDriver<number>(memory(), splitRing(size)).add(five, [], 1), "chain-too-long");
  throwsVirtqueueError(() => new SplitQueueDriver<number>(memory(), splitRing(size), { indirectDesc: true, maxChainLength: size }).add(five, [], 1, TABLE), "chain-too-long");
});

check(`drivernormative:${VQ} / The Virtqueue Descriptor Table / Indirect Descriptors#4`, () => {
  const { m, driver } = pair("split", 8, { indirectDesc: true });
  driver.add([{ address: DATA, length: 4 }], [{ address: DATA + 8, length: 4 }], 1, TABLE);
  for (let i = 0; i < 8; i++) {
    const d = readDesc(m, 16 * i);
    if (d.flags & INDIRECT) assert.equal(d.flags & NEXT, 0, `descriptor ${i} has INDIRECT and NEXT`);
  }
});

check(`drivernormative:${VQ} / The Virtqueue Descriptor Table / Indirect Descriptors#5`, () => {
  const { m, driver } = pair("split", 8, { indirectDesc: true, inOrder: true });
  driver.add([{ address: DATA, length: 4 }, { address: DATA + 4, length: 4 }, { address: DATA + 8, length: 4 }], [{ address: DATA + 12, length: 4 }], 1, TABLE);
  for (let i = 0; i < 3; i++) assert.equal(readDesc(m, TABLE + 16 * i).next, i + 1, `indirect entry ${i}`);
  assert.equal(readDesc(m, TABLE + 16 * 3).flags & NEXT, 0);
});

check(`devicenormative:${VQ} / The Virtqueue Descriptor Table / Indirect Descriptors#1`, () => {
  // A hostile driver sets WRITE on the descriptor that points at the table: the device ignores it.
  const m = memory();
  const ring = splitRing(8);
  const device = new SplitQueueDevice(m, ring, { indirectDesc: true });
  writeDesc(m, 0, TABLE, 32, INDIRECT | WRITE, 0);
  writeDesc(m, TABLE, DATA, 16, NEXT, 1);
  writeDesc(m, TABLE + 16, DATA + 0x100, 16, WRITE, 0);
  offer(m, ring, [0]);
  const chain = popOne(device);
  assert.equal(chain.readableCount, 1);
  assert.equal(chain.count, 2);
  assert.equal(chain.readableBytes, 16);
  assert.equal(chain.writableBytes, 16);
});

check(`devicenormative:${VQ} / The Virtqueue Descriptor Table / Indirect Descriptors#2`, () => {
  // Zero or more chained descriptors, then one INDIRECT descriptor.
  for (const direct of [0, 1, 2]) {
    const m = memory();
    const ring = splitRing(8);
    const device = new SplitQueueDevice(m, ring, { indirectDesc: true });
    for (let i = 0; i < direct; i++) writeDesc(m, 16 * i, DATA + 16 * i, 16, NEXT, i + 1);
    writeDesc(m, 16 * direct, TABLE, 32, INDIRECT, 0);
    writeDesc(m, TABLE, DATA + 0x200, 16, NEXT, 1);
    writeDesc(m, TABLE + 16, DATA + 0x300, 16, WRITE, 0);
    offer(m, ring, [0]);
    const chain = popOne(device);
    assert.equal(chain.count, direct + 2, `${direct} direct descriptors before the indirect one`);
    assert.equal(device.broken, false);
  }
});

// ------------------------------------------------------------------------------------------------ split: rings and notifications

check(`drivernormative:${VQ} / The Virtqueue Available Ring#1`, () => {
  // Over a 16-bit wrap, the available idx only ever moves forward by the chains added.
  const { m, ring, driver, device } = pair("split", 4);
  const r = ring as SplitRingAddresses;
  let prev = availIdx(m, r);
  const slot = usedSlot();
  for (let i = 0; i < 70_000; i++) {
    assert.equal(driver.add([{ address: DATA, length: 4 }], [], i), "added");
    const idx = availIdx(m, r);
    assert.equal((idx - prev) & 0xffff, 1);
    prev = idx;
    const chain = popOne(device);
    device.pushUsed(chain.head, 0);
    assert.equal(driver.getUsed(slot), "used");
  }
});

check(`drivernormative:${VQ} / Used Buffer Notification Suppression#1`, () => {
  const { m, ring, driver } = pair("split", 8);
  for (const f of [() => driver.disableUsedNotifications(), () => driver.enableUsedNotifications(), () => driver.disableUsedNotifications()]) {
    f();
    assert.ok([0, 1].includes(availFlags(m, ring as SplitRingAddresses)));
  }
});

todo(`drivernormative:${VQ} / Used Buffer Notification Suppression#2`, "a MAY: disableUsedNotifications sets flags to 1 (checked under #1); nothing to refuse");

check(`drivernormative:${VQ} / Used Buffer Notification Suppression#3`, () => {
  const { m, ring, driver } = pair("split", 8, { eventIdx: true });
  driver.disableUsedNotifications();
  assert.equal(availFlags(m, ring as SplitRingAddresses), 0);
  driver.enableUsedNotifications();
  assert.equal(availFlags(m, ring as SplitRingAddresses), 0);
});

todo(`drivernormative:${VQ} / Used Buffer Notification Suppression#4`, "a MAY: the driver writes used_event on enableUsedNotifications; the device-side checks (#4, #5 of the device) use it");

check(`drivernormative:${VQ} / Used Buffer Notification Suppression#5`, () => {
  // A notification with nothing used: the driver finds nothing and stays usable.
  const { driver, device } = pair("split", 8);
  const slot = usedSlot();
  assert.equal(driver.getUsed(slot), "empty");
  assert.equal(driver.broken, false);
  driver.add([{ address: DATA, length: 4 }], [], 7);
  const chain = popOne(device);
  device.pushUsed(chain.head, 0);
  assert.equal(driver.getUsed(slot), "used");
  assert.equal(slot.token, 7);
});

/**
 * A device over a ring a hostile driver controls: after a first used chain (whose interrupt the device may
 * always send, as QEMU does while it knows no earlier one), the driver sets `flags` and `used_event`, and a
 * second chain is used (used idx 1 → 2). Does the device ask to interrupt?
 */
function deviceInterrupts(eventIdx: boolean, flags: number, usedEvent: number): boolean {
  const m = memory();
  const ring = splitRing(8);
  const device = new SplitQueueDevice(m, ring, { eventIdx });
  writeDesc(m, 0, DATA, 16, 0, 0);
  writeDesc(m, 16, DATA, 16, 0, 0);
  offer(m, ring, [0]);
  device.pushUsed(popOne(device).head, 0);
  device.needsInterrupt();
  m.writeU16(ring.availAddress, flags);
  m.writeU16(usedEventAt(ring), usedEvent);
  offer(m, ring, [1]);
  device.pushUsed(popOne(device).head, 0);
  return device.needsInterrupt();
}

check(`devicenormative:${VQ} / Used Buffer Notification Suppression#1`, () => assert.equal(deviceInterrupts(false, 1, 0), false));
check(`devicenormative:${VQ} / Used Buffer Notification Suppression#2`, () => assert.equal(deviceInterrupts(false, 0, 0), true));
check(`devicenormative:${VQ} / Used Buffer Notification Suppression#3`, () => {
  for (const ev of [0, 5, 0xffff]) assert.equal(deviceInterrupts(false, 0, ev), true, `used_event ${ev}`);
});
check(`devicenormative:${VQ} / Used Buffer Notification Suppression#4`, () => assert.equal(deviceInterrupts(true, 0, 1), true));
check(`devicenormative:${VQ} / Used Buffer Notification Suppression#5`, () => assert.equal(deviceInterrupts(true, 0, 5), false));
check(`devicenormative:${VQ} / Used Buffer Notification Suppression#6`, () => {
  assert.equal(deviceInterrupts(true, 1, 1), true);
  assert.equal(deviceInterrupts(true, 1, 5), false);
});

check(`devicenormative:${VQ} / The Virtqueue Used Ring#1`, () => {
  const { m, ring, driver, device } = pair("split", 8);
  const r = ring as SplitRingAddresses;
  driver.add([], [{ address: DATA, length: 64 }], 1);
  const chain = popOne(device);
  assert.ok(device.addUsed(chain.head, 40));
  assert.equal(usedIdx(m, r), 0, "used idx moved before publishing");
  assert.equal(m.readU32(r.usedAddress + 4 + 4), 40, "len not written before the idx update");
  device.publishUsed();
  assert.equal(usedIdx(m, r), 1);
});

todo(`devicenormative:${VQ} / The Virtqueue Used Ring#2`, "the data is written by the device model, not runtime/virtqueue; the runtime refuses a len above the chain's writable bytes (invalid-used-length), checked in test/runtime");
todo(`devicenormative:${VQ} / The Virtqueue Used Ring#3`, "a MAY");

check(`drivernormative:${VQ} / The Virtqueue Used Ring#1`, () => {
  // A hostile device claims more bytes than the chain can hold: the driver refuses to believe it.
  const { m, ring, driver } = pair("split", 8);
  const r = ring as SplitRingAddresses;
  driver.add([], [{ address: DATA, length: 16 }], 1);
  const head = m.readU16(r.availAddress + 4);
  m.writeU32(r.usedAddress + 4, head);
  m.writeU32(r.usedAddress + 8, 17);
  m.writeU16(r.usedAddress + 2, 1);
  const slot = usedSlot();
  assert.equal(driver.getUsed(slot), "broken");
  assert.equal(driver.brokenReason, "used-len-too-large");
});

check(`drivernormative:${VQ} / Available Buffer Notification Suppression#1`, () => {
  const m = memory();
  m.fill(0x2000, 0x100, 0xff);
  new SplitQueueDriver(m, splitRing(8));
  assert.equal(usedFlags(m, splitRing(8)), 0);
});

/** A driver over a ring a hostile device controls, after one add: does it want to kick? */
function driverKicks(eventIdx: boolean, flags: number, availEvent: number): boolean {
  const m = memory();
  const ring = splitRing(8);
  const driver = new SplitQueueDriver<number>(m, ring, { eventIdx });
  m.writeU16(ring.usedAddress, flags);
  m.writeU16(availEventAt(ring), availEvent);
  driver.add([{ address: DATA, length: 4 }], [], 1);
  return driver.needsKick();
}

check(`drivernormative:${VQ} / Available Buffer Notification Suppression#2`, () => assert.equal(driverKicks(false, 1, 0), false));
check(`drivernormative:${VQ} / Available Buffer Notification Suppression#3`, () => assert.equal(driverKicks(false, 0, 0), true));
check(`drivernormative:${VQ} / Available Buffer Notification Suppression#4`, () => {
  for (const ev of [0, 5, 0xffff]) assert.equal(driverKicks(false, 0, ev), true, `avail_event ${ev}`);
});
check(`drivernormative:${VQ} / Available Buffer Notification Suppression#5`, () => assert.equal(driverKicks(true, 0, 0), true));
check(`drivernormative:${VQ} / Available Buffer Notification Suppression#6`, () => assert.equal(driverKicks(true, 0, 5), false));
check(`drivernormative:${VQ} / Available Buffer Notification Suppression#7`, () => {
  assert.equal(driverKicks(true, 1, 0), true);
  assert.equal(driverKicks(true, 1, 5), false);
});

check(`devicenormative:${VQ} / Available Buffer Notification Suppression#1`, () => {
  const { m, ring, device } = pair("split", 8);
  device.disableKicks();
  assert.equal(usedFlags(m, ring as SplitRingAddresses), 1);
  device.enableKicks();
  assert.equal(usedFlags(m, ring as SplitRingAddresses), 0);
});

todo(`devicenormative:${VQ} / Available Buffer Notification Suppression#2`, "a MAY: disableKicks sets flags to 1 (checked under #1)");

check(`devicenormative:${VQ} / Available Buffer Notification Suppression#3`, () => {
  const { m, ring, device } = pair("split", 8, { eventIdx: true });
  device.disableKicks();
  assert.equal(usedFlags(m, ring as SplitRingAddresses), 0);
  device.enableKicks();
  assert.equal(usedFlags(m, ring as SplitRingAddresses), 0);
});

todo(`devicenormative:${VQ} / Available Buffer Notification Suppression#4`, "a MAY: the device writes avail_event on enableKicks; the driver-side checks (#5, #6) use it");

check(`devicenormative:${VQ} / Available Buffer Notification Suppression#5`, () => {
  const { device } = pair("split", 8);
  const chain = device.createChain();
  for (let i = 0; i < 3; i++) assert.equal(device.pop(chain), "empty");
  assert.equal(device.broken, false);
});

const BARRIER = "a memory-ordering rule: the runtime publishes index and flag words with Atomics (see runtime/virtqueue), which one thread cannot observe; the cross-thread tests (test/runtime/virtqueue-threads.test.ts) exercise it";
todo(`drivernormative:${VQ} / Supplying Buffers to The Device / Updating idx#1`, BARRIER);
todo(`drivernormative:${VQ} / Supplying Buffers to The Device / Notifying The Device#1`, BARRIER);

// ------------------------------------------------------------------------------------------------ queue reset

check(`devicenormative:${VQ} / Virtqueue Reset / Virtqueue Reset#1`, () => {
  const { driver, device } = pair("split", 8);
  driver.add([{ address: DATA, length: 4 }], [], 1);
  driver.add([{ address: DATA, length: 4 }], [], 2);
  popOne(device);
  driver.reset();
  device.reset();
  const chain = device.createChain();
  assert.equal(device.pop(chain), "empty", "a request from before the reset was executed");
  assert.equal(device.needsInterrupt(), false);
});

check(`devicenormative:${VQ} / Virtqueue Reset / Virtqueue Reset#2`, () => {
  for (const layout of ["split", "packed"] as const) {
    const { driver, device } = pair(layout, 8);
    for (let i = 0; i < 3; i++) driver.add([{ address: DATA, length: 4 }], [], i);
    popOne(device);
    device.reset();
    assert.equal(device.inFlightChains, 0, layout);
    assert.equal(device.broken, false, layout);
    // After the driver re-initialises its side, the two work again from the initial state.
    driver.reset();
    driver.add([{ address: DATA, length: 4 }], [], 9);
    const chain = popOne(device);
    device.pushUsed(chain.head, 0);
    const slot = usedSlot();
    assert.equal(driver.getUsed(slot), "used", layout);
    assert.equal(slot.token, 9, layout);
  }
});

const TRANSPORT = "the transport's queue registers (queue_reset, queue_enable, queue_size) are not modelled in runtime/virtqueue; only the ring state is";
todo(`drivernormative:${VQ} / Virtqueue Reset / Virtqueue Reset#1`, TRANSPORT);

check(`drivernormative:${VQ} / Virtqueue Reset / Virtqueue Reset#2`, () => {
  // What the driver may release after a reset: reset() hands back exactly the outstanding buffers' tokens.
  const { driver, device } = pair("split", 8);
  for (let i = 0; i < 4; i++) driver.add([{ address: DATA, length: 4 }], [], i);
  const chain = popOne(device);
  device.pushUsed(chain.head, 0);
  const slot = usedSlot();
  assert.equal(driver.getUsed(slot), "used");
  assert.deepEqual([...driver.reset()].sort(), [1, 2, 3]);
  assert.equal(driver.outstanding, 0);
});

todo(`devicenormative:${VQ} / Virtqueue Reset / Virtqueue Re-enable#1`, TRANSPORT);
todo(`drivernormative:${VQ} / Virtqueue Reset / Virtqueue Re-enable#1`, TRANSPORT);

// ------------------------------------------------------------------------------------------------ packed

check(`drivernormative:${PACKED}#1`, () => {
  // Descriptor ring 16-byte, event suppression structures 4-byte aligned (§2.8, the table of alignments).
  const ring = contiguousPackedRing(8, 0);
  throwsVirtqueueError(() => new PackedQueueDriver(memory(), { ...ring, descAddress: 8 }), "misaligned-ring");
  throwsVirtqueueError(() => new PackedQueueDriver(memory(), { ...ring, driverEventAddress: ring.driverEventAddress + 2 }), "misaligned-ring");
  assert.doesNotThrow(() => new PackedQueueDriver(memory(), ring));
});

check(`devicenormative:${PACKED}#1`, () => {
  const { driver, device } = pair("packed", 8);
  for (let i = 0; i < 5; i++) driver.add([{ address: DATA + 16 * i, length: 16 }], [], i);
  for (let i = 0; i < 5; i++) assert.equal(popOne(device).addresses[0], DATA + 16 * i);
});

check(`devicenormative:${PACKED}#2`, () => {
  // Completed out of order: used descriptors appear in completion order.
  const { driver, device } = pair("packed", 8);
  for (let i = 0; i < 3; i++) driver.add([{ address: DATA, length: 4 }], [], i);
  const chains = [popOne(device).head, popOne(device).head, popOne(device).head];
  for (const k of [2, 0, 1]) device.pushUsed(chains[k]!, 0);
  const slot = usedSlot();
  const order: number[] = [];
  while (driver.getUsed(slot) === "used") order.push(slot.token!);
  assert.deepEqual(order, [2, 0, 1]);
});

todo(`devicenormative:${PACKED}#3`, "a MAY");

check(`devicenormative:${PACKED} / The Virtqueue Descriptor Table#2`, () => {
  // A descriptor whose AVAIL bit does not match the device's wrap counter (initially 1) is not used.
  const ring = contiguousPackedRing(8, 0);
  const popWith = (flags: number): string => {
    const m = memory();
    const device = createQueueDevice(m, ring);
    writePackedDesc(m, ring.descAddress, DATA, 16, 0, flags);
    return device.pop(device.createChain());
  };
  assert.equal(popWith(0), "empty", "AVAIL 0 in the first lap: not made available");
  // AVAIL = USED = 1 in the first lap: a used descriptor; the device does not use it (it takes it as a protocol breach).
  assert.notEqual(popWith(AVAIL | USED), "popped");
  assert.equal(popWith(AVAIL), "popped");
});

check(`devicenormative:${PACKED} / The Virtqueue Descriptor Table#3`, () => {
  const { m, ring, driver, device } = pair("packed", 8);
  driver.add([{ address: DATA, length: 16 }], [], 1);
  const chain = popOne(device);
  device.pushUsed(chain.head, 0);
  const after = snapshot(m, ring.descAddress, 16 * 8);
  const spare = device.createChain();
  for (let i = 0; i < 3; i++) device.pop(spare);
  device.enableKicks();
  device.disableKicks();
  assert.deepEqual(snapshot(m, ring.descAddress, 16 * 8), after, "a used descriptor changed");
});

check(`${PACKED_DRIVER_TABLE}#1`, () => {
  // Until the device marks them used, the driver's in-flight descriptors stay as written: a full ring says no-space.
  const { m, ring, driver } = pair("packed", 4);
  for (let i = 0; i < 4; i++) assert.equal(driver.add([{ address: DATA + 16 * i, length: 16 }], [], i), "added");
  const ringBytes = snapshot(m, ring.descAddress, 16 * 4);
  assert.equal(driver.add([{ address: DATA, length: 16 }], [], 9), "no-space");
  assert.deepEqual(snapshot(m, ring.descAddress, 16 * 4), ringBytes);
});

check(`${PACKED_DRIVER_TABLE}#2`, () => {
  // Once made available a descriptor is left alone by later adds.
  const { m, ring, driver } = pair("packed", 8);
  driver.add([{ address: DATA, length: 16 }], [], 1);
  const first = snapshot(m, ring.descAddress, 16);
  for (let i = 0; i < 5; i++) driver.add([{ address: DATA + 16, length: 16 }], [], 2 + i);
  assert.deepEqual(snapshot(m, ring.descAddress, 16), first);
});

check(`${PACKED_DRIVER_TABLE}#3`, () => {
  // VIRTIO_F_NOTIFICATION_DATA: le32 { vqn: 16; next_off: 15; next_wrap: 1 } for the next descriptor not yet available.
  const size = 4;
  const { driver, device } = pair("packed", size);
  for (let i = 0; i < 3; i++) driver.add([{ address: DATA, length: 4 }], [], i);
  assert.equal(driver.notificationData(2), (2 | (3 << 16) | (1 << 31)) >>> 0);
  // Past the end of the ring the offset wraps and the wrap counter flips.
  const slot = usedSlot();
  for (let i = 0; i < 3; i++) device.pushUsed(popOne(device).head, 0);
  while (driver.getUsed(slot) === "used");
  driver.add([{ address: DATA, length: 4 }], [], 3);
  driver.add([{ address: DATA, length: 4 }], [], 4);
  assert.equal(driver.notificationData(5), 5 | (1 << 16));
});

todo(`${PACKED_DRIVER_TABLE}#4`, "a MAY");

check(`drivernormative:${PACKED} / Scatter-Gather Support#1`, () => {
  const five = Array.from({ length: 5 }, (_, i) => ({ address: DATA + 4 * i, length: 4 }));
  throwsVirtqueueError(() => new PackedQueueDriver<number>(memory(), contiguousPackedRing(8, 0), { indirectDesc: true, maxChainLength: 4 }).add(five, [], 1, TABLE), "chain-too-long");
});

check(`drivernormative:${PACKED} / Scatter-Gather Support#2`, () => {
  const five = Array.from({ length: 5 }, (_, i) => ({ address: DATA + 4 * i, length: 4 }));
  throwsVirtqueueError(() => createQueueDriver<number>(memory(), contiguousPackedRing(4, 0)).add(five, [], 1), "chain-too-long");
});

check(`drivernormative:${PACKED} / Scatter-Gather Support#3`, () => {
  const { m, ring, driver } = pair("packed", 8);
  driver.add([{ address: DATA, length: 4 }, { address: DATA + 4, length: 4 }], [{ address: DATA + 8, length: 4 }, { address: DATA + 12, length: 4 }], 1);
  const writes = [0, 1, 2, 3].map((i) => (packedFlags(m, ring.descAddress + 16 * i) & WRITE) !== 0);
  assert.deepEqual(writes, [false, false, true, true]);
});

todo(`drivernormative:${PACKED} / Scatter-Gather Support#4`, "a rule on what a driver may rely on; the runtime's driver collects a list with one used descriptor (checked by the packed property tests)");

check(`drivernormative:${PACKED} / Scatter-Gather Support#5`, () => {
  const { m, ring, driver } = pair("packed", 4);
  driver.add([{ address: DATA, length: 4 }, { address: DATA, length: 4 }], [], 1);
  const before = snapshot(m, ring.descAddress, 16 * 4);
  assert.equal(driver.add([{ address: DATA, length: 4 }, { address: DATA, length: 4 }, { address: DATA, length: 4 }], [], 2), "no-space");
  assert.deepEqual(snapshot(m, ring.descAddress, 16 * 4), before, "part of a list was written without room for all of it");
});

todo(`drivernormative:${PACKED} / Scatter-Gather Support#6`, "write order inside one add() is not observable from one thread; the driver writes the first descriptor's flags last (packed-driver.ts), with Atomics");

check(`devicenormative:${PACKED} / Scatter-Gather Support#1`, () => {
  const { driver, device } = pair("packed", 8);
  const bufs = [0, 1, 2].map((i) => ({ address: DATA + 0x40 * i, length: 8 + i }));
  driver.add(bufs.slice(0, 2), bufs.slice(2), 1);
  const chain = popOne(device);
  assert.deepEqual([0, 1, 2].map((i) => [chain.addresses[i], chain.lengths[i]]), bufs.map((b) => [b.address, b.length]));
});

todo(`devicenormative:${PACKED} / Scatter-Gather Support#2`, "a MAY: the device's maxChainLength option");

check(`drivernormative:${PACKED} / The Virtqueue Descriptor Table / Indirect Descriptors#1`, () => {
  throwsVirtqueueError(() => createQueueDriver<number>(memory(), contiguousPackedRing(8, 0)).add([{ address: DATA, length: 4 }], [], 1, TABLE), "indirect-not-negotiated");
});

check(`drivernormative:${PACKED} / The Virtqueue Descriptor Table / Indirect Descriptors#2`, () => {
  const { m, driver } = pair("packed", 8, { indirectDesc: true });
  driver.add([{ address: DATA, length: 4 }, { address: DATA + 4, length: 4 }], [{ address: DATA + 8, length: 4 }], 1, TABLE);
  for (let i = 0; i < 3; i++) assert.equal(packedFlags(m, TABLE + 16 * i) & ~WRITE, 0, `indirect entry ${i}`);
});

check(`drivernormative:${PACKED} / The Virtqueue Descriptor Table / Indirect Descriptors#3`, () => {
  const nine = Array.from({ length: 9 }, (_, i) => ({ address: DATA + 4 * i, length: 4 }));
  throwsVirtqueueError(() => new PackedQueueDriver<number>(memory(), contiguousPackedRing(8, 0), { indirectDesc: true, maxChainLength: 8 }).add(nine, [], 1, TABLE), "chain-too-long");
});

check(`drivernormative:${PACKED} / The Virtqueue Descriptor Table / Indirect Descriptors#4`, () => {
  const { m, ring, driver } = pair("packed", 8, { indirectDesc: true });
  driver.add([{ address: DATA, length: 4 }], [{ address: DATA + 8, length: 4 }], 1, TABLE);
  const flags = packedFlags(m, ring.descAddress);
  assert.ok(flags & INDIRECT);
  assert.equal(flags & NEXT, 0);
});

todo(`drivernormative:${PACKED} / Supplying Buffers to The Device / Updating flags#1`, BARRIER);
todo(`drivernormative:${PACKED} / Supplying Buffers to The Device / Sending Available Buffer Notifications#1`, BARRIER);

// ------------------------------------------------------------------------------------------------ reserved feature bits

check(`devicenormative:${RESERVED}#5`, () => {
  // IN_ORDER: the device cannot mark a later buffer used before an earlier one.
  for (const layout of ["split", "packed"] as const) {
    const { driver, device } = pair(layout, 8, { inOrder: true });
    driver.add([{ address: DATA, length: 4 }], [], 1);
    driver.add([{ address: DATA, length: 4 }], [], 2);
    const a = popOne(device).head;
    const b = popOne(device).head;
    throwsVirtqueueError(() => device.pushUsed(b, 0), "invalid-used-head");
    assert.ok(device.pushUsed(a, 0), layout);
    assert.ok(device.pushUsed(b, 0), layout);
  }
});

const NEGOTIATION = "feature negotiation is done by each device model and driver (runtime/ism, runtime/vhost-pci-net: checked in their own suites), not by a device-independent part of the runtime";
for (const n of [1, 2, 3, 4, 6, 7, 8, 9]) todo(`devicenormative:${RESERVED}#${n}`, NEGOTIATION);
for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) todo(`drivernormative:${RESERVED}#${n}`, NEGOTIATION);
