/**
 * The negotiation between the virtio-net device of guest A, the vhost-pci-net device of guest B and B's
 * driver (both guests in one thread, stepped): the control messages and their order, feature re-negotiation
 * when B's driver accepts a subset, both need_map cases, the peer registers, the MAC, PV interrupts.
 */
import { describe, expect, it } from "vitest";
import { DRIVER_PEER_MAP_ADDRESS, VhostPciNetVectors } from "../../runtime/vhost-pci-net/driver.js";
import { PREMAPPED_PEER_ADDRESS } from "../../runtime/vhost-pci-net/device.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import type { LoopbackPairOptions } from "../../runtime/vhost-pci-net/loopback-pair.js";
import {
  PEER_FEATURE_MASK,
  PeerFeatureBit,
  VIRTIO_F_PV_INTERRUPT,
  VIRTIO_NET_S_LINK_UP,
  featureMask,
  hasFeature,
} from "../../runtime/vhost-pci-net/spec.js";
import { VirtioNetVectors } from "../../runtime/virtio-net/driver.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";

const MRG = featureMask(PeerFeatureBit.VIRTIO_NET_F_MRG_RXBUF);
const LOG_ALL = featureMask(PeerFeatureBit.VHOST_F_LOG_ALL);

function connectedPair(options: LoopbackPairOptions = {}): LoopbackPair {
  const pair = new LoopbackPair(options);
  pair.b.driver.messageLog = [];
  pair.connect();
  return pair;
}

/** Sends `n` frames each way and checks they all arrive intact and in order. */
function exchange(pair: LoopbackPair, n: number): void {
  const aSink = new TestFrameSink({ stream: 2, mode: "full" });
  const bSink = new TestFrameSink({ stream: 1, mode: "full" });
  pair.a.driver.sink = aSink.sink;
  pair.b.driver.sink = bSink.sink;
  pair.a.driver.source = new TestFrameSource({ count: n, sizes: [60, 1514, 333], stream: 1, mode: "full" });
  pair.b.driver.source = new TestFrameSource({ count: n, sizes: [1514, 64], stream: 2, mode: "full" });
  pair.runUntil(() => aSink.checker.stats.received + aSink.checker.stats.corrupted >= n && bSink.checker.stats.received + bSink.checker.stats.corrupted >= n, 20_000);
  expect(aSink.checker.stats).toMatchObject({ received: n, corrupted: 0, lost: 0, duplicated: 0 });
  expect(bSink.checker.stats).toMatchObject({ received: n, corrupted: 0, lost: 0, duplicated: 0 });
}

describe("connection", () => {
  it("exchanges PEER_FEATURE_BITS, PEER_MEM_INFO and PEER_VIRTQ_INFO (TX then RX) before connecting", () => {
    const pair = connectedPair();
    const log = pair.b.driver.messageLog!;
    expect(log.map((m) => `${m.direction} ${m.command}`)).toEqual([
      "sent MAC",
      "received PEER_FEATURE_BITS",
      "sent PEER_FEATURE_BITS",
      "received PEER_MEM_INFO",
      "sent PEER_MEM_INFO",
      "received PEER_VIRTQ_INFO",
      "sent PEER_VIRTQ_INFO",
      "received PEER_VIRTQ_INFO",
      "sent PEER_VIRTQ_INFO",
    ]);
    // The bits sent are those A negotiated (peer bits only) plus VHOST_F_LOG_ALL (A's VMM can log).
    const aPeerBits = pair.a.driver.features & PEER_FEATURE_MASK;
    expect(log[1]!.request).toEqual({ feature_bits: aPeerBits | LOG_ALL });
    expect(log[2]!.request).toEqual({ feature_bits: aPeerBits | LOG_ALL });
    expect(aPeerBits).toBe(MRG);
    expect((log[5]!.request as { tx_or_rx: number; virtq_num: number }).virtq_num).toBe(1);
    expect(pair.b.device.state).toBe("connected");
    expect(pair.a.device.state).toBe("connected");
    exchange(pair, 300);
  });

  it("configures the peer registers on both sides", () => {
    const pair = connectedPair();
    // B's peer is A: one RX queue, whose GSI is the vector A's driver gave receiveq1.
    expect(pair.b.driver.peerRxQueueGsis).toEqual([VirtioNetVectors.RECEIVEQ]);
    expect(pair.b.driver.peerUuid).toEqual([0xa0a0n, 0xa1a1n]);
    // A's peer is B: its mirrored RX queue (A's TX) is notified on B's receiveq vector.
    expect(pair.a.driver.peerRxQueueGsis).toEqual([VhostPciNetVectors.RECEIVEQ]);
    expect(pair.a.driver.peerUuid).toEqual([0xb0b0n, 0xb1b1n]);
    // The virtio-net link status follows the connection.
    expect(pair.a.device.config.status & VIRTIO_NET_S_LINK_UP).toBe(VIRTIO_NET_S_LINK_UP);
    expect(pair.a.driver.linkUp).toBe(true);
  });

  it("sets the MAC through VHOST_PCI_CTRL_MAC (a generated locally administered one)", () => {
    const pair = connectedPair();
    expect(pair.b.device.mac).toEqual(pair.b.driver.mac);
    expect(pair.b.driver.mac[0]! & 0x03).toBe(0x02);
  });
});

