import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DIAGNOSTIC_CODES, diagnosticCodeInfo } from "../../../grammar/diagnostics/codes.js";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === "build" ? [] : sources(p);
    return p.endsWith(".ts") ? [p] : [];
  });
}

describe("diagnostic code catalogue", () => {
  it("lists every code the document, IR and lint stages write (ingest codes are typed in ingest/errors.ts)", () => {
    const written = new Set<string>();
    for (const f of sources("grammar").filter((p) => !p.includes("/ingest/"))) {
      for (const m of readFileSync(f, "utf8").matchAll(/\bcode: "([a-z0-9-]+)"/g)) written.add(m[1]!);
    }
    expect(written.size).toBeGreaterThan(30);
    const missing = [...written].filter((c) => !diagnosticCodeInfo(c));
    expect(missing).toEqual([]);
  });

  it("gives every code a severity and a meaning", () => {
    for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
      expect(code).toMatch(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/);
      expect(info.severities.length).toBeGreaterThan(0);
      expect(info.meaning.length).toBeGreaterThan(10);
    }
    expect(diagnosticCodeInfo("no-such-code")).toBeUndefined();
    expect(diagnosticCodeInfo("constructor")).toBeUndefined();
  });
});
