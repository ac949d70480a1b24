/**
 * `npm run docs` (typedoc with typedoc.json: generated/<spec>/index.ts, runtime, runtime/codec, the IR types)
 * builds with zero warnings, and a generated symbol's page names its spec section and source line.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VirtioIsmConfigSchema } from "../../generated/ism/index.js";
import { VirtioPciCommonCfgSchema } from "../../generated/vhost-pci-net/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

let out: string;
let result: { status: number | null; output: string };

/** The visible text of an HTML page, whitespace collapsed (typedoc splits TSDoc lines and wraps code spans). */
function pageText(path: string): string {
  return readFileSync(path, "utf8")
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .replace(/ ([,.)])/g, "$1");
}

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "virtiokit-docs-"));
  const r = spawnSync(NPM, ["run", "-s", "docs", "--", "--out", out], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  if (r.error) throw r.error;
  // npm's own notices (e.g. about user config) are not typedoc's: keep typedoc's lines only.
  const output = `${r.stdout}\n${r.stderr}`
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("npm warn"))
    .join("\n");
  result = { status: r.status, output };
}, 200_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe("npm run docs", () => {
  it("exits 0 with no warning or error", () => {
    expect(result.output.split("\n").filter((l) => /\[(warning|error)\]/.test(l))).toEqual([]);
    expect(result.status).toBe(0);
  });

  it.each([
    ["ism", "functions/generated_ism.decodeVirtioIsmConfig.html", VirtioIsmConfigSchema],
    ["vhost-pci-net", "interfaces/generated_vhost-pci-net.VirtioPciCommonCfg.html", VirtioPciCommonCfgSchema],
  ])("%s: a generated symbol's page names its spec section and source line", (_spec, page, schema) => {
    // typedoc writes nothing when a warning is an error: say so instead of failing on a missing file.
    expect(result.status, "typedoc did not build the docs (see the warnings above)").toBe(0);
    const text = pageText(join(out, page));
    expect(text).toContain(schema.section.replace(/^sec:/, ""));
    // `file:line`, plus the mail line when the definition came from the mail.
    expect(schema.source).toMatch(/^[\w./-]+\.tex:\d+/);
    expect(text).toContain(schema.source);
  });
});
