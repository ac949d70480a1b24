#!/usr/bin/env node
/**
 * Stages the three published packages from the built tree (`npm run build` first) into `<out>/<name>/`, ready for
 * `npm pack` or `npm publish`:
 *
 * - `virtiokit`: the generated codecs of the seeds (`virtiokit/ism`, `virtiokit/vhost-pci-net`), the runtime
 *   (`virtiokit/runtime`, `virtiokit/runtime/codec`, the device models `virtiokit/runtime/<model>`) and the IR
 *   types (`virtiokit/ir`). No dependencies, no scripts: only the files the entry points reach (their static
 *   imports, dynamic imports and `new URL(…, import.meta.url)` workers, and the `.d.ts` of each).
 * - `virtiokit-virtio-1.4`: the whole virtio 1.4 spec's codecs, `virtiokit-virtio-1.4/<device>` (7 MB of code and
 *   declarations: too big to sit in every codec user's install). Depends on `virtiokit` only: its imports of
 *   the runtime are rewritten to `virtiokit/runtime/codec`, so `CodecError` is one class for both.
 * - `virtiokit-cli`: the `virtiokit` command with the grammar, the generator, its templates, the compiled
 *   conformance checks and the shipped spec inputs (what `npm install virtiokit-cli` needs to run every command).
 *
 * Source maps are not shipped (their .ts sources are not either). This is the repository's stand-in for npm
 * workspaces: the sources stay in one tree (one tsc build, one lockfile) and each package is a manifest
 * (`packages/<name>/package.json`) plus the files staged here.
 *
 * usage: node packages/stage.mjs [--out <dir>]   (default dist-packages/); prints the staged folders as JSON.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ROOT_PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

/** Relative specifiers a built file reaches: import/export from, import(), side-effect import, worker URLs. */
const SPECIFIER_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']|new URL\(\s*["'](\.{1,2}\/[^"']+)["']\s*,\s*import\.meta\.url/g;

function specifiers(text) {
  return [...text.matchAll(SPECIFIER_RE)].map((m) => m[1] ?? m[2]);
}

/** `x.js` → [`x.js`, `x.d.ts`] (those that exist); `x.d.ts` stays. */
function withDeclarations(abs) {
  const out = [];
  if (existsSync(abs)) out.push(abs);
  if (abs.endsWith(".js")) {
    const dts = abs.slice(0, -3) + ".d.ts";
    if (existsSync(dts)) out.push(dts);
  }
  return out;
}

/** Every file the entry points reach (absolute paths under dist/). */
function closure(entries) {
  const seen = new Set();
  const queue = entries.flatMap((e) => withDeclarations(join(ROOT, e)));
  if (!queue.length) throw new Error(`nothing built for ${entries.join(", ")}: run \`npm run build\` first`);
  while (queue.length) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      const target = resolve(dirname(file), spec);
      const found = withDeclarations(target);
      if (!found.length) throw new Error(`${relative(ROOT, file)} imports ${spec}, which is not built`);
      queue.push(...found);
    }
  }
  return [...seen].sort();
}

/** Files of a folder, recursively, without source maps. */
function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? walk(p) : d.name.endsWith(".map") ? [] : [p];
  });
}

function manifest(name) {
  const m = JSON.parse(readFileSync(join(ROOT, "packages", name, "package.json"), "utf8"));
  // One version for all three, the repository's.
  m.version = ROOT_PKG.version;
  for (const deps of [m.dependencies, m.peerDependencies]) for (const k of Object.keys(deps ?? {})) if (k.startsWith("virtiokit")) deps[k] = ROOT_PKG.version;
  // The CLI's third-party dependencies are the repository's (one lockfile).
  if (m.dependencies) for (const k of Object.keys(m.dependencies)) if (!k.startsWith("virtiokit")) m.dependencies[k] = ROOT_PKG.dependencies[k] ?? m.dependencies[k];
  return m;
}

