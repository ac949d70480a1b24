/**
 * Real revisions: virtio 1.3 (the v1.3-wd02 tag, whose REVISION file reads virtio-v1.3-csd01: the history has
 * no v1.3-cs01 tag) against 1.4 (../shared/virtio-spec/v1.4, v1.4-cs01), and each seed proposal against its
 * own base tree.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { diffIR, type Change } from "../../../grammar/diff/index.js";
import { loadGitRevision, loadSide } from "../../../grammar/diff/load.js";
import type { SpecIR } from "../../../grammar/ir/types.js";
import { runFrontEnd } from "../../../grammar/pipeline.js";
import { specHistoryGitDir, specHistoryMissing } from "../../helpers/spec-history.js";

const V14 = "../shared/virtio-spec/v1.4";
const at = (c: Change): string => (c.new ? `${c.new.file}:${c.new.line}` : "");

describe.skipIf(!existsSync(V14) || specHistoryMissing() !== undefined)("virtio 1.3 → 1.4", () => {
  let changes: Change[];
  const of = (cls: Change["class"], entity?: Change["entity"]) => changes.filter((c) => c.class === cls && (!entity || c.entity === entity));

  it("reads both and diffs them", () => {
    const old = loadGitRevision(specHistoryGitDir(), "v1.3-wd02");
    const now = runFrontEnd(V14).ir;
    changes = diffIR(old, now);
    expect(changes.length).toBeGreaterThan(100);
  }, 120_000);

  it("every wire change, each checked against the commit that made it", () => {
    expect(of("wire").map((c) => [at(c), c.message])).toEqual([
      // b16f382 "virtio_pci_cap64: specify offset_hi, length_hi endianness": u32 → le32. The bytes a
      // little-endian driver reads do not move, but the declared type did: a big-endian driver that followed
      // the old text read them natively. A type change is wire by definition.
      ["transport-pci.tex:255", "struct virtio_pci_cap64: field 'offset_hi': type u32 → le32"],
      ["transport-pci.tex:256", "struct virtio_pci_cap64: field 'length_hi': type u32 → le32"],
      // 8297084 "virtio-blk: Fix data type of num_queues field": u16 → le16, same reasoning.
      ["device-types/blk/description.tex:111", "struct virtio_blk_config: field 'num_queues': type u16 → le16"],
      // VIRTIO_CRYPTO_IPSEC_SA_SOFT_EXPIRY = 7 was inserted before the enum's sentinel VIRTIO_CRYPTO_MAX,
      // which is not assigned a value and so moves from 7 to 8: a value change of a named code.
      ["device-types/crypto/description.tex:383", "enum VIRTIO_CRYPTO_STATUS: member VIRTIO_CRYPTO_MAX: value 7 → 8"],
    ]);
  });

  it("no api change: 1.4 renamed and removed nothing that 1.3 named", () => {
    expect(of("api").map((c) => c.message)).toEqual([]);
  });

  it("lists the new devices, feature bits and config fields as additive", () => {
    expect(of("additive", "device").map((c) => c.path)).toEqual(["can", "spi-controller", "media", "rtc"]);
    const features = of("additive", "feature").map((c) => c.path);
    for (const f of ["*.VIRTIO_F_SUSPEND", "network.VIRTIO_NET_F_DEVICE_STATS", "network.VIRTIO_NET_F_RSS_CONTEXT", "network.VIRTIO_NET_F_IPSEC", "gpu.VIRTIO_GPU_F_BLOB_ALIGNMENT", "memory.VIRTIO_MEM_F_PERSISTENT_SUSPEND", "can.VIRTIO_CAN_F_CAN_FD"]) {
      expect(features).toContain(f);
    }
    const gpu = of("additive", "field").find((c) => c.path === "virtio_gpu_config.blob_alignment");
    expect(gpu?.message).toBe("struct virtio_gpu_config: field 'blob_alignment' (le32, offset 16) appended, guarded by VIRTIO_GPU_F_BLOB_ALIGNMENT; struct size 16 → 20");
    expect(gpu?.warning).toBeUndefined();
    // The new net header fields, each guarded by the feature the text ties it to.
    expect(of("additive", "field").filter((c) => c.path.startsWith("virtio_net_hdr.")).map((c) => c.path)).toEqual([
      "virtio_net_hdr.outer_th_offset", "virtio_net_hdr.inner_nh_offset", "virtio_net_hdr.outer_nh_offset", "virtio_net_hdr.anon_padding_reserved_2",
    ]);
    // Commands the IR links (the net control queue's) are all in 1.3 already; new ones show as constants.
    expect(of("additive", "constant").map((c) => c.path)).toContain("VIRTIO_NET_CTRL_STATS_QUERY");
  });

  it("the one warning: a result field appended to the control framing without a feature bit", () => {
    expect(changes.filter((c) => c.warning).map((c) => c.path)).toEqual(["virtio_net_ctrl.command-specific-result"]);
  });
});

/** Every name of `kind` that the new IR has and the old one does not. */
function newNames(o: SpecIR, n: SpecIR): Record<string, string[]> {
  const diff = (a: string[], b: string[]) => b.filter((x) => !a.includes(x));
  const feats = (ir: SpecIR) => [...ir.featureBits.map((f) => `*.${f.name}`), ...ir.devices.flatMap((d) => d.features.map((f) => `${d.slug}.${f.name}`))];
  const rich = new Set([...n.commands.map((c) => c.name), ...n.events.map((e) => e.name)]);
  return {
    device: diff(o.devices.map((d) => d.slug), n.devices.map((d) => d.slug)),
    struct: diff(o.structs.map((s) => s.name), n.structs.map((s) => s.name)),
    feature: diff(feats(o), feats(n)),
    command: diff(o.commands.map((c) => `${c.device ?? "*"}.${c.name}`), n.commands.map((c) => `${c.device ?? "*"}.${c.name}`)),
    event: diff(o.events.map((c) => `${c.device ?? "*"}.${c.name}`), n.events.map((c) => `${c.device ?? "*"}.${c.name}`)),
    constant: diff(o.constants.map((c) => c.name), n.constants.filter((c) => !rich.has(c.name)).map((c) => c.name)),
  };
}

