/**
 * Acceptance on the two real seed mails: both apply onto their base trees, agree with `git apply`, keep the
 * mail line of every carried line, and report the mail's own diffstat.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDiffstat, loadInput, summaryLine, type LoadedInput } from "../../grammar/ingest/index.js";
import { isPlausibleJoin } from "../../grammar/ingest/hunk-read.js";
import { extractPatch } from "../../grammar/ingest/mail.js";
import { parsePatch } from "../../grammar/ingest/patch.js";
import { Budget } from "../../grammar/ingest/hunk-read.js";
import { splitLines, splitMailLines } from "../../grammar/ingest/text.js";
import { gitApply, ISM_BASE, ISM_MAIL, tempDir, VHOST_BASE, VHOST_MAIL } from "./helpers.js";

const mailLinesOf = (path: string) => readFileSync(path, "utf8").split("\n");
/** 1-based line of the only mail line equal to `text`. */
function mailLineOf(lines: string[], text: string): number {
  const hits = lines.flatMap((l, i) => (l === text ? [i + 1] : []));
  expect(hits, `exactly one mail line is ${JSON.stringify(text)}`).toHaveLength(1);
  return hits[0]!;
}
const fileLines = (r: LoadedInput, path: string) => splitLines(r.tree.files.get(path)!.text).lines;

describe("vhost-pci-net seed (line-wrapped mail)", () => {
  let r: LoadedInput;
  const tmp = tempDir();
  beforeAll(() => {
    r = loadInput(VHOST_MAIL, { base: VHOST_BASE });
  });
  afterAll(() => tmp.cleanup());

  it("gives exactly the mail's diffstat: 1 file changed, 222 insertions(+), 5 deletions(-)", () => {
    expect(r.diffstat).toMatchObject({ filesChanged: 1, insertions: 222, deletions: 5 });
    expect(summaryLine(r.diffstat!)).toBe(" 1 file changed, 222 insertions(+), 5 deletions(-)");
    expect(r.mailDiffstat).toMatchObject({ filesChanged: 1, insertions: 222, deletions: 5, summaryLine: 11 });
    expect(r.diagnostics.filter((d) => d.severity !== "note")).toEqual([]);
    expect(r.tree.changed).toEqual(["content.tex"]);
    expect(r.input).toMatchObject({ kind: "mail", path: VHOST_MAIL, base: VHOST_BASE });
  });

  it("prints the per-file diffstat line exactly as the mail's git did (80 columns)", () => {
    const mailStatLine = mailLinesOf(VHOST_MAIL)[9]!;
    expect(formatDiffstat(r.diffstat!).split("\n")[0]).toBe(mailStatLine);
  });

  it("post-patch content.tex equals real `git apply` of the unwrapped patch", () => {
    const viaGit = gitApply(VHOST_BASE, r.unwrappedPatch!, tmp.dir, ["content.tex"]);
    expect(r.tree.files.get("content.tex")!.text).toBe(viaGit.get("content.tex"));
  });

  it("joins the wrapped lines at the right place, including the one that looks like a context line", () => {
    const lines = fileLines(r, "content.tex");
    const bits = "Bits    & 0               & 1                              & 2                            & 3 to 31 \\\\";
    expect(lines.filter((l) => l.startsWith("Bits    & 0"))).toEqual([bits]);
    expect(lines).toContain("Purpose & Queue Interrupt & Device Configuration Interrupt & Peer Device Status Interrupt & Reserved \\\\");
    // The column separators of the two rows line up, which is how the author wrote them.
    const purpose = lines.find((l) => l.startsWith("Purpose & "))!;
    const amps = (s: string) => [...s.matchAll(/&/g)].map((m) => m.index);
    expect(amps(bits)).toEqual(amps(purpose));
    // No line of the result is a bare continuation fragment.
    expect(lines.some((l) => /^\s+& 3 to 31/.test(l))).toBe(false);
    expect(lines).toContain("\\subsection{Device ID}\\label{sec:Device Types / Vhost-pci Net Device / Device ID}");
  });

  it("maps post-patch lines back to the mail lines that carried them", () => {
    const lines = fileLines(r, "content.tex");
    const map = r.tree.files.get("content.tex")!.mailLines!;
    const mail = mailLinesOf(VHOST_MAIL);
    expect(map).toHaveLength(lines.length);
    const at = (pred: (l: string) => boolean) => map[lines.findIndex(pred)];
    expect(at((l) => l.startsWith("Bits    & 0"))).toBe(122);
    expect(at((l) => l.startsWith("\\section{Vhost-pci Net Device}"))).toBe(
      mailLineOf(mail, "+\\section{Vhost-pci Net Device}\\label{sec:Device Types / Vhost-pci Net Device}"),
    );
    // A wrapped context line maps to the mail line holding its start.
    expect(at((l) => l.includes("The driver writes the physical address of Used Ring here.  See section \\ref"))).toBe(35);
    // Lines outside every hunk were not carried by the mail.
    expect(map[0]).toBeUndefined();
    expect(map[lines.length - 1]).toBeUndefined();
    // Every carried line starts with the text of its mail line (after the one-character prefix).
    for (let i = 0; i < lines.length; i++) {
      const m = map[i];
      if (m !== undefined) expect(lines[i]!.startsWith(mail[m - 1]!.slice(1)), `line ${i + 1} ← mail ${m}`).toBe(true);
    }
    // Carried lines: the added ones plus the context ones (old-side counts of the headers minus deletions).
    const oldSide = mail.flatMap((l) => /^@@ -\d+,(\d+) /.exec(l)?.[1] ?? []).reduce((n, c) => n + Number(c), 0);
    expect(map.filter((m) => m !== undefined)).toHaveLength(r.diffstat!.insertions + oldSide - r.diffstat!.deletions);
  });

  it("every rejoin it made is one a mail client wrapping at the mail's width would produce", () => {
    const extracted = extractPatch(splitMailLines(readFileSync(VHOST_MAIL, "utf8")))!;
    expect(extracted.wrapWidth).toBe(80);
    const base = splitLines(readFileSync(`${VHOST_BASE}/content.tex`, "utf8")).lines;
    const patches = parsePatch(extracted.lines, {
      mailFile: "m",
      base: { hasTree: true, lines: (p) => (p === "content.tex" ? base : undefined) },
      wrapWidth: extracted.wrapWidth,
      budget: new Budget(1e7),
      diagnostics: [],
    });
    const joins = patches.flatMap((p) => p.hunks.flatMap((h) => h.reading.joins));
    // Mail lines of hunks that do not start a patch line: hunk headers' and lines' continuations.
    expect(joins.length).toBeGreaterThan(50);
    expect(joins.filter((j) => !isPlausibleJoin(j, extracted.wrapWidth))).toEqual([]);
    // The wrap kept the blank on the first fragment: every fragment before a break ends with one.
    expect(joins.every((j) => /\s$/.test(j.fragment.text))).toBe(true);
  });
});

