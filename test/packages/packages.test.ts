/**
 * The published packages, as other projects see them: `packages/stage.mjs` stages `virtiokit`,
 * `virtiokit-virtio-1.4` and `virtiokit-cli` from dist/ (the pretest step builds it), `npm pack` packs each, and
 * fresh `type: module` projects install the tarballs:
 *
 * - one installs only `virtiokit`, offline: under 3 MB of node_modules, no install script, and the README's
 *   consumer example runs as plain ESM and type-checks under TypeScript `nodenext` without @types/node;
 * - the codec entry points bundle for a browser (esbuild, platform `browser`: a `node:` import fails the build),
 *   and the bundled example runs in a bare JavaScript realm (no Node globals);
 * - one installs `virtiokit` and `virtiokit-virtio-1.4`: the 1.4 codecs share virtiokit's `CodecError`;
 * - one installs `virtiokit-cli` and runs the `virtiokit` command (its dependencies from npm's cache).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** What the packages are staged from: pack only a built tree. */
const BUILT = ["dist/generated/ism/index.js", "dist/generated/virtio-1.4/block/index.js", "dist/runtime/index.js", "dist/grammar/ir/types.js", "dist/cli/main.js", "dist/generator/report/templates/coverage.txt.hbs"];

type Name = "virtiokit" | "virtiokit-virtio-1.4" | "virtiokit-cli";
let tmp: string;
const tarball = {} as Record<Name, string>;
const tarFiles = {} as Record<Name, string[]>;
const staged = {} as Record<Name, string>;

function run(cmd: string, args: string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, env: { ...process.env, npm_config_update_notifier: "false", NO_COLOR: "1" } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function project(name: string, extra: Record<string, unknown> = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module", ...extra }, null, 2));
  return dir;
}

/** Apparent size of a folder's files, in bytes. */
function bytes(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((n, d) => n + (d.isDirectory() ? bytes(join(dir, d.name)) : statSync(join(dir, d.name)).size), 0);
}

/** The README's consumer example: the ```js block after its marker comment. */
function readmeExample(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const m = /<!-- consumer example[^>]*-->\s*```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error("README.md has no consumer example (a ```js block after `<!-- consumer example … -->`)");
  return m[1]!;
}

/** Pins the CLI consumer's install to our lockfile's versions (npm `overrides`), names locked at one version. */
function lockedRuntimeVersions(): Record<string, string> {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { version?: string; dev?: boolean }> };
  const seen = new Map<string, Set<string>>();
  for (const [path, meta] of Object.entries(lock.packages)) {
    if (!path || meta.dev || !meta.version) continue;
    const name = path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
    seen.set(name, (seen.get(name) ?? new Set()).add(meta.version));
  }
  return Object.fromEntries([...seen].filter(([, v]) => v.size === 1).map(([name, v]) => [name, [...v][0]!]));
}

let codecOnly: string;
let withV14: string;
let cliUser: string;

