/**
 * Hostile input never crashes the vhost-pci-net model, never makes it touch memory outside what it mapped,
 * and is refused with a named reason:
 * - malformed control messages and impossible values sent to B's driver (scripted device);
 * - PEER_VIRTQ_INFO describing rings outside the peer's memory, or impossible layouts;
 * - a peer guest writing looping or out-of-memory descriptor chains into a mirrored ring;
 * - malformed peer-link messages and control messages reaching the devices.
 *
 * "Never reads outside the mapped memory" holds by construction — every access goes through a bounds-checked
 * GuestMemory whose only region is the mapped peer memory, and an out-of-range access throws — so "never
 * throws" below also means "never read or wrote outside".
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VRING_DESC_F_NEXT, splitRingFieldOffsets } from "../../runtime/virtqueue/index.js";
import type { RefusalReason } from "../../runtime/vhost-pci-net/errors.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import type { PeerLinkEndpoint } from "../../runtime/vhost-pci-net/peer-link.js";
import { encodeOtherMemInfo } from "../../runtime/vhost-pci-net/peer-memory.js";
import { VHOST_PCI_CTRL_PEER_MEM_INFO, encodeVhostPciNetRequest } from "../../runtime/vhost-pci-net/spec.js";
import { encodePeerVirtqEntries } from "../../runtime/vhost-pci-net/virtq-entry.js";
import type { PeerVirtqEntry } from "../../runtime/vhost-pci-net/virtq-entry.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";
import { PEER_RAM_SIZE, ScriptedDevice } from "./scripted-device.js";
import { ScriptedDriver } from "./scripted-driver.js";

const MEM_INFO_Y = { need_map: 1, peer_mem: 2n, other_mem_info: encodeOtherMemInfo({ gpaStart: 0, size: PEER_RAM_SIZE }) };

function entry(overrides: Partial<PeerVirtqEntry> = {}): PeerVirtqEntry {
  return { queueIndex: 1, size: 256, lastAvailIdx: 0, flags: 1, vector: 2, desc: 0x1000n, avail: 0x2000n, used: 0x3000n, ...overrides };
}

function mapped(): ScriptedDevice {
  const dev = new ScriptedDevice();
  dev.send("PEER_MEM_INFO", MEM_INFO_Y);
  expect(dev.driver.peerMemory).not.toBeNull();
  return dev;
}

function expectRefused(dev: ScriptedDevice, reason: RefusalReason): void {
  expect(dev.driver.refusals.reasons(), dev.driver.refusals.list().map((r) => r.detail).join("; ")).toContain(reason);
  expect(dev.driver.state).toBe("running");
}

describe("malformed control messages to the driver", () => {
  const header = (request: number, payload: number[]): Uint8Array => {
    const b = new Uint8Array(12 + payload.length);
    new DataView(b.buffer).setUint32(0, request, true);
    b.set(payload, 12);
    return b;
  };
  const cases: [string, Uint8Array, RefusalReason][] = [
    ["a message shorter than its header", Uint8Array.of(0, 0, 0), "malformed-control-message"],
    ["an unknown request code", header(0x77, [1, 2, 3]), "unknown-request"],
    ["PEER_FEATURE_BITS with a 3-byte payload", header(0, [1, 2, 3]), "malformed-control-message"],
    ["PEER_MEM_INFO with no payload", header(VHOST_PCI_CTRL_PEER_MEM_INFO, []), "malformed-control-message"],
    ["PEER_VIRTQ_INFO with a 2-byte payload", header(2, [0, 1]), "malformed-control-message"],
    ["DIRTY_PAGE_LOGGING with no payload", header(3, []), "malformed-control-message"],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`refuses ${what} (${reason})`, () => {
      const dev = new ScriptedDevice();
      dev.sendBytes(bytes);
      expectRefused(dev, reason);
    });
  }

  it("refuses values the proposal does not define", () => {
    const dev = new ScriptedDevice();
    dev.send("PEER_MEM_INFO", { ...MEM_INFO_Y, need_map: 7 });
    expectRefused(dev, "invalid-need-map");
    dev.send("PEER_MEM_INFO", { ...MEM_INFO_Y, other_mem_info: new Uint8Array(5) });
    expectRefused(dev, "invalid-peer-memory-info");
    dev.send("PEER_MEM_INFO", { ...MEM_INFO_Y, other_mem_info: encodeOtherMemInfo({ gpaStart: 0, size: PEER_RAM_SIZE * 2 }) });
    expectRefused(dev, "peer-memory-unmapped");
    dev.send("PEER_MEM_INFO", { ...MEM_INFO_Y, peer_mem: 5n });
    dev.send("PEER_MEM_INFO", { need_map: 0, peer_mem: 0x1234_5678n, other_mem_info: MEM_INFO_Y.other_mem_info });
    expect(dev.driver.refusals.count("peer-memory-unmapped")).toBe(3);
    expect(dev.driver.peerMemory).toBeNull();
    dev.send("DIRTY_PAGE_LOGGING", { off_or_on: 9 });
    expectRefused(dev, "invalid-logging-value");
    dev.send("DIRTY_PAGE_LOGGING", { off_or_on: 1 });
    expectRefused(dev, "logging-not-negotiated");
    dev.send("MAC", Uint8Array.of(2, 0, 0, 0, 0, 1));
    expectRefused(dev, "unexpected-request");
  });

  it("refuses PEER_VIRTQ_INFO before the peer memory is mapped, answering virtq_num 0", () => {
    const dev = new ScriptedDevice();
    dev.send("PEER_VIRTQ_INFO", { tx_or_rx: 0, virtq_num: 1, vq: encodePeerVirtqEntries([entry()]) });
    expectRefused(dev, "peer-memory-not-mapped-yet");
    expect(dev.answers("PEER_VIRTQ_INFO").map((m) => m.request)).toEqual([{ tx_or_rx: 0, virtq_num: 0, vq: new Uint8Array(0) }]);
  });

  it("survives any bytes (property)", () => {
    const dev = mapped();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        dev.sendBytes(bytes);
        expect(dev.driver.state).toBe("running");
      }),
      { numRuns: 300 },
    );
  });

  it("survives valid messages with any bytes overwritten (property)", () => {
    const dev = new ScriptedDevice();
    const valid = [
      encodeVhostPciNetRequest("PEER_FEATURE_BITS", { feature_bits: 0x8000n }, { vhost_pci_id: 1n }),
      encodeVhostPciNetRequest("PEER_MEM_INFO", MEM_INFO_Y, { vhost_pci_id: 1n }),
      encodeVhostPciNetRequest("PEER_VIRTQ_INFO", { tx_or_rx: 1, virtq_num: 2, vq: encodePeerVirtqEntries([entry(), entry({ desc: 0x8000n, avail: 0x9000n, used: 0xa000n })]) }, { vhost_pci_id: 1n }),
      encodeVhostPciNetRequest("DIRTY_PAGE_LOGGING", { off_or_on: 1 }, { vhost_pci_id: 1n }),
    ];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (which, edits) => {
        const bytes = valid[which]!.slice();
        for (const [at, value] of edits) bytes[at % bytes.length] = value;
        dev.sendBytes(bytes);
        expect(dev.driver.state).toBe("running");
        for (const q of [...dev.driver.mirroredQueues.rx, ...dev.driver.mirroredQueues.tx]) {
          // Whatever got accepted lies inside the mapped peer memory.
          const a = q.spec.addresses;
          expect(a.usedAddress + 6 + 8 * a.size).toBeLessThanOrEqual(PEER_RAM_SIZE);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("PEER_VIRTQ_INFO that does not describe rings in the peer's memory", () => {
  const cases: [string, PeerVirtqEntry[], number, RefusalReason][] = [
    ["a used ring past the end of the peer memory", [entry({ used: BigInt(PEER_RAM_SIZE - 8) })], 1, "virtq-outside-peer-memory"],
    ["a descriptor table at 2^63", [entry({ desc: 1n << 63n })], 1, "virtq-outside-peer-memory"],
    ["an available ring just past the end", [entry({ avail: BigInt(PEER_RAM_SIZE) })], 1, "virtq-outside-peer-memory"],
    ["a queue size that is not a power of two", [entry({ size: 100 })], 1, "invalid-virtq-layout"],
    ["a misaligned descriptor table", [entry({ desc: 0x1008n })], 1, "invalid-virtq-layout"],
    ["virtq_num larger than the entries given", [entry()], 3, "virtq-count-mismatch"],
    ["virtq_num 0xffffffff", [entry()], 0xffffffff, "too-many-virtqs"],
  ];
  for (const [what, entries, count, reason] of cases) {
    it(`refuses ${what} (${reason}) and sets up no mirrored queue`, () => {
      const dev = mapped();
      dev.send("PEER_VIRTQ_INFO", { tx_or_rx: 0, virtq_num: count, vq: encodePeerVirtqEntries(entries) });
      expectRefused(dev, reason);
      expect(dev.driver.mirroredQueues.rx).toHaveLength(0);
      expect(dev.answers("PEER_VIRTQ_INFO").at(-1)!.request).toMatchObject({ virtq_num: 0 });
    });
  }

  it("refuses an unknown tx_or_rx", () => {
    const dev = mapped();
    dev.send("PEER_VIRTQ_INFO", { tx_or_rx: 4, virtq_num: 1, vq: encodePeerVirtqEntries([entry()]) });
    expectRefused(dev, "invalid-virtq-direction");
  });

  it("accepts rings inside the peer memory and acknowledges them", () => {
    const dev = mapped();
    dev.send("PEER_VIRTQ_INFO", { tx_or_rx: 0, virtq_num: 1, vq: encodePeerVirtqEntries([entry()]) });
    expect(dev.driver.refusals.total).toBe(0);
    expect(dev.driver.mirroredQueues.rx).toHaveLength(1);
    expect(dev.answers("PEER_VIRTQ_INFO").at(-1)!.request).toMatchObject({ tx_or_rx: 0, virtq_num: 1 });
  });

  it("end to end: a peer describing its TX ring outside its memory never gets connected", () => {
    const tamper = (end: PeerLinkEndpoint): PeerLinkEndpoint => ({
      send: (m) => end.send(m),
      receive: () => {
        const m = end.receive() as { type?: string; txQueues?: { desc: number }[] } | undefined;
        if (m?.type === "setup") return { ...m, txQueues: m.txQueues!.map((q) => ({ ...q, desc: 64 * 1024 * 1024 })) };
        return m;
      },
    });
    const pair = new LoopbackPair({ wrapLinkB: tamper });
    pair.start();
    for (let i = 0; i < 200; i++) pair.step();
    expect(pair.b.driver.refusals.reasons()).toContain("virtq-outside-peer-memory");
    expect(pair.b.device.state).toBe("failed");
    expect(pair.b.device.failure).toMatch(/0 of 1 TX queues/);
    expect(pair.b.driver.connected).toBe(false);
    expect(pair.a.driver.connected).toBe(false);
  });
});

describe("a hostile peer guest writing its own rings", () => {
  /** Connected pair with traffic flowing B → A, ready for A's TX ring to be corrupted. */
  function running(): { pair: LoopbackPair; aSink: TestFrameSink } {
    const pair = new LoopbackPair();
    pair.connect();
    const aSink = new TestFrameSink({ stream: 2, mode: "full" });
    pair.a.driver.sink = aSink.sink;
    pair.b.driver.source = new TestFrameSource({ count: Infinity, sizes: [128], stream: 2, mode: "full" });
    pair.runUntil(() => aSink.checker.stats.received > 100, 1000);
    return { pair, aSink };
  }

  /** Writes descriptors into A's TX ring by hand and makes `heads` available. */
  function corruptTxRing(pair: LoopbackPair, descriptors: [number, number, number, number][], heads: number[]): void {
    const ring = pair.b.driver.mirroredQueues.rx[0]!.spec.addresses;
    const mem = pair.a.memory;
    descriptors.forEach(([address, length, flags, next], i) => {
      const d = ring.descAddress + 16 * i;
      mem.writeU64Number(d, address);
      mem.writeU32(d + 8, length);
      mem.writeU16(d + 12, flags);
      mem.writeU16(d + 14, next);
    });
    const o = splitRingFieldOffsets(ring.size);
    let idx = mem.readU16(ring.availAddress + o.availIdx);
    for (const h of heads) {
      mem.writeU16(ring.availAddress + o.availRing + 2 * (idx % ring.size), h);
      idx = (idx + 1) & 0xffff;
    }
    mem.writeU16(ring.availAddress + o.availIdx, idx);
  }

  const cases: [string, [number, number, number, number][], number[], string][] = [
    ["a descriptor loop", [[0x100000, 64, VRING_DESC_F_NEXT, 1], [0x100040, 64, VRING_DESC_F_NEXT, 0]], [0], "chain-too-long"],
    ["a buffer outside the peer's memory (in B's address range)", [[2 ** 41, 64, 0, 0]], [0], "buffer-outside-memory"],
    ["a buffer at 2^64 - 4096", [[Number.MAX_SAFE_INTEGER - 4095, 64, 0, 0]], [0], "buffer-outside-memory"],
    ["a head out of range", [[0x100000, 64, 0, 0]], [300], "head-out-of-range"],
  ];
  for (const [what, descriptors, heads, virtqReason] of cases) {
    it(`stops the mirrored queue on ${what} (${virtqReason}) and keeps serving the other direction`, () => {
      const { pair, aSink } = running();
      const before = aSink.checker.stats.received;
      corruptTxRing(pair, descriptors, heads);
      for (let i = 0; i < 50; i++) pair.b.poll();
      const refusal = pair.b.driver.refusals.list().find((r) => r.reason === "mirrored-ring-broken");
      expect(refusal?.detail).toContain(virtqReason);
      expect(pair.b.driver.mirroredQueues.rx[0]!.device.broken).toBe(true);
      // B → A still works.
      for (let i = 0; i < 50; i++) pair.step();
      expect(aSink.checker.stats.received).toBeGreaterThan(before);
      expect(aSink.checker.stats).toMatchObject({ corrupted: 0, lost: 0, duplicated: 0 });
    });
  }

  it("refuses a runaway avail.idx", () => {
    const { pair } = running();
    const ring = pair.b.driver.mirroredQueues.rx[0]!.spec.addresses;
    pair.a.memory.writeU16(ring.availAddress + 2, (pair.a.memory.readU16(ring.availAddress + 2) + 1000) & 0xffff);
    for (let i = 0; i < 5; i++) pair.b.poll();
    expect(pair.b.driver.refusals.list().find((r) => r.reason === "mirrored-ring-broken")?.detail).toContain("avail-idx-runaway");
  });
});

