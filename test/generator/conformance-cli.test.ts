/**
 * `virtiokit conformance` end to end: the compiled CLI (dist/, built by `npm run build` / the pretest step)
 * on a tiny one-device spec with check files written per test, and on the real manifest.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "dist/cli/main.js");
const REGISTRY_URL = new URL("../../dist/test/conformance/registry.js", import.meta.url).href;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Result {
  const r = spawnSync(process.execPath, [CLI, "conformance", ...args], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TINY_TEX = String.raw`\section{Tiny Device}\label{sec:Device Types / Tiny Device}

\subsection{Device ID}\label{sec:Device Types / Tiny Device / Device ID}

99

\subsection{Device Operation}\label{sec:Device Types / Tiny Device / Device Operation}

The device answers requests.

\devicenormative{\subsubsection}{Device Operation}{Device Types / Tiny Device / Device Operation}

The device MUST answer every request. The device SHOULD answer quickly.
The device MAY sleep between requests.

\drivernormative{\subsubsection}{Device Operation}{Device Types / Tiny Device / Device Operation}

The driver MUST NOT send an empty request.
`;

const DEV = "devicenormative:Device Types / Tiny Device / Device Operation";
const DRV = "drivernormative:Device Types / Tiny Device / Device Operation";

let dir: string;
let manifest: string;

/** Writes `<dir>/checks-<name>/tiny.checks.js` registering `body` and returns the folder. */
function checksDir(name: string, body: string): string {
  const d = join(dir, `checks-${name}`);
  mkdirSync(d, { recursive: true });
  writeFileSync(
    join(d, "tiny.checks.js"),
    `import assert from "node:assert/strict";\nimport { registryFor } from ${JSON.stringify(REGISTRY_URL)};\n` +
      `const { check } = registryFor("tiny");\n${body}\n`,
  );
  return d;
}

