/**
 * The common configuration register file: the peer registers and their rules (only the device writes 1 to
 * peer_connection, a driver 0 is a request, ISR bit 2 and the config vector on each change), the read-only
 * fields, the selector windows, queue configuration rules and the deferred reset.
 */
import { describe, expect, it } from "vitest";
import { VIRTIO_MSI_NO_VECTOR } from "../../runtime/notify/index.js";
import { CommonCfgRegisters, DeviceStatus, ISR_CONFIG, ISR_PEER_STATUS } from "../../runtime/vhost-pci-net/common-cfg.js";
import type { CommonCfgHooks } from "../../runtime/vhost-pci-net/common-cfg.js";
import { GuestInterrupts, InterruptReceiver } from "../../runtime/vhost-pci-net/interrupts.js";
import { VirtioPciCommonCfgSchema } from "../../runtime/vhost-pci-net/spec.js";

function registers(hooks: CommonCfgHooks = {}, features = 0x1_0000_0003n): { regs: CommonCfgRegisters; irq: GuestInterrupts; rx: InterruptReceiver } {
  const irq = new GuestInterrupts(4);
  const regs = new CommonCfgRegisters({ queueMaxSizes: [16, 256], deviceFeatures: features, interrupts: irq, hooks });
  return { regs, irq, rx: new InterruptReceiver(irq) };
}

function offsetOf(name: string): { offset: number; size: number } {
  const f = VirtioPciCommonCfgSchema.fields.find((x) => x.key === name)!;
  return { offset: f.offset!, size: f.size! };
}

describe("peer_connection", () => {
  it("refuses a driver write of 1, whether disconnected or connected, and keeps the value", () => {
    const { regs } = registers();
    expect(regs.writeField("peer_connection", 1)).toEqual({ accepted: false, reason: "peer-connection-write-1" });
    expect(regs.readField("peer_connection")).toBe(0);
    regs.setPeerConnection(1);
    regs.setPeerConnection(0);
    expect(regs.writeField("peer_connection", 1)).toEqual({ accepted: false, reason: "peer-connection-write-1" });
    expect(regs.readField("peer_connection")).toBe(0);
    // Through raw MMIO at the schema's offset as well.
    const { offset, size } = offsetOf("peer_connection");
    expect(regs.write(offset, size, 1)).toEqual({ accepted: false, reason: "peer-connection-write-1" });
    expect(regs.refusals("peer-connection-write-1")).toBe(3);
  });

  it("treats a driver write of 0 as a request: it still reads 1 until the device writes 0", () => {
    let requests = 0;
    const { regs } = registers({ onPeerDisconnectRequest: () => requests++ });
    regs.setPeerConnection(1);
    expect(regs.writeField("peer_connection", 0)).toEqual({ accepted: true });
    expect(requests).toBe(1);
    expect(regs.disconnectRequested).toBe(true);
    expect(regs.readField("peer_connection")).toBe(1);
    // A repeated request is not a new one.
    regs.writeField("peer_connection", 0);
    expect(requests).toBe(1);
    regs.setPeerConnection(0);
    expect(regs.disconnectRequested).toBe(false);
    expect(regs.readField("peer_connection")).toBe(0);
    // Writing 0 while disconnected requests nothing.
    regs.writeField("peer_connection", 0);
    expect(requests).toBe(1);
  });

  it("sets ISR bit 2 and raises the configuration vector on every change, and only on a change", () => {
    const { regs, rx } = registers();
    regs.writeField("msix_config", 0);
    regs.setPeerConnection(1);
    expect(rx.take(0)).toBe(1);
    expect(regs.readIsr()).toBe(ISR_PEER_STATUS);
    expect(regs.readIsr()).toBe(0); // read-to-clear
    regs.setPeerConnection(1);
    expect(rx.take(0)).toBe(0);
    regs.setPeerConnection(0);
    expect(rx.take(0)).toBe(1);
    expect(regs.readIsr() & ISR_PEER_STATUS).toBe(ISR_PEER_STATUS);
  });

  it("tells the device when the driver has read the value it wrote", () => {
    const { regs } = registers();
    regs.setPeerConnection(1);
    expect(regs.lastDriverPeerConnectionRead).toBeNull();
    regs.readField("peer_connection");
    expect(regs.lastDriverPeerConnectionRead).toBe(1);
    regs.setPeerConnection(0);
    expect(regs.lastDriverPeerConnectionRead).toBeNull();
    regs.readField("peer_connection");
    expect(regs.lastDriverPeerConnectionRead).toBe(0);
  });
});