describe("hostile input to the devices", () => {
  it("B's device refuses malformed and unexpected peer-link messages and still connects", () => {
    const junk: unknown[] = [
      null,
      42,
      { type: "setup" },
      { type: "setup", features: 1n, uuidHi: 0n, uuidLo: 0n, memory: { buffer: new ArrayBuffer(8), gpaStart: 0, size: 8 }, interrupts: {}, txQueues: [], rxQueues: [] },
      { type: "backend-features", features: -1n },
      { type: "connected" },
      { type: "nonsense" },
    ];
    let injected = false;
    const inject = (end: PeerLinkEndpoint): PeerLinkEndpoint => ({
      send: (m) => end.send(m),
      receive: () => {
        if (!injected) {
          injected = true;
          queue.push(...junk);
        }
        return queue.length > 0 ? queue.shift() : end.receive();
      },
    });
    const queue: unknown[] = [];
    const pair = new LoopbackPair({ wrapLinkB: inject });
    pair.connect();
    const reasons = pair.b.device.refusals.list().map((r) => r.reason);
    expect(reasons.filter((r) => r === "malformed-peer-message")).toHaveLength(6);
    expect(reasons).toContain("unexpected-peer-message");
  });

  it("B's device refuses a peer memory description larger than its buffer", () => {
    const shrink = (end: PeerLinkEndpoint): PeerLinkEndpoint => ({
      send: (m) => end.send(m),
      receive: () => {
        const m = end.receive() as { type?: string; memory?: { buffer: SharedArrayBuffer } } | undefined;
        return m?.type === "setup" ? { ...m, memory: { ...m.memory!, size: m.memory!.buffer.byteLength * 2 } } : m;
      },
    });
    const pair = new LoopbackPair({ wrapLinkB: shrink });
    pair.start();
    for (let i = 0; i < 100; i++) pair.step();
    expect(pair.b.device.refusals.reasons()).toContain("invalid-peer-memory");
    expect(pair.b.driver.peerMemory).toBeNull();
  });

  it("A's device refuses malformed peer-link messages", () => {
    const inject = (end: PeerLinkEndpoint): PeerLinkEndpoint => {
      const queue: unknown[] = [{ type: "connect", uuidHi: 1n }, "junk", { type: "renegotiate", features: 1n }];
      return { send: (m) => end.send(m), receive: () => (queue.length > 0 ? queue.shift() : end.receive()) };
    };
    const pair = new LoopbackPair({ wrapLinkA: inject });
    pair.connect();
    expect(pair.a.device.refusals.reasons()).toEqual(["malformed-peer-message", "unexpected-peer-message"]);
  });
});

