/**
 * Mutation tests: take virtio 1.4, change one thing in memory, and check the diff reports exactly that change,
 * in the expected class, at the expected positions, and nothing else.
 */
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { diffIR, type Change } from "../../../grammar/diff/index.js";
import { loadInput, type LoadedInput } from "../../../grammar/ingest/index.js";
import type { SpecIR } from "../../../grammar/ir/types.js";
import { runFrontEndOn } from "../../../grammar/pipeline.js";

const V14 = "../shared/virtio-spec/v1.4";
const CONSOLE = "device-types/console/description.tex";
const BLK = "device-types/blk/description.tex";

let loaded: LoadedInput;
let base: SpecIR;

/** The IR of v1.4 with `from` replaced by `to` (exactly once) in `file`. */
function mutated(file: string, ...edits: [from: string, to: string][]): SpecIR {
  const files = new Map(loaded.tree.files);
  let text = files.get(file)!.text;
  for (const [from, to] of edits) {
    expect(text.split(from).length - 1, `'${from}' occurs once in ${file}`).toBe(1);
    text = text.replace(from, to);
  }
  files.set(file, { path: file, text });
  return runFrontEndOn({ ...loaded, tree: { ...loaded.tree, files } }).ir;
}

function lineOf(file: string, needle: string): number {
  const lines = loaded.tree.files.get(file)!.text.split("\n");
  const i = lines.findIndex((l) => l.includes(needle));
  expect(i, `${needle} in ${file}`).toBeGreaterThanOrEqual(0);
  return i + 1;
}

const brief = (c: Change) => ({ class: c.class, kind: c.kind, entity: c.entity, path: c.path, old: c.old && `${c.old.file}:${c.old.line}`, new: c.new && `${c.new.file}:${c.new.line}` });

