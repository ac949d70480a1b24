/**
 * Conformance checks of the `vhost-pci-net` spec, keyed by requirement id.
 *
 * Until the vhost-pci-net device model exists, the subject is the small fake in fakes/peer-common-cfg.ts,
 * which keeps its registers in the generated `virtio_pci_common_cfg` view and finds registers through the
 * generated schema. The checks access it like a driver, at offsets taken by hand from the spec's listing
 * (peer_connection 56, peer_num_rx_queues 58, peer_rx_queue_select 60, peer_rx_queue_gsi 62, peer_uuid_hi
 * 66, peer_uuid_lo 74; device_feature_select 0, device_feature 4), so they also pin the generated layout.
 *
 * @module
 */
import assert from "node:assert/strict";
import { FakePeerDevice, FakePeerError, type PeerEvent } from "./fakes/peer-common-cfg.js";
import { registryFor } from "./registry.js";

const { check } = registryFor("vhost-pci-net");

const COMMON_DEVICE = "devicenormative:Virtio Transport Options / Virtio Over PCI Bus / PCI Device Layout / Common configuration structure layout";
const COMMON_DRIVER = "drivernormative:Virtio Transport Options / Virtio Over PCI Bus / PCI Device Layout / Common configuration structure layout";
const RESERVED_DEVICE = "devicenormative:Reserved Feature Bits";

/** Register offsets and widths from the spec listing of `struct virtio_pci_common_cfg`. */
const REG = {
  device_feature_select: [0, 4],
  device_feature: [4, 4],
  num_queues: [18, 2],
  config_generation: [21, 1],
  queue_notify_off: [30, 2],
  peer_connection: [56, 2],
  peer_num_rx_queues: [58, 2],
  peer_rx_queue_select: [60, 2],
  peer_rx_queue_gsi: [62, 4],
  peer_uuid_hi: [66, 8],
  peer_uuid_lo: [74, 8],
} as const satisfies Record<string, readonly [number, number]>;

const PEER = { rxQueueGsis: [40, 41, 97], uuid: 0x0123456789abcdef_fedcba9876543210n };

const read = (dev: FakePeerDevice, reg: keyof typeof REG) => dev.driverRead(REG[reg][0], REG[reg][1]);
const write = (dev: FakePeerDevice, reg: keyof typeof REG, v: number | bigint) => dev.driverWrite(REG[reg][0], REG[reg][1], v);
const kinds = (events: readonly PeerEvent[]) => events.map((e) => (e.kind === "register-written" ? `${e.field}=${e.value}` : e.kind));

check(`${COMMON_DEVICE}#10`, () => {
  // "The device SHOULD negotiate with the peer device, and configure peer_num_rx_queues, peer_rx_queue_gsi,
  // peer_uuid_hi, and peer_uuid_lo."
  const dev = new FakePeerDevice({ pvInterrupt: true });
  dev.connectPeer(PEER);
  assert.equal(read(dev, "peer_num_rx_queues"), 3);
  PEER.rxQueueGsis.forEach((gsi, queue) => {
    write(dev, "peer_rx_queue_select", queue);
    assert.equal(read(dev, "peer_rx_queue_gsi"), gsi, `GSI of peer RX queue ${queue}`);
  });
  assert.equal(read(dev, "peer_uuid_hi"), 0x0123456789abcdefn);
  assert.equal(read(dev, "peer_uuid_lo"), 0xfedcba9876543210n);
});

check(`${COMMON_DEVICE}#11`, () => {
  // "When the device finishes the necessary negotiation with the peer device to establish the connection, it
  // MUST write a 1 to the peer_connection and notify the driver."
  const dev = new FakePeerDevice({ pvInterrupt: false });
  assert.equal(read(dev, "peer_connection"), 0);
  dev.connectPeer(PEER);
  assert.equal(read(dev, "peer_connection"), 1);
  const seq = kinds(dev.events);
  assert.equal(seq[0], "peer-negotiated");
  assert.deepEqual(seq.slice(-2), ["peer_connection=1", "config-change-notified"]);
  assert.equal(seq.filter((k) => k === "config-change-notified").length, 1);
});

check(`${COMMON_DEVICE}#12`, () => {
  // "When the device notifies that the driver requests to write a 0 to peer_connection, it SHOULD first
  // negotiate with the peer device to close the connection, and then write a 0 to the peer_connection and
  // notify the driver."
  const dev = new FakePeerDevice({ pvInterrupt: false });
  dev.connectPeer(PEER);
  const before = dev.events.length;
  write(dev, "peer_connection", 0);
  assert.deepEqual(kinds(dev.events.slice(before)), ["peer-close-negotiated", "peer_connection=0", "config-change-notified"]);
  assert.equal(read(dev, "peer_connection"), 0);
});

check(`${COMMON_DRIVER}#1`, () => {
  // "The driver MUST NOT write to device_feature, num_queues, config_generation, queue_notify_off,
  // peer_num_rx_queues, peer_rx_queue_gsi, peer_uuid_hi, or peer_uuid_lo." The device side of the rule: such
  // writes are refused and change nothing (the driver-side check comes with the driver model).
  const dev = new FakePeerDevice({ pvInterrupt: true });
  dev.connectPeer(PEER);
  const regs = ["device_feature", "num_queues", "config_generation", "queue_notify_off", "peer_num_rx_queues", "peer_rx_queue_gsi", "peer_uuid_hi", "peer_uuid_lo"] as const;
  for (const reg of regs) {
    const before = read(dev, reg);
    const value = REG[reg][1] === 8 ? 7n : 7;
    assert.throws(() => write(dev, reg, value), (e: unknown) => e instanceof FakePeerError && e.reason === "read-only", reg);
    assert.equal(read(dev, reg), before, `${reg} changed`);
  }
});

check(`${RESERVED_DEVICE}#1`, () => {
  // "A device MUST offer VIRTIO_F_VERSION_1." Bit 32: bit 0 of feature window 1.
  for (const pvInterrupt of [false, true]) {
    const dev = new FakePeerDevice({ pvInterrupt });
    write(dev, "device_feature_select", 1);
    assert.equal((read(dev, "device_feature") as number) & 1, 1);
  }
});

check(`${RESERVED_DEVICE}#3`, () => {
  // "A device MUST check if the management environment ... supports pv interrupt and configures the
  // VIRTIO_F_PV_INTERRUPT feature bit accordingly." Bit 33: bit 1 of feature window 1.
  for (const pvInterrupt of [false, true]) {
    const dev = new FakePeerDevice({ pvInterrupt });
    write(dev, "device_feature_select", 1);
    assert.equal(((read(dev, "device_feature") as number) >>> 1) & 1, pvInterrupt ? 1 : 0, `pvInterrupt ${pvInterrupt}`);
    write(dev, "device_feature_select", 0);
    assert.equal(read(dev, "device_feature"), 0, "no feature below bit 32 is offered");
  }
});
