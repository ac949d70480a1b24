/**
 * The small modules the pair is built from: test frames and their checker (which the 10^6-frame test relies
 * on to detect loss, duplication and corruption), the `vq[]` element codec, `other_mem_info`, the driver
 * address space, the PV-interrupt hypercall, the peer-link message validation, the guest layout allocator.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CodecError } from "../../runtime/codec/index.js";
import { VhostPciNetError } from "../../runtime/vhost-pci-net/errors.js";
import { GuestInterrupts, InterruptReceiver } from "../../runtime/vhost-pci-net/interrupts.js";
import { parsePeerLinkMessage } from "../../runtime/vhost-pci-net/peer-link.js";
import { DriverAddressSpace, decodeOtherMemInfo, encodeOtherMemInfo, peerGuestMemory } from "../../runtime/vhost-pci-net/peer-memory.js";
import { PvInterruptHypercall } from "../../runtime/vhost-pci-net/pv-interrupt.js";
import { PEER_VIRTQ_ENTRY_SIZE, decodePeerVirtqEntries, encodePeerVirtqEntries } from "../../runtime/vhost-pci-net/virtq-entry.js";
import { GuestLayout, GuestLayoutError } from "../../runtime/virtio-net/guest-layout.js";
import { FrameChecker, TEST_FRAME_HEADER, writeTestFrame } from "../../runtime/virtio-net/test-frames.js";
import { TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";

describe("test frames", () => {
  const frame = (seq: number, length: number, mode: "full" | "light" = "full"): Uint8Array => {
    const b = new Uint8Array(length);
    writeTestFrame(b, 0, seq, length, 1, mode);
    return b;
  };

  it("accepts a stream in order", () => {
    const c = new FrameChecker();
    for (let seq = 0; seq < 100; seq++) expect(c.check(frame(seq, 26 + seq), 0, 26 + seq)).toBe(true);
    expect(c.stats).toMatchObject({ received: 100, corrupted: 0, lost: 0, duplicated: 0 });
  });

  it("detects any single flipped byte of a full-mode frame (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: TEST_FRAME_HEADER, max: 1514 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (length, at, flip) => {
        const b = frame(0, length);
        const i = at % length;
        // The MAC addresses are not protected (a switch may rewrite them); everything from the ethertype on is.
        fc.pre(i >= 12);
        b[i]! ^= flip;
        const c = new FrameChecker({ stream: 1, mode: "full" });
        const ok = c.check(b, 0, length);
        // A flip in the sequence number shows up as a gap instead of as corruption: either way it is caught.
        expect(ok && c.stats.lost === 0).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("detects a frame carrying another frame's payload (swapped buffers)", () => {
    const a = frame(5, 100);
    const b = frame(6, 100);
    a.set(b.subarray(TEST_FRAME_HEADER), TEST_FRAME_HEADER);
    // Re-seal the checksum so only the payload pattern can tell.
    const c = new FrameChecker();
    c.next = 5;
    expect(c.check(a, 0, 100)).toBe(false);
    expect(c.stats.corrupted).toBe(1);
  });

  it("counts lost, duplicated, truncated and misdelivered frames", () => {
    const c = new FrameChecker({ stream: 1, mode: "full" });
    c.check(frame(0, 64), 0, 64);
    c.check(frame(3, 64), 0, 64); // 1 and 2 lost
    c.check(frame(3, 64), 0, 64); // duplicate
    c.check(frame(4, 64), 0, 60); // truncated: declared length differs
    const other = new Uint8Array(64);
    writeTestFrame(other, 0, 4, 64, 2, "full");
    c.check(other, 0, 64); // another stream's frame
    c.check(frame(4, 64, "light"), 0, 64); // another mode
    c.check(frame(4, 64), 0, 64);
    expect(c.stats).toMatchObject({ received: 3, lost: 2, duplicated: 1, corrupted: 3 });
  });

  it("sends a plan's frames in order and stops", () => {
    const src = new TestFrameSource({ count: 3, sizes: [60, 70], stream: 1, mode: "full" });
    const buf = new Uint8Array(1514);
    const c = new FrameChecker();
    const lengths: number[] = [];
    for (let n = src.produce(buf); n > 0; n = src.produce(buf)) {
      lengths.push(n);
      c.check(buf, 0, n);
    }
    expect(lengths).toEqual([60, 70, 60]);
    expect(c.stats.received).toBe(3);
    expect(() => new TestFrameSource({ count: 1, sizes: [1515], stream: 1, mode: "full" })).toThrow(RangeError);
  });
});

describe("vq[] elements", () => {
  it("round-trips through the 40-byte layout (property)", () => {
    const entry = fc.record({
      queueIndex: fc.integer({ min: 0, max: 0xffff }),
      size: fc.integer({ min: 0, max: 0xffff }),
      lastAvailIdx: fc.integer({ min: 0, max: 0xffff }),
      flags: fc.integer({ min: 0, max: 0xffff }),
      vector: fc.integer({ min: 0, max: 0xffffffff }),
      desc: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      avail: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      used: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 5 }), (entries) => {
        const bytes = encodePeerVirtqEntries(entries);
        expect(bytes.length).toBe(entries.length * PEER_VIRTQ_ENTRY_SIZE);
        expect(decodePeerVirtqEntries(bytes, entries.length)).toEqual(entries);
      }),
    );
  });

  it("refuses a count that disagrees with the bytes, and values that do not fit", () => {
    const bytes = encodePeerVirtqEntries([{ queueIndex: 0, size: 16, lastAvailIdx: 0, flags: 0, vector: 0, desc: 0n, avail: 0n, used: 0n }]);
    for (const count of [0, 2, -1, 0.5]) expect(() => decodePeerVirtqEntries(bytes, count)).toThrow(CodecError);
    expect(() => decodePeerVirtqEntries(bytes.subarray(0, 39), 1)).toThrow(CodecError);
    expect(() => encodePeerVirtqEntries([{ queueIndex: 0x10000, size: 16, lastAvailIdx: 0, flags: 0, vector: 0, desc: 0n, avail: 0n, used: 0n }])).toThrow(CodecError);
    expect(() => encodePeerVirtqEntries([{ queueIndex: 0, size: 16, lastAvailIdx: 0, flags: 0, vector: 0, desc: -1n, avail: 0n, used: 0n }])).toThrow(CodecError);
  });
});

describe("peer memory", () => {
  it("decodes other_mem_info and refuses what is not a mappable range", () => {
    expect(decodeOtherMemInfo(encodeOtherMemInfo({ gpaStart: 0x10000, size: 4096 }))).toEqual({ gpaStart: 0x10000, size: 4096 });
    expect(typeof decodeOtherMemInfo(new Uint8Array(15))).toBe("string");
    const bad = new Uint8Array(16);
    bad[15] = 0x80; // size 2^63
    expect(typeof decodeOtherMemInfo(bad)).toBe("string");
    const empty = new Uint8Array(16);
    expect(typeof decodeOtherMemInfo(empty)).toBe("string");
    expect(() => encodeOtherMemInfo({ gpaStart: 3, size: 8 })).toThrow(VhostPciNetError);
  });

  it("maps without overlap and builds a guest memory placed at the peer's addresses", () => {
    const space = new DriverAddressSpace();
    const buffer = new SharedArrayBuffer(8192);
    const m = space.map(0x100000, buffer, 8192);
    expect(() => space.map(0x101000, buffer, 4096)).toThrow(VhostPciNetError);
    expect(() => space.map(0x200000, buffer, 8193)).toThrow(VhostPciNetError);
    expect(space.mappingAt(0x100000)).toBe(m);
    const mem = peerGuestMemory(m, { gpaStart: 0x40000, size: 4096 });
    expect(typeof mem).not.toBe("string");
    if (typeof mem === "string") return;
    mem.writeU32(0x40000, 0xabcd);
    expect(new Uint32Array(buffer)[0]).toBe(0xabcd);
    expect(mem.isValidRange(0x40000 + 4096, 1)).toBe(false);
    expect(typeof peerGuestMemory(m, { gpaStart: 0, size: 8200 })).toBe("string");
    space.unmap(0x100000);
    expect(space.size).toBe(0);
  });
});

describe("PV-interrupt hypercall", () => {
  it("raises the peer's vector only when negotiated, routed and in range", () => {
    const peer = new GuestInterrupts(3);
    const rx = new InterruptReceiver(peer);
    const pv = new PvInterruptHypercall();
    expect(pv.inject(1)).toBe("not-negotiated");
    pv.negotiated = true;
    expect(pv.inject(1)).toBe("no-peer");
    pv.route(peer);
    expect(pv.inject(3)).toBe("invalid-gsi");
    expect(pv.inject(-1)).toBe("invalid-gsi");
    const seen = peer.line.load();
    expect(pv.inject(1)).toBe("delivered");
    expect(rx.take(1)).toBe(1);
    expect(peer.line.load()).not.toBe(seen);
    peer.table.mask(2);
    expect(pv.inject(2)).toBe("pending");
    expect([pv.injected, pv.refused]).toEqual([2, 4]);
  });
});

describe("peer-link messages", () => {
  it("accepts the protocol's messages and refuses anything else", () => {
    expect(parsePeerLinkMessage({ type: "connected" }).ok).toBe(true);
    expect(parsePeerLinkMessage({ type: "backend-features", features: 5n }).ok).toBe(true);
    for (const bad of [
      undefined,
      [],
      "connected",
      { type: "backend-features", features: 5 },
      { type: "backend-features", features: 1n << 64n },
      { type: "connect", uuidHi: 0n, uuidLo: 0n, interrupts: {}, rxQueueGsis: [-1], refillGsi: 0 },
      { type: "connect", uuidHi: 0n, uuidLo: 0n, interrupts: {}, rxQueueGsis: new Array(65).fill(0), refillGsi: 0 },
      { type: "setup", features: 0n, uuidHi: 0n, uuidLo: 0n, memory: { buffer: new SharedArrayBuffer(8), gpaStart: -8, size: 8 }, interrupts: {}, txQueues: [], rxQueues: [] },
      {
        type: "setup",
        features: 0n,
        uuidHi: 0n,
        uuidLo: 0n,
        memory: { buffer: new SharedArrayBuffer(8), gpaStart: 0, size: 8 },
        interrupts: {},
        txQueues: [{ index: 0, size: 70000, lastAvailIdx: 0, desc: 0, avail: 0, used: 0, vector: 0, eventIdx: true, indirect: false }],
        rxQueues: [],
      },
      { type: "frobnicate" },
    ]) {
      expect(parsePeerLinkMessage(bad).ok, JSON.stringify(bad, (_, v) => (typeof v === "bigint" ? String(v) : v))).toBe(false);
    }
  });

  it("never throws, whatever it is given (property)", () => {
    fc.assert(
      fc.property(fc.anything({ withBigInt: true, withTypedArray: true }), (v) => {
        expect(typeof parsePeerLinkMessage(v).ok).toBe("boolean");
      }),
    );
  });
});

describe("guest layout", () => {
  it("aligns, places rings, and refuses what does not fit", () => {
    const layout = new GuestLayout(0x1000, 0x3000);
    const ring = layout.ring(16);
    expect(ring.descAddress % 16).toBe(0);
    expect(ring.availAddress).toBe(ring.descAddress + 256);
    expect(ring.usedAddress % 4).toBe(0);
    const pool = layout.pool(4, 100);
    expect(pool % 64).toBe(0);
    expect(() => layout.alloc(0x4000)).toThrow(GuestLayoutError);
    expect(() => layout.alloc(8, 3)).toThrow(GuestLayoutError);
    expect(() => new GuestLayout(Number.MAX_SAFE_INTEGER, 2)).toThrow(GuestLayoutError);
  });
});
