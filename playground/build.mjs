/**
 * `npm run playground`: builds the static playground into docs/playground/ (plain files: serve the folder with any
 * static server). The page and its Web Worker are bundled with esbuild; the shipped trees (the seeds' base trees
 * and virtio 1.4) and the seed mails are copied as data the worker fetches on demand. The output is written to a
 * temporary folder and renamed into place, so a failed build leaves the previous one intact.
 *
 * Prints the size of each file and the total.
 */
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { frontEndBundleOptions } from "./esbuild-config.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = join(root, "docs", "playground");
const tmp = `${out}.tmp-${process.pid}`;

/** The trees the playground ships, and which of their .tex files are offered as device chapters. */
const TREES = [
  { name: "base-985bbf3", title: "virtio-spec 985bbf3 (base of virtio-ism v3)", dir: "spec/base-985bbf3" },
  { name: "base-be7a82c", title: "virtio-spec be7a82c (base of vhost-pci-net)", dir: "spec/base-be7a82c" },
  { name: "virtio-1.4", title: "virtio 1.4 (cs01)", dir: "spec/virtio-1.4", chapters: /^device-types\/[^/]+\/description\.tex$/ },
];
const SEEDS = [
  { name: "virtio-ism-v3", title: "virtio-ism v3", mail: "spec/seeds/virtio-ism-v3.mail.txt", base: "base-985bbf3" },
  { name: "vhost-pci-net", title: "vhost-pci-net", mail: "spec/seeds/vhost-pci-net.mail.txt", base: "base-be7a82c" },
];
/** The files a spec build reads (as the front end's tree loader). */
const SPEC_FILE = /\.(tex|h|c)$/;

function treeFiles(dir) {
  const files = {};
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (SPEC_FILE.test(e.name)) files[relative(dir, p).split("\\").join("/")] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
}

rmSync(tmp, { recursive: true, force: true });
mkdirSync(join(tmp, "trees"), { recursive: true });
mkdirSync(join(tmp, "seeds"), { recursive: true });
const t0 = performance.now();
await build({
  ...frontEndBundleOptions(),
  entryPoints: { main: join(root, "playground/main.ts"), worker: join(root, "playground/worker.ts") },
  outdir: tmp,
  platform: "browser",
  minify: true,
  metafile: false,
});
cpSync(join(root, "playground/index.html"), join(tmp, "index.html"));
const manifest = { seeds: [], trees: [] };
for (const s of SEEDS) {
  const name = `seeds/${s.name}.mail.txt`;
  cpSync(join(root, s.mail), join(tmp, name));
  manifest.seeds.push({ name: s.name, title: s.title, mail: name, base: s.base });
}
for (const t of TREES) {
  const files = treeFiles(join(root, t.dir));
  writeFileSync(join(tmp, "trees", `${t.name}.json`), JSON.stringify({ name: t.name, files }));
  manifest.trees.push({ name: t.name, title: t.title, chapters: t.chapters ? Object.keys(files).filter((f) => t.chapters.test(f)) : [] });
}
writeFileSync(join(tmp, "manifest.json"), JSON.stringify(manifest, null, 1) + "\n");
mkdirSync(dirname(out), { recursive: true });
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);

const sizes = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) walk(p);
    else sizes.push([relative(out, p), statSync(p).size]);
  }
};
walk(out);
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
for (const [f, n] of sizes) console.log(`  ${f.padEnd(36)} ${kb(n).padStart(9)}`);
const code = sizes.filter(([f]) => f.endsWith(".js")).reduce((n, [, s]) => n + s, 0);
console.log(`playground → ${relative(process.cwd(), out) || "."}: code ${kb(code)} (main + worker, minified), total ${kb(sizes.reduce((n, [, s]) => n + s, 0))} in ${(performance.now() - t0).toFixed(0)} ms`);
