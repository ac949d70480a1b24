/**
 * The published package, as another project sees it: `npm pack` the checkout (dist/ must be built: the
 * pretest step does it), install the tarball into a fresh `type: module` project (from npm's cache where it can:
 * `--prefer-offline`), and use
 * `virtiokit/ism`, `virtiokit/vhost-pci-net`, `virtiokit/runtime` and `virtiokit/ir` from plain Node ESM and
 * from TypeScript (NodeNext), plus the installed `virtiokit` command.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** What the exports map points at: pack only a built tree. */
const BUILT = [
  "dist/generated/ism/index.js",
  "dist/generated/ism/index.d.ts",
  "dist/generated/vhost-pci-net/index.js",
  "dist/runtime/index.js",
  "dist/grammar/ir/types.js",
  "dist/cli/main.js",
  "dist/generator/report/templates/coverage.txt.hbs",
];

let tmp: string;
let consumer: string;
let tarball: string;
let tarList: string[];

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: 120_000, env: { ...process.env, npm_config_update_notifier: "false" } });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * Pins the consumer's install to the dependency versions of our lockfile (npm `overrides`): what CI verified
 * and whose tarballs `npm ci` just put in npm's cache. Without it npm could pick a newer version than the one
 * tested. Names locked at two versions are left alone.
 */
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

beforeAll(() => {
  const missing = BUILT.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) throw new Error(`dist/ is not built (missing ${missing.join(", ")}): run \`npm run build\` first`);
  tmp = mkdtempSync(join(tmpdir(), "virtiokit-pack-"));
  // --ignore-scripts: dist/ is already built (checked above), so `prepare` would only rebuild it.
  const packed = JSON.parse(ok(run(NPM, ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], ROOT), "npm pack")) as { filename: string; files: { path: string }[] }[];
  tarball = join(tmp, packed[0]!.filename);
  tarList = packed[0]!.files.map((f) => f.path);
  consumer = join(tmp, "consumer");
  mkdirSync(consumer);
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", overrides: lockedRuntimeVersions() }, null, 2));
  // Not --offline: `npm ci` caches the tarballs of the lockfile but not the registry metadata that resolving a
  // dependency of the tarball needs, so on a fresh machine (CI) a cache-only install fails with ENOTCACHED.
  ok(run(NPM, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts", tarball], consumer), "npm install");
}, 180_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the packed tarball", () => {
  it("holds the built entry points, the CLI's templates and compiled checks, and no TypeScript sources or tests", () => {
    for (const f of [...BUILT, "dist/generated/vhost-pci-net/index.d.ts", "dist/test/conformance/registry.js", "dist/test/conformance/ism.checks.js", "spec/specs.json", "package.json"]) {
      expect(tarList, f).toContain(f);
    }
    expect(tarList.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual([]);
    expect(tarList.filter((f) => /\.test\.|\.bench\./.test(f))).toEqual([]);
    // The vitest-side suite helper imports vitest (a dev dependency): it must not ship.
    expect(tarList.filter((f) => f.includes("conformance/suite"))).toEqual([]);
  });
});