describe.skipIf(!existsSync(V14))("diff mutations of virtio 1.4", () => {
  beforeAll(() => {
    loaded = loadInput(V14);
    base = runFrontEndOn(loaded).ir;
  }, 60_000);

  it("the same tree twice: no change", () => {
    expect(diffIR(base, runFrontEndOn(loaded).ir)).toEqual([]);
  });

  it("a field's type: one wire change at the field, saying how far the rest moves", () => {
    const changes = diffIR(base, mutated(CONSOLE, ["        le16 rows;\n        le32 max_nr_ports;", "        le32 rows;\n        le32 max_nr_ports;"]));
    const line = lineOf(CONSOLE, "le16 rows;");
    expect(changes.map(brief)).toEqual([{ class: "wire", kind: "changed", entity: "field", path: "virtio_console_config.rows", old: `${CONSOLE}:${line}`, new: `${CONSOLE}:${line}` }]);
    expect(changes[0]!.message).toBe("struct virtio_console_config: field 'rows': type le16 → le32, size 2 → 4; later fields shift by +2; struct size 12 → 14");
  });

  it("two fields swapped: one wire change naming both", () => {
    const changes = diffIR(base, mutated(CONSOLE, ["        le16 cols;\n        le16 rows;\n        le32 max", "        le16 rows;\n        le16 cols;\n        le32 max"]));
    const line = lineOf(CONSOLE, "le16 cols;");
    // cols was at line L and is now at L + 1.
    expect(changes.map(brief)).toEqual([{ class: "wire", kind: "moved", entity: "field", path: "virtio_console_config.cols", old: `${CONSOLE}:${line}`, new: `${CONSOLE}:${line + 1}` }]);
    expect(changes[0]!.message).toContain("fields 'cols' and 'rows' swapped ('cols' offset 0 → 2, 'rows' offset 2 → 0)");
  });

  it("a feature bit renumbered: one wire change", () => {
    const changes = diffIR(base, mutated(CONSOLE, ["\\item[VIRTIO_CONSOLE_F_EMERG_WRITE (2)]", "\\item[VIRTIO_CONSOLE_F_EMERG_WRITE (3)]"]));
    const line = lineOf(CONSOLE, "VIRTIO_CONSOLE_F_EMERG_WRITE (2)");
    expect(changes.map(brief)).toEqual([{ class: "wire", kind: "changed", entity: "feature", path: "console.VIRTIO_CONSOLE_F_EMERG_WRITE", old: `${CONSOLE}:${line}`, new: `${CONSOLE}:${line}` }]);
    expect(changes[0]!.message).toBe("feature VIRTIO_CONSOLE_F_EMERG_WRITE of console: bit 2 → 3");
  });

  it("a field renamed: api only (the bytes stay)", () => {
    const changes = diffIR(base, mutated(CONSOLE, ["        le32 emerg_wr;", "        le32 emergency_write;"]));
    const line = lineOf(CONSOLE, "le32 emerg_wr;");
    expect(changes.map(brief)).toEqual([{ class: "api", kind: "renamed", entity: "field", path: "virtio_console_config.emergency_write", old: `${CONSOLE}:${line}`, new: `${CONSOLE}:${line}` }]);
    expect(changes[0]).toMatchObject({ oldName: "emerg_wr", newName: "emergency_write" });
  });

  it("a constant's value: one wire change", () => {
    const changes = diffIR(base, mutated(BLK, ["#define VIRTIO_BLK_T_OUT          1", "#define VIRTIO_BLK_T_OUT          3"]));
    const line = lineOf(BLK, "#define VIRTIO_BLK_T_OUT ");
    // VIRTIO_BLK_T_OUT is a block request type: it is reported once, as the command it is.
    expect(changes.map(brief)).toEqual([{ class: "wire", kind: "changed", entity: "command", path: "block.VIRTIO_BLK_T_OUT", old: `${BLK}:${line}`, new: `${BLK}:${line}` }]);
    expect(changes[0]!.message).toMatch(/^command VIRTIO_BLK_T_OUT: value 1 → 3/);
  });

  it("a MUST turned into a SHOULD: one normative level change", () => {
    const changes = diffIR(base, mutated(CONSOLE, ["The device MUST allow a write to \\field{emerg_wr}", "The device SHOULD allow a write to \\field{emerg_wr}"]));
    const line = lineOf(CONSOLE, "The device MUST allow a write");
    expect(changes.map(brief)).toEqual([
      { class: "normative", kind: "level", entity: "requirement", path: "devicenormative:Device Types / Console Device / Device Initialization#1", old: `${CONSOLE}:${line}`, new: `${CONSOLE}:${line}` },
    ]);
    expect(changes[0]!.properties).toEqual([{ property: "level", old: "MUST", new: "SHOULD" }]);
  });

  it("a field appended to a config struct without a feature bit: additive, with a warning", () => {
    const changes = diffIR(base, mutated(CONSOLE, ["        le32 emerg_wr;\n", "        le32 emerg_wr;\n        le32 max_line;\n"]));
    const structLine = lineOf(CONSOLE, "struct virtio_console_config {");
    const line = lineOf(CONSOLE, "le32 emerg_wr;") + 1;
    expect(changes.map(brief)).toEqual([{ class: "additive", kind: "added", entity: "field", path: "virtio_console_config.max_line", old: `${CONSOLE}:${structLine}`, new: `${CONSOLE}:${line}` }]);
    expect(changes[0]!.warning).toMatch(/no feature bit guards 'max_line'/);
    expect(changes[0]!.message).toContain("struct size 12 → 16");
  });

  it("a field appended to a config struct with a new feature bit: both additive, no warning", () => {
    const changes = diffIR(
      base,
      mutated(
        CONSOLE,
        ["        le32 emerg_wr;\n", "        le32 emerg_wr;\n        le32 max_line;\n"],
        ["\\item[VIRTIO_CONSOLE_F_EMERG_WRITE (2)] Device has support for emergency write.", "\\item[VIRTIO_CONSOLE_F_EMERG_WRITE (2)] Device has support for emergency write.\n\\item[VIRTIO_CONSOLE_F_MAX_LINE (3)] Configuration \\field{max_line} is valid."],
      ),
    );
    expect(changes.map((c) => [c.class, c.entity, c.path, c.warning])).toEqual([
      ["additive", "feature", "console.VIRTIO_CONSOLE_F_MAX_LINE", undefined],
      ["additive", "field", "virtio_console_config.max_line", undefined],
    ]);
    expect(changes[1]!.message).toContain("guarded by VIRTIO_CONSOLE_F_MAX_LINE");
  });

  it("a struct renamed: api only, and the device's config struct follows it", () => {
    const changes = diffIR(base, mutated(CONSOLE, ["struct virtio_console_config {", "struct virtio_console_cfg {"]));
    const line = lineOf(CONSOLE, "struct virtio_console_config {");
    expect(changes.map(brief)).toEqual([{ class: "api", kind: "renamed", entity: "struct", path: "virtio_console_cfg", old: `${CONSOLE}:${line}`, new: `${CONSOLE}:${line}` }]);
  });
  it("reserved bytes put to use: one additive change; reserved bytes that grow past their end: a wire change", () => {
    const PCI = "transport-pci.tex";
    const carved = diffIR(base, mutated(PCI, ["        u8 padding[2];  /* Pad to full dword. */", "        u8 bar_flags;\n        u8 padding[1];  /* Pad to full dword. */"]));
    expect(carved.map((c) => [c.class, c.kind, c.path])).toEqual([["additive", "added", "virtio_pci_cap.bar_flags"]]);
    expect(carved[0]!.message).toContain("reserved 'padding' (u8[2], offset 6) put to use as 'bar_flags' (u8), 'padding' (u8[1]); no other byte moves");
    expect(carved[0]!.warning).toMatch(/no feature bit guards 'bar_flags'/);
    // Two bytes taken where there were two, plus one more: what follows moves, so it is no carve-out.
    const grown = diffIR(base, mutated(PCI, ["        u8 padding[2];  /* Pad to full dword. */", "        le16 bar_flags;\n        u8 padding[1];  /* Pad to full dword. */"]));
    expect(grown.some((c) => c.class === "wire" && c.path.startsWith("virtio_pci_cap."))).toBe(true);
    expect(grown.some((c) => c.message.includes("put to use"))).toBe(false);
  });
  it("a command's request replaced by another of its own: wire; the device's shared reply struct replaced by a command's own: api", () => {
    // In memory, on the IR: which struct a command carries is read from prose, so the two cases are set directly.
    const other: SpecIR = structuredClone(base);
    const cmd = (ir: SpecIR, name: string) => ir.commands.find((c) => c.name === name)!;
    cmd(other, "VIRTIO_GPU_CMD_RESOURCE_FLUSH").request = "virtio_gpu_transfer_to_host_2d";
    cmd(other, "VIRTIO_GPU_CMD_RESOURCE_UNREF").reply = "virtio_gpu_resp_display_info";
    expect(cmd(base, "VIRTIO_GPU_CMD_RESOURCE_UNREF").reply).toBe("virtio_gpu_ctrl_hdr");
    const changes = diffIR(base, other);
    expect(changes.map((c) => [c.class, c.path, c.properties?.map((p) => `${p.property} ${String(p.old)} → ${String(p.new)}`).join()])).toEqual([
      ["api", "gpu.VIRTIO_GPU_CMD_RESOURCE_UNREF", "reply virtio_gpu_ctrl_hdr → virtio_gpu_resp_display_info"],
      ["wire", "gpu.VIRTIO_GPU_CMD_RESOURCE_FLUSH", "request virtio_gpu_resource_flush → virtio_gpu_transfer_to_host_2d"],
    ].sort((a, b) => (changes.findIndex((c) => c.path === a[1]) - changes.findIndex((c) => c.path === b[1]))));
  });
});
