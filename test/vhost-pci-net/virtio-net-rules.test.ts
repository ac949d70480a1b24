/**
 * The network-device (virtio-net) rules and the driver reserved-feature-bit rules that the vhost-pci pair
 * exercises, checked against the models: guest A's virtio-net driver (packet headers it sends, receive
 * buffers it posts, configuration it reads) and guest B's vhost-pci-net driver acting as guest A's device
 * (headers it writes into A's receive buffers, headers it must ignore).
 *
 * These requirements are outside the vhost-pci-net spec's conformance scope (its manifest entry covers the
 * vhost-pci-net device and the sections the patch changes), so they are plain tests named by requirement id
 * rather than registered checks. Control-virtqueue requirements of the network device are not covered: the
 * models offer no control virtqueue (see spec/vhost-pci-net-decisions.md).
 */
import assert from "node:assert/strict";
import { describe, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import { CommonCfgRegisters, DeviceStatus } from "../../runtime/vhost-pci-net/common-cfg.js";
import { VhostPciNetDriver } from "../../runtime/vhost-pci-net/driver.js";
import { VhostPciNetError } from "../../runtime/vhost-pci-net/errors.js";
import { GuestInterrupts } from "../../runtime/vhost-pci-net/interrupts.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import type { LoopbackPairOptions } from "../../runtime/vhost-pci-net/loopback-pair.js";
import { DriverAddressSpace } from "../../runtime/vhost-pci-net/peer-memory.js";
import {
  PeerFeatureBit,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_F_MAC,
  VIRTIO_NET_F_STATUS,
  VIRTIO_NET_HDR_GSO_NONE,
  VhostPciNetDeviceFeatureBit,
  decodeVirtioNetHdr,
  featureMask,
  hasFeature,
} from "../../runtime/vhost-pci-net/spec.js";
import type { VirtioNetHdr } from "../../runtime/vhost-pci-net/spec.js";
import { NET_RECEIVEQ, NET_TRANSMITQ } from "../../runtime/virtio-net/device.js";
import { VirtioNetDriver } from "../../runtime/virtio-net/driver.js";
import { GuestLayout } from "../../runtime/virtio-net/guest-layout.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";

const RESERVED_DRIVER = "drivernormative:Reserved Feature Bits";
const NET = "Device Types / Network Device";
const NET_CONFIG_DEVICE = `devicenormative:${NET} / Device configuration layout`;
const NET_CONFIG_DRIVER = `drivernormative:${NET} / Device configuration layout`;
const NET_TX_DRIVER = `drivernormative:${NET} / Device Operation / Packet Transmission`;
const NET_TX_DEVICE = `devicenormative:${NET} / Device Operation / Packet Transmission`;
const NET_RXBUF_DRIVER = `drivernormative:${NET} / Device Operation / Setting Up Receive Buffers`;
const NET_RXBUF_DEVICE = `devicenormative:${NET} / Device Operation / Setting Up Receive Buffers`;
const NET_RX_DEVICE = `devicenormative:${NET} / Device Operation / Processing of Incoming Packets`;
const NET_RX_DRIVER = `drivernormative:${NET} / Device Operation / Processing of Incoming Packets`;
const HDR_F_NEEDS_CSUM = 1;
const HDR_F_DATA_VALID = 2;

/** One test per requirement, named by its id. */
function rule(id: string, fn: () => void): void {
  it(id, fn);
}

/** Sends `n` frames each way and waits until both stacks received them all (intact, in order). */
function exchange(pair: LoopbackPair, n: number, sizes: number[] = [64, 1514, 300]): void {
  const aSink = new TestFrameSink({ stream: 2, mode: "full" });
  const bSink = new TestFrameSink({ stream: 1, mode: "full" });
  pair.a.driver.sink = aSink.sink;
  pair.b.driver.sink = bSink.sink;
  pair.a.driver.source = new TestFrameSource({ count: n, sizes, stream: 1, mode: "full" });
  pair.b.driver.source = new TestFrameSource({ count: n, sizes, stream: 2, mode: "full" });
  pair.runUntil(() => aSink.checker.stats.received >= n && bSink.checker.stats.received >= n, 20_000);
  for (const s of [aSink.checker.stats, bSink.checker.stats]) assert.deepEqual(s, { ...s, received: n, corrupted: 0, lost: 0, duplicated: 0 });
}

/** Every device model of a pair (B's vhost-pci-net device, A's virtio-net device). */
function devices(pair: LoopbackPair) {
  return [
    { name: "vhost-pci-net", regs: pair.b.device.regs },
    { name: "virtio-net", regs: pair.a.device.regs },
  ];
}

/** The headers of packets guest B wrote into guest A's receive buffers (decoded with the generated codec). */
function headersReceivedByA(options: LoopbackPairOptions = {}): { pair: LoopbackPair; headers: VirtioNetHdr[]; lengths: number[] } {
  const pair = new LoopbackPair(options);
  pair.connect();
  const headers: VirtioNetHdr[] = [];
  const lengths: number[] = [];
  const sink = new TestFrameSink({ stream: 2, mode: "full" });
  pair.a.driver.sink = (bytes, offset, length) => {
    headers.push(decodeVirtioNetHdr(bytes, offset - 12));
    lengths.push(length);
    sink.sink(bytes, offset, length);
  };
  pair.b.driver.source = new TestFrameSource({ count: 300, sizes: [64, 1514, 700], stream: 2, mode: "full" });
  pair.runUntil(() => sink.checker.stats.received >= 300, 5000);
  assert.deepEqual(sink.checker.stats, { ...sink.checker.stats, received: 300, corrupted: 0, lost: 0, duplicated: 0 });
  return { pair, headers, lengths };
}

/** The headers guest A's driver put in front of the packets it transmitted (read from its transmit buffers). */
function headersSentByA(): { pair: LoopbackPair; headers: VirtioNetHdr[] } {
  const pair = new LoopbackPair();
  pair.connect();
  exchange(pair, 300);
  const q = pair.a.device.regs.queue(NET_TRANSMITQ);
  const mem = pair.a.memory;
  const headers: VirtioNetHdr[] = [];
  for (let i = 0; i < q.size; i++) {
    const address = mem.readU64Number(Number(q.desc) + 16 * i);
    const bytes = new Uint8Array(12);
    mem.read(address, bytes);
    headers.push(decodeVirtioNetHdr(bytes));
  }
  return { pair, headers };
}

/**
 * Guest A sends packets whose headers carry values a device must ignore (unknown flag bits, csum_start and
 * csum_offset without NEEDS_CSUM, a wrong hdr_len); guest B must deliver every packet unchanged.
 */
function bDeliversDespiteHeaderJunk(): void {
  const pair = new LoopbackPair();
  pair.connect();
  const q = pair.a.device.regs.queue(NET_TRANSMITQ);
  const mem = pair.a.memory;
  for (let i = 0; i < q.size; i++) {
    const address = mem.readU64Number(Number(q.desc) + 16 * i);
    mem.writeU8(address, 0xf0); // flags: no bit the spec defines (NEEDS_CSUM is 1, DATA_VALID 2)
    mem.writeU16(address + 2, 9999); // hdr_len: wrong
    mem.writeU16(address + 6, 3); // csum_start
    mem.writeU16(address + 8, 7); // csum_offset
  }
  const sink = new TestFrameSink({ stream: 1, mode: "full" });
  pair.b.driver.sink = sink.sink;
  pair.a.driver.source = new TestFrameSource({ count: 500, sizes: [64, 1514], stream: 1, mode: "full" });
  pair.runUntil(() => sink.checker.stats.received >= 500, 5000);
  assert.deepEqual(sink.checker.stats, { ...sink.checker.stats, received: 500, corrupted: 0, lost: 0, duplicated: 0 });
}

/**
 * Guest B fills guest A's receive buffers; before A's driver looks, the headers get values a driver must
 * ignore. A's driver must deliver every packet unchanged.
 */
function aDeliversDespiteHeaderJunk(): void {
  const pair = new LoopbackPair();
  pair.connect();
  const sink = new TestFrameSink({ stream: 2, mode: "full" });
  pair.a.driver.sink = sink.sink;
  pair.b.driver.source = new TestFrameSource({ count: 200, sizes: [64, 1514], stream: 2, mode: "full" });
  for (let i = 0; i < 5; i++) pair.b.poll();
  const q = pair.a.device.regs.queue(NET_RECEIVEQ);
  const mem = pair.a.memory;
  for (let i = 0; i < q.size; i++) {
    const address = mem.readU64Number(Number(q.desc) + 16 * i);
    mem.writeU8(address, 0xfc);
    mem.writeU16(address + 2, 1);
    mem.writeU16(address + 6, 0xffff);
    mem.writeU16(address + 8, 0xffff);
  }
  pair.runUntil(() => sink.checker.stats.received >= 200, 5000);
  assert.deepEqual(sink.checker.stats, { ...sink.checker.stats, received: 200, corrupted: 0, lost: 0, duplicated: 0 });
}

describe("driver reserved feature bits and the network device", () => {
rule(`${RESERVED_DRIVER}#1`, () => {
  // "A driver MUST accept VIRTIO_F_VERSION_1 if it is offered."
  const pair = new LoopbackPair();
  pair.connect();
  for (const d of devices(pair)) assert.ok(hasFeature(d.regs.driverFeatures, VIRTIO_F_VERSION_1), d.name);
});

rule(`${RESERVED_DRIVER}#2`, () => {
  // "A driver MAY fail to operate further if VIRTIO_F_VERSION_1 is not offered." Both drivers do: they set
  // FAILED and stop.
  const legacyDevice = (queues: number[]): { regs: CommonCfgRegisters; irq: GuestInterrupts } => {
    const irq = new GuestInterrupts(4);
    return { irq, regs: new CommonCfgRegisters({ queueMaxSizes: queues, deviceFeatures: featureMask(VhostPciNetDeviceFeatureBit.CTRL_MAC_ADDR) | featureMask(VIRTIO_NET_F_MAC), interrupts: irq }) };
  };
  const memory = (): GuestMemory => GuestMemory.fromBuffer(new SharedArrayBuffer(1 << 20));
  const b = legacyDevice([16, 16, 256]);
  const bDriver = new VhostPciNetDriver({ memory: memory(), layout: new GuestLayout(0x1000, 0xf0000), interrupts: b.irq, regs: b.regs, bars: new Map(), addressSpace: new DriverAddressSpace(), pv: null });
  const a = legacyDevice([256, 256]);
  const aDriver = new VirtioNetDriver({ memory: memory(), layout: new GuestLayout(0x1000, 0xf0000), interrupts: a.irq, regs: a.regs, deviceConfig: { mac: new Uint8Array(6), status: 0 }, notify: () => {}, pv: null });
  for (const [driver, regs] of [
    [bDriver, b.regs],
    [aDriver, a.regs],
  ] as const) {
    driver.start();
    assert.throws(() => driver.poll(), (e: unknown) => e instanceof VhostPciNetError && e.reason === "device-refused");
    assert.equal(driver.state, "failed");
    assert.equal(regs.readField("device_status") & DeviceStatus.FAILED, DeviceStatus.FAILED);
    assert.equal(regs.readField("device_status") & DeviceStatus.DRIVER_OK, 0);
  }
});



rule(`${NET_CONFIG_DEVICE}#1`, () => {
  // "The device MUST set max_virtqueue_pairs to between 1 and 0x8000 inclusive, if it offers VIRTIO_NET_F_MQ."
  const pair = new LoopbackPair();
  pair.connect();
  const pairs = pair.a.device.config.max_virtqueue_pairs;
  assert.ok(pairs >= 1 && pairs <= 0x8000);
});

rule(`${NET_CONFIG_DRIVER}#1`, () => {
  // "A driver SHOULD negotiate VIRTIO_NET_F_MAC if the device offers it."
  const pair = new LoopbackPair();
  pair.connect();
  assert.ok(hasFeature(pair.a.device.regs.deviceFeatures, VIRTIO_NET_F_MAC));
  assert.ok(hasFeature(pair.a.driver.features, VIRTIO_NET_F_MAC));
});

rule(`${NET_CONFIG_DRIVER}#2`, () => {
  // "If the driver negotiates the VIRTIO_NET_F_MAC feature, the driver MUST set the physical address of the
  // NIC to mac."
  const pair = new LoopbackPair({ a: { mac: Uint8Array.of(0x52, 0x54, 0, 0xab, 0xcd, 0xef) } });
  pair.connect();
  assert.deepEqual(pair.a.driver.mac, Uint8Array.of(0x52, 0x54, 0, 0xab, 0xcd, 0xef));
});

rule(`${NET_CONFIG_DRIVER}#4`, () => {
  // "If the driver does not negotiate the VIRTIO_NET_F_STATUS feature, it SHOULD assume the link is active,
  // otherwise it SHOULD read the link status from the bottom bit of status."
  const pair = new LoopbackPair();
  pair.start();
  pair.runUntil(() => pair.a.driver.state === "running", 100);
  assert.ok(hasFeature(pair.a.driver.features, VIRTIO_NET_F_STATUS));
  assert.equal(pair.a.driver.linkUp, false);
  pair.runUntil(() => pair.a.driver.connected, 1000);
  assert.equal(pair.a.driver.linkUp, true);
});

for (const [n, what] of [
  [1, "num_buffers 0"],
  [2, "flags 0 without VIRTIO_NET_F_CSUM"],
  [3, "no GSO TCPv4 without HOST_TSO4"],
  [4, "no GSO TCPv6 without HOST_TSO6"],
  [5, "no GSO UDP without HOST_UFO"],
  [6, "no segmentation request with ECN"],
  [11, "GSO_NONE without host offloads"],
  [12, "no GSO, hence no NEEDS_CSUM/gso_size obligation"],
  [14, "never DATA_VALID"],
] as const) {
  rule(`${NET_TX_DRIVER}#${n}`, () => {
    // Guest A's driver writes one header for every packet: no offload, no checksum request.
    const { pair, headers } = headersSentByA();
    assert.equal(pair.a.driver.features & (0xfn << 11n), 0n, `${what}: no host offload (HOST_TSO4/TSO6/ECN/UFO) negotiated`);
    assert.ok(!hasFeature(pair.a.driver.features, 0), "VIRTIO_NET_F_CSUM not negotiated");
    for (const h of headers) {
      assert.equal(h.num_buffers, 0);
      assert.equal(h.flags, 0);
      assert.equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
      assert.equal(h.flags & HDR_F_DATA_VALID, 0);
    }
  });
}

for (const n of [1, 2, 4, 5]) {
  rule(`${NET_TX_DEVICE}#${n}`, () => {
    // Unknown flag bits, csum_start/csum_offset without NEEDS_CSUM and a wrong hdr_len make no difference to
    // what guest B's copy engine delivers.
    bDeliversDespiteHeaderJunk();
  });
}

rule(`${NET_RXBUF_DRIVER}#1`, () => {
  // "If VIRTIO_NET_F_GUEST_TSO4, VIRTIO_NET_F_GUEST_TSO6 or VIRTIO_NET_F_GUEST_UFO are negotiated, the driver
  // SHOULD populate the receive queue(s) with buffers of at least 65562 bytes." Not negotiated here.
  const pair = new LoopbackPair();
  pair.connect();
  for (const bit of [PeerFeatureBit.VIRTIO_NET_F_GUEST_TSO4, PeerFeatureBit.VIRTIO_NET_F_GUEST_TSO6, PeerFeatureBit.VIRTIO_NET_F_GUEST_UFO]) {
    assert.ok(!hasFeature(pair.a.driver.features, bit));
  }
});

for (const n of [2, 3, 4]) {
  rule(`${NET_RXBUF_DRIVER}#${n}`, () => {
    // #2 buffers of at least 1526 bytes; #3 with MRG_RXBUF each larger than virtio_net_hdr; #4 receiveq1
    // populated.
    const pair = new LoopbackPair();
    pair.connect();
    assert.ok(hasFeature(pair.a.driver.features, PeerFeatureBit.VIRTIO_NET_F_MRG_RXBUF));
    const q = pair.a.device.regs.queue(NET_RECEIVEQ);
    const mem = pair.a.memory;
    assert.equal(mem.readU16(Number(q.avail) + 2), q.size, "every descriptor of receiveq1 was made available");
    for (let i = 0; i < q.size; i++) {
      const length = mem.readU32(Number(q.desc) + 16 * i + 8);
      assert.ok(length >= 1526 && length > 12, `receive buffer ${i}: ${length} bytes`);
    }
  });
}

for (const [id, mrg] of [
  [`${NET_RXBUF_DEVICE}#1`, true],
  [`${NET_RXBUF_DEVICE}#2`, false],
  [`${NET_RX_DEVICE}#1`, false],
  [`${NET_RX_DEVICE}#2`, true],
  [`${NET_RX_DEVICE}#3`, true],
] as const) {
  rule(id, () => {
    // Guest B writes each packet into one receive buffer of guest A and says so in num_buffers, with and
    // without VIRTIO_NET_F_MRG_RXBUF.
    const { pair, headers, lengths } = headersReceivedByA(mrg ? {} : { a: { driverNetFeatures: 0n } });
    assert.equal(hasFeature(pair.a.driver.features, PeerFeatureBit.VIRTIO_NET_F_MRG_RXBUF), mrg);
    for (const [i, h] of headers.entries()) {
      assert.equal(h.num_buffers, 1, `packet ${i}`);
      assert.ok(lengths[i]! + 12 <= 1536, "the packet fits the one buffer it was given");
    }
  });
}

for (const n of [4, 5, 6, 7, 8, 9, 13, 14, 15, 16]) {
  rule(`${NET_RX_DEVICE}#${n}`, () => {
    // No receive offload is negotiated: guest B writes flags 0 (no NEEDS_CSUM, no DATA_VALID) and GSO_NONE.
    const { pair, headers } = headersReceivedByA();
    for (const bit of [1, PeerFeatureBit.VIRTIO_NET_F_GUEST_TSO4, PeerFeatureBit.VIRTIO_NET_F_GUEST_TSO6, PeerFeatureBit.VIRTIO_NET_F_GUEST_UFO]) {
      assert.ok(!hasFeature(pair.a.driver.features, bit), `feature ${bit} not negotiated`);
    }
    for (const h of headers) {
      assert.equal(h.flags, 0);
      assert.equal(h.flags & (HDR_F_NEEDS_CSUM | HDR_F_DATA_VALID), 0);
      assert.equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
    }
  });
}

for (const n of [1, 2, 4, 5]) {
  rule(`${NET_RX_DRIVER}#${n}`, () => {
    // Unknown flag bits, csum_start/csum_offset without NEEDS_CSUM and a wrong hdr_len make no difference to
    // what guest A's driver delivers.
    aDeliversDespiteHeaderJunk();
  });
}
});