describe("virtio-ism v3 seed (patch quoted in a reply, inside a web-archive page)", () => {
  let r: LoadedInput;
  const tmp = tempDir();
  beforeAll(() => {
    r = loadInput(ISM_MAIL, { base: ISM_BASE });
  });
  afterAll(() => tmp.cleanup());

  it("creates virtio-ism.tex (573 lines), changes conformance.tex and content.tex, matching the mail's diffstat", () => {
    expect(r.tree.changed).toEqual(["conformance.tex", "content.tex", "virtio-ism.tex"]);
    expect(fileLines(r, "virtio-ism.tex")).toHaveLength(573);
    expect(r.diffstat).toMatchObject({ filesChanged: 3, insertions: 600, deletions: 0 });
    expect(summaryLine(r.diffstat!)).toBe(" 3 files changed, 600 insertions(+)");
    expect(r.mailDiffstat).toMatchObject({ filesChanged: 3, insertions: 600, deletions: 0 });
    expect(r.diagnostics.filter((d) => d.code === "diffstat-mismatch")).toEqual([]);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.tree.entry).toBe("virtio.tex");
  });

  it("prints the diffstat block exactly as the mail's git format-patch did (72 columns)", () => {
    const mail = mailLinesOf(ISM_MAIL);
    const first = mail.findIndex((l) => l.startsWith(">  conformance.tex |"));
    const block = mail.slice(first, first + 4).map((l) => l.slice(2));
    expect(formatDiffstat(r.diffstat!, { width: 72 })).toBe(block.join("\n") + "\n");
  });

  it("post-patch tree equals `git apply` of the patch un-quoted independently", () => {
    const mail = mailLinesOf(ISM_MAIL);
    const from = mail.findIndex((l) => l.startsWith("> diff --git"));
    const to = mail.findIndex((l, i) => i > from && l === "> --");
    const unquoted = mail.slice(from, to).map((l) => l.replace(/^> ?/, "")).join("\n") + "\n";
    const files = ["conformance.tex", "content.tex", "virtio-ism.tex"];
    const viaGit = gitApply(ISM_BASE, unquoted, tmp.dir, files);
    for (const f of files) expect(r.tree.files.get(f)!.text, f).toBe(viaGit.get(f));
  });

  it("maps lines of the new and the changed files to their quoted mail lines", () => {
    const mail = mailLinesOf(ISM_MAIL);
    expect(r.tree.files.get("virtio-ism.tex")!.mailLines![0]).toBe(
      mailLineOf(mail, "> +\\section{ISM Device}\\label{sec:Device Types / ISM Device}"),
    );
    const content = fileLines(r, "content.tex");
    const inputAt = content.indexOf("\\input{virtio-ism.tex}");
    expect(r.tree.files.get("content.tex")!.mailLines![inputAt]).toBe(mailLineOf(mail, "> +\\input{virtio-ism.tex}"));
    // The context line before it came from the mail too.
    expect(r.tree.files.get("content.tex")!.mailLines![inputAt - 1]).toBe(mailLineOf(mail, ">  \\input{virtio-pmem.tex}"));
    // Every line of the created file is carried, in order, by consecutive patch lines.
    const map = r.tree.files.get("virtio-ism.tex")!.mailLines!;
    expect(map.every((m, i) => i === 0 || m === map[i - 1]! + 1)).toBe(true);
    // Unchanged files carry no map.
    expect(r.tree.files.get("virtio-gpu.tex")!.mailLines).toBeUndefined();
  });

  it("keeps the whole base tree alongside the patched files", () => {
    expect(r.tree.files.has("virtio.tex")).toBe(true);
    expect(r.tree.files.get("virtio-gpu.tex")!.text).toBe(readFileSync(`${ISM_BASE}/virtio-gpu.tex`, "utf8"));
  });
});
