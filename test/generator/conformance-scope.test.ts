import { describe, expect, it } from "vitest";
import {
  ConformanceScopeError,
  GENERAL_GROUP,
  assertSpecName,
  groupRequirements,
  levelsInOrder,
  selectRequirements,
} from "../../generator/conformance/scope.js";
import { makeIR } from "./conformance-fixture.js";

const PCI = "Virtio Transport Options / PCI / Common configuration";
const RESERVED = "Reserved Feature Bits";

const NEW = "Device Types / Alpha / New section";

/** An IR with three devices, patched and unpatched device-independent sections. */
function mixedIR() {
  return makeIR(
    ["alpha", "beta", "gamma"],
    [
      { path: "Device Types / Alpha / Operation", device: "alpha", line: 10, mail: 100 },
      { path: "Device Types / Alpha / Operation", device: "alpha", role: "driver", level: "SHOULD", line: 12 },
      { path: "Device Types / Beta / Operation", device: "beta", line: 20 },
      // Changed through one added sentence: the whole section is in scope.
      { path: PCI, line: 30, mail: 129, added: false },
      { path: PCI, line: 31, mail: 130 },
      { path: PCI, level: "MAY", line: 32 },
      // Heading and a sentence quoted as hunk context only: not changed, not in scope.
      { path: RESERVED, role: "driver", line: 40, mail: 141, added: false },
      // Untouched, device-independent.
      { path: "Basic Facilities / Status", line: 50 },
      // Another device, changed.
      { path: "Device Types / Gamma / Operation", device: "gamma", line: 60, mail: 160 },
      // A section the patch adds, whose sentences the IR did not tie to a mail line: the heading decides.
      { path: NEW, line: 70 },
    ],
    { [`drivernormative:${RESERVED}`]: { line: 139, added: false }, [`devicenormative:${NEW}`]: { line: 169, added: true } },
  );
}

describe("selectRequirements", () => {
  it("takes the listed devices' requirements and every requirement of a changed section, in document order", () => {
    const scoped = selectRequirements(mixedIR(), ["beta"]);
    expect(scoped.map((s) => [s.requirement.source.line, s.group, s.origin])).toEqual([
      [10, "alpha", "patch"],
      [20, "beta", "device"],
      [30, GENERAL_GROUP, "patch"],
      [31, GENERAL_GROUP, "patch"],
      [32, GENERAL_GROUP, "patch"],
      [60, "gamma", "patch"],
      [70, GENERAL_GROUP, "patch"],
    ]);
  });

  it("leaves out sections the mail only quotes as context, and untouched device-independent sections", () => {
    const lines = selectRequirements(mixedIR(), ["beta"]).map((s) => s.requirement.source.line);
    expect(lines).not.toContain(12); // same device section path, but the driver's section is unchanged
    expect(lines).not.toContain(40);
    expect(lines).not.toContain(50);
  });

  it("counts a listed device's requirement once, as the device's", () => {
    const scoped = selectRequirements(mixedIR(), ["alpha"]);
    expect(scoped.filter((s) => s.requirement.source.line === 10)).toEqual([expect.objectContaining({ origin: "device", group: "alpha" })]);
  });

  it("refuses a device the IR does not define, with a typed error", () => {
    const err = (() => {
      try {
        selectRequirements(mixedIR(), ["alpha", "delta"]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConformanceScopeError);
    expect((err as ConformanceScopeError).reason).toBe("unknown-device");
    expect((err as ConformanceScopeError).subject).toBe("delta");
  });
});

describe("groupRequirements", () => {
  it("orders listed devices as listed, then other patched devices, then the device-independent group", () => {
    const ir = mixedIR();
    const devices = ["beta", "alpha"];
    const groups = groupRequirements(ir, devices, selectRequirements(ir, devices));
    expect(groups.map((g) => [g.key, g.requirements.length])).toEqual([
      ["beta", 1],
      ["alpha", 2],
      ["gamma", 1],
      [GENERAL_GROUP, 4],
    ]);
    expect(groups[0]!.title).toBe("Beta Device");
  });

  it("keeps a listed device without requirements (as an empty group)", () => {
    const ir = makeIR(["alpha", "quiet"], [{ path: "Device Types / Alpha / Operation", device: "alpha", line: 10 }]);
    const groups = groupRequirements(ir, ["alpha", "quiet"], selectRequirements(ir, ["alpha", "quiet"]));
    expect(groups.map((g) => [g.key, g.requirements.length])).toEqual([
      ["alpha", 1],
      ["quiet", 0],
    ]);
  });
});

describe("levelsInOrder", () => {
  it("puts absolute levels before recommendations and permissions, and keeps each level once", () => {
    expect(levelsInOrder(["MAY", "SHOULD", "MUST NOT", "MUST", "MAY"])).toEqual(["MUST", "MUST NOT", "SHOULD", "MAY"]);
  });

  it("appends a level it does not know instead of dropping it", () => {
    // A future IR level must still be reported (cast: the type does not allow it today).
    expect(levelsInOrder(["MAY", "OUGHT" as never, "MUST"])).toEqual(["MUST", "MAY", "OUGHT"]);
  });
});

describe("assertSpecName", () => {
  it.each(["ism", "vhost-pci-net", "a1"])("accepts the slug %s", (name) => {
    expect(() => assertSpecName(name)).not.toThrow();
  });

  it.each(["", "ISM", "../ism", "ism/x", "-ism", "ism-", "a b", "ism.checks"])("refuses %j", (name) => {
    expect(() => assertSpecName(name)).toThrow(expect.objectContaining({ name: "ConformanceScopeError", reason: "invalid-spec-name" }));
  });
});
