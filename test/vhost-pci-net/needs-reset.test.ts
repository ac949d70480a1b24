/**
 * DEVICE_NEEDS_RESET on the vhost-pci-net device (both guests in one thread): a driver-side break of the
 * control transmitq is the device's one error path — it stops serving the control queues, sets
 * DEVICE_NEEDS_RESET and sends a configuration change interrupt; B's driver fails the control messages the
 * device never consumed with `device-needs-reset`, resets the device and negotiates with the peer again.
 */
import { describe, expect, it } from "vitest";
import { DeviceStatus } from "../../runtime/vhost-pci-net/common-cfg.js";
import { CONTROL_TRANSMITQ } from "../../runtime/vhost-pci-net/control-queues.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";

/** Moves avail.idx of B's control transmitq 1000 entries ahead (a runaway index, as a hostile guest could). */
function runawayTransmitq(pair: LoopbackPair): void {
  const q = pair.b.device.regs.queue(CONTROL_TRANSMITQ);
  const availIdx = Number(q.avail) + 2;
  pair.b.memory.writeU16(availIdx, (pair.b.memory.readU16(availIdx) + 1000) & 0xffff);
}

describe("vhost-pci-net DEVICE_NEEDS_RESET", () => {
  it("fails the unconsumed control message, resets, and connects to the peer afterwards", () => {
    const pair = new LoopbackPair();
    const log: NonNullable<typeof pair.b.driver.messageLog> = [];
    pair.b.driver.messageLog = log;
    pair.start();
    // Step until B's driver has sent PEER_FEATURE_BITS; the device reads it on its next turn.
    pair.runUntil(() => log.some((m) => m.direction === "sent" && m.command === "PEER_FEATURE_BITS"), 100);
    runawayTransmitq(pair);
    pair.b.device.poll();
    // The device: broken control queue recorded, DEVICE_NEEDS_RESET set, configuration change pending.
    expect(pair.b.device.refusals.count("control-queue-broken")).toBe(1);
    expect(pair.b.device.regs.readField("device_status") & DeviceStatus.DEVICE_NEEDS_RESET).toBe(DeviceStatus.DEVICE_NEEDS_RESET);
    expect(pair.b.device.needsResetCount).toBe(1);
    // The driver's next turn sees the configuration interrupt: the pending message fails, the reset starts.
    pair.b.driver.poll();
    expect(pair.b.driver.failedCalls.map((f) => [f.command, f.error.reason])).toEqual([["PEER_FEATURE_BITS", "device-needs-reset"]]);
    expect(pair.b.driver.needsResetResets).toBe(1);
    expect(pair.b.driver.state).toBe("resetting");
    // After the reset the device works again: the negotiation starts over and both sides connect.
    pair.runUntil(() => pair.a.driver.connected && pair.b.driver.connected, 1000);
    expect(pair.b.device.regs.readField("device_status") & DeviceStatus.DEVICE_NEEDS_RESET).toBe(0);
    expect(pair.b.device.needsResetCount).toBe(1);
    expect(pair.b.device.peerFeatureBitsSent.length).toBe(2);
    // Traffic flows in both directions on the new rings.
    const aSink = new TestFrameSink({ stream: 2, mode: "full" });
    const bSink = new TestFrameSink({ stream: 1, mode: "full" });
    pair.a.driver.sink = aSink.sink;
    pair.b.driver.sink = bSink.sink;
    pair.a.driver.source = new TestFrameSource({ count: 50, sizes: [64, 1514], stream: 1, mode: "full" });
    pair.b.driver.source = new TestFrameSource({ count: 50, sizes: [200], stream: 2, mode: "full" });
    pair.runUntil(() => aSink.checker.stats.received === 50 && bSink.checker.stats.received === 50, 10_000);
    expect(aSink.checker.stats).toMatchObject({ corrupted: 0, lost: 0, duplicated: 0 });
    expect(bSink.checker.stats).toMatchObject({ corrupted: 0, lost: 0, duplicated: 0 });
    // Guest A (the peer) never saw an error of its own.
    expect(pair.a.device.refusals.total).toBe(0);
  });

  it("a break while connected: the connection closes with the peer, the device resets, and the same peer connects again with traffic resuming where it stopped", () => {
    const pair = new LoopbackPair();
    pair.connect();
    const aSink = new TestFrameSink({ stream: 2, mode: "full" });
    const bSink = new TestFrameSink({ stream: 1, mode: "full" });
    pair.a.driver.sink = aSink.sink;
    pair.b.driver.sink = bSink.sink;
    pair.a.driver.source = new TestFrameSource({ count: Infinity, sizes: [64, 1514, 300], stream: 1, mode: "full" });
    pair.b.driver.source = new TestFrameSource({ count: Infinity, sizes: [1000, 64], stream: 2, mode: "full" });
    pair.runUntil(() => bSink.checker.stats.received > 500 && aSink.checker.stats.received > 500, 20_000);
    const aUuid = [0xa0a0n, 0xa1a1n];
    runawayTransmitq(pair);
    pair.step();
    expect(pair.b.device.needsResetCount).toBe(1);
    expect(pair.b.device.refusals.count("control-queue-broken")).toBe(1);
    expect(pair.b.driver.needsResetResets).toBe(1);
    expect(pair.b.driver.connected).toBe(false);
    expect(pair.b.driver.peerMemory).toBeNull();
    // The reset closes the connection with the peer first, then B is announced again and A offers its rings.
    pair.runUntil(() => !pair.a.driver.connected, 200);
    const receivedByB = bSink.checker.stats.received;
    const receivedByA = aSink.checker.stats.received;
    pair.runUntil(() => pair.a.driver.connected && pair.b.driver.connected, 2000);
    expect(pair.b.driver.peerUuid).toEqual(aUuid);
    expect(pair.b.device.regs.readField("device_status") & DeviceStatus.DEVICE_NEEDS_RESET).toBe(0);
    // Traffic resumes on the same peer rings, from where the data path stopped: nothing lost, nothing twice.
    pair.runUntil(() => bSink.checker.stats.received > receivedByB + 500 && aSink.checker.stats.received > receivedByA + 500, 20_000);
    expect(bSink.checker.stats).toMatchObject({ corrupted: 0, lost: 0, duplicated: 0 });
    expect(aSink.checker.stats).toMatchObject({ corrupted: 0, lost: 0, duplicated: 0 });
    expect(pair.b.driver.stats.dropped).toBe(0);
    expect(pair.a.device.refusals.total).toBe(0);
  });
});