beforeAll(() => {
  const missing = BUILT.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) throw new Error(`dist/ is not built (missing ${missing.join(", ")}): run \`npm run build\` first`);
  tmp = mkdtempSync(join(tmpdir(), "virtiokit-packages-"));
  Object.assign(staged, JSON.parse(ok(run(process.execPath, [join(ROOT, "packages/stage.mjs"), "--out", join(tmp, "staged")], ROOT), "packages/stage.mjs")));
  for (const name of ["virtiokit", "virtiokit-virtio-1.4", "virtiokit-cli"] as const) {
    const packed = JSON.parse(ok(run(NPM, ["pack", "--json", "--pack-destination", tmp], staged[name]), `npm pack ${name}`)) as { filename: string; files: { path: string }[] }[];
    tarball[name] = join(tmp, packed[0]!.filename);
    tarFiles[name] = packed[0]!.files.map((f) => f.path);
  }
  // Offline and with scripts allowed: the codec packages need nothing from a registry and run nothing.
  codecOnly = project("codec-only");
  ok(run(NPM, ["install", "--offline", "--no-audit", "--no-fund", tarball.virtiokit], codecOnly), "npm install virtiokit");
  withV14 = project("with-v14");
  ok(run(NPM, ["install", "--offline", "--no-audit", "--no-fund", tarball.virtiokit, tarball["virtiokit-virtio-1.4"]], withV14), "npm install virtiokit-virtio-1.4");
  // The CLI's dependencies come from npm's cache where `npm ci` put them (not --offline: a fresh machine has the
  // tarballs but not all registry metadata), pinned to the lockfile's versions.
  cliUser = project("cli-user", { overrides: lockedRuntimeVersions() });
  ok(run(NPM, ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball["virtiokit-cli"]], cliUser, 180_000), "npm install virtiokit-cli");
}, 300_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the codec package (virtiokit)", () => {
  it("has no dependencies and no scripts, ships no source maps and no TypeScript sources", () => {
    const pkg = JSON.parse(readFileSync(join(codecOnly, "node_modules/virtiokit/package.json"), "utf8")) as Record<string, unknown>;
    expect(pkg.version).toBe(VERSION);
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.scripts).toBeUndefined();
    expect(pkg.bin).toBeUndefined();
    const files = tarFiles.virtiokit;
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(files.filter((f) => /\.(test|bench)\.|^dist\/(cli|generator)\//.test(f))).toEqual([]);
    const mapped = files.filter((f) => f.endsWith(".js") && readFileSync(join(staged.virtiokit, f), "utf8").includes("sourceMappingURL"));
    expect(mapped).toEqual([]);
  });

  it("installs offline into under 3 MB of node_modules, with nothing else beside it", () => {
    const modules = join(codecOnly, "node_modules");
    expect(readdirSync(modules).filter((n) => !n.startsWith("."))).toEqual(["virtiokit"]);
    expect(bytes(modules)).toBeLessThan(3_000_000);
  });

  it("runs the README's consumer example as plain ESM: a request encoded, carried over a split virtqueue, decoded, and the reply back", () => {
    writeFileSync(join(codecOnly, "example.mjs"), readmeExample());
    const show = "const { result } = await import('./example.mjs'); console.log(JSON.stringify(result, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)));";
    const r = run(process.execPath, ["--input-type=module", "-e", show], codecOnly);
    expect(r.stderr).toBe("");
    // The device decoded what the driver encoded (1 MiB at 0x8000), the driver decoded what the device wrote.
    expect(JSON.parse(r.stdout)).toEqual({ command: "ALLOC_REGION", size: "1048576n", buffer: "32768n", token: "7n", chunks: ["0n"] });
  });

  it("type-checks the example under TypeScript 6 nodenext with no @types/node and skipLibCheck off, and rejects a wrong field type", () => {
    expect(ok(run(process.execPath, [TSC, "--version"], codecOnly), "tsc --version")).toMatch(/^Version 6\./);
    writeFileSync(join(codecOnly, "example.ts"), readmeExample());
    writeFileSync(
      join(codecOnly, "wrong.ts"),
      [
        'import { encodeVirtioIsmEventUpdate, type VirtioIsmEventUpdate } from "virtiokit/ism";',
        'import { CodecError } from "virtiokit/runtime/codec";',
        'import type { SpecIR } from "virtiokit/ir";',
        "// @ts-expect-error devid is a 64-bit field: a bigint, not a number",
        "const wrong: VirtioIsmEventUpdate = { ev_type: 1n, offset: 0n, devid: 2 };",
        "const written: number = encodeVirtioIsmEventUpdate({ ev_type: 1n, offset: 0n, devid: 2n }, new Uint8Array(24));",
        "const requirements = (ir: SpecIR): number => ir.requirements.length;",
        "export { wrong, written, requirements, CodecError };",
      ].join("\n"),
    );
    writeFileSync(
      join(codecOnly, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", lib: ["ES2023"], module: "nodenext", moduleResolution: "nodenext", strict: true, noEmit: true, types: [], skipLibCheck: false },
        files: ["example.ts", "wrong.ts"],
      }),
    );
    const r = run(process.execPath, [TSC, "-p", "tsconfig.json"], codecOnly);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("cannot be reached past its exports map", () => {
    writeFileSync(join(codecOnly, "private.mjs"), 'await import("virtiokit/dist/runtime/memory/guest-memory.js");\n');
    const r = run(process.execPath, ["private.mjs"], codecOnly);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});

describe("the codec entry points in a browser bundle", () => {
  /** Every codec entry point: the seeds' codecs, the runtime, the IR, and each virtio 1.4 device. */
  const codecEntries = (): string[] => [
    "virtiokit/ism",
    "virtiokit/vhost-pci-net",
    "virtiokit/runtime",
    "virtiokit/runtime/codec",
    "virtiokit/ir",
    ...readdirSync(join(withV14, "node_modules/virtiokit-virtio-1.4"), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => `virtiokit-virtio-1.4/${d.name}`),
  ];

  it("bundles each with esbuild for platform browser: no node: import anywhere they reach", async () => {
    const entries = codecEntries();
    expect(entries.length).toBeGreaterThan(25);
    const dir = join(withV14, "entries");
    mkdirSync(dir, { recursive: true });
    const files = entries.map((e, i) => {
      const f = join(dir, `entry-${i}.mjs`);
      writeFileSync(f, `export * from ${JSON.stringify(e)};\n`);
      return f;
    });
    const result = await build({ entryPoints: files, bundle: true, platform: "browser", format: "esm", write: false, outdir: join(withV14, "out"), metafile: true, logLevel: "silent" });
    expect(result.errors).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((i) => i.startsWith("node:") || i.includes("(disabled)"))).toEqual([]);
    // Each entry's bundle exports what its package does (not an empty re-export).
    const outputs = Object.values(result.metafile.outputs);
    expect(outputs).toHaveLength(entries.length);
    expect(outputs.filter((o) => o.exports.length === 0).map((o) => o.entryPoint)).toEqual([]);
  });

  it("runs the README example, bundled, in a bare JavaScript realm with no Node globals", async () => {
    writeFileSync(join(withV14, "example.mjs"), readmeExample());
    const bundled = await build({ entryPoints: [join(withV14, "example.mjs")], bundle: true, platform: "browser", format: "iife", globalName: "example", write: false, logLevel: "silent" });
    const realm: Record<string, unknown> = {};
    runInNewContext(`${bundled.outputFiles[0]!.text}\nglobalThis.out = example.result;`, realm);
    expect(Object.keys(realm).sort()).toEqual(["example", "out"]);
    expect(realm.out).toMatchObject({ command: "ALLOC_REGION", size: 1n << 20n, token: 7n });
  });
});

describe("the virtio 1.4 package (virtiokit-virtio-1.4)", () => {
  it("depends on virtiokit only, and its codecs throw virtiokit's CodecError", () => {
    const pkg = JSON.parse(readFileSync(join(withV14, "node_modules/virtiokit-virtio-1.4/package.json"), "utf8")) as { dependencies: Record<string, string>; scripts?: unknown };
    expect(pkg.dependencies).toEqual({ virtiokit: VERSION });
    expect(pkg.scripts).toBeUndefined();
    expect(tarFiles["virtiokit-virtio-1.4"].filter((f) => f.endsWith(".map") || /\.test\./.test(f))).toEqual([]);
    writeFileSync(
      join(withV14, "use.mjs"),
      [
        'import { decodeVirtioBlkConfig, VirtioBlkConfigSize } from "virtiokit-virtio-1.4/block";',
        'import { VirtioPciCommonCfgSchema } from "virtiokit-virtio-1.4/common";',
        'import { CodecError } from "virtiokit/runtime/codec";',
        "let caught;",
        "try { decodeVirtioBlkConfig(new Uint8Array(2)); } catch (e) { caught = e; }",
        "console.log(JSON.stringify({ size: VirtioBlkConfigSize, shared: caught instanceof CodecError, reason: caught.reason, common: VirtioPciCommonCfgSchema.name }));",
      ].join("\n"),
    );
    const r = run(process.execPath, ["use.mjs"], withV14);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { size: number; shared: boolean; reason: string; common: string };
    expect(out).toMatchObject({ shared: true, reason: "short-buffer", common: "virtio_pci_common_cfg" });
    expect(out.size).toBeGreaterThan(2);
  });
});

describe("the CLI package (virtiokit-cli)", () => {
  it("ships the command, its templates and compiled checks, no sources, maps or tests", () => {
    const files = tarFiles["virtiokit-cli"];
    for (const f of [...BUILT, "dist/test/conformance/registry.js", "dist/test/conformance/ism.checks.js", "spec/specs.json", "package.json"]) expect(files, f).toContain(f);
    expect(files.filter((f) => f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")))).toEqual([]);
    expect(files.filter((f) => /\.(test|bench)\.|conformance\/suite|^spec\/history\//.test(f))).toEqual([]);
  });

  it("one install gives the virtiokit command: --version, and a conformance run from the installed package", () => {
    const bin = join(cliUser, "node_modules/.bin/virtiokit");
    const version = run(bin, ["--version"], cliUser);
    expect(version.stdout).toBe(`virtiokit ${VERSION}\n`);
    const r = run(bin, ["conformance", "--spec", "vhost-pci-net"], cliUser);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^vhost-pci-net: .*\n {2}\d+ requirements in scope, \d+ with a check: \d+ passing, 0 failing\n/);
    expect(r.status).toBe(0);
  });
});
