/**
 * Acceptance for the vhost-pci-net seed: the line-wrapped mail, unwrapped and applied onto the 2016 tree.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { SpecIR } from "../../grammar/ir/types.js";
import { runFrontEnd } from "../../grammar/pipeline.js";

let ir: SpecIR;
const struct = (name: string) => ir.structs.find((s) => s.name === name)!;

beforeAll(() => {
  ir = runFrontEnd("spec/seeds/vhost-pci-net.mail.txt", { base: "spec/base-be7a82c" }).ir;
});

describe("vhost-pci-net IR", () => {
  it("holds the whole virtio_pci_common_cfg with the peer registers at their no-padding offsets", () => {
    const cfg = struct("virtio_pci_common_cfg");
    expect(cfg.fields.map((f) => [f.name, f.type.kind === "primitive" ? f.type.name : f.type.kind, f.offset, f.access])).toEqual([
      ["device_feature_select", "le32", 0, "read-write"],
      ["device_feature", "le32", 4, "read-only"],
      ["driver_feature_select", "le32", 8, "read-write"],
      ["driver_feature", "le32", 12, "read-write"],
      ["msix_config", "le16", 16, "read-write"],
      ["num_queues", "le16", 18, "read-only"],
      ["device_status", "u8", 20, "read-write"],
      ["config_generation", "u8", 21, "read-only"],
      ["queue_select", "le16", 22, "read-write"],
      ["queue_size", "le16", 24, "read-write"],
      ["queue_msix_vector", "le16", 26, "read-write"],
      ["queue_enable", "le16", 28, "read-write"],
      ["queue_notify_off", "le16", 30, "read-only"],
      ["queue_desc", "le64", 32, "read-write"],
      ["queue_avail", "le64", 40, "read-write"],
      ["queue_used", "le64", 48, "read-write"],
      ["peer_connection", "le16", 56, "read-write"],
      ["peer_num_rx_queues", "le16", 58, "read-only"],
      ["peer_rx_queue_select", "le16", 60, "read-write"],
      ["peer_rx_queue_gsi", "le32", 62, "read-only"],
      ["peer_uuid_hi", "le64", 66, "read-only"],
      ["peer_uuid_lo", "le64", 74, "read-only"],
    ]);
    expect(cfg.size).toBe(82);
  });

  it("has the Vhost-pci Net device: 3 virtqueues, device and peer feature bits, no device ID yet", () => {
    const d = ir.devices.find((x) => x.slug === "vhost-pci-net")!;
    expect(d.name).toBe("Vhost-pci Net Device");
    expect(d.deviceId).toBeNull();
    expect(d.virtqueues.map((v) => v.name)).toEqual(["control receiveq", "control transmitq", "receiveq"]);
    const byGroup = (g: string) => d.features.filter((f) => f.group === g).map((f) => [f.name, f.bit]);
    expect(byGroup("Device feature bits")).toEqual([
      ["VHOST_PCI_NET_F_MAC", 0],
      ["VHOST_PCI_NET_F_CTRL_MAC_ADDR", 1],
      ["VHOST_PCI_NET_F_MRG_RXBUF", 2],
    ]);
    expect(byGroup("Peer feature bits").map(([n]) => n)).toEqual([
      "VIRTIO_NET_F_GUEST_TSO4", "VIRTIO_NET_F_GUEST_TSO6", "VIRTIO_NET_F_GUEST_ECN", "VIRTIO_NET_F_GUEST_UFO",
      "VIRTIO_NET_F_HOST_TSO4", "VIRTIO_NET_F_HOST_TSO6", "VIRTIO_NET_F_HOST_ECN", "VIRTIO_NET_F_HOST_UFO",
      "VIRTIO_NET_F_MRG_RXBUF", "VHOST_F_LOG_ALL",
    ]);
    expect(ir.diagnostics.some((x) => x.code === "device-id-missing" && /Vhost-pci/.test(x.message))).toBe(true);
  });

  it("links the control-message structs to their request constants", () => {
    const cmds = ir.commands.filter((c) => c.device === "vhost-pci-net").map((c) => [c.name, c.value, c.request ?? null, c.framing]);
    expect(cmds).toEqual([
      ["VHOST_PCI_CTRL_PEER_FEATURE_BITS", 0, "vhost_pci_ctrl_driver_feature_bits", "vhost_pci_ctrl"],
      ["VHOST_PCI_CTRL_PEER_MEM_INFO", 1, "vhost_pci_ctrl_peer_mem_info", "vhost_pci_ctrl"],
      ["VHOST_PCI_CTRL_PEER_VIRTQ_INFO", 2, "vhost_pci_ctrl_peer_virtq_info", "vhost_pci_ctrl"],
      ["VHOST_PCI_CTRL_DIRTY_PAGE_LOGGING", 3, "vhost_pci_ctrl_dirty_page_logging", "vhost_pci_ctrl"],
      ["VHOST_PCI_CTRL_MAC", 0x10000, null, "vhost_pci_ctrl"],
    ]);
    expect(struct("vhost_pci_ctrl").fields.map((f) => [f.name, f.offset])).toEqual([
      ["request", 0],
      ["vhost_pci_id", 4],
      ["request_specific_payload", 12],
    ]);
    // Values written inside a struct body describe the member that follows them.
    const needMap = ir.constantGroups.find((g) => g.constants.includes("VHOST_PCI_MEM_INFO_NEED_MAP_Y"))!;
    expect(needMap.constants).toEqual(["VHOST_PCI_MEM_INFO_NEED_MAP_N", "VHOST_PCI_MEM_INFO_NEED_MAP_Y"]);
    expect(needMap.title).toMatch(/need_map/);
  });

  it("has VIRTIO_F_PV_INTERRUPT(33) among the device-independent feature bits", () => {
    expect(ir.featureBits.map((f) => [f.name, f.bit])).toContainEqual(["VIRTIO_F_PV_INTERRUPT", 33]);
    expect(ir.featureBits.find((f) => f.name === "VIRTIO_F_PV_INTERRUPT")!.source.mail?.file).toBe("spec/seeds/vhost-pci-net.mail.txt");
  });

  it("splits the common-config rules the patch adds into requirements", () => {
    const texts = ir.requirements.map((r) => r.text);
    expect(texts).toContain("The driver MUST NOT write a 1 to peer_connection.");
    expect(texts).toContain("The driver MUST NOT unload until it reads a 0 from peer_connection.");
    const r = ir.requirements.find((x) => x.text === "The driver MUST NOT write a 1 to peer_connection.")!;
    expect(r).toMatchObject({ role: "driver", level: "MUST NOT" });
    expect(r.section).toMatch(/^drivernormative:Virtio Transport Options \/ Virtio Over PCI Bus/);
  });

  it("reads the 2016 conformance chapter's lists, and nearly all their refs resolve", () => {
    expect(ir.conformance.length).toBeGreaterThan(10);
    const refs = ir.conformance.flatMap((c) => c.refs);
    expect(refs.filter((r) => r.resolved).length / refs.length).toBeGreaterThan(0.95);
  });
});