beforeAll(() => {
  if (!existsSync(CLI) || !existsSync(fileURLToPath(REGISTRY_URL))) {
    throw new Error("dist/ is not built: run `npm run build` (the pretest step) first");
  }
  dir = mkdtempSync(join(tmpdir(), "virtiokit-conformance-cli-"));
  mkdirSync(join(dir, "spec"));
  writeFileSync(join(dir, "spec", "tiny.tex"), TINY_TEX);
  manifest = join(dir, "spec", "specs.json");
  writeFileSync(manifest, JSON.stringify({ specs: [{ name: "tiny", title: "Tiny test device", mail: "tiny.tex", devices: ["tiny"], out: "../out" }] }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("virtiokit conformance on a tiny spec", () => {
  it("exits 0 and prints coverage per role and level when every check passes", () => {
    const checks = checksDir("ok", `check(${JSON.stringify(`${DEV}#1`)}, () => assert.ok(true));\ncheck(${JSON.stringify(`${DEV}#2`)}, async () => {});`);
    const r = cli("--manifest", manifest, "--checks", checks);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "tiny: Tiny test device",
        "  4 requirements in scope, 2 with a check: 2 passing, 0 failing",
        "  Tiny Device (tiny): 4 requirements",
        "    device MUST:       1/1 passing",
        "    device SHOULD:     1/1 passing",
        `      covered (passing): ${DEV}#2`,
        "    device MAY:        0/1 passing",
        "    driver MUST NOT:   0/1 passing",
        "",
      ].join("\n"),
    );
  });

  it("exits 1 and names the failing and the stale checks", () => {
    const checks = checksDir(
      "bad",
      `check(${JSON.stringify(`${DEV}#1`)}, () => assert.equal(2, 3, "no answer"));\n` +
        `check(${JSON.stringify(`${DRV}#1`)}, () => {});\ncheck(${JSON.stringify(`${DEV}#9`)}, () => {});`,
    );
    const r = cli("--manifest", manifest, "--checks", checks);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("  4 requirements in scope, 2 with a check: 1 passing, 1 failing, 1 stale\n");
    expect(r.stdout).toContain("    device MUST:       0/1 passing (1 failing)\n");
    expect(r.stdout).toMatch(new RegExp(`      FAILING ${escape(`${DEV}#1`)}: AssertionError: no answer`));
    expect(r.stdout).toContain(`  STALE check ${DEV}#9 (not-in-ir)\n`);
    expect(r.stdout).toContain("    driver MUST NOT:   1/1 passing\n");
  });

  it("--json gives the report models, with outcomes", () => {
    const checks = checksDir("json", `check(${JSON.stringify(`${DEV}#3`)}, () => { throw new Error("awake"); });`);
    const r = cli("--manifest", manifest, "--checks", checks, "--json");
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { specs: { spec: { name: string }; total: number; failing: number; groups: { levels: { level: string; rows: { id: string; check: string; failure?: string }[] }[] }[] }[] };
    expect(out.specs.map((s) => [s.spec.name, s.total, s.failing])).toEqual([["tiny", 4, 1]]);
    const may = out.specs[0]!.groups[0]!.levels.find((l) => l.level === "MAY")!;
    expect(may.rows).toEqual([expect.objectContaining({ id: `${DEV}#3`, check: "failing", failure: "Error: awake" })]);
  });

  it("--markdown prints the report with a check column", () => {
    const checks = checksDir("md", `check(${JSON.stringify(`${DEV}#1`)}, () => {});`);
    const r = cli("--manifest", manifest, "--checks", checks, "--markdown");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("| id | requirement | section | source | check |");
    expect(r.stdout).toContain(`| \`${DEV}#1\` | The device MUST answer every request. |`);
    expect(r.stdout).toMatch(/tiny\.tex:\d+ \| passing \|/);
    expect(r.stdout).toMatch(/tiny\.tex:\d+ \| missing \|/);
  });

  it("exits 2 when a check file throws on import", () => {
    const d = join(dir, "checks-throw");
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, "tiny.checks.js"), `throw new Error("cannot import generated/tiny");\n`);
    const r = cli("--manifest", manifest, "--checks", d);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot import generated/tiny");
  });

  it("runs with no checks at all: everything missing, exit 0", () => {
    const empty = join(dir, "empty-checks");
    mkdirSync(empty, { recursive: true });
    const r = cli("--manifest", manifest, "--checks", empty);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("4 requirements in scope, 0 with a check");
  });
});

describe("virtiokit conformance refuses unusable input with exit 2", () => {
  it.each([
    [["--spec", "nope"], "no spec named \"nope\""],
    [["--json", "--markdown"], "exclude each other"],
    [["--timeout", "0"], "--timeout"],
    [["--timeout", "1e3"], "--timeout"],
    [["--bogus"], "Unknown option"],
  ])("%j", (args, message) => {
    const r = cli("--manifest", manifest, ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it("a manifest that is not JSON, or names an unknown device", () => {
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ specs: [");
    expect(cli("--manifest", broken).code).toBe(2);
    const wrongDevice = join(dir, "spec", "wrong.json");
    writeFileSync(wrongDevice, JSON.stringify({ specs: [{ name: "tiny", mail: "tiny.tex", devices: ["tinny"], out: "../out" }] }));
    const r = cli("--manifest", wrongDevice);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('device "tinny" is not defined');
  });

  it("an input that does not exist", () => {
    const missing = join(dir, "spec", "missing.json");
    writeFileSync(missing, JSON.stringify({ specs: [{ name: "tiny", mail: "nowhere.mail.txt", devices: ["tiny"], out: "../out" }] }));
    const r = cli("--manifest", missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("its input cannot be used");
  });
});

describe("virtiokit conformance on the shipped manifest", () => {
  it("runs every registered check of every suite with a check file (both seeds, v1.4's common part), all passing, none stale", () => {
    const r = cli("--json");
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { specs: { spec: { name: string }; total: number; checked: number; passing: number; failing: number; stale: unknown[]; todo: number }[] };
    // The split v1.4 tree's suites run when they have checks: its device-independent one does.
    expect(out.specs.map((s) => s.spec.name)).toEqual(["ism", "vhost-pci-net", "virtio-1-4-common"]);
    // Its check file gives a reason for each virtqueue requirement it does not check; the report counts them.
    expect(out.specs.map((s) => s.todo)).toEqual([0, 0, expect.any(Number)]);
    expect(out.specs[2]!.todo).toBeGreaterThan(0);
    for (const s of out.specs) {
      expect(s.checked, `${s.spec.name} has checks`).toBeGreaterThan(0);
      expect([s.passing, s.failing, s.stale]).toEqual([s.checked, 0, []]);
    }
    expect(r.code).toBe(0);
  });
  it("--spec names one suite of the split v1.4 tree: a device with no checks reports them all missing, exit 0", () => {
    const r = cli("--spec", "virtio-1-4-gpu", "--json");
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { specs: { spec: { name: string; devices: string[] }; total: number; checked: number }[] };
    expect(out.specs.map((s) => [s.spec.name, s.spec.devices, s.checked])).toEqual([["virtio-1-4-gpu", ["gpu"], 0]]);
    expect(out.specs[0]!.total).toBeGreaterThan(0);
    expect(r.code).toBe(0);
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
