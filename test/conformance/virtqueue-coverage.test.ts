/**
 * Every normative sentence of the v1.4 sections on split and packed virtqueues, their notifications and the
 * reserved feature bits has an executable check in virtio-1-4-common.checks.ts or a todo saying why not; the
 * figures are printed.
 */
import { describe, expect, it } from "vitest";
import { runFrontEnd } from "../../grammar/pipeline.js";
import { loadSpecChecks } from "./registry.js";

const SECTIONS = /^(?:device|driver)normative:(?:Basic Facilities of a Virtio Device \/ (?:Virtqueues|Packed Virtqueues|PAcked Virtqueues)\b|Reserved Feature Bits$)/;

describe("virtqueue requirements of virtio 1.4", () => {
  it("each has a check or a todo with a reason", async () => {
    const ir = runFrontEnd("spec/virtio-1.4").ir;
    const registry = await loadSpecChecks("virtio-1-4-common");
    const inSections = ir.requirements.filter((r) => r.device === undefined && SECTIONS.test(r.section));
    const unaccounted = inSections.filter((r) => !registry.has(r.id) && registry.todoReason(r.id) === undefined).map((r) => r.id);
    expect(unaccounted).toEqual([]);
    const checked = inSections.filter((r) => registry.has(r.id));
    const must = inSections.filter((r) => /^MUST/.test(r.level));
    console.log(
      `virtqueue conformance: ${inSections.length} requirements, ${checked.length} with a check, ${inSections.length - checked.length} todo with a reason; ` +
        `MUST/MUST NOT: ${must.filter((r) => registry.has(r.id)).length}/${must.length} checked`,
    );
    expect(checked.length).toBeGreaterThanOrEqual(50);
    // Every check names a requirement of the spec (the generated suite also says so, as its last case).
    const ids = new Set(ir.requirements.map((r) => r.id));
    expect(registry.ids().filter((id) => !ids.has(id))).toEqual([]);
  });
});
