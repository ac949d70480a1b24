/**
 * Real commits of the virtio-spec history, each diffed against its parent, where the bytes stayed and only their
 * description changed: the diff must say so in one change, not report a wire break.
 *
 * - da0e169 ("virtio-net: Describe RSS using rss rq id"): `le16 unclassified_queue` and `le16
 *   indirection_table[…]` become `struct rss_rq_id` (le16 bit-fields 15 + 1): same bytes, other generated type.
 * - Reserved bytes put to use, nothing else moving: 39dfc8a (pci cap `padding[3]` → `id` + `padding[2]`),
 *   aad2b6f (gpu ctrl hdr `le32 padding` → `u8 ring_idx` + `u8 padding[3]`), 41644c1 (iommu attach request
 *   `reserved[8]` → `le32 flags` + `reserved[4]`), 0a6a441 (rtc clock cap `reserved[6]` → `u8 flags` + `reserved[5]`).
 * - fd15f89 (IPsec): `u8 padding_reserved_2[6]` becomes a union of itself and `struct ipsec_resource_hdr`.
 * - f21f831: `u8 device_type_raw[8]` added to the 8-byte union `selector` of virtio_dev_part_hdr.
 * - 617aa2d defines `struct virtio_dev_part`, which aa4f6f0 used in three structs without defining it.
 * - 8f2c4e0 (block multiqueue): `u8 unused0[3]` → `u8 unused0; u16 num_queues`.
 * - 88c8553 (blk discard/write zeroes) puts a second struct into the listing after "Each request is of form:": the
 *   request is the first struct of that listing, not the last, so no command's request changes.
 * - 31a52d2 and a4bb001 name command-specific payloads (blk discard/write zeroes data, gpu capset replies) where
 *   the text named only the struct all the device's commands share: api (the command table), not wire.
 * - 1d38844 repairs a listing (`{` → `struct {`) whose member the old text's parse skipped: the change stays
 *   wire (the old layout is unknown) but says so.
 */
import { describe, expect, it } from "vitest";
import { diffIR } from "../../../grammar/diff/index.js";
import { loadGitRevision } from "../../../grammar/diff/load.js";
import type { Change } from "../../../grammar/diff/types.js";
import { specGit, specHistoryGitDir, specHistoryMissing } from "../../helpers/spec-history.js";

const missing = specHistoryMissing();
if (missing) console.warn(`history commits skipped: ${missing}`);

function changesOf(commit: string): Change[] {
  const full = specGit(["rev-parse", commit]).trim();
  return diffIR(loadGitRevision(specHistoryGitDir(), `${full}^`), loadGitRevision(specHistoryGitDir(), full));
}

const brief = (c: Change): string => `${c.class} ${c.kind} ${c.path}`;

