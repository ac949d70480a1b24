/**
 * `lint --all` on the released virtio 1.4: every error is a defect of the spec text, pinned with its quoted
 * line and why in test/fixtures/lint/v1.4-errors.txt. A new error (a false one, or a new rule finding a real
 * defect) fails here until it is justified in the fixture; an error that disappears fails too.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lint } from "../../../grammar/lint/lint.js";
import { runFrontEnd } from "../../../grammar/pipeline.js";

const V14 = "../shared/virtio-spec/v1.4";

describe.skipIf(!existsSync(V14))("lint --all on virtio 1.4", () => {
  if (!existsSync(V14)) {
    it.skip("needs ../shared/virtio-spec/v1.4", () => {});
    return;
  }
  const pinned = () => {
    const lines = readFileSync("test/fixtures/lint/v1.4-errors.txt", "utf8").split("\n");
    const out: { key: string; quote: string; why: string }[] = [];
    for (let i = 0; i < lines.length; i++) {
      const m = /^(\S+:\d+:\d+ \[[a-z-]+\]) /.exec(lines[i]!);
      if (!m) continue;
      out.push({ key: m[1]!, quote: lines[i + 1]!.replace(/^ {2}> /, ""), why: lines[i + 2]!.replace(/^ {2}why: /, "") });
    }
    return out;
  };

  it("reports exactly the pinned errors, each quoted from its line and justified", () => {
    const fe = runFrontEnd(V14);
    const errors = lint(fe.doc, fe.ir).filter((d) => d.severity === "error");
    const got = errors.map((d) => `${d.source.file}:${d.source.line}:${d.source.column} [${d.code}]`).sort();
    const pins = pinned();
    expect(got).toEqual(pins.map((p) => p.key).sort());
    // Nearly all of 628 errors were false before the rules read the spec's tables, item lists and macros.
    expect(got.length).toBeLessThan(80);
    for (const p of pins) {
      const [file, line] = p.key.split(":");
      const text = readFileSync(join(V14, file!), "utf8").split("\n")[Number(line) - 1]!.trim();
      expect(text, p.key).toBe(p.quote);
      expect(p.why.length, p.key).toBeGreaterThan(20);
    }
  });

  it("reports no error for names defined in tables, \\item NAME (n) lists or opcode sentences, nor for the build's macros", () => {
    const fe = runFrontEnd(V14);
    const errors = lint(fe.doc, fe.ir).filter((d) => d.severity === "error");
    const names = new Set(errors.map((d) => /^(\S+) is used/.exec(d.message)?.[1]).filter(Boolean));
    for (const n of ["VIRTIO_ADMIN_CMD_LIST_USE", "VIRTIO_ADMIN_STATUS_EINVAL", "VIRTIO_CRYPTO_F_REVISION_1", "VIRTIO_CONSOLE_DEVICE_ADD", "VIRTIO_ADMIN_CMD_DRIVER_CAP_SET", "VIRTIO_CRYPTO_STATUS"]) {
      expect(names.has(n), n).toBe(false);
    }
    expect(errors.filter((d) => d.code === "unknown-macro").map((d) => d.message)).toEqual(["unknown macro \\note"]);
    expect(errors.filter((d) => d.code === "dangling-ref")).toEqual([]);
    const notes = lint(fe.doc, fe.ir).filter((d) => d.code === "macro-from-missing-input").map((d) => d.message);
    expect(notes.some((m) => m.startsWith("\\virtiorev ") && m.includes("setup-generated.tex"))).toBe(true);
  });
});
