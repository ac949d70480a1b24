/**
 * Conformance checks of the `vhost-pci-net` spec, keyed by requirement id, run against the device and
 * driver models of runtime/vhost-pci-net (guest B: vhost-pci-net device and driver) and runtime/virtio-net
 * (guest A: the virtio-net device whose backend B is, and its driver), both guests stepped in one thread
 * (runtime/vhost-pci-net/loopback-pair.ts).
 *
 * Covered: every requirement in the spec's conformance scope — the Vhost-pci Net device's, and those of the
 * device-independent sections the patch changes (common configuration structure layout, device reserved
 * feature bits). The network-device rules the data path exercises are checked by
 * test/vhost-pci-net/virtio-net-rules.test.ts (the network device is not in this spec's conformance scope).
 * Driver-side rules are checked on the register access trace of a whole lifecycle (boot, negotiation,
 * traffic, disconnect, unload) of both drivers; device-side rules by driving the registers as a driver does.
 *
 * @module
 */
import assert from "node:assert/strict";
import { VIRTIO_MSI_NO_VECTOR } from "../../runtime/notify/index.js";
import { CommonCfgRegisters, DeviceStatus, ISR_PEER_STATUS, PEER_REGISTERS } from "../../runtime/vhost-pci-net/common-cfg.js";
import type { CommonCfgField, RegisterTraceEntry } from "../../runtime/vhost-pci-net/common-cfg.js";
import { InterruptReceiver } from "../../runtime/vhost-pci-net/interrupts.js";
import { LoopbackPair } from "../../runtime/vhost-pci-net/loopback-pair.js";
import type { LoopbackPairOptions } from "../../runtime/vhost-pci-net/loopback-pair.js";
import { VirtioPciCapType } from "../../runtime/vhost-pci-net/pci-capabilities.js";
import {
  PEER_FEATURE_MASK,
  PeerFeatureBit,
  VIRTIO_F_PV_INTERRUPT,
  VIRTIO_F_VERSION_1,
  VIRTIO_NET_S_LINK_UP,
  featureMask,
  hasFeature,
} from "../../runtime/vhost-pci-net/spec.js";
import { NET_RECEIVEQ } from "../../runtime/virtio-net/device.js";
import { TestFrameSink, TestFrameSource } from "../../runtime/virtio-net/test-traffic.js";
import { registryFor } from "./registry.js";

const { check } = registryFor("vhost-pci-net");

const COMMON_DEVICE = "devicenormative:Virtio Transport Options / Virtio Over PCI Bus / PCI Device Layout / Common configuration structure layout";
const COMMON_DRIVER = "drivernormative:Virtio Transport Options / Virtio Over PCI Bus / PCI Device Layout / Common configuration structure layout";
const RESERVED_DEVICE = "devicenormative:Reserved Feature Bits";
const PEER_FEATURES_DEVICE = "devicenormative:Device Types / Vhost-pci Net Device / Feature bits / Peer feature bits";
const PEER_FEATURES_DRIVER = "drivernormative:Device Types / Vhost-pci Net Device / Feature bits / Peer feature bits";

const LOG_ALL = featureMask(PeerFeatureBit.VHOST_F_LOG_ALL);
const MRG_RXBUF = featureMask(PeerFeatureBit.VIRTIO_NET_F_MRG_RXBUF);

// ------------------------------------------------------------------------------------------------ harness