describe("an ESM consumer", () => {
  it("encodes and decodes with virtiokit/ism, and uses vhost-pci-net, runtime and ir, without loading the generator", () => {
    // Deny the generator's and the CLI's dependencies: importing codecs must not load them.
    writeFileSync(
      join(consumer, "deny.mjs"),
      `export async function resolve(spec, ctx, next) {\n` +
        `  if (/^(handlebars|ts-morph|typescript|peggy)(\\/|$)/.test(spec)) throw new Error("codec import loaded " + spec);\n` +
        `  return next(spec, ctx);\n}\n`,
    );
    writeFileSync(join(consumer, "register.mjs"), `import { register } from "node:module";\nregister("./deny.mjs", import.meta.url);\n`);
    writeFileSync(
      join(consumer, "use.mjs"),
      [
        'import assert from "node:assert/strict";',
        'import { decodeVirtioIsmEventUpdate, encodeVirtioIsmEventUpdate, VirtioIsmEventUpdateSize, VIRTIO_ISM_EVENT_UPDATE } from "virtiokit/ism";',
        'import { VirtioPciCommonCfgSchema, VirtioPciCommonCfgSize } from "virtiokit/vhost-pci-net";',
        'import * as runtime from "virtiokit/runtime";',
        'import { IR_VERSION } from "virtiokit/ir";',
        "const value = { ev_type: BigInt(VIRTIO_ISM_EVENT_UPDATE), offset: 0x1000n, devid: 0x0102030405060708n };",
        "const bytes = new Uint8Array(VirtioIsmEventUpdateSize);",
        "assert.equal(encodeVirtioIsmEventUpdate(value, bytes), 24);",
        // struct virtio_ism_event_update { le64 ev_type; le64 offset; le64 devid; }, little-endian.
        "assert.deepEqual([...bytes], [1,0,0,0,0,0,0,0, 0,0x10,0,0,0,0,0,0, 8,7,6,5,4,3,2,1]);",
        "assert.deepEqual(decodeVirtioIsmEventUpdate(bytes), value);",
        "assert.throws(() => decodeVirtioIsmEventUpdate(bytes.subarray(0, 23)), { name: 'CodecError' });",
        "assert.equal(VirtioPciCommonCfgSize, 82);",
        "assert.equal(VirtioPciCommonCfgSchema.fields.find((f) => f.name === 'peer_uuid_lo').offset, 74);",
        "assert.equal(typeof runtime.ChunkAllocator, 'function');",
        "assert.match(IR_VERSION, /^\\d+\\.\\d+\\.\\d+$/);",
        'console.log("ok");',
      ].join("\n"),
    );
    const r = run(process.execPath, ["--import", "./register.mjs", "use.mjs"], consumer);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok\n");
    expect(r.status).toBe(0);
  });

  it("cannot reach what the exports map does not list", () => {
    writeFileSync(join(consumer, "private.mjs"), 'await import("virtiokit/dist/generator/index.js");\n');
    const r = run(process.execPath, ["private.mjs"], consumer);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });
});

describe("a TypeScript consumer (NodeNext)", () => {
  it("type-checks against the shipped declarations, which are precise enough to reject a wrong field type", () => {
    writeFileSync(
      join(consumer, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { target: "ES2022", lib: ["ES2022"], module: "NodeNext", moduleResolution: "NodeNext", strict: true, noEmit: true, types: [], skipLibCheck: true, verbatimModuleSyntax: true },
        files: ["use.ts"],
      }),
    );
    writeFileSync(
      join(consumer, "use.ts"),
      [
        'import { decodeVirtioIsmEventUpdate, encodeVirtioIsmEventUpdate, type VirtioIsmEventUpdate } from "virtiokit/ism";',
        'import { VirtioPciCommonCfgSize } from "virtiokit/vhost-pci-net";',
        'import type { SpecIR } from "virtiokit/ir";',
        "const v: VirtioIsmEventUpdate = { ev_type: 1n, offset: 0n, devid: 2n };",
        "const bytes = new Uint8Array(24);",
        "const written: number = encodeVirtioIsmEventUpdate(v, bytes);",
        "const devid: bigint = decodeVirtioIsmEventUpdate(bytes).devid;",
        "const size: number = VirtioPciCommonCfgSize;",
        "const requirements = (ir: SpecIR): number => ir.requirements.length;",
        "// @ts-expect-error devid is a 64-bit field: a bigint, not a number",
        "const wrong: VirtioIsmEventUpdate = { ev_type: 1n, offset: 0n, devid: 2 };",
        "export { written, devid, size, requirements, wrong };",
      ].join("\n"),
    );
    const r = run(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], consumer);
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("the installed virtiokit command", () => {
  it("runs `conformance` from the installed package (its runtime dependencies and templates are shipped)", () => {
    const r = run(process.execPath, [join(consumer, "node_modules/virtiokit/dist/cli/main.js"), "conformance", "--spec", "vhost-pci-net"], consumer);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^vhost-pci-net: .*\n {2}\d+ requirements in scope, \d+ with a check: \d+ passing, 0 failing\n/);
    expect(r.status).toBe(0);
  });
});
