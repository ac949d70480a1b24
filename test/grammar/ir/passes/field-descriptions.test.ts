/**
 * Field descriptions (IR 1.2): each field carries the prose of the `\item[\field{name}]` that describes it.
 * The oracle is the spec text itself: the item's source line must hold `\item[\field{name}]` (read from the raw
 * file, not through the document model), and the ISM seed's config fields are checked against the mail's words.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runFrontEnd } from "../../../../grammar/pipeline.js";
import { IR_VERSION, type Field, type SpecIR } from "../../../../grammar/ir/types.js";

const V14 = "../shared/virtio-spec/v1.4";

function allFields(fields: readonly Field[]): Field[] {
  return fields.flatMap((f) => [f, ...allFields(f.members ?? [])]);
}

/** Every described field's item line, read from the file: it must be that field's `\item[...]`. */
function misplaced(ir: SpecIR, root: string): string[] {
  const bad: string[] = [];
  const cache = new Map<string, string[]>();
  for (const s of ir.structs) {
    for (const f of allFields(s.fields)) {
      if (!f.description) continue;
      const file = f.description.source.file;
      const lines = cache.get(file) ?? cache.set(file, readFileSync(join(root, file), "utf8").split("\n")).get(file)!;
      const line = lines[f.description.source.line - 1] ?? "";
      if (!new RegExp(`\\\\item\\s*\\[[^\\]]*\\\\field\\{${f.name.replace(/_/g, "\\\\?_")}\\}`).test(line)) bad.push(`${s.name}.${f.name} @ ${file}:${f.description.source.line}: ${line.trim()}`);
    }
  }
  return bad;
}

describe("field descriptions from the ISM seed", () => {
  let ir: SpecIR;
  beforeAll(() => {
    ir = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" }).ir;
  });

  it("bumps the IR's minor version (an additive field)", () => {
    // 1.2.0 added field descriptions; later minors add to it.
    expect(IR_VERSION).toMatch(/^1\.([2-9]|[1-9]\d)\.\d+$/);
    expect(ir.irVersion).toBe(IR_VERSION);
  });

  it("gives virtio_ism_config.cdid and devid the mail's own words, with the mail line", () => {
    const cfg = ir.structs.find((s) => s.name === "virtio_ism_config")!;
    const cdid = cfg.fields.find((f) => f.name === "cdid")!;
    expect(cdid.description?.text).toMatch(/^This is used to identify the communication domain\. Only ism devices with the same cdid can communicate\./);
    expect(cdid.description?.source.mail).toMatchObject({ file: "spec/seeds/virtio-ism-v3.mail.txt", line: 226, added: true });
    const mailLine = readFileSync("spec/seeds/virtio-ism-v3.mail.txt", "utf8").split("\n")[225]!;
    expect(mailLine).toContain("\\item[\\field{cdid}]");
    expect(cfg.fields.find((f) => f.name === "devid")!.description?.text).toMatch(/^This is used to identify the ism device in the single communication domain/);
  });

  it("takes every description from the item of that field", () => {
    const tree = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" });
    expect(ir.structs.flatMap((s) => allFields(s.fields)).filter((f) => f.description).length).toBeGreaterThan(5);
    // Lines of the post-patch tree are checked through the mail line (the tree exists only in memory).
    const mail = readFileSync("spec/seeds/virtio-ism-v3.mail.txt", "utf8").split("\n");
    const bad = tree.ir.structs.flatMap((s) =>
      allFields(s.fields)
        .filter((f) => f.description?.source.mail)
        .filter((f) => !mail[f.description!.source.mail!.line - 1]!.includes(`\\field{${f.name}}`))
        .map((f) => `${s.name}.${f.name}`),
    );
    expect(bad).toEqual([]);
  });
});

describe.skipIf(!existsSync(V14))("field descriptions across virtio 1.4", () => {
  let ir: SpecIR;
  beforeAll(() => {
    ir = runFrontEnd(V14).ir;
  }, 120_000);

  it("describes the fields the spec describes, each from its own item, and leaves feature lists alone", () => {
    const described = ir.structs.flatMap((s) => allFields(s.fields).filter((f) => f.description).map((f) => `${s.name}.${f.name}`));
    // The tree has 188 `\item[\field{…}]` lines; some describe fields of no listed struct (virtqueue descriptor
    // flags in prose, legacy layouts), so most but not all become field descriptions.
    expect(described.length).toBeGreaterThan(120);
    expect(misplaced(ir, V14)).toEqual([]);
    const blk = ir.structs.find((s) => s.name === "virtio_blk_config")!;
    expect(blk.fields.find((f) => f.name === "capacity")?.description).toBeUndefined(); // the spec describes capacity in a sentence, not an item
    // Words of the items, as the .tex files say them (transport-pci.tex:162, device-types/scsi/description.tex:74).
    const field = (struct: string, name: string) => ir.structs.find((s) => s.name === struct)!.fields.find((f) => f.name === name)!;
    expect(field("virtio_pci_cap", "cap_vndr").description).toMatchObject({ text: "0x09; Identifies a vendor-specific capability.", source: { file: "transport-pci.tex", line: 162 } });
    expect(field("virtio_scsi_config", "num_queues").description?.text).toMatch(/^is the total number of request virtqueues exposed by the device\. The driver MAY use only one request queue/);
  });
});