describe.each([
  ["virtio-ism v3", "spec/seeds/virtio-ism-v3.mail.txt", "spec/base-985bbf3"],
  ["vhost-pci-net", "spec/seeds/vhost-pci-net.mail.txt", "spec/base-be7a82c"],
])("seed %s against its base", (_name, mail, base) => {
  it("lists every addition of the proposal as additive, and no wire or api change", () => {
    const o = loadSide(base).ir;
    const n = loadSide(mail, base).ir;
    const changes = diffIR(o, n);
    expect(changes.filter((c) => c.class === "wire" || c.class === "api")).toEqual([]);
    const expected = newNames(o, n);
    for (const [entity, names] of Object.entries(expected)) {
      expect(changes.filter((c) => c.class === "additive" && c.kind === "added" && c.entity === entity).map((c) => c.path).sort(), entity).toEqual([...names].sort());
    }
    // Requirements: every new sentence is listed (additive, or normative where it extends an existing one).
    const reqs = changes.filter((c) => c.entity === "requirement");
    const oldHashes = new Set(o.requirements.map((r) => r.textHash));
    expect(reqs.length).toBe(n.requirements.filter((r) => !oldHashes.has(r.textHash)).length);
    if (mail.includes("vhost")) {
      // The proposal extends "The driver MUST NOT write to device_feature, …" with its peer registers: the one
      // change to an existing sentence, and its new common-config registers come without a feature bit.
      expect(changes.filter((c) => c.class === "normative").map((c) => c.kind)).toEqual(["reworded"]);
      expect(changes.filter((c) => c.warning).map((c) => c.path)).toEqual([
        "virtio_pci_common_cfg.peer_connection", "virtio_pci_common_cfg.peer_num_rx_queues", "virtio_pci_common_cfg.peer_rx_queue_select",
        "virtio_pci_common_cfg.peer_rx_queue_gsi", "virtio_pci_common_cfg.peer_uuid_hi", "virtio_pci_common_cfg.peer_uuid_lo",
      ]);
    } else {
      expect(changes.filter((c) => c.class === "normative")).toEqual([]);
      expect(changes.filter((c) => c.warning)).toEqual([]);
    }
  }, 60_000);
});
