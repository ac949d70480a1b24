/**
 * Closing the peer connection (both guests in one thread): the device negotiates with its peer before it
 * writes 0, the driver cannot unload before it reads 0, and no packet whose chain was marked used is lost
 * when the connection closes while traffic flows.
 */
import { describe, expect, it } from "vitest";
import { DRIVER_PEER_MAP_ADDRESS } from "../../runtime/vhost-pci-net/driver.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";

describe("disconnect requested by B's driver", () => {
  it("keeps peer_connection at 1 until the device closed the connection with the peer, then writes 0 on both sides", () => {
    const pair = new LoopbackPair();
    pair.connect();
    const bRegs = pair.b.device.regs;
    bRegs.trace = [];
    pair.b.driver.requestDisconnect();
    expect(bRegs.readField("peer_connection")).toBe(1);
    expect(pair.b.device.state).toBe("disconnecting");
    expect(pair.b.driver.unload()).toBe(false);
    pair.runUntil(() => !pair.b.driver.connected && !pair.a.driver.connected, 100);
    expect(bRegs.readField("peer_connection")).toBe(0);
    expect(pair.a.device.regs.readField("peer_connection")).toBe(0);
    // The device wrote 0 only after the peer answered: the peer had already closed its side.
    const deviceWrite = bRegs.trace.findIndex((e) => e.op === "device-write" && e.field === "peer_connection" && e.value === 0);
    expect(deviceWrite).toBeGreaterThan(0);
    expect(pair.a.device.state).toBe("disconnected");
    // Nothing of the peer stays reachable: no mapping, no PV-interrupt route, in either direction.
    expect(pair.b.addressSpace.mappingAt(DRIVER_PEER_MAP_ADDRESS)).toBeUndefined();
    expect(pair.b.driver.peerMemory).toBeNull();
    expect(pair.b.device.pv!.routed).toBe(false);
    expect(pair.a.device.pv!.routed).toBe(false);
    expect(pair.b.driver.unload()).toBe(true);
    expect(pair.a.driver.unload()).toBe(true);
  });
});

describe("disconnect requested by A's driver", () => {
  it("makes B's device write 0 first and answer the peer once B's driver has read it", () => {
    const pair = new LoopbackPair();
    pair.connect();
    pair.a.driver.requestDisconnect();
    expect(pair.a.device.regs.readField("peer_connection")).toBe(1);
    pair.runUntil(() => !pair.a.driver.connected, 100);
    expect(pair.b.driver.connected).toBe(false);
    expect(pair.b.device.state).toBe("disconnected");
    expect(pair.a.device.state).toBe("disconnected");
    expect(pair.a.driver.unload()).toBe(true);
  });
});

describe("disconnect while traffic flows", () => {
  it("loses no packet whose chain was marked used, in either direction", () => {
    const pair = new LoopbackPair();
    pair.connect();
    const aSink = new TestFrameSink({ stream: 2, mode: "full" });
    const bSink = new TestFrameSink({ stream: 1, mode: "full" });
    pair.a.driver.sink = aSink.sink;
    pair.b.driver.sink = bSink.sink;
    pair.a.driver.source = new TestFrameSource({ count: Infinity, sizes: [64, 1514, 200], stream: 1, mode: "full" });
    pair.b.driver.source = new TestFrameSource({ count: Infinity, sizes: [1000, 64], stream: 2, mode: "full" });
    // Let traffic reach a steady state, then close mid-stream (between two steps: rings full of work).
    pair.runUntil(() => bSink.checker.stats.received > 3000 && aSink.checker.stats.received > 3000, 50_000);
    pair.b.driver.requestDisconnect();
    pair.runUntil(() => !pair.a.driver.connected && !pair.b.driver.connected, 200);
    // Drain what was published before the close.
    for (let i = 0; i < 20; i++) pair.step();
    const copied = pair.b.driver.stats.copiedFromPeer;
    const sentToA = pair.b.driver.stats.sentToPeer;
    // Every A TX chain B returned as used was copied and reached B's stack, in order, intact.
    expect(pair.a.driver.stats.completed).toBe(copied + pair.b.driver.stats.dropped);
    expect(pair.b.driver.stats.dropped).toBe(0);
    // The close caught A's TX chains in flight (published, never marked used): the case the rule is about.
    expect(pair.a.driver.stats.sent).toBeGreaterThan(pair.a.driver.stats.completed);
    expect(bSink.checker.stats).toMatchObject({ received: copied, corrupted: 0, lost: 0, duplicated: 0 });
    // Every A RX chain B filled and marked used reached A's stack, in order, intact.
    expect(aSink.checker.stats).toMatchObject({ received: sentToA, corrupted: 0, lost: 0, duplicated: 0 });
    // Nothing moves once closed.
    for (let i = 0; i < 50; i++) pair.step();
    expect(pair.b.driver.stats.copiedFromPeer).toBe(copied);
    expect(pair.b.driver.stats.sentToPeer).toBe(sentToA);
  });
});

describe("B's driver writing 1 to peer_connection", () => {
  it("is refused before the connection, while connected and after it closed, and changes nothing", () => {
    const pair = new LoopbackPair();
    pair.start();
    pair.runUntil(() => pair.b.driver.state === "running", 50);
    const regs = pair.b.device.regs;
    // During the negotiation: refused, still 0, and the device does not consider itself connected.
    expect(regs.writeField("peer_connection", 1)).toEqual({ accepted: false, reason: "peer-connection-write-1" });
    expect(regs.readField("peer_connection")).toBe(0);
    expect(pair.b.device.state).not.toBe("connected");
    pair.runUntil(() => pair.b.driver.connected && pair.a.driver.connected, 1000);
    // While connected: refused; a no-op for the connection.
    expect(regs.writeField("peer_connection", 1)).toEqual({ accepted: false, reason: "peer-connection-write-1" });
    expect(pair.b.device.state).toBe("connected");
    pair.b.driver.requestDisconnect();
    pair.runUntil(() => !pair.b.driver.connected && !pair.a.driver.connected, 100);
    // After the close: refused, and it does not reconnect anything.
    expect(regs.writeField("peer_connection", 1)).toEqual({ accepted: false, reason: "peer-connection-write-1" });
    for (let i = 0; i < 20; i++) pair.step();
    expect(regs.readField("peer_connection")).toBe(0);
    expect(pair.a.device.regs.readField("peer_connection")).toBe(0);
    expect(regs.refusals("peer-connection-write-1")).toBe(3);
  });
});