describe("hostile control messages from a driver to B's device", () => {
  const id = { vhost_pci_id: 5n };
  it("refuses malformed, unknown, misdirected and impossible messages and keeps serving", () => {
    const drv = new ScriptedDriver();
    const dev = drv.device;
    drv.sendBytes(Uint8Array.of(1, 2));
    drv.sendBytes(encodeVhostPciNetRequest("MAC", Uint8Array.of(2, 0, 0, 0, 0, 1), { vhost_pci_id: 6n }));
    const unknown = new Uint8Array(16);
    unknown[0] = 0x42;
    drv.sendBytes(unknown);
    drv.sendBytes(encodeVhostPciNetRequest("DIRTY_PAGE_LOGGING", { off_or_on: 1 }, id));
    drv.sendBytes(encodeVhostPciNetRequest("MAC", Uint8Array.of(1, 2, 3), id));
    drv.sendBytes(encodeVhostPciNetRequest("MAC", Uint8Array.of(1, 0, 0, 0, 0, 1), id));
    drv.sendBytes(encodeVhostPciNetRequest("PEER_FEATURE_BITS", { feature_bits: 1n }, id));
    drv.sendBytes(new Uint8Array(5000));
    const reasons = dev.refusals.list().map((r) => r.reason);
    expect(reasons).toEqual([
      "malformed-control-message",
      "unexpected-request",
      "unknown-request",
      "unexpected-request",
      "invalid-mac",
      "invalid-mac",
      "unexpected-request",
      "control-message-too-long",
    ]);
    expect(dev.mac).toBeNull();
    drv.sendBytes(encodeVhostPciNetRequest("MAC", Uint8Array.of(2, 0, 0, 0, 0, 1), id));
    expect(dev.mac).toEqual(Uint8Array.of(2, 0, 0, 0, 0, 1));
  });

  it("refuses VHOST_PCI_CTRL_MAC when VHOST_PCI_NET_F_CTRL_MAC_ADDR was not negotiated", () => {
    const drv = new ScriptedDriver(1n << 32n);
    drv.sendBytes(encodeVhostPciNetRequest("MAC", Uint8Array.of(2, 0, 0, 0, 0, 1), id));
    expect(drv.device.refusals.reasons()).toEqual(["unexpected-request"]);
    expect(drv.device.mac).toBeNull();
  });

  it("reports a broken control ring once and stops reading it", () => {
    const drv = new ScriptedDriver();
    const q = drv.device.regs.queue(1);
    // avail.ring[0] = 99 (>= queue size 16), avail.idx = 1.
    drv.memory.writeU16(Number(q.avail) + 4, 99);
    drv.memory.writeU16(Number(q.avail) + 2, 1);
    drv.device.poll();
    drv.device.poll();
    expect(drv.device.refusals.list()).toEqual([{ reason: "control-queue-broken", detail: expect.stringContaining("head-out-of-range") }]);
  });
});
