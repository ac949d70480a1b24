/**
 * `npm run docs` (typedoc with typedoc.json and generator/docs/typedoc-plugin.mjs) builds the API site once; the
 * tests read it: zero warnings, the README as landing page, modules named by import path, every internal link
 * resolving (file and anchor), source links onto line anchors of the rendered sources, every spec reference a
 * link (checked against the .tex and mail lines it names), each field's description from the spec, a layout
 * diagram on every struct's page, and, in Debian's chromium (playwright-core), a search for a struct that opens
 * its page with the diagram drawn and a field described.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as ism from "../../generated/ism/index.js";
import { VirtioPciCommonCfgSchema } from "../../generated/vhost-pci-net/index.js";
import { serveStatic } from "../helpers/static-server.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
const V14_COMMIT = "15f488c162107f7b52fb2e4d0f36a2349fe9d3a9";

let out: string;
let result: { status: number | null; output: string };
let pages: string[];

/** The visible text of an HTML page, whitespace collapsed (typedoc splits TSDoc lines and wraps code spans). */
function pageText(path: string): string {
  return readFileSync(path, "utf8")
    .replace(/<[^>]*>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .replace(/ ([,.)])/g, "$1");
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? htmlFiles(join(dir, d.name)) : d.name.endsWith(".html") ? [join(dir, d.name)] : []));
}

const page = (rel: string) => readFileSync(join(out, rel), "utf8");
const unescape = (s: string) => s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">");

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "virtiokit-docs-"));
  const r = spawnSync(NPM, ["run", "-s", "docs", "--", "--out", out], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 240_000,
    env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  if (r.error) throw r.error;
  // npm's own notices (e.g. about user config) are not typedoc's: keep typedoc's lines only.
  const output = `${r.stdout}\n${r.stderr}`
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.startsWith("npm warn"))
    .join("\n");
  result = { status: r.status, output };
  pages = r.status === 0 ? htmlFiles(out) : [];
}, 260_000);

afterAll(() => {
  if (out) rmSync(out, { recursive: true, force: true });
});

