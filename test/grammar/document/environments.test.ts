/**
 * Environments the document stage reads as tables. `xltabular` is the table environment the admin chapter used
 * from aa4f6f0 (2023) until 459f1aa (2024) replaced it with `ltablex`: the trees in between must read, not stop at
 * an unknown environment.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError, runFrontEnd } from "../../../grammar/pipeline.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tree(tex: string): string {
  const dir = mkdtempSync(join(tmpdir(), "vk-doc-env-"));
  dirs.push(dir);
  writeFileSync(join(dir, "content.tex"), tex);
  return dir;
}

describe("table environments", () => {
  it("reads an xltabular's rows as a table, and the names it defines count as defined", () => {
    const fe = runFrontEnd(
      tree(
        [
          "\\chapter{Admin}\\label{sec:admin}",
          "\\begin{xltabular}{\\textwidth}{|l|X|}",
          "\\hline",
          "Opcode & Name \\\\",
          "\\hline",
          "0x0010 & VIRTIO_ADMIN_CMD_DEV_PARTS_GET \\\\",
          "\\hline",
          "\\end{xltabular}",
          "",
        ].join("\n"),
      ),
    );
    expect(fe.doc.fatal).toBeUndefined();
    const tables = fe.doc.sections.flatMap((s) => s.blocks.filter((b) => b.kind === "table"));
    expect(tables).toHaveLength(1);
    expect(tables[0]!.kind === "table" && tables[0]!.rows).toEqual([
      ["Opcode", "Name"],
      ["0x0010", "VIRTIO_ADMIN_CMD_DEV_PARTS_GET"],
    ]);
  });

  it("still refuses an environment nobody defines, at its position", () => {
    let error: unknown;
    try {
      runFrontEnd(tree("\\chapter{A}\n\\begin{mystery}\nx\n\\end{mystery}\n"));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    const d = (error as InputError).diagnostics[0]!;
    expect(d.code).toBe("unknown-environment");
    expect(d.source).toMatchObject({ line: 2 });
  });
});
