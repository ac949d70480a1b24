/**
 * Layout oracle: the generated schemas of structs that also exist in the Linux uapi headers must agree with
 * what a C compiler lays out (sizeof/offsetof). Compiles and runs a small C program with gcc at test time;
 * skipped, with the reason, when gcc or the headers are missing.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import * as vpn from "../../generated/vhost-pci-net/index.js";
import type { StructSchema } from "../../runtime/codec/index.js";

const HEADERS = ["/usr/include/linux/virtio_pci.h", "/usr/include/linux/virtio_net.h"];
const gcc = spawnSync("gcc", ["--version"]);
const missing = gcc.status !== 0 ? "gcc is not installed" : HEADERS.filter((h) => !existsSync(h)).map((h) => `${h} is missing`).join(", ");
if (missing) console.warn(`layout oracle skipped: ${missing}`);

/**
 * Spec field → C member(s) in the uapi header. Linux splits 64-bit queue addresses into `_lo`/`_hi` and
 * calls the driver feature registers `guest_feature*`; `num_buffers` lives in `virtio_net_hdr_mrg_rxbuf`.
 */
interface Member {
  field: string;
  struct: string;
  first: string;
  last?: string;
}

const COMMON_CFG: Member[] = [
  ["device_feature_select"],
  ["device_feature"],
  ["driver_feature_select", "guest_feature_select"],
  ["driver_feature", "guest_feature"],
  ["msix_config"],
  ["num_queues"],
  ["device_status"],
  ["config_generation"],
  ["queue_select"],
  ["queue_size"],
  ["queue_msix_vector"],
  ["queue_enable"],
  ["queue_notify_off"],
  ["queue_desc", "queue_desc_lo", "queue_desc_hi"],
  ["queue_avail", "queue_avail_lo", "queue_avail_hi"],
  ["queue_used", "queue_used_lo", "queue_used_hi"],
].map(([field, first, last]) => ({ field: field!, struct: "virtio_pci_common_cfg", first: first ?? field!, ...(last ? { last } : {}) }));

const NET_HDR: Member[] = [
  ...["flags", "gso_type", "hdr_len", "gso_size", "csum_start", "csum_offset"].map((f) => ({ field: f, struct: "virtio_net_hdr", first: f })),
  { field: "num_buffers", struct: "virtio_net_hdr_mrg_rxbuf", first: "num_buffers" },
];

/** Offset and size of each member as gcc lays it out. */
function cLayout(members: Member[]): Map<string, { offset: number; size: number }> {
  const lines = members.map((m) => {
    const end = m.last ?? m.first;
    return `printf("%s %zu %zu\\n", "${m.field}", offsetof(struct ${m.struct}, ${m.first}), offsetof(struct ${m.struct}, ${end}) + sizeof(((struct ${m.struct} *)0)->${end}) - offsetof(struct ${m.struct}, ${m.first}));`;
  });
  const src = `#include <stdio.h>\n#include <stddef.h>\n#include <linux/virtio_pci.h>\n#include <linux/virtio_net.h>\nint main(void) {\n${lines.join("\n")}\nreturn 0;\n}\n`;
  const dir = mkdtempSync(join(tmpdir(), "virtiokit-oracle-"));
  dirs.push(dir);
  writeFileSync(join(dir, "layout.c"), src);
  execFileSync("gcc", ["-o", join(dir, "layout"), join(dir, "layout.c")]);
  const out = execFileSync(join(dir, "layout"), { encoding: "utf8" });
  return new Map(
    out
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .map(([f, o, s]) => [f!, { offset: Number(o), size: Number(s) }]),
  );
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function schemaLayout(schema: StructSchema, field: string): { offset: number | null; size: number | null } {
  const f = schema.fields.find((x) => x.name === field);
  if (!f) throw new Error(`${schema.name} has no field ${field}`);
  return { offset: f.offset, size: f.size };
}

describe.skipIf(missing !== "")("layout oracle (gcc + Linux uapi headers)", () => {
  it("virtio_pci_common_cfg: base fields up to queue_used match offsetof/sizeof", () => {
    const c = cLayout(COMMON_CFG);
    for (const m of COMMON_CFG) expect({ field: m.field, ...schemaLayout(vpn.VirtioPciCommonCfgSchema, m.field) }).toEqual({ field: m.field, ...c.get(m.field)! });
    // The base struct ends where the spec's peer registers begin.
    expect(c.get("queue_used")!.offset + c.get("queue_used")!.size).toBe(schemaLayout(vpn.VirtioPciCommonCfgSchema, "peer_connection").offset);
  });

  it("virtio_net_hdr (with num_buffers from virtio_net_hdr_mrg_rxbuf) matches offsetof/sizeof", () => {
    const c = cLayout(NET_HDR);
    for (const m of NET_HDR) expect({ field: m.field, ...schemaLayout(vpn.VirtioNetHdrSchema, m.field) }).toEqual({ field: m.field, ...c.get(m.field)! });
    expect(vpn.VirtioNetHdrSchema.size).toBe(c.get("num_buffers")!.offset + c.get("num_buffers")!.size);
  });
});
