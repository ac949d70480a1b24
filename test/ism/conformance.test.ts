/**
 * Runs every registered ISM conformance check (test/conformance/ism.checks.ts) and requires one for every
 * requirement the IR gives the ISM device, and none for anything else.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { SpecIR } from "../../grammar/ir/types.js";
import { runFrontEnd } from "../../grammar/pipeline.js";
import { loadSpecChecks } from "../conformance/registry.js";
import type { CheckRegistry } from "../conformance/registry.js";

let ir: SpecIR;
let registry: CheckRegistry;

beforeAll(async () => {
  ir = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" }).ir;
  registry = await loadSpecChecks("ism");
});

describe("ISM conformance checks", () => {
  it("cover every ISM requirement of the IR and nothing else", () => {
    const ids = ir.requirements.filter((r) => r.device === "ism").map((r) => r.id);
    expect(ids.length).toBe(45);
    expect(ids.filter((id) => !registry.has(id))).toEqual([]);
    expect(registry.staleIds(ids)).toEqual([]);
  });

  it("all pass", async () => {
    const failures: string[] = [];
    for (const id of registry.ids()) {
      try {
        await registry.get(id)!();
      } catch (e) {
        failures.push(`${id}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    expect(failures).toEqual([]);
    expect(registry.size).toBe(45);
  });
});