describe.skipIf(missing !== undefined)("history commits whose bytes stay", () => {
  it("da0e169: le16 → struct rss_rq_id over the same bytes is an api change, not a wire one", () => {
    const changes = changesOf("da0e169").filter((c) => c.path.startsWith("virtio_net_rss_config."));
    expect(changes.filter((c) => c.class === "wire").map(brief)).toEqual([]);
    const retyped = changes.filter((c) => c.class === "api" && c.kind === "changed").map((c) => c.path).sort();
    expect(retyped).toEqual(["virtio_net_rss_config.indirection_table", "virtio_net_rss_config.unclassified_queue"]);
    expect(changes.find((c) => c.path.endsWith("indirection_table"))!.message).toMatch(/2-byte elements/);
    expect(changes.find((c) => c.path.endsWith("unclassified_queue"))!.message).toMatch(/retyped le16 → struct rss_rq_id over the same bytes/);
  });

  it.each([
    ["39dfc8a", "virtio_pci_cap", "id"],
    ["aad2b6f", "virtio_gpu_ctrl_hdr", "ring_idx"],
    ["41644c1", "virtio_iommu_req_attach", "flags"],
    ["0a6a441", "virtio_rtc_resp_clock_cap", "flags"],
    ["8f2c4e0", "virtio_blk_config", "num_queues"],
  ])("%s: reserved bytes of %s put to use (%s) are one additive change", (commit, struct, field) => {
    const changes = changesOf(commit);
    const carved = changes.filter((c) => c.message.includes("put to use as"));
    expect(carved.length).toBeGreaterThan(0);
    for (const c of carved) {
      expect(c.class).toBe("additive");
      expect(c.message).toMatch(/no other byte moves/);
    }
    if (struct) expect(carved.some((c) => c.path.startsWith(`${struct}.`))).toBe(true);
    if (field) expect(carved.some((c) => c.path.endsWith(`.${field}`))).toBe(true);
    // The reserved field's shrinking and the new field's insertion are not reported besides.
    for (const c of carved) {
      const struct = c.path.split(".")[0]!;
      const wire = changes.filter((w) => w.class === "wire" && w.path.startsWith(`${struct}.`));
      expect(wire.map(brief)).toEqual([]);
    }
  });

  it("fd15f89: a field wrapped in a union with new alternatives over the same bytes is additive", () => {
    const changes = changesOf("fd15f89").filter((c) => c.path.startsWith("virtio_net_hdr."));
    const wrapped = changes.find((c) => c.class === "additive" && c.message.includes("is now one member of a union"));
    expect(wrapped?.message).toMatch(/'padding_reserved_2' \(u8\[6\], offset 26\) is now one member of a union over the same bytes, beside 'ipsec_resource_hdr'/);
    // What stays besides: the generated name of the now anonymous union (api), and its presence, which the new
    // text states in a comment on its own line naming two features ("Only if A or B negotiated"): the IR reads
    // presence from a member's own comment and of one feature only, so it says "always" (pinned, see the note).
    expect(changes.filter((c) => c !== wrapped).map((c) => `${c.class} ${c.kind} ${c.properties?.map((p) => p.property).join(",") ?? ""}`)).toEqual([
      "wire changed presence",
      "api renamed ",
    ]);
  });

  it("f21f831: a member added to a union whose size stays is additive", () => {
    const changes = changesOf("f21f831").filter((c) => c.path.startsWith("virtio_dev_part_hdr."));
    expect(changes.map(brief)).toEqual(["additive added virtio_dev_part_hdr.selector.device_type_raw"]);
    expect(changes[0]!.message).toContain("added to the union; its size stays");
  });

  it("617aa2d: a field type that the old text named but never defined, now defined, is additive", () => {
    const changes = changesOf("617aa2d").filter((c) => c.path.startsWith("virtio_admin_cmd_dev_parts_"));
    expect(changes.filter((c) => c.class === "wire").map(brief)).toEqual([]);
    const defined = changes.filter((c) => c.message.includes("was named but not defined in the old text")).map((c) => c.path).sort();
    expect(defined).toEqual([
      "virtio_admin_cmd_dev_parts_get_data.hdr_list",
      "virtio_admin_cmd_dev_parts_get_result.parts",
      "virtio_admin_cmd_dev_parts_set_data.parts",
    ]);
  });

  it("88c8553: a second struct after 'Each request is of form:' leaves every block command's request as it was (the two new commands are additive)", () => {
    const changes = changesOf("88c8553").filter((c) => c.entity === "command");
    expect(changes.map(brief)).toEqual(["additive added block.VIRTIO_BLK_T_DISCARD", "additive added block.VIRTIO_BLK_T_WRITE_ZEROES"]);
  });

  it.each([
    ["31a52d2", ["block.VIRTIO_BLK_T_DISCARD", "block.VIRTIO_BLK_T_WRITE_ZEROES"]],
    ["a4bb001", ["gpu.VIRTIO_GPU_CMD_GET_CAPSET", "gpu.VIRTIO_GPU_CMD_GET_CAPSET_INFO"]],
  ])("%s: a command's own payload named where the shared struct was is an api change", (commit, paths) => {
    const changes = changesOf(commit).filter((c) => c.entity === "command");
    expect(changes.filter((c) => c.class === "wire").map(brief)).toEqual([]);
    expect(changes.filter((c) => c.class === "api").map((c) => c.path).sort()).toEqual(paths);
    for (const c of changes) expect(c.message).toMatch(/the struct most commands of the device share and one of its own/);
  });

  it("1d38844: a change to a struct whose old listing had a syntax error carries a warning saying so", () => {
    const wire = changesOf("1d38844").filter((c) => c.class === "wire");
    expect(wire.length).toBeGreaterThan(0);
    for (const c of wire) expect(c.warning).toMatch(/^the old text of struct virtio_admin_cmd_dev_parts_metadata_result had a syntax error at line 134 .*may only repair it$/);
  });
});
