/**
 * Properties the IR does not have yet (issue 13 adds bit positions, command tables, …) are compared as soon as
 * they appear, without the diff knowing their names.
 */
import { describe, expect, it } from "vitest";
import { diffIR } from "../../../grammar/diff/index.js";
import type { SpecIR } from "../../../grammar/ir/types.js";
import { runFrontEnd } from "../../../grammar/pipeline.js";

const ir = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" }).ir;
const copy = (): SpecIR => JSON.parse(JSON.stringify(ir)) as SpecIR;
type Loose = Record<string, unknown>;

describe("diff of properties it does not know", () => {
  it("a new per-field property that differs is a wire change of that field", () => {
    const [a, b] = [copy(), copy()];
    const field = (x: SpecIR) => x.structs.find((s) => s.name === "virtio_ism_config")!.fields[1] as unknown as Loose;
    for (const x of [a, b]) for (const s of x.structs) for (const f of s.fields) (f as unknown as Loose).bitOffset = 0;
    field(a).bitOffset = 3;
    field(b).bitOffset = 4;
    const changes = diffIR(a, b);
    expect(changes.map((c) => [c.class, c.entity, c.path, c.properties])).toEqual([
      ["wire", "field", `virtio_ism_config.${(field(b) as { name: string }).name}`, [{ property: "bitOffset", old: 3, new: 4 }]],
    ]);
  });

  it("a new property on feature bits and commands is compared too; a device's list of names is not a change", () => {
    const [a, b] = [copy(), copy()];
    (b.devices[b.devices.length - 1]!.features[0] as unknown as Loose).legacyBit = 7;
    (b.commands.find((c) => c.device === "ism") as unknown as Loose).queue = "controlq";
    (b.devices.find((d) => d.slug === "ism") as unknown as Loose).commands = ["X"];
    const changes = diffIR(a, b);
    expect(changes.map((c) => [c.class, c.entity, c.properties?.map((p) => p.property)])).toEqual([
      ["wire", "feature", ["legacyBit"]],
      ["wire", "command", ["queue"]],
    ]);
  });

  it("names the IR makes up from line numbers are no renames", () => {
    const [a, b] = [copy(), copy()];
    const s = b.structs.find((x) => x.name === "virtio_ism_config")!;
    const e = b.enums[0]!;
    a.enums[0]!.name = "anon_enum_10";
    e.name = "anon_enum_12";
    expect(s).toBeDefined();
    expect(diffIR(a, b)).toEqual([]);
  });
});
