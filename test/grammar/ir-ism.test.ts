/**
 * Acceptance for the virtio-ism v3 seed: the mail applied onto its base tree, read into the IR.
 * Expected figures are counted by hand from the mail (spec/seeds/virtio-ism-v3.mail.txt).
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { SpecIR } from "../../grammar/ir/types.js";
import { runFrontEnd } from "../../grammar/pipeline.js";

let ir: SpecIR;
const ism = () => ir.devices.find((d) => d.slug === "ism")!;
const struct = (name: string) => ir.structs.find((s) => s.name === name)!;

beforeAll(() => {
  ir = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" }).ir;
});

describe("virtio-ism v3 IR", () => {
  it("is versioned and says what it was built from", () => {
    expect(ir.irVersion).toMatch(/^\d+\.\d+\.\d+$/);
    expect(ir.input).toMatchObject({ kind: "mail", path: "spec/seeds/virtio-ism-v3.mail.txt" });
    expect(ir.input.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(ir.files).toContain("virtio-ism.tex");
  });

  it("has the ISM device: id 44, controlq and eventq, VIRTIO_ISM_F_DEV_MEM(0), 40-byte config", () => {
    const d = ism();
    expect(d.name).toBe("ISM Device");
    expect(d.deviceId).toBe(44);
    expect(d.virtqueues.map((v) => [v.index, v.name])).toEqual([
      [0, "controlq"],
      [1, "eventq"],
    ]);
    expect(d.features.map((f) => [f.name, f.bit])).toEqual([["VIRTIO_ISM_F_DEV_MEM", 0]]);
    expect(d.configStruct).toBe("virtio_ism_config");
    expect(struct("virtio_ism_config").size).toBe(40);
    expect(struct("virtio_ism_config").fields.map((f) => [f.name, f.offset, f.size])).toEqual([
      ["cdid", 0, 16],
      ["devid", 16, 8],
      ["chunk_size", 24, 8],
      ["notify_size", 32, 8],
    ]);
  });

  it("has exactly 15 structs and 1 enum from the device section", () => {
    expect(ism().structs).toHaveLength(15);
    expect(ism().enums).toEqual(["virtio_ism_shm_id"]);
    const shm = ir.enums.find((e) => e.name === "virtio_ism_shm_id")!;
    expect(shm.members.map((m) => [m.name, m.value])).toEqual([
      ["VIRTIO_ISM_SHM_ID_UNDEFINED", 0],
      ["VIRTIO_ISM_SHM_ID_REGIONS", 1],
      ["VIRTIO_ISM_SHM_ID_NOTIFY", 2],
    ]);
  });

  it("has 31 #define constants, grouped as the spec groups them", () => {
    const cs = ir.constants.filter((c) => c.device === "ism");
    expect(cs).toHaveLength(31);
    const value = (n: string) => cs.find((c) => c.name === n)?.value;
    expect(value("VIRTIO_ISM_ERR")).toBe(255);
    expect(value("VIRTIO_ISM_PERM_MANAGE")).toBe(8);
    expect(value("VIRTIO_ISM_EVENT_BUFFER_FREE")).toBe(8);
    const kinds = (kind: string) => ir.constantGroups.filter((g) => g.device === "ism" && g.kind === kind).flatMap((g) => g.constants);
    expect(kinds("ack")).toEqual([
      "VIRTIO_ISM_OK", "VIRTIO_ISM_ERR", "VIRTIO_ISM_ENOENT", "VIRTIO_ISM_E2BIG", "VIRTIO_ISM_ENOMEM",
      "VIRTIO_ISM_ENOSPEC", "VIRTIO_ISM_PERM_EATTACH", "VIRTIO_ISM_PERM_EREAD", "VIRTIO_ISM_PERM_EWRITE",
    ]);
    expect(kinds("permission")).toEqual([
      "VIRTIO_ISM_PERM_READ", "VIRTIO_ISM_PERM_WRITE", "VIRTIO_ISM_PERM_ATTACH", "VIRTIO_ISM_PERM_MANAGE", "VIRTIO_ISM_PERM_CLEAN_DEFAULT",
    ]);
    expect(kinds("class")).toHaveLength(6);
    expect(kinds("command")).toHaveLength(7);
    expect(kinds("event")).toHaveLength(4);
    // The presence condition written as a comment on a #define.
    expect(cs.find((c) => c.name === "VIRTIO_ISM_EVENT_BUFFER_FREE")?.presence).toMatchObject({ feature: "VIRTIO_ISM_F_DEV_MEM", negotiated: false });
  });

  it("links the 6 command classes' commands to their request and reply structs", () => {
    const cmds = ir.commands.filter((c) => c.device === "ism").map((c) => [c.class, c.name, c.classValue, c.value, c.request ?? null, c.reply ?? null]);
    expect(cmds).toEqual([
      ["VIRTIO_ISM_CTRL_ALLOC", "VIRTIO_ISM_CTRL_ALLOC_REGION", 0, 0, "virtio_ism_ctrl_alloc", "virtio_ism_ctrl_alloc_reply"],
      ["VIRTIO_ISM_CTRL_QUERY", "VIRTIO_ISM_CTRL_QUERY_INFO", 1, 0, "virtio_ism_ctrl_query", "virtio_ism_ctrl_query_reply"],
      ["VIRTIO_ISM_CTRL_ATTACH", "VIRTIO_ISM_CTRL_ATTACH_REGION", 2, 0, "virtio_ism_ctrl_attach", "virtio_ism_ctrl_attach_reply"],
      ["VIRTIO_ISM_CTRL_DETACH", "VIRTIO_ISM_CTRL_DETACH_REGION", 3, 0, "virtio_ism_ctrl_detach", null],
      ["VIRTIO_ISM_CTRL_GRANT", "VIRTIO_ISM_CTRL_GRANT_SET_DEFAULT", 4, 0, "virtio_ism_ctrl_grant_default", null],
      ["VIRTIO_ISM_CTRL_GRANT", "VIRTIO_ISM_CTRL_GRANT_SET_FOR_DEVICE", 4, 1, "virtio_ism_ctrl_grant_dev", null],
      ["VIRTIO_ISM_CTRL_EVENT_VECTOR", "VIRTIO_ISM_CTRL_EVENT_VECTOR_SET", 5, 0, "virtio_ism_ctrl_irq_vector", null],
    ]);
    expect(new Set(ir.commands.filter((c) => c.device === "ism").map((c) => c.framing))).toEqual(new Set(["virtio_ism_ctrl"]));
  });

  it("links the 4 event types to their structs through the ev_type field", () => {
    const evs = ir.events.filter((e) => e.device === "ism").map((e) => [e.name, e.value, e.struct, e.discriminator]);
    expect(evs).toEqual([
      ["VIRTIO_ISM_EVENT_UPDATE", 1, "virtio_ism_event_update", "ev_type"],
      ["VIRTIO_ISM_EVENT_ATTACH", 2, "virtio_ism_event_attach_detach", "ev_type"],
      ["VIRTIO_ISM_EVENT_DETACH", 4, "virtio_ism_event_attach_detach", "ev_type"],
      ["VIRTIO_ISM_EVENT_BUFFER_FREE", 8, "virtio_ism_event_buffer_free", "ev_type"],
    ]);
  });

  it("reads the no-padding layout, counted flexible arrays and feature-conditional fields", () => {
    const reply = struct("virtio_ism_ctrl_alloc_reply");
    expect(reply.size).toBeNull();
    expect(reply.minSize).toBe(16);
    expect(reply.fields.find((f) => f.name === "chunks")).toMatchObject({ offset: 16, elementSize: 8, array: { kind: "flexible", countField: "num" } });
    const alloc = struct("virtio_ism_ctrl_alloc");
    expect(alloc.fields.find((f) => f.name === "buffer")).toMatchObject({
      type: { kind: "pointer", size: 8 },
      offset: 8,
      presence: { feature: "VIRTIO_ISM_F_DEV_MEM", negotiated: false },
    });
    const ctrl = struct("virtio_ism_ctrl");
    expect(ctrl.fields.map((f) => [f.name, f.offset])).toEqual([
      ["class", 0],
      ["command", 1],
      ["command_specific_data", 2],
      ["ack", null],
      ["command_specific_data_reply", null],
    ]);
  });

  it("has 12 normative sections (8 device, 4 driver) split into requirements", () => {
    const ns = ir.normativeSections.filter((n) => n.device === "ism");
    expect(ns.filter((n) => n.role === "device")).toHaveLength(8);
    expect(ns.filter((n) => n.role === "driver")).toHaveLength(4);
    const reqs = ir.requirements.filter((r) => r.device === "ism");
    expect(reqs.length).toBeGreaterThan(30);
    const first = reqs.find((r) => r.section === "devicenormative:Device Types / ISM Device / Device configuration layout")!;
    expect(first).toMatchObject({
      id: "devicenormative:Device Types / ISM Device / Device configuration layout#1",
      role: "device",
      level: "MUST",
      text: "The device MUST ensure that the cdid of the device on the same communication domain is same.",
    });
    const mustNot = reqs.find((r) => r.text.startsWith("devid MUST NOT be 0"))!;
    expect(mustNot.level).toBe("MUST NOT");
    // Every requirement id is unique and points into its section.
    expect(new Set(reqs.map((r) => r.id)).size).toBe(reqs.length);
    for (const r of reqs) expect(ns.find((n) => n.label === r.section)?.requirements).toContain(r.id);
  });

  it("keeps requirement positions in the post-patch file and in the mail", () => {
    const r = ir.requirements.find((x) => x.text === "chunk_size MUST be a power of two.")!;
    expect(r.source).toMatchObject({ file: "virtio-ism.tex", line: 117, column: 1 });
    // virtio-ism.tex line n comes from mail line n + 136 (its hunk header "@@ -0,0 +1,573 @@" is mail line 136).
    expect(r.source.mail).toEqual({ file: "spec/seeds/virtio-ism-v3.mail.txt", line: 117 + 136, added: true });
  });

  it("resolves every ref of the ISM conformance lists", () => {
    const lists = ir.conformance.filter((c) => /ISM/.test(c.title));
    expect(lists.map((l) => [l.title, l.role, l.refs.length])).toEqual([
      ["ISM Driver Conformance", "driver", 4],
      ["ISM Device Conformance", "device", 8],
    ]);
    for (const l of lists) for (const r of l.refs) expect(r.resolved, r.label).toBe(true);
  });

  it("is deterministic: the same input gives the same JSON", () => {
    const again = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" }).ir;
    expect(JSON.stringify(again)).toBe(JSON.stringify(ir));
  });
});