describe("peer registers", () => {
  it("present the device's values through the peer_rx_queue_select window and refuse driver writes", () => {
    const { regs } = registers();
    regs.setPeerInfo([7, 9, 11], 0x1122334455667788n, 0x99aabbccddeeff00n);
    expect(regs.readField("peer_num_rx_queues")).toBe(3);
    for (const [i, gsi] of [7, 9, 11].entries()) {
      regs.writeField("peer_rx_queue_select", i);
      expect(regs.readField("peer_rx_queue_gsi")).toBe(gsi);
    }
    regs.writeField("peer_rx_queue_select", 3);
    expect(regs.readField("peer_rx_queue_gsi")).toBe(0xffffffff);
    expect(regs.readField("peer_uuid_hi")).toBe(0x1122334455667788n);
    expect(regs.readField("peer_uuid_lo")).toBe(0x99aabbccddeeff00n);
    for (const [field, value] of [
      ["peer_num_rx_queues", 1],
      ["peer_rx_queue_gsi", 1],
      ["peer_uuid_hi", 1n],
      ["peer_uuid_lo", 1n],
    ] as const) {
      expect(regs.writeField(field, value as never)).toEqual({ accepted: false, reason: "read-only-register" });
    }
    expect(regs.readField("peer_num_rx_queues")).toBe(3);
    expect(regs.readField("peer_uuid_lo")).toBe(0x99aabbccddeeff00n);
  });

  it("keeps the misaligned le32/le64 fields of the packed layout intact (offsets 62, 66, 74)", () => {
    const { regs } = registers();
    expect([offsetOf("peer_rx_queue_gsi").offset, offsetOf("peer_uuid_hi").offset, offsetOf("peer_uuid_lo").offset]).toEqual([62, 66, 74]);
    regs.setPeerInfo([0xdeadbeef], 0xffffffffffffffffn, 1n);
    const bytes = regs.bytes;
    expect(Array.from(bytes.subarray(62, 66))).toEqual([0xef, 0xbe, 0xad, 0xde]);
    expect(Array.from(bytes.subarray(66, 74))).toEqual([255, 255, 255, 255, 255, 255, 255, 255]);
    expect(Array.from(bytes.subarray(74, 82))).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("other driver rules", () => {
  it("refuses writes to device_feature, num_queues, config_generation and queue_notify_off", () => {
    const { regs } = registers();
    for (const f of ["device_feature", "num_queues", "config_generation", "queue_notify_off"] as const) {
      const before = regs.readField(f);
      expect(regs.writeField(f, 5)).toEqual({ accepted: false, reason: "read-only-register" });
      expect(regs.readField(f)).toBe(before);
    }
  });

  it("presents feature words through the select windows", () => {
    const { regs } = registers({}, 0xdead_beef_0000_0005n);
    regs.writeField("device_feature_select", 1);
    expect(regs.readField("device_feature")).toBe(0xdeadbeef);
    regs.writeField("device_feature_select", 0);
    expect(regs.readField("device_feature")).toBe(5);
    regs.writeField("device_feature_select", 2);
    expect(regs.readField("device_feature")).toBe(0);
    regs.writeField("driver_feature_select", 1);
    regs.writeField("driver_feature", 0x1234);
    regs.writeField("driver_feature_select", 0);
    regs.writeField("driver_feature", 0x5678);
    expect(regs.driverFeatures).toBe(0x1234_0000_5678n);
    regs.writeField("driver_feature_select", 1);
    expect(regs.readField("driver_feature")).toBe(0x1234);
  });

  it("applies the queue rules: power-of-two size within the maximum, no 0 to queue_enable, no change once enabled", () => {
    const enabled: number[] = [];
    const { regs } = registers({ onQueueEnable: (i) => enabled.push(i) });
    regs.writeField("queue_select", 1);
    expect(regs.readField("queue_size")).toBe(256);
    expect(regs.writeField("queue_size", 100)).toEqual({ accepted: false, reason: "queue-size-not-power-of-two" });
    expect(regs.writeField("queue_size", 512)).toEqual({ accepted: false, reason: "queue-size-too-large" });
    expect(regs.writeField("queue_size", 64)).toEqual({ accepted: true });
    expect(regs.writeField("queue_enable", 0)).toEqual({ accepted: false, reason: "queue-enable-zero" });
    regs.writeField("queue_desc", 0x1000n);
    expect(regs.writeField("queue_enable", 1)).toEqual({ accepted: true });
    expect(enabled).toEqual([1]);
    expect(regs.writeField("queue_desc", 0x2000n)).toEqual({ accepted: false, reason: "queue-enabled" });
    expect(regs.queue(1)).toMatchObject({ size: 64, desc: 0x1000n, enabled: true });
    // An unavailable queue presents size 0 and refuses configuration.
    regs.writeField("queue_select", 5);
    expect(regs.readField("queue_size")).toBe(0);
    expect(regs.writeField("queue_size", 16)).toEqual({ accepted: false, reason: "queue-unavailable" });
  });

  it("presents VIRTIO_MSI_NO_VECTOR for a vector the interrupt controller does not have", () => {
    const { regs } = registers();
    regs.writeField("msix_config", 9);
    expect(regs.readField("msix_config")).toBe(VIRTIO_MSI_NO_VECTOR);
    regs.writeField("queue_select", 0);
    regs.writeField("queue_msix_vector", 3);
    expect(regs.readField("queue_msix_vector")).toBe(3);
  });

  it("reads as all ones and counts an access that does not match one field", () => {
    const { regs } = registers();
    expect(regs.read(1, 2)).toBe(0xffff);
    expect(regs.read(56, 4)).toBe(0xffffffff);
    expect(regs.write(3, 1, 0)).toEqual({ accepted: false, reason: "invalid-access" });
    expect(regs.refusals("invalid-access")).toBe(3);
  });
});

describe("device_status and reset", () => {
  it("defers a reset requested after initialization began until the device completes it", () => {
    let requested = 0;
    const { regs } = registers({ onResetRequest: () => requested++ });
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE);
    regs.writeField("queue_select", 0);
    regs.writeField("queue_enable", 1);
    regs.writeField("device_status", 0);
    expect(requested).toBe(1);
    expect(regs.readField("device_status")).toBe(DeviceStatus.ACKNOWLEDGE);
    regs.completeReset();
    expect(regs.readField("device_status")).toBe(0);
    expect(regs.readField("queue_enable")).toBe(0);
    expect(regs.readField("msix_config")).toBe(VIRTIO_MSI_NO_VECTOR);
  });

  it("resets at once from status 0, and clears FEATURES_OK when the device refuses the features", () => {
    let requested = 0;
    const { regs } = registers({ onResetRequest: () => requested++, onFeaturesOk: (f) => f === 1n });
    regs.writeField("device_status", 0);
    expect(requested).toBe(0);
    regs.writeField("driver_feature", 2);
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    expect(regs.readField("device_status") & DeviceStatus.FEATURES_OK).toBe(0);
    regs.writeField("driver_feature", 1);
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK);
    expect(regs.readField("device_status") & DeviceStatus.FEATURES_OK).toBe(DeviceStatus.FEATURES_OK);
  });

  it("keeps DEVICE_NEEDS_RESET set by the device against driver writes, and signals a config change", () => {
    const { regs, rx } = registers();
    regs.writeField("msix_config", 1);
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE);
    regs.setStatusBits(DeviceStatus.DEVICE_NEEDS_RESET);
    expect(rx.take(1)).toBe(1);
    expect(regs.readIsr()).toBe(ISR_CONFIG);
    regs.writeField("device_status", DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    expect(regs.readField("device_status") & DeviceStatus.DEVICE_NEEDS_RESET).toBe(DeviceStatus.DEVICE_NEEDS_RESET);
  });
});
