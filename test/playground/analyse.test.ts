/**
 * The playground gives what the CLI gives: for both seeds and three v1.4 device chapters, the bundled (browser-
 * shimmed) analysis reports the same diagnostics as `virtiokit lint` on the same input (code, severity, file,
 * line, message) and the same struct sizes as the CLI's IR; and it generates the device's TypeScript.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic, SpecIR } from "../../grammar/ir/types.js";
import { diffIR } from "../../grammar/diff/index.js";
import { lint } from "../../grammar/lint/lint.js";
import { runFrontEnd } from "../../grammar/pipeline.js";
import type * as Analyse from "../../playground/analyse.js";
import { importBundledAnalyse, shippedTree } from "./bundle.js";

let an: typeof Analyse;
beforeAll(async () => {
  an = await importBundledAnalyse();
  an.loadTree(shippedTree("base-985bbf3", "spec/base-985bbf3"));
  an.loadTree(shippedTree("base-be7a82c", "spec/base-be7a82c"));
  an.loadTree(shippedTree("virtio-1.4", "spec/virtio-1.4"));
}, 60_000);

const brief = (d: Diagnostic): string => `${d.severity} ${d.code} ${d.source.file}:${d.source.line}:${d.source.column} ${d.message}`;
const sizes = (ir: SpecIR): string[] => ir.structs.map((s) => `${s.name} ${s.size ?? `>=${s.minSize}`}`);

function cli(input: string, base?: string): { diagnostics: string[]; sizes: string[] } {
  const fe = runFrontEnd(input, base ? { base } : {});
  return { diagnostics: lint(fe.doc, fe.ir, { scope: fe.patchScope }).map(brief), sizes: sizes(fe.ir) };
}

describe("playground analysis equals the CLI", () => {
  it.each([
    ["virtio-ism-v3", "base-985bbf3", "ism"],
    ["vhost-pci-net", "base-be7a82c", "vhost-pci-net"],
  ])("seed %s on %s", async (seed, base, device) => {
    const mail = `spec/seeds/${seed}.mail.txt`;
    const r = await an.analyse({ kind: "mail", text: readFileSync(mail, "utf8"), base, name: `${seed}.mail.txt` });
    const want = cli(mail, `spec/${base}`);
    expect(r.fatal).toBeUndefined();
    expect(r.diagnostics.map(brief).map((l) => l.replace(`input/${seed}.mail.txt`, mail))).toEqual(want.diagnostics);
    expect(sizes(r.ir!)).toEqual(want.sizes);
    expect(r.device).toBe(device);
    expect(r.generated.map((f) => f.path)).toContain("structs.ts");
    expect(r.patch).toMatch(/^diff --git /m);
  });

  it.each(["device-types/net/description.tex", "device-types/blk/description.tex", "device-types/gpu/description.tex"])("v1.4 chapter %s", async (file) => {
    const r = await an.analyse({ kind: "tree", tree: "virtio-1.4", file });
    const want = cli(`spec/virtio-1.4/${file}`);
    expect(r.fatal).toBeUndefined();
    expect(r.diagnostics.map(brief)).toEqual(want.diagnostics);
    expect(sizes(r.ir!)).toEqual(want.sizes);
    expect(r.ir!.structs.length).toBeGreaterThan(3);
  });

  it("a mail that does not apply is reported as the CLI reports it, with no partial result", async () => {
    const r = await an.analyse({ kind: "mail", text: "From: x\nSubject: [PATCH] y\n\n--- a/content.tex\n+++ b/content.tex\n@@ -1,1 +1,1 @@\n-no such line\n+z\n", base: "base-985bbf3" });
    expect(r.fatal?.length).toBeGreaterThan(0);
    expect(r.ir).toBeUndefined();
    expect(r.generated).toEqual([]);
  });

  it("diff mode: a seed against its base tree gives what `virtiokit diff <mail> --base` gives", async () => {
    const mail = "spec/seeds/vhost-pci-net.mail.txt";
    const r = await an.analyse({ kind: "mail", text: readFileSync(mail, "utf8"), base: "base-be7a82c" }, undefined, { kind: "base" });
    const want = diffIR(runFrontEnd("spec/base-be7a82c").ir, runFrontEnd(mail, { base: "spec/base-be7a82c" }).ir);
    expect(r.diff?.against).toBe("the base tree base-be7a82c");
    expect(r.diff!.changes.map((c) => `${c.class} ${c.kind} ${c.path} ${c.message}`)).toEqual(want.map((c) => `${c.class} ${c.kind} ${c.path} ${c.message}`));
    expect(want.some((c) => c.class === "additive")).toBe(true);
  });
});