describe("npm run docs", () => {
  it("exits 0 with no warning or error", () => {
    expect(result.output.split("\n").filter((l) => /\[(warning|error)\]/.test(l))).toEqual([]);
    expect(result.status).toBe(0);
  });

  it("has the README as its landing page and names modules by import path", () => {
    expect(result.status, "typedoc did not build the docs (see the warnings above)").toBe(0);
    expect(pageText(join(out, "index.html"))).toContain("Which package to install");
    const modules = readdirSync(join(out, "modules")).map((f) => f.replace(/\.html$/, ""));
    expect(modules.filter((m) => /^(generated|runtime|grammar)_/.test(m))).toEqual([]);
    for (const m of ["virtiokit_ism", "virtiokit_vhost-pci-net", "virtiokit_runtime", "virtiokit_runtime_codec", "virtiokit_runtime_ism", "virtiokit_runtime_vhost-pci-net", "virtiokit_runtime_virtio-net", "virtiokit_ir", "virtiokit-virtio-1.4_block", "virtiokit-virtio-1.4_common"]) {
      expect(modules, m).toContain(m);
    }
  });

  it("has no broken internal link: every href and src names a file of the site, and its #anchor an id in it", () => {
    const ids = new Map<string, Set<string>>();
    const idsOf = (file: string): Set<string> => {
      let set = ids.get(file);
      if (!set) ids.set(file, (set = new Set([...readFileSync(file, "utf8").matchAll(/\b(?:id|name)="([^"]+)"/g)].map((m) => unescape(m[1]!)))));
      return set;
    };
    let checked = 0;
    let playgroundLinks = 0;
    const broken: string[] = [];
    for (const file of pages) {
      const html = readFileSync(file, "utf8");
      for (const m of html.matchAll(/\b(?:href|src)="([^"]*)"/g)) {
        const link = unescape(m[1]!);
        if (/^[a-z][a-z0-9+.-]*:/i.test(link) || link === "#" || link === "") continue;
        checked++;
        const [path, anchor] = link.split("#") as [string, string | undefined];
        const target = path ? resolve(dirname(file), decodeURIComponent(path.split("?")[0]!)) : file;
        // The one link out of the reference: the playground beside it in docs/ (its page is playground/index.html).
        if (relative(out, target) === "../playground/index.html") {
          playgroundLinks++;
          continue;
        }
        if (!existsSync(target)) broken.push(`${relative(out, file)}: ${link} (no file)`);
        else if (anchor && target.endsWith(".html") && !idsOf(target).has(decodeURIComponent(anchor))) broken.push(`${relative(out, file)}: ${link} (no #${anchor})`);
        if (broken.length > 20) break;
      }
    }
    console.log(`docs: ${pages.length} pages, ${checked} internal links checked, ${broken.length} broken, ${playgroundLinks} to the playground`);
    expect(broken).toEqual([]);
    // Every page links to the playground (which the playground build puts at docs/playground/index.html).
    expect(playgroundLinks).toBe(pages.filter((p) => !relative(out, p).startsWith("_")).length);
    expect(existsSync(join(ROOT, "playground/index.html"))).toBe(true);
    expect(checked).toBeGreaterThan(10_000);
  });

  it("links each symbol's source to its line in the rendered source", () => {
    const html = page("interfaces/virtiokit_ism.VirtioIsmConfig.html");
    const m = /href="\.\.\/_source\/(generated\/ism\/structs\.ts)\.html#L(\d+)"/.exec(html);
    expect(m, "a 'Defined in' link into _source/").not.toBeNull();
    const line = readFileSync(join(ROOT, m![1]!), "utf8").split("\n")[Number(m![2]) - 1]!;
    expect(line).toMatch(/export interface VirtioIsmConfig\b/);
  });

  it("makes every spec reference a link: v1.4 to the .tex line at its commit, a proposal to its post-patch tree and mail lines", () => {
    const unlinked: string[] = [];
    let links = 0;
    for (const file of pages) {
      const rel = relative(out, file);
      if (rel.startsWith("_")) continue;
      const html = readFileSync(file, "utf8");
      links += (html.match(/class="vk-spec-ref"/g) ?? []).length;
      const outside = html.replace(/<a\b[\s\S]*?<\/a>/g, " ").replace(/<script\b[\s\S]*?<\/script>/g, " ").replace(/<svg\b[\s\S]*?<\/svg>/g, " ").replace(/<[^>]*>/g, " ");
      for (const ref of outside.match(/[\w./-]+\.(?:tex|mail\.txt):\d+/g) ?? []) unlinked.push(`${rel}: ${ref}`);
    }
    expect(unlinked.slice(0, 20)).toEqual([]);
    expect(links).toBeGreaterThan(5_000);
    // v1.4: GitHub at the tree's commit; the line named is the one the IR read (virtio_pci_cap.cap_vndr's item).
    const cap = page("interfaces/virtiokit-virtio-1.4_common.VirtioPciCap.html");
    expect(cap).toContain(`href="https://github.com/oasis-tcs/virtio-spec/blob/${V14_COMMIT}/transport-pci.tex#L162"`);
    expect(readFileSync(join(ROOT, "spec/virtio-1.4/transport-pci.tex"), "utf8").split("\n")[161]).toContain("\\item[\\field{cap_vndr}]");
    // A proposal: the mail line rendered in the site holds the item the description came from.
    const cfg = page("interfaces/virtiokit_ism.VirtioIsmConfig.html");
    const mail = /href="\.\.\/(_spec\/ism\/spec\/seeds\/virtio-ism-v3\.mail\.txt\.html)#L(\d+)"[^>]*>spec\/seeds\/virtio-ism-v3\.mail\.txt:226</.exec(cfg);
    expect(mail, "a link to mail line 226 (cdid's description)").not.toBeNull();
    const rendered = pageText(join(out, mail![1]!));
    expect(rendered).toContain("226 > + \\item[\\field{cdid}] This is used to identify the communication domain");
  });

  it("names, for each shipped tree, the virtio-spec commit it is (checked against the spec history)", async () => {
    const TREE_COMMITS = JSON.parse(readFileSync(join(ROOT, "generator/docs/tree-commits.json"), "utf8")) as Record<string, string>;
    delete TREE_COMMITS.$comment;
    const history = mkdtempSync(join(tmpdir(), "virtiokit-history-"));
    const bundle = join(ROOT, "spec/history/virtio-spec.bundle");
    try {
      execFileSync("git", ["clone", "-q", "--bare", bundle, history], { stdio: "pipe" });
      expect(Object.keys(TREE_COMMITS).sort()).toEqual(["base-985bbf3", "base-be7a82c", "virtio-1.4"]);
      for (const [tree, commit] of Object.entries(TREE_COMMITS)) {
        expect(existsSync(join(ROOT, "spec", tree)), tree).toBe(true);
        // A commit of the history; a base tree's folder names its short hash; v1.4 is the tag's commit.
        expect(execFileSync("git", ["-C", history, "cat-file", "-t", commit], { encoding: "utf8" }).trim(), tree).toBe("commit");
        if (tree.startsWith("base-")) expect(commit.startsWith(tree.slice("base-".length)), tree).toBe(true);
      }
      expect(execFileSync("git", ["-C", history, "rev-parse", "v1.4-cs01^{commit}"], { encoding: "utf8" }).trim()).toBe(TREE_COMMITS["virtio-1.4"]);
      expect(TREE_COMMITS["virtio-1.4"]).toBe(V14_COMMIT);
    } finally {
      rmSync(history, { recursive: true, force: true });
    }
  });

  it("gives each described field the spec's own words, and every struct page its layout diagram", () => {
    const cfg = pageText(join(out, "interfaces/virtiokit_ism.VirtioIsmConfig.html"));
    expect(cfg).toContain("The spec: This is used to identify the communication domain. Only ism devices with the same cdid can communicate.");
    expect(pageText(join(out, "interfaces/virtiokit-virtio-1.4_common.VirtioPciCap.html"))).toContain("The spec: 0x09; Identifies a vendor-specific capability.");
    // Every interface of a generated module that has a schema (a struct of the spec) has its diagram, whose boxes
    // are the schema's fields at the schema's offsets.
    const withSchema = pages.filter((p) => {
      const m = /interfaces[/\\]((?:virtiokit_(?:ism|vhost-pci-net)|virtiokit-virtio-1\.4_[\w-]+)\.\w+)\.html$/.exec(p);
      return m !== null && existsSync(join(out, "variables", `${m[1]}Schema.html`));
    });
    expect(withSchema.length).toBeGreaterThan(300);
    const missing = withSchema.filter((p) => !readFileSync(p, "utf8").includes('class="vk-struct-diagram"'));
    expect(missing.map((p) => relative(out, p))).toEqual([]);
    const diagrams = pages.filter((p) => readFileSync(p, "utf8").includes('class="vk-struct-diagram"'));
    console.log(`docs: ${diagrams.length} struct pages with a layout diagram`);
    expect(diagrams.length).toBeGreaterThan(300);
    const html = page("interfaces/virtiokit_ism.VirtioIsmConfig.html");
    // A field that wraps a row is drawn as one box per row: one entry per field.
    const boxes = [...new Map([...html.matchAll(/<g class="vk-field" data-path="([^"]+)" data-offset="(\d+)" data-size="(\d+)"/g)].map((m) => [m[1], [m[1], Number(m[2]), Number(m[3])]])).values()];
    expect(boxes).toEqual(ism.VirtioIsmConfigSchema.fields.map((f) => [f.name, f.offset, f.size]));
    expect(VirtioPciCommonCfgSchema.name).toBe("virtio_pci_common_cfg");
    expect(page("interfaces/virtiokit_vhost-pci-net.VirtioPciCommonCfg.html")).toContain("Layout of <code>struct virtio_pci_common_cfg</code> (82 bytes)");
  });
});

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
let playwright: typeof import("playwright-core") | undefined;
try {
  playwright = await import("playwright-core");
} catch {
  playwright = undefined;
}
const noBrowser = !CHROMIUM ? "chromium is not installed (apt-get install chromium)" : !playwright ? "playwright-core is not installed" : undefined;
if (noBrowser) console.warn(`API docs browser test skipped: ${noBrowser}`);

describe.skipIf(noBrowser !== undefined)("the API docs in chromium", () => {
  let server: Server;
  let url: string;
  let browser: import("playwright-core").Browser;
  beforeAll(async () => {
    ({ server, url } = await serveStatic(out));
    browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("searches for a struct, opens its page, and shows its drawn layout and a field's description from the spec", async () => {
    expect(result.status).toBe(0);
    const tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    tab.on("pageerror", (e) => errors.push(e.message));
    await tab.goto(`${url}index.html`);
    await tab.click("#tsd-search-trigger");
    await tab.fill("#tsd-search-input", "VirtioIsmConfig");
    // A result reads "<module>.<name>": the interface of virtiokit/ism, not its View class or Size constant.
    const hit = tab.locator("#tsd-search-results li a", { hasText: /virtiokit\/ism\.\s*VirtioIsmConfig\s*$/ }).first();
    await hit.waitFor({ timeout: 30_000 });
    await Promise.all([tab.waitForURL(/VirtioIsmConfig\.html/), hit.click()]);
    const diagram = tab.locator("svg.vk-struct-diagram");
    await diagram.waitFor();
    const box = await diagram.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(30);
    // Each field's box is drawn (laid out with a size) where the schema puts it.
    const fields = (await tab.evaluate(
      `[...document.querySelectorAll("svg.vk-struct-diagram g.vk-field")].map((g) => { const r = g.querySelector("rect").getBoundingClientRect(); return [g.dataset.path, Number(g.dataset.offset), r.width > 0 && r.height > 0]; })`,
    )) as [string, number, boolean][];
    expect([...new Map(fields.map((f) => [f[0], f])).values()]).toEqual(ism.VirtioIsmConfigSchema.fields.map((f) => [f.name, f.offset, true]));
    expect(fields.every((f) => f[2])).toBe(true);
    await expect(tab.getByText("This is used to identify the communication domain.", { exact: false }).first().isVisible()).resolves.toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);
});