/** A pair whose register files record every access from the first one. */
function tracedPair(options: LoopbackPairOptions = {}): { pair: LoopbackPair; traceA: RegisterTraceEntry[]; traceB: RegisterTraceEntry[] } {
  const pair = new LoopbackPair(options);
  const traceA: RegisterTraceEntry[] = [];
  const traceB: RegisterTraceEntry[] = [];
  pair.a.device.regs.trace = traceA;
  pair.b.device.regs.trace = traceB;
  pair.b.driver.messageLog = [];
  return { pair, traceA, traceB };
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

/**
 * Both drivers' whole lifecycle: boot, negotiation (with a feature re-negotiation that resets guest A),
 * traffic, a disconnect requested by B's driver, unload attempts before and after. Returns both traces.
 */
function lifecycle(): { pair: LoopbackPair; traceA: RegisterTraceEntry[]; traceB: RegisterTraceEntry[] } {
  const traced = tracedPair({ b: { driverPeerFeatures: PEER_FEATURE_MASK & ~MRG_RXBUF } });
  const { pair } = traced;
  pair.connect();
  assert.equal(pair.a.driver.stats.resets, 1, "the lifecycle includes a reset of guest A");
  exchange(pair, 100);
  assert.equal(pair.b.driver.unload(), false);
  assert.equal(pair.a.driver.unload(), false);
  pair.b.driver.requestDisconnect();
  pair.runUntil(() => !pair.a.driver.connected && !pair.b.driver.connected, 200);
  assert.equal(pair.b.driver.unload(), true);
  assert.equal(pair.a.driver.unload(), true);
  return traced;
}

function writes(trace: readonly RegisterTraceEntry[], field?: CommonCfgField): Extract<RegisterTraceEntry, { op: "write" }>[] {
  return trace.filter((e): e is Extract<RegisterTraceEntry, { op: "write" }> => e.op === "write" && (field === undefined || e.field === field));
}

/** Reads a register file the way a driver does: select, then read. */
function offeredFeatures(regs: CommonCfgRegisters): bigint {
  regs.writeField("device_feature_select", 0);
  const low = BigInt(regs.readField("device_feature"));
  regs.writeField("device_feature_select", 1);
  return (BigInt(regs.readField("device_feature")) << 32n) | low;
}

/** Every device model of a pair (B's vhost-pci-net device, A's virtio-net device). */
function devices(pair: LoopbackPair) {
  return [
    { name: "vhost-pci-net", regs: pair.b.device.regs, capabilities: pair.b.device.capabilities },
    { name: "virtio-net", regs: pair.a.device.regs, capabilities: pair.a.device.capabilities },
  ];
}

// ------------------------------------------------------------------------------------------------ common configuration: device

check(`${COMMON_DEVICE}#1`, () => {
  // "offset MUST be 4-byte aligned." (of each virtio PCI capability's structure)
  for (const d of devices(new LoopbackPair())) {
    assert.ok(d.capabilities.length > 0, d.name);
    for (const cap of d.capabilities) assert.equal(cap.offset % 4, 0, `${d.name} capability ${cap.cfgType} at offset ${cap.offset}`);
  }
});

check(`${COMMON_DEVICE}#2`, () => {
  // "The device MUST present at least one common configuration capability."
  for (const d of devices(new LoopbackPair())) {
    assert.ok(d.capabilities.some((c) => c.cfgType === VirtioPciCapType.COMMON_CFG && c.length >= 82), d.name);
  }
});

check(`${COMMON_DEVICE}#3`, () => {
  // "The device MUST present the feature bits it is offering in device_feature, starting at bit
  // device_feature_select * 32 for any device_feature_select written by the driver."
  const pair = new LoopbackPair();
  pair.connect();
  for (const d of devices(pair)) {
    const offered = d.regs.deviceFeatures;
    assert.notEqual(offered, 0n);
    for (const select of [1, 0, 2, 0x7fffffff]) {
      d.regs.writeField("device_feature_select", select);
      const expected = select <= 1 ? Number((offered >> BigInt(32 * select)) & 0xffffffffn) : 0;
      assert.equal(d.regs.readField("device_feature"), expected, `${d.name} select ${select}`);
    }
  }
});

check(`${COMMON_DEVICE}#4`, () => {
  // "The device MUST present any valid feature bits the driver has written in driver_feature, starting at
  // bit driver_feature_select * 32 for any driver_feature_select written by the driver."
  for (const d of devices(new LoopbackPair())) {
    const valid = d.regs.deviceFeatures;
    d.regs.writeField("driver_feature_select", 0);
    d.regs.writeField("driver_feature", Number(valid & 0xffffffffn));
    d.regs.writeField("driver_feature_select", 1);
    d.regs.writeField("driver_feature", Number(valid >> 32n));
    assert.equal(d.regs.readField("driver_feature"), Number(valid >> 32n), `${d.name} word 1`);
    d.regs.writeField("driver_feature_select", 0);
    assert.equal(d.regs.readField("driver_feature"), Number(valid & 0xffffffffn), `${d.name} word 0`);
    assert.equal(d.regs.driverFeatures, valid);
  }
});

check(`${COMMON_DEVICE}#5`, () => {
  // "The device MAY present invalid bits written by the driver." These devices do: the register reads back
  // what was written; validity is judged at FEATURES_OK, which then does not stick.
  for (const d of devices(new LoopbackPair())) {
    d.regs.writeField("driver_feature_select", 0);
    d.regs.writeField("driver_feature", 0xffffffff);
    assert.equal(d.regs.readField("driver_feature"), 0xffffffff, d.name);
    d.regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    assert.equal(d.regs.readField("device_status") & DeviceStatus.FEATURES_OK, 0, `${d.name} accepted invalid features`);
  }
});

check(`${COMMON_DEVICE}#6`, () => {
  // "The device MUST present a changed config_generation after the driver has read a device-specific
  // configuration value which has changed since any part of the device-specific configuration was last read."
  // Guest A's virtio-net configuration changes when the peer connects (link status).
  const pair = new LoopbackPair();
  pair.start();
  pair.runUntil(() => pair.a.driver.state === "running", 100);
  const regs = pair.a.device.regs;
  const generation = regs.readField("config_generation");
  const status = pair.a.device.config.status;
  assert.equal(status & VIRTIO_NET_S_LINK_UP, 0);
  pair.runUntil(() => pair.a.driver.connected && pair.b.driver.connected, 1000);
  assert.notEqual(pair.a.device.config.status, status, "the configuration changed");
  assert.notEqual(regs.readField("config_generation"), generation);
});

check(`${COMMON_DEVICE}#7`, () => {
  // "The device MUST reset when 0 is written to device_status, and present a 0 in device_status once that is
  // done." B's device is connected: it closes the connection with its peer first, then resets.
  const pair = new LoopbackPair();
  pair.connect();
  for (const d of devices(pair)) assert.notEqual(d.regs.readField("device_status"), 0);
  const regs = pair.b.device.regs;
  regs.writeField("device_status", 0);
  pair.runUntil(() => regs.readField("device_status") === 0, 100);
  assert.equal(regs.driverFeatures, 0n);
  assert.equal(regs.readField("peer_connection"), 0);
  assert.equal(regs.readField("msix_config"), VIRTIO_MSI_NO_VECTOR);
  // A was told before the reset completed: its connection is closed and its link down. (B's device announces
  // itself again after the reset, so A may already be offering its rings anew: "setup-sent", not "connected".)
  assert.notEqual(pair.a.device.state, "connected", "the peer was told before the reset completed");
  assert.equal(pair.a.device.config.status & VIRTIO_NET_S_LINK_UP, 0, "guest A's link is down");
  assert.equal(pair.a.device.regs.readField("peer_connection"), 0);
});

check(`${COMMON_DEVICE}#8`, () => {
  // "The device MUST present a 0 in queue_enable on reset."
  const pair = new LoopbackPair();
  pair.connect();
  for (const d of devices(pair)) {
    d.regs.writeField("device_status", 0);
    pair.runUntil(() => d.regs.readField("device_status") === 0, 100);
    for (let q = 0; q < d.regs.numQueues; q++) {
      d.regs.writeField("queue_select", q);
      assert.equal(d.regs.readField("queue_enable"), 0, `${d.name} queue ${q}`);
    }
  }
});

check(`${COMMON_DEVICE}#9`, () => {
  // "The device MUST present a 0 in queue_size if the virtqueue corresponding to the current queue_select is
  // unavailable."
  for (const d of devices(new LoopbackPair())) {
    for (const select of [d.regs.numQueues, d.regs.numQueues + 1, 0xffff]) {
      d.regs.writeField("queue_select", select);
      assert.equal(d.regs.readField("queue_size"), 0, `${d.name} queue ${select}`);
    }
    d.regs.writeField("queue_select", 0);
    assert.ok(d.regs.readField("queue_size") > 0);
  }
});

check(`${COMMON_DEVICE}#10`, () => {
  // "The device SHOULD negotiate with the peer device, and configure peer_num_rx_queues, peer_rx_queue_gsi,
  // peer_uuid_hi, and peer_uuid_lo."
  const pair = new LoopbackPair();
  pair.connect();
  // B's peer is A: A's receiveq1 and its vector (GSI) as A's driver configured it, A's UUID.
  const b = pair.b.device.regs;
  assert.equal(b.readField("peer_num_rx_queues"), 1);
  b.writeField("peer_rx_queue_select", 0);
  assert.equal(b.readField("peer_rx_queue_gsi"), pair.a.device.regs.queue(NET_RECEIVEQ).msixVector);
  assert.deepEqual([b.readField("peer_uuid_hi"), b.readField("peer_uuid_lo")], [0xa0a0n, 0xa1a1n]);
  // A's peer is B: the vector B's guest is notified on for its mirrored RX queue, B's UUID.
  const a = pair.a.device.regs;
  assert.equal(a.readField("peer_num_rx_queues"), 1);
  a.writeField("peer_rx_queue_select", 0);
  assert.equal(a.readField("peer_rx_queue_gsi"), pair.b.device.regs.queue(2).msixVector);
  assert.deepEqual([a.readField("peer_uuid_hi"), a.readField("peer_uuid_lo")], [0xb0b0n, 0xb1b1n]);
});

check(`${COMMON_DEVICE}#11`, () => {
  // "When the device finishes the necessary negotiation with the peer device to establish the connection, it
  // MUST write a 1 to the peer_connection and notify the driver."
  const { pair, traceB } = tracedPair();
  const configInterrupts = new InterruptReceiver(pair.b.interrupts);
  pair.connect();
  const log = pair.b.driver.messageLog!;
  assert.deepEqual(
    log.filter((m) => m.direction === "sent" && m.command === "PEER_VIRTQ_INFO").map((m) => (m.request as { virtq_num: number }).virtq_num),
    [1, 1],
    "the negotiation finished (both PEER_VIRTQ_INFO acknowledged)",
  );
  assert.equal(pair.b.device.state, "connected");
  const written = traceB.filter((e) => e.op === "device-write" && e.field === "peer_connection");
  assert.deepEqual(written.map((e) => (e as { value: number }).value), [1]);
  // Notified: the configuration vector fired and ISR bit 2 was read by the driver right after.
  assert.ok(configInterrupts.take(0) >= 1);
  const at = traceB.indexOf(written[0]!);
  const isr = traceB.slice(at).find((e) => e.op === "isr-read");
  assert.ok(isr !== undefined && (isr.value & ISR_PEER_STATUS) !== 0);
  assert.equal(pair.b.device.regs.readField("peer_connection"), 1);
});

check(`${COMMON_DEVICE}#12`, () => {
  // "When the device notifies that the driver requests to write a 0 to peer_connection, it SHOULD first
  // negotiate with the peer device to close the connection, and then write a 0 to the peer_connection and
  // notify the driver."
  const pair = new LoopbackPair();
  pair.connect();
  const regs = pair.b.device.regs;
  const rx = new InterruptReceiver(pair.b.interrupts);
  pair.b.driver.requestDisconnect();
  // Guest A has not run yet: the peer has not closed, so B must not have written 0.
  for (let i = 0; i < 5; i++) pair.b.poll();
  assert.equal(regs.view.peer_connection, 1);
  assert.equal(pair.a.device.state, "connected");
  pair.a.poll(); // the peer closes its side and answers
  assert.equal(pair.a.device.state, "disconnected");
  pair.b.device.poll();
  assert.equal(regs.view.peer_connection, 0);
  assert.ok(rx.take(0) >= 1, "configuration vector raised");
  assert.equal(regs.readIsr() & ISR_PEER_STATUS, ISR_PEER_STATUS);
});

// ------------------------------------------------------------------------------------------------ common configuration: driver

check(`${COMMON_DRIVER}#1`, () => {
  // "The driver MUST NOT write to device_feature, num_queues, config_generation, queue_notify_off,
  // peer_num_rx_queues, peer_rx_queue_gsi, peer_uuid_hi, or peer_uuid_lo."
  const { traceA, traceB } = lifecycle();
  const forbidden = new Set<CommonCfgField>(["device_feature", "num_queues", "config_generation", "queue_notify_off", "peer_num_rx_queues", "peer_rx_queue_gsi", "peer_uuid_hi", "peer_uuid_lo"]);
  for (const trace of [traceA, traceB]) {
    assert.ok(writes(trace).length > 20);
    assert.deepEqual(writes(trace).filter((e) => forbidden.has(e.field)), []);
  }
});

check(`${COMMON_DRIVER}#2`, () => {
  // "The driver MUST NOT write a value which is not a power of 2 to queue_size."
  const { traceA, traceB } = lifecycle();
  for (const trace of [traceA, traceB]) {
    const sizes = writes(trace, "queue_size").map((e) => e.value as number);
    assert.ok(sizes.length >= 2);
    for (const s of sizes) assert.ok(s > 0 && (s & (s - 1)) === 0, `queue_size ${s}`);
  }
});

check(`${COMMON_DRIVER}#3`, () => {
  // "The driver MUST configure the other virtqueue fields before enabling the virtqueue with queue_enable."
  const { traceA, traceB } = lifecycle();
  for (const trace of [traceA, traceB]) {
    let sinceSelect = new Set<CommonCfgField>();
    let enables = 0;
    for (const e of writes(trace)) {
      if (e.field === "queue_select") sinceSelect = new Set();
      else if (e.field === "queue_enable") {
        enables++;
        for (const f of ["queue_size", "queue_msix_vector", "queue_desc", "queue_avail", "queue_used"] as const) assert.ok(sinceSelect.has(f), `${f} before queue_enable`);
      } else sinceSelect.add(e.field);
    }
    assert.ok(enables >= 2);
  }
});

check(`${COMMON_DRIVER}#4`, () => {
  // "After writing 0 to device_status, the driver MUST wait for a read of device_status to return 0 before
  // reinitializing the device." Guest A's driver resets once while the device is live (the re-negotiation),
  // where the device finishes the reset later.
  const { traceA, traceB } = lifecycle();
  for (const trace of [traceA, traceB]) {
    let resets = 0;
    for (let i = 0; i < trace.length; i++) {
      const e = trace[i]!;
      if (e.op !== "write" || e.field !== "device_status" || e.value !== 0) continue;
      resets++;
      const nextWrite = trace.findIndex((x, j) => j > i && x.op === "write");
      const zeroRead = trace.findIndex((x, j) => j > i && x.op === "read" && x.field === "device_status" && x.value === 0);
      assert.ok(zeroRead > i && (nextWrite < 0 || zeroRead < nextWrite), `reset at trace entry ${i} not followed by a read of 0`);
    }
    assert.ok(resets >= 1);
  }
  const deferred = traceA.some((e, i) => e.op === "read" && e.field === "device_status" && e.value !== 0 && traceA.slice(0, i).some((w) => w.op === "write" && w.field === "device_status" && w.value === 0));
  assert.ok(deferred, "guest A's driver saw a non-zero status while the reset was in progress");
});

check(`${COMMON_DRIVER}#5`, () => {
  // "The driver MUST NOT write a 0 to queue_enable."
  const { traceA, traceB } = lifecycle();
  for (const trace of [traceA, traceB]) {
    assert.ok(writes(trace, "queue_enable").length >= 2);
    assert.deepEqual(writes(trace, "queue_enable").filter((e) => e.value === 0), []);
  }
});

check(`${COMMON_DRIVER}#6`, () => {
  // "The driver MUST NOT write a 1 to peer_connection."
  const { traceA, traceB } = lifecycle();
  assert.ok(writes(traceB, "peer_connection").length >= 1, "B's driver did write peer_connection (0, to disconnect)");
  for (const trace of [traceA, traceB]) assert.deepEqual(writes(trace, "peer_connection").filter((e) => e.value !== 0), []);
});

check(`${COMMON_DRIVER}#7`, () => {
  // "The driver SHOULD NOT read the peer device related registers until it is notified that a 1 has been
  // written to peer_connection."
  const { traceA, traceB } = lifecycle();
  const peerRegs = new Set<CommonCfgField>(PEER_REGISTERS);
  for (const trace of [traceA, traceB]) {
    let notified = false;
    let sawOne = false;
    let reads = 0;
    for (const e of trace) {
      if (e.op === "isr-read" && (e.value & ISR_PEER_STATUS) !== 0) notified = true;
      if (e.op === "read" && e.field === "peer_connection") sawOne = notified && e.value === 1;
      if (e.op === "read" && peerRegs.has(e.field)) {
        reads++;
        assert.ok(sawOne, `${e.field} read before a notified peer_connection of 1`);
      }
    }
    assert.ok(reads >= 3, "the driver did read the peer registers");
  }
});

check(`${COMMON_DRIVER}#8`, () => {
  // "The driver MUST NOT unload until it reads a 0 from peer_connection."
  const { traceA, traceB } = lifecycle();
  for (const trace of [traceA, traceB]) {
    const unload = trace.findIndex((e) => e.op === "unload");
    assert.ok(unload > 0);
    const reads = trace.slice(0, unload).filter((e): e is Extract<RegisterTraceEntry, { op: "read" }> => e.op === "read" && e.field === "peer_connection");
    assert.equal(reads.at(-1)?.value, 0);
  }
});

// ------------------------------------------------------------------------------------------------ reserved feature bits

check(`${RESERVED_DEVICE}#1`, () => {
  // "A device MUST offer VIRTIO_F_VERSION_1."
  for (const pv of [false, true]) {
    const pair = new LoopbackPair({ a: { environment: { pvInterrupt: pv, dirtyLogging: true } }, b: { environment: { pvInterrupt: pv } } });
    pair.connect();
    for (const d of devices(pair)) assert.ok(hasFeature(offeredFeatures(d.regs), VIRTIO_F_VERSION_1), d.name);
  }
});

check(`${RESERVED_DEVICE}#2`, () => {
  // "A device MAY fail to operate further if VIRTIO_F_VERSION_1 is not accepted." These devices refuse
  // FEATURES_OK without it.
  for (const d of devices(new LoopbackPair())) {
    const regs = d.regs;
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    regs.writeField("driver_feature_select", 1);
    regs.writeField("driver_feature", 0);
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    assert.equal(regs.readField("device_status") & DeviceStatus.FEATURES_OK, 0, d.name);
  }
});

check(`${RESERVED_DEVICE}#3`, () => {
  // "A device MUST check if the management environment (e.g. a virtual machine monitor) supports pv
  // interrupt and configures the VIRTIO_F_PV_INTERRUPT feature bit accordingly."
  for (const pv of [false, true]) {
    const pair = new LoopbackPair({ a: { environment: { pvInterrupt: pv, dirtyLogging: true } }, b: { environment: { pvInterrupt: pv } } });
    pair.connect();
    for (const d of devices(pair)) assert.equal(hasFeature(offeredFeatures(d.regs), VIRTIO_F_PV_INTERRUPT), pv, `${d.name} with pvInterrupt ${pv}`);
    assert.equal(pair.b.device.pv !== null, pv);
  }
});

// ------------------------------------------------------------------------------------------------ vhost-pci-net peer feature bits

check(`${PEER_FEATURES_DEVICE}#1`, () => {
  // "The device SHOULD send the feature bits that have been accepted by the peer device to the driver through
  // the control receiveq."
  const { pair } = tracedPair();
  pair.connect();
  const first = pair.b.driver.messageLog!.find((m) => m.direction === "received")!;
  assert.equal(first.command, "PEER_FEATURE_BITS");
  // Accepted by the peer: what guest A's driver negotiated (its peer bits), plus VHOST_F_LOG_ALL, which
  // guest A's VMM accepts for migration.
  const acceptedByPeer = (pair.a.device.regs.driverFeatures & PEER_FEATURE_MASK) | LOG_ALL;
  assert.deepEqual(first.request, { feature_bits: acceptedByPeer });
  assert.ok(acceptedByPeer & MRG_RXBUF, "a peer feature bit the peer actually negotiated is among them");
});

check(`${PEER_FEATURES_DRIVER}#1`, () => {
  // "Upon receiving the peer feature bits from the device, the driver SHOULD send its supported peer feature
  // bits to the device via the control transmitq."
  for (const supported of [PEER_FEATURE_MASK, PEER_FEATURE_MASK & ~MRG_RXBUF]) {
    const { pair } = tracedPair({ b: { driverPeerFeatures: supported } });
    pair.connect();
    const log = pair.b.driver.messageLog!;
    log.forEach((m, i) => {
      if (m.direction !== "received" || m.command !== "PEER_FEATURE_BITS") return;
      const reply = log[i + 1];
      assert.equal(reply?.direction, "sent");
      assert.equal(reply?.command, "PEER_FEATURE_BITS");
      const offered = (m.request as { feature_bits: bigint }).feature_bits;
      assert.deepEqual(reply?.request, { feature_bits: offered & supported });
    });
    assert.equal(pair.b.device.peerFeatures, pair.b.driver.peerFeatures, "the device received the answer");
  }
});
