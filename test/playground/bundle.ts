/**
 * The playground's analysis module as the browser gets it: bundled by esbuild with the same browser shims
 * (in-memory fs, sha256 on @noble/hashes, path-browserify), written to a temporary file and imported, so the tests
 * check the shimmed front end, not the Node one.
 */
import { build } from "esbuild";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
// @ts-expect-error plain ESM build configuration without type declarations
import { frontEndBundleOptions } from "../../playground/esbuild-config.mjs";
import type * as Analyse from "../../playground/analyse.js";

/** Bundles playground/analyse.ts for Node with the browser shims and imports it. */
export async function importBundledAnalyse(): Promise<typeof Analyse> {
  const out = join(mkdtempSync(join(tmpdir(), "vk-playground-")), "analyse.mjs");
  await build({ ...(frontEndBundleOptions() as object), entryPoints: ["playground/analyse.ts"], outfile: out, platform: "neutral", mainFields: ["module", "main"] });
  return (await import(pathToFileURL(out).href)) as typeof Analyse;
}

/** A tree on disk as the playground ships it (the files a spec build reads). */
export function shippedTree(name: string, dir: string): Analyse.ShippedTree {
  const files: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(tex|h|c)$/.test(e.name)) files[relative(dir, p).split("\\").join("/")] = readFileSync(p, "utf8");
    }
  };
  walk(dir);
  return { name, files };
}