/** Copies a file to the package, dropping the `//# sourceMappingURL` comment (no maps are shipped). */
function copyFile(from, to, rewrite = (t) => t) {
  mkdirSync(dirname(to), { recursive: true });
  if (/\.(js|ts)$/.test(from)) writeFileSync(to, rewrite(readFileSync(from, "utf8").replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n")));
  else cpSync(from, to);
}

function writePackage(dir, m) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify(m, null, 2) + "\n");
  cpSync(join(ROOT, "README.md"), join(dir, "README.md"));
  if (existsSync(join(ROOT, "LICENSE"))) cpSync(join(ROOT, "LICENSE"), join(dir, "LICENSE"));
}

/** The built file each export of a manifest points at (`types` and `default`), `*` patterns expanded by the caller. */
function exportTargets(m) {
  return Object.values(m.exports).flatMap((e) => (typeof e === "string" ? [e] : [e.types, e.default])).filter((p) => p.endsWith(".js") || p.endsWith(".d.ts"));
}

export function stage(out) {
  rmSync(out, { recursive: true, force: true });
  const staged = {};

  // virtiokit: the closure of its entry points.
  const codec = manifest("virtiokit");
  const codecDir = join(out, "virtiokit");
  const codecEntries = exportTargets(codec).map((p) => p.replace(/^\.\//, ""));
  for (const f of closure(codecEntries)) copyFile(f, join(codecDir, relative(ROOT, f)));
  writePackage(codecDir, codec);
  staged.virtiokit = codecDir;
  // What each codec file is as a `virtiokit/…` import, for the packages that depend on it.
  const exported = new Map();
  for (const [sub, e] of Object.entries(codec.exports)) if (typeof e === "object") exported.set(resolve(ROOT, e.default), `virtiokit${sub.slice(1)}`);

  // virtiokit-virtio-1.4: the v1.4 folders, their runtime imports pointing into virtiokit.
  const v14 = manifest("virtiokit-virtio-1.4");
  const v14Dir = join(out, "virtiokit-virtio-1.4");
  const v14Src = join(ROOT, "dist/generated/virtio-1.4");
  if (!existsSync(v14Src)) throw new Error("dist/generated/virtio-1.4 is not built: run `npm run build` first");
  for (const f of walk(v14Src)) {
    if (!/\.(js|d\.ts)$/.test(f) || /\.test\./.test(f)) continue;
    copyFile(f, join(v14Dir, relative(v14Src, f)), (text) =>
      text.replace(SPECIFIER_RE, (whole, a, b) => {
        const spec = a ?? b;
        const target = resolve(dirname(f), spec);
        if (target.startsWith(v14Src + sep)) return whole;
        const bare = exported.get(target);
        if (!bare) throw new Error(`${relative(ROOT, f)} imports ${spec}, which virtiokit does not export`);
        return whole.replace(spec, bare);
      }),
    );
  }
  writePackage(v14Dir, v14);
  staged["virtiokit-virtio-1.4"] = v14Dir;

  // virtiokit-cli: the whole built tree the command runs from (it loads commands, checks and templates by path).
  const cli = manifest("virtiokit-cli");
  const cliDir = join(out, "virtiokit-cli");
  for (const f of walk(join(ROOT, "dist"))) {
    const rel = relative(ROOT, f);
    if (/\.(test|bench)\./.test(rel) || rel.startsWith(`dist${sep}test${sep}`) && !rel.startsWith(join("dist", "test", "conformance")) || rel.includes("conformance/suite")) continue;
    copyFile(f, join(cliDir, rel));
  }
  for (const f of walk(join(ROOT, "spec"))) {
    const rel = relative(ROOT, f);
    if (rel.startsWith(join("spec", "history"))) continue;
    copyFile(f, join(cliDir, rel));
  }
  writePackage(cliDir, cli);
  staged["virtiokit-cli"] = cliDir;
  return staged;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--out");
  const out = resolve(i > 0 ? process.argv[i + 1] : join(ROOT, "dist-packages"));
  try {
    process.stdout.write(JSON.stringify(stage(out), null, 2) + "\n");
  } catch (e) {
    process.stderr.write(`packages/stage.mjs: ${e.message}\n`);
    process.exitCode = 2;
  }
}