describe("need_map", () => {
  it("Y: the driver maps the BAR itself and answers with the address", () => {
    const pair = connectedPair({ b: { needMap: "Y" } });
    expect(pair.b.device.driverPeerAddress).toBe(DRIVER_PEER_MAP_ADDRESS);
    expect(pair.b.addressSpace.mappingAt(DRIVER_PEER_MAP_ADDRESS)?.buffer).toBe(pair.ramA);
    const received = pair.b.driver.messageLog!.find((m) => m.command === "PEER_MEM_INFO" && m.direction === "received")!;
    expect(received.request).toMatchObject({ need_map: 1, peer_mem: 2n });
    exchange(pair, 100);
  });

  it("N: the device has already mapped the peer memory and the driver uses it directly", () => {
    const pair = connectedPair({ b: { needMap: "N" } });
    expect(pair.b.device.driverPeerAddress).toBeNull();
    expect(pair.b.addressSpace.mappingAt(PREMAPPED_PEER_ADDRESS)?.buffer).toBe(pair.ramA);
    const log = pair.b.driver.messageLog!;
    expect(log.find((m) => m.command === "PEER_MEM_INFO" && m.direction === "received")!.request).toMatchObject({ need_map: 0, peer_mem: BigInt(PREMAPPED_PEER_ADDRESS) });
    expect(log.some((m) => m.command === "PEER_MEM_INFO" && m.direction === "sent")).toBe(false);
    exchange(pair, 100);
  });
});

describe("peer feature re-negotiation", () => {
  it("re-negotiates with the peer (resetting it) when the driver accepts only a subset", () => {
    const pair = connectedPair({ b: { driverPeerFeatures: PEER_FEATURE_MASK & ~MRG } });
    const sent = pair.b.device.peerFeatureBitsSent;
    expect(sent).toHaveLength(2);
    expect(sent[0]! & MRG).toBe(MRG);
    expect(sent[1]).toBe(sent[0]! & ~MRG);
    expect(pair.a.device.resetsForRenegotiation).toBe(1);
    expect(pair.a.driver.stats.resets).toBe(1);
    expect(hasFeature(pair.a.driver.features, PeerFeatureBit.VIRTIO_NET_F_MRG_RXBUF)).toBe(false);
    expect(pair.b.device.peerFeatures).toBe(sent[1]);
    exchange(pair, 200);
  });

  it("does not reset the peer when the dropped bit is not one its driver negotiated", () => {
    const pair = connectedPair({ b: { driverPeerFeatures: PEER_FEATURE_MASK & ~LOG_ALL } });
    expect(pair.b.device.peerFeatureBitsSent).toHaveLength(2);
    expect(pair.b.device.peerFeatures & LOG_ALL).toBe(0n);
    expect(pair.a.device.resetsForRenegotiation).toBe(0);
    expect(pair.a.driver.stats.resets).toBe(0);
  });
});

describe("PV interrupts", () => {
  it("are offered, negotiated and used when the management environment supports them", () => {
    const pair = connectedPair();
    expect(hasFeature(pair.b.device.regs.deviceFeatures, VIRTIO_F_PV_INTERRUPT)).toBe(true);
    expect(hasFeature(pair.b.driver.features, VIRTIO_F_PV_INTERRUPT)).toBe(true);
    exchange(pair, 500);
    expect(pair.b.device.pv!.injected).toBeGreaterThan(0);
    expect(pair.b.driver.stats.interruptsToPeer).toBe(pair.b.device.pv!.injected);
    expect(pair.a.device.pv!.injected).toBeGreaterThan(0);
  });

  it("are neither offered nor injected without environment support; packets still flow", () => {
    const pair = connectedPair({ a: { environment: { pvInterrupt: false, dirtyLogging: true } }, b: { environment: { pvInterrupt: false } } });
    expect(hasFeature(pair.b.device.regs.deviceFeatures, VIRTIO_F_PV_INTERRUPT)).toBe(false);
    expect(hasFeature(pair.a.device.regs.deviceFeatures, VIRTIO_F_PV_INTERRUPT)).toBe(false);
    expect(pair.b.device.pv).toBeNull();
    exchange(pair, 200);
    expect(pair.b.driver.stats.interruptsToPeer).toBe(0);
  });
});
