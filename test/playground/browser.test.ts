/**
 * The playground in a real browser (Debian's chromium driven by playwright-core): load the built app from a local
 * static server, paste the vhost-pci-net seed mail, see the CLI's diagnostics count, open a struct and check the
 * diagram's offsets against the IR, decode a pasted hex string, and save screenshots as test artefacts
 * (test-results/playground/, not committed). Skipped with one line where chromium or playwright-core is missing.
 *
 * Prints the figures the issue asks for: time to first paint, time to analyse each seed (first and warm).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffIR } from "../../grammar/diff/index.js";
import { lint } from "../../grammar/lint/lint.js";
import { runFrontEnd } from "../../grammar/pipeline.js";
import { serveStatic } from "../helpers/static-server.js";

const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));
let playwright: typeof import("playwright-core") | undefined;
try {
  playwright = await import("playwright-core");
} catch {
  playwright = undefined;
}
const missing = !CHROMIUM ? "chromium is not installed (apt-get install chromium)" : !playwright ? "playwright-core is not installed" : undefined;
if (missing) console.warn(`playground browser test skipped: ${missing}`);

const ARTEFACTS = "test-results/playground";

/** A page expression: true once an analysis newer than `before` is shown (the test's files see no DOM types). */
function analysedAfter(before: string | null): string {
  return `document.body.dataset.analysed !== ${JSON.stringify(before)} && document.getElementById("status").dataset.state === "done"`;
}

