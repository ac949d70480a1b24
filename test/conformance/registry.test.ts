import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CheckRegistry, CheckRegistryError, loadSpecChecks, registryFor } from "./registry.js";

function refusal(f: () => unknown): CheckRegistryError {
  try {
    f();
  } catch (e) {
    if (e instanceof CheckRegistryError) return e;
    throw e;
  }
  throw new Error("expected a CheckRegistryError");
}

describe("CheckRegistry", () => {
  it("returns the check registered for an id, and lists ids in registration order", () => {
    const r = new CheckRegistry("unit");
    const a = () => {};
    const b = async () => {};
    r.check("x#2", a);
    r.check("x#1", b);
    expect(r.get("x#2")).toBe(a);
    expect(r.get("x#1")).toBe(b);
    expect(r.get("x#3")).toBeUndefined();
    expect(r.has("x#1")).toBe(true);
    expect(r.ids()).toEqual(["x#2", "x#1"]);
    expect(r.size).toBe(2);
  });

  it("works when `check` is destructured (the check files' idiom)", () => {
    const r = new CheckRegistry("unit");
    const { check } = r;
    check("x#1", () => {});
    expect(r.ids()).toEqual(["x#1"]);
  });

  it("records a todo reason, refuses a todo beside a check (or twice), and counts stale todos", () => {
    const r = new CheckRegistry("unit");
    const { check, todo } = r;
    todo("x#1", "the transport is not modelled");
    expect(r.todoReason("x#1")).toBe("the transport is not modelled");
    expect(r.get("x#1")).toBeUndefined();
    expect(r.size).toBe(0);
    expect(refusal(() => check("x#1", () => {})).reason).toBe("duplicate-check");
    expect(refusal(() => todo("x#1", "again")).reason).toBe("duplicate-check");
    check("x#2", () => {});
    expect(refusal(() => todo("x#2", "why")).reason).toBe("duplicate-check");
    expect(refusal(() => todo("x#3", " ")).reason).toBe("invalid-id");
    expect(r.todoIds()).toEqual(["x#1"]);
    expect(r.staleIds(["x#2"])).toEqual(["x#1"]);
  });

  it("refuses a second check for the same id and keeps the first", () => {
    const r = new CheckRegistry("unit");
    const first = () => {};
    r.check("x#1", first);
    const err = refusal(() => r.check("x#1", () => {}));
    expect(err.reason).toBe("duplicate-check");
    expect(err.id).toBe("x#1");
    expect(err.spec).toBe("unit");
    expect(r.get("x#1")).toBe(first);
    expect(r.size).toBe(1);
  });

  it.each([[""], ["   "], [42 as unknown as string], [undefined as unknown as string]])("refuses the id %j", (id) => {
    const r = new CheckRegistry("unit");
    expect(refusal(() => r.check(id, () => {})).reason).toBe("invalid-id");
    expect(r.size).toBe(0);
  });

  it("refuses a check that is not a function", () => {
    const r = new CheckRegistry("unit");
    expect(refusal(() => r.check("x#1", "assert(true)" as never)).reason).toBe("not-a-function");
    expect(r.size).toBe(0);
  });

  it.each(["", "../ism", "ISM", "a/b", "ism.checks", "-x"])("refuses the spec name %j", (name) => {
    expect(refusal(() => new CheckRegistry(name)).reason).toBe("invalid-spec-name");
    expect(refusal(() => registryFor(name)).reason).toBe("invalid-spec-name");
  });

  it("reports registered ids that are not among the known requirement ids as stale", () => {
    const r = new CheckRegistry("unit");
    r.check("a#1", () => {});
    r.check("gone#3", () => {});
    r.check("b#2", () => {});
    expect(r.staleIds(["a#1", "b#2", "c#1"])).toEqual(["gone#3"]);
    expect(r.staleIds([])).toEqual(["a#1", "gone#3", "b#2"]);
  });
});

describe("registryFor", () => {
  it("returns one registry per spec name", () => {
    expect(registryFor("unit-one")).toBe(registryFor("unit-one"));
    expect(registryFor("unit-one")).not.toBe(registryFor("unit-two"));
    expect(registryFor("unit-one").spec).toBe("unit-one");
  });
});

describe("loadSpecChecks", () => {
  const dir = mkdtempSync(join(tmpdir(), "virtiokit-checks-"));
  // Temporary check files are TypeScript importing the registry by absolute path, as the vitest-run suites
  // do (vite resolves the `.js` specifier to registry.ts; a plain .js outside the project would not be).
  const registryPath = fileURLToPath(new URL("./registry.js", import.meta.url));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("gives an empty registry for a spec without a check file", async () => {
    const r = await loadSpecChecks("no-such-spec", { directory: dir });
    expect(r.size).toBe(0);
  });

  it("imports the spec's check file from the given folder, which registers into the same registry", async () => {
    writeFileSync(
      join(dir, "unit-load.checks.ts"),
      `import { registryFor } from ${JSON.stringify(registryPath)};\n` +
        `const { check } = registryFor("unit-load");\ncheck("s#1", () => {});\ncheck("s#2", () => {});\n`,
    );
    const r = await loadSpecChecks("unit-load", { directory: pathToFileURL(`${dir}/`) });
    expect(r).toBe(registryFor("unit-load"));
    expect(r.ids()).toEqual(["s#1", "s#2"]);
  });

  it("turns a check file that throws on import into a typed error", async () => {
    writeFileSync(join(dir, "unit-broken.checks.ts"), `throw new Error("generated module missing");\n`);
    const err = await loadSpecChecks("unit-broken", { directory: dir }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CheckRegistryError);
    expect((err as CheckRegistryError).reason).toBe("check-file-failed");
    expect((err as CheckRegistryError).message).toContain("generated module missing");
  });

  it("turns a duplicate registration inside a check file into check-file-failed", async () => {
    writeFileSync(
      join(dir, "unit-dup.checks.ts"),
      `import { registryFor } from ${JSON.stringify(registryPath)};\n` +
        `const { check } = registryFor("unit-dup");\ncheck("s#1", () => {});\ncheck("s#1", () => {});\n`,
    );
    const err = await loadSpecChecks("unit-dup", { directory: dir }).catch((e: unknown) => e);
    expect((err as CheckRegistryError).reason).toBe("check-file-failed");
    expect((err as CheckRegistryError).cause).toBeInstanceOf(CheckRegistryError);
  });

  it("refuses a spec name that could escape the checks folder before touching the file system", async () => {
    const err = await loadSpecChecks("../etc", { directory: dir }).catch((e: unknown) => e);
    expect((err as CheckRegistryError).reason).toBe("invalid-spec-name");
  });
});
