/**
 * Struct layout diagrams from the IR of real structs: every field a box at its IR offset and size, bit-fields
 * over their bits inside the storage integer, union members each in a lane at the union's offset, fields present
 * only under a feature dashed and named, variable-length arrays open-ended.
 */
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SpecIR, Struct } from "../../grammar/ir/types.js";
import { runFrontEnd } from "../../grammar/pipeline.js";
import { structDiagramSvg } from "../../generator/report/struct-diagram.js";

const V14 = "spec/virtio-1.4";
let ir: SpecIR;
beforeAll(() => {
  ir = runFrontEnd(V14).ir;
}, 60_000);

const struct = (name: string): Struct => ir.structs.find((s) => s.name === name)!;
const boxes = (svg: string): { path: string; offset: number; size: number; bits?: string; dashed: boolean }[] =>
  [...svg.matchAll(/<g class="vk-field" data-path="([^"]+)" data-offset="(\d+)" data-size="(\d+)"(?: data-bits="([^"]+)")?>(.*?)<\/g>/g)].map((m) => ({
    path: m[1]!,
    offset: Number(m[2]),
    size: Number(m[3]),
    ...(m[4] ? { bits: m[4] } : {}),
    dashed: m[5]!.includes("stroke-dasharray"),
  }));

describe.skipIf(!existsSync(V14))("struct diagrams", () => {
  it("virtio_blk_discard_write_zeroes: two fields and two bit-fields packed in the le32 flags", () => {
    const b = boxes(structDiagramSvg(struct("virtio_blk_discard_write_zeroes")));
    expect(b.map((x) => `${x.path}@${x.offset}+${x.size}${x.bits ? ` bits ${x.bits}` : ""}`)).toEqual([
      "sector@0+8",
      "num_sectors@8+4",
      "flags.unmap@12+4 bits 0:1",
      "flags.reserved@12+4 bits 1:31",
    ]);
  });

  it("virtio_input_config: the union's members all start at the union's offset, in their own lanes", () => {
    const s = struct("virtio_input_config");
    const svg = structDiagramSvg(s);
    const b = boxes(svg);
    const union = s.fields.find((f) => f.aggregate === "union")!;
    // A box that wraps a row is drawn as one segment per row, all with the field's path.
    const members = b.filter((x, i) => x.path.startsWith(`${union.name}.`) && x.path.split(".").length === 2 && b.findIndex((y) => y.path === x.path) === i);
    expect(members.map((m) => m.path.split(".")[1])).toEqual(union.members!.map((m) => m.name));
    for (const m of members) expect(m.offset).toBe(union.offset);
    expect(svg).toContain(`height="`);
  });

  it("a field present only under a feature is dashed and names the feature", () => {
    const s = ir.structs.find((x) => x.fields.some((f) => f.presence?.negotiated))!;
    const f = s.fields.find((x) => x.presence?.negotiated)!;
    const svg = structDiagramSvg(s);
    const box = boxes(svg).find((x) => x.path === f.name)!;
    expect(box.dashed).toBe(true);
    expect(svg).toContain(`if ${f.presence!.feature}`);
  });

  it("every fixed-offset leaf field of every v1.4 struct is drawn at its IR offset", () => {
    let checked = 0;
    for (const s of ir.structs) {
      const drawn = new Set(boxes(structDiagramSvg(s)).map((x) => `${x.path}@${x.offset}`));
      for (const f of s.fields) {
        if (f.offset === null || f.members) continue;
        expect(drawn, `${s.name}.${f.name}`).toContain(`${f.name}@${f.offset}`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