describe.skipIf(missing !== undefined)("playground in chromium", () => {
  let server: Server;
  let url: string;
  let browser: import("playwright-core").Browser;
  beforeAll(async () => {
    execFileSync(process.execPath, ["playground/build.mjs"], { stdio: "pipe" });
    ({ server, url } = await serveStatic("docs"));
    browser = await playwright!.chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
    mkdirSync(ARTEFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it("analyses the seeds as the CLI does, draws a struct, decodes hex", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const t0 = Date.now();
    await page.goto(`${url}playground/index.html`);
    // The first option is the virtio-ism seed: it is analysed on load.
    await page.waitForSelector("body[data-analysed]", { timeout: 60_000 });
    const firstMs = Date.now() - t0;
    const paint = (await page.evaluate("performance.getEntriesByType('paint').map((p) => p.name + ' ' + p.startTime.toFixed(0) + ' ms')")) as string[];
    const ismStatus = await page.textContent("#status");
    const ism = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" });
    const ismLint = lint(ism.doc, ism.ir, { scope: ism.patchScope });
    expect(await page.textContent("#diag-count")).toBe(`${ismLint.filter((d) => d.severity === "error").length} error(s), ${ismLint.filter((d) => d.severity === "warning").length} warning(s)`);
    await page.screenshot({ path: `${ARTEFACTS}/diagnostics-ism.png` });

    // Paste the vhost-pci-net mail (as a user would: into the text area).
    const mail = readFileSync("spec/seeds/vhost-pci-net.mail.txt", "utf8");
    await page.selectOption("#base", "base-be7a82c");
    const before = await page.getAttribute("body", "data-analysed");
    await page.fill("#input-text", mail);
    await page.waitForFunction(analysedAfter(before), undefined, { timeout: 60_000 });
    const vpnStatus = await page.textContent("#status");
    const vpn = runFrontEnd("spec/seeds/vhost-pci-net.mail.txt", { base: "spec/base-be7a82c" });
    const vpnLint = lint(vpn.doc, vpn.ir, { scope: vpn.patchScope });
    const errorsCli = vpnLint.filter((d) => d.severity === "error").length;
    const warningsCli = vpnLint.filter((d) => d.severity === "warning").length;
    expect(await page.textContent("#diag-count")).toBe(`${errorsCli} error(s), ${warningsCli} warning(s)`);
    expect(await page.locator("#diagnostics li").count()).toBe(vpnLint.length);
    // A diagnostic jumps to its post-patch line.
    await page.locator("#diagnostics li").first().click();
    expect(await page.getAttribute("#source-view", "data-line")).toBe(String(vpnLint[0]!.source.line));

    // Click a struct in the IR tree; its diagram has a box per field at the IR's offsets.
    const struct = vpn.ir.structs.find((s) => s.name === "virtio_pci_common_cfg")!;
    await page.click("nav button[data-tab=ir]");
    await page.click("#ir-tree > details:nth-of-type(2) > summary");
    await page.getByText(`struct ${struct.name}:`, { exact: false }).first().click();
    await page.waitForSelector("#struct-diagram svg");
    const drawn = await page.$$eval("#struct-diagram g.vk-field", (gs) => gs.map((g) => `${g.getAttribute("data-path")}@${g.getAttribute("data-offset")}+${g.getAttribute("data-size")}`));
    const want = struct.fields.filter((f) => f.offset !== null && !f.members).map((f) => `${f.name}@${f.offset}+${f.size}`);
    for (const w of want) expect(drawn).toContain(w);
    await page.screenshot({ path: `${ARTEFACTS}/struct-${struct.name}.png` });

    // Decode a pasted hex string field by field.
    await page.click("nav button[data-tab=hex]");
    await page.selectOption("#hex-struct", "virtio_net_hdr");
    await page.fill("#hex-input", "01 02 0e 00 36 05 22 00 10 00 01 00");
    const rows = await page.$$eval("#hex-fields tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent)));
    expect(rows.find((r) => r[0] === "flags")).toEqual(["flags", "0", "1", "1"]);
    expect(rows.find((r) => r[0] === "hdr_len")).toEqual(["hdr_len", "2", "2", "14 (0xe)"]);
    expect(rows.find((r) => r[0] === "gso_size")).toEqual(["gso_size", "4", "2", "1334 (0x536)"]);
    await page.locator("#hex-fields tr", { hasText: "gso_size" }).hover();
    expect(await page.$$eval("#hex-diagram g.vk-field.hit", (gs) => gs.map((g) => g.getAttribute("data-path")))).toEqual(["gso_size"]);
    await page.screenshot({ path: `${ARTEFACTS}/hex-virtio_net_hdr.png` });

    // Diff mode: the pasted mail against its base tree.
    const d0 = await page.getAttribute("body", "data-analysed");
    await page.selectOption("#compare", "base");
    await page.waitForFunction(analysedAfter(d0), undefined, { timeout: 60_000 });
    await page.click("nav button[data-tab=diff]");
    const changes = diffIR(runFrontEnd("spec/base-be7a82c").ir, vpn.ir);
    const count = (k: string): number => changes.filter((c) => c.class === k).length;
    expect(await page.textContent("#diff-head")).toBe(`from the base tree base-be7a82c to this input: ${count("wire")} wire, ${count("api")} api, ${count("normative")} normative, ${count("additive")} additive`);
    expect(await page.locator("#diff-list li").count()).toBe(changes.length);
    await page.screenshot({ path: `${ARTEFACTS}/diff-vhost-pci-net.png` });
    await page.selectOption("#compare", "none");

    // Warm re-analysis of each seed (the figure the issue asks: under 1 s).
    const warm: string[] = [];
    for (const seed of ["seed:virtio-ism-v3", "seed:vhost-pci-net"]) {
      const b = await page.getAttribute("body", "data-analysed");
      await page.selectOption("#source", seed);
      await page.waitForFunction(analysedAfter(b), undefined, { timeout: 60_000 });
      warm.push(`${seed}: ${await page.textContent("#status")}`);
    }
    // A v1.4 device chapter (its tree is fetched on first use, then analysed): the same count as `virtiokit lint`.
    const chapter = "device-types/net/description.tex";
    for (const round of ["first", "warm"]) {
      const b = await page.getAttribute("body", "data-analysed");
      if (round === "warm") await page.selectOption("#source", "seed:vhost-pci-net");
      if (round === "warm") await page.waitForFunction(analysedAfter(b), undefined, { timeout: 60_000 });
      const c = await page.getAttribute("body", "data-analysed");
      await page.selectOption("#source", `chapter:virtio-1.4:${chapter}`);
      await page.waitForFunction(analysedAfter(c), undefined, { timeout: 60_000 });
      warm.push(`v1.4 ${chapter} (${round}): ${await page.textContent("#status")}`);
    }
    const net = runFrontEnd(`spec/virtio-1.4/${chapter}`);
    const netLint = lint(net.doc, net.ir);
    expect(await page.textContent("#diag-count")).toBe(`${netLint.filter((d) => d.severity === "error").length} error(s), ${netLint.filter((d) => d.severity === "warning").length} warning(s)`);
    console.log(`playground figures: page load to first analysis ${firstMs} ms; ${paint.join(", ")}\n  first: ism ${ismStatus}\n  pasted vhost-pci-net: ${vpnStatus}\n  ${warm.join("\n  ")}`);
    expect(errors).toEqual([]);
  }, 180_000);
});
