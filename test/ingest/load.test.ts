/**
 * loadInput: every kind of input, the tree it gives, and one clear error per unusable input.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../grammar/diagnostics/diagnostics.js";
import { loadInput } from "../../grammar/ingest/index.js";
import { errorsOf, FIXTURES, ingestError, ISM_BASE, ISM_MAIL, tempDir, VHOST_BASE, VHOST_MAIL } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let serial = 0;
const fresh = () => {
  const d = join(tmp.dir, String(serial++));
  mkdirSync(d, { recursive: true });
  return d;
};
const sha = (bytes: Buffer | string) => createHash("sha256").update(bytes).digest("hex");
const MINI = join(FIXTURES, "mini-tree");
const vhostText = readFileSync(VHOST_MAIL, "utf8");

/** Writes `text` as a mail in a fresh folder. */
function mailFile(text: string): string {
  const p = join(fresh(), "mail.txt");
  writeFileSync(p, text);
  return p;
}

describe("input kinds", () => {
  it("a plain unified diff (`diff -u` style, timestamps) applies onto its base", () => {
    const diff = join(FIXTURES, "plain.diff");
    const r = loadInput(diff, { base: MINI });
    expect(r.input).toEqual({ kind: "patch", path: diff, sha256: sha(readFileSync(diff)), base: MINI });
    expect(r.tree.changed).toEqual(["content.tex"]);
    expect(r.diffstat).toMatchObject({ filesChanged: 1, insertions: 2, deletions: 0 });
    const text = r.tree.files.get("content.tex")!.text;
    expect(text).toContain("\\item[DRIVER (2)] Indicates that the guest OS knows how to drive the device.\n\\item[FEATURES_OK (8)]");
    expect(text).toContain("        le16 id;\n        le16 reserved;\n};");
    // The added line is carried by line 7 of the diff.
    const at = text.split("\n").findIndex((l) => l.startsWith("\\item[FEATURES_OK"));
    expect(r.tree.files.get("content.tex")!.mailLines![at]).toBe(7);
    expect(r.mailDiffstat).toBeUndefined();
    expect(r.tree.entry).toBe("virtio.tex");
  });

  it("a directory is a tree of its .tex, .h and .c files, recursively", () => {
    const r = loadInput(MINI);
    expect(r.input.kind).toBe("tree");
    expect([...r.tree.files.keys()]).toEqual(["content.tex", "sub/device.tex", "sub/example.h", "virtio.tex"]);
    expect(r.tree.entry).toBe("virtio.tex");
    expect(r.tree.changed).toEqual([]);
    expect(r.tree.files.get("sub/device.tex")!.mailLines).toBeUndefined();
  });

  it("a tree's sha256 depends on its paths and contents, not on where it lives", () => {
    const copy = join(fresh(), "copy");
    cpSync(MINI, copy, { recursive: true });
    const a = loadInput(MINI).input.sha256;
    expect(loadInput(copy).input.sha256).toBe(a);
    writeFileSync(join(copy, "README.md"), "not a spec file, not hashed\n");
    expect(loadInput(copy).input.sha256).toBe(a);
    writeFileSync(join(copy, "sub/example.h"), "#define VIRTIO_EXAMPLE_F_ONE 2\n");
    expect(loadInput(copy).input.sha256).not.toBe(a);
  });

  it("a single .tex file loads with what it \\inputs and \\lstinputlistings (not the rest of its directory), and is the entry", () => {
    const path = join(MINI, "content.tex");
    const r = loadInput(path);
    expect(r.input).toEqual({ kind: "tex", path, sha256: sha(readFileSync(path)) });
    expect(r.tree.entry).toBe("content.tex");
    expect(readFileSync(path, "utf8")).toMatch(/\\lstinputlisting\{sub\/example\.h\}/);
    expect([...r.tree.files.keys()]).toEqual(["content.tex", "sub/example.h"]);
  });

  it("chooses the entry: virtio.tex, main.tex, content.tex, the only .tex, else the first with a warning", () => {
    const tree = (...names: string[]) => {
      const d = fresh();
      for (const n of names) writeFileSync(join(d, n), `% ${n}\n`);
      return loadInput(d);
    };
    expect(tree("main.tex", "content.tex", "virtio.tex").tree.entry).toBe("virtio.tex");
    expect(tree("main.tex", "content.tex").tree.entry).toBe("main.tex");
    expect(tree("content.tex", "a.tex").tree.entry).toBe("content.tex");
    expect(tree("only.tex", "x.h").tree.entry).toBe("only.tex");
    const r = tree("b.tex", "a.tex");
    expect(r.tree.entry).toBe("a.tex");
    expect(r.diagnostics.map((d) => [d.severity, d.code])).toEqual([["warning", "entry-ambiguous"]]);
  });

  it("warns that --base means nothing for a tree, and where a file is not UTF-8", () => {
    const d = fresh();
    writeFileSync(join(d, "main.tex"), Buffer.from("ok\ncaf\xe9\n", "latin1"));
    const r = loadInput(d, { base: MINI });
    expect(r.diagnostics.map((x) => x.code)).toEqual(["base-ignored", "not-utf8"]);
    expect(r.diagnostics[1]!.source).toMatchObject({ file: `${d}/main.tex`, line: 2, column: 4 });
    expect(r.tree.files.get("main.tex")!.text).toBe("ok\ncafé\n");
  });

  it("a CRLF copy of a mail gives the same tree", () => {
    const crlf = mailFile(vhostText.replace(/\n/g, "\r\n"));
    expect(loadInput(crlf, { base: VHOST_BASE }).tree.files.get("content.tex")!.text).toBe(
      loadInput(VHOST_MAIL, { base: VHOST_BASE }).tree.files.get("content.tex")!.text,
    );
  });
});

describe("unusable inputs: one error each, with a position", () => {
  /** The single error of a failing load, after checking there is exactly one. */
  const theError = (fn: () => unknown) => {
    const e = ingestError(fn);
    expect(errorsOf(e)).toHaveLength(1);
    expect(e.diagnostics[0]).toBe(errorsOf(e)[0]);
    return e;
  };

  it("missing input and missing base", () => {
    const e = theError(() => loadInput(join(tmp.dir, "nope.txt")));
    expect(e.reason).toBe("input-not-found");
    expect(formatDiagnostic(e.diagnostics[0]!)).toBe(`${join(tmp.dir, "nope.txt")}:1:1: error: '${join(tmp.dir, "nope.txt")}' does not exist [input-not-found]`);
    expect(theError(() => loadInput(VHOST_MAIL, { base: join(tmp.dir, "no-base") })).reason).toBe("base-not-found");
  });

  it("a patch of an existing file without --base names the file and the mail line", () => {
    const e = theError(() => loadInput(VHOST_MAIL));
    expect(e.reason).toBe("base-required");
    expect(e.diagnostics[0]!.source).toMatchObject({ file: VHOST_MAIL, line: 13, column: 1 });
    expect(e.diagnostics[0]!.hint).toBe("pass --base <tree>");
  });

  it("a base tree without the patched file", () => {
    const e = theError(() => loadInput(VHOST_MAIL, { base: MINI.replace("mini-tree", "mini-tree/sub") }));
    expect(e.reason).toBe("base-file-missing");
    expect(e.diagnostics[0]!.message).toBe("the patch changes 'content.tex', which is not in the base tree");
  });

  it("a truncated mail (ends inside a hunk)", () => {
    const cut = vhostText.split("\n").slice(0, 200).join("\n") + "\n";
    const e = theError(() => loadInput(mailFile(cut), { base: VHOST_BASE }));
    expect(e.reason).toBe("patch-truncated");
    expect(e.diagnostics[0]!.message).toMatch(/^the patch ends inside hunk #6 \(@@ -5750,9 \+5789,181 @@\) \(mail line 131\)/);
    // Positioned at the last patch line the mail still has.
    expect(e.diagnostics[0]!.source.line).toBeLessThanOrEqual(200);
    expect(e.diagnostics[0]!.source.line).toBeGreaterThan(190);
  });

  /** The errors of a failing load, one per hunk of the mail, each at that hunk's `@@` line. */
  const oneErrorPerHunk = (fn: () => unknown, text: string) => {
    const e = ingestError(fn);
    const hunkLines = text.split("\n").flatMap((l, k) => (l.startsWith("@@ ") ? [k + 1] : []));
    expect(errorsOf(e).map((d) => d.source.line)).toEqual(hunkLines);
    expect(e.diagnostics[0]).toBe(errorsOf(e)[0]);
    return e;
  };

  it("a hunk that does not apply to the base (the vhost mail onto the ISM base): every hunk reported", () => {
    const e = oneErrorPerHunk(() => loadInput(VHOST_MAIL, { base: ISM_BASE }), vhostText);
    expect(new Set(errorsOf(e).map((d) => d.code))).toEqual(new Set(["hunk-does-not-apply"]));
    expect(e.reason).toBe("hunk-does-not-apply");
    const d = e.diagnostics[0]!;
    expect(d.source.file).toBe(VHOST_MAIL);
    // At the hunk header of the failing hunk, naming the base file and line.
    expect(vhostText.split("\n")[d.source.line - 1]).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@/);
    expect(d.message).toMatch(/^hunk #\d+ \(@@ .* @@\) does not apply to 'content.tex' at line \d+ or any other line: at line \d+ of 'content.tex' its (context|deleted) line \(mail line \d+\) reads /);
  });

  it("wrapped lines whose counts cannot be met (a miscounted wrapped hunk)", () => {
    const bad = vhostText.replace("@@ -1361,6 +1369,25 @@", "@@ -1361,6 +1369,24 @@");
    const e = theError(() => loadInput(mailFile(bad), { base: VHOST_BASE }));
    expect(e.reason).toBe("unwrap-unresolved");
    expect(e.diagnostics[0]!.source.line).toBe(60);
    expect(e.diagnostics[0]!.message).toBe(
      "hunk #2 (@@ -1361,6 +1369,24 @@) declares 6 old and 24 new lines, but by mail line 60 it has 6 and 25; no way of rejoining its wrapped lines gives the declared counts",
    );
  });

  it("a patch creating a file the base already has", () => {
    const base = join(fresh(), "base");
    cpSync(ISM_BASE, base, { recursive: true });
    writeFileSync(join(base, "virtio-ism.tex"), "old\n");
    const e = theError(() => loadInput(ISM_MAIL, { base }));
    expect(e.reason).toBe("new-file-exists");
    expect(e.diagnostics[0]!.source).toMatchObject({ line: 131, column: 3 });
  });

  it("file names that would leave the tree, renames, malformed headers, huge counts", () => {
    const patch = (...ls: string[]) => mailFile(ls.join("\n") + "\n");
    const reason = (p: string) => theError(() => loadInput(p, { base: MINI })).reason;
    expect(reason(patch("--- a/../x.tex", "+++ b/../x.tex", "@@ -1 +1 @@", "-a", "+b"))).toBe("path-unsafe");
    expect(reason(patch("--- a//abs.tex", "+++ b//abs.tex", "@@ -1 +1 @@", "-a", "+b"))).toBe("path-unsafe");
    expect(reason(patch("diff --git a/x.tex b/y.tex", "similarity index 90%", "rename from x.tex", "rename to y.tex"))).toBe("base-file-missing");
    expect(reason(patch("diff --git a/x.tex b/y.tex", "similarity index 90%", "rename from ../x.tex", "rename to y.tex"))).toBe("path-unsafe");
    expect(reason(patch("diff --git a/x.tex b/y.tex", "similarity index 90%", "rename from x.tex"))).toBe("patch-unsupported");
    expect(reason(patch("--- a/content.tex", "+++ b/content.tex", "@@ -1,99999999999 +1,2 @@", "-a", "+b"))).toBe("hunk-header-malformed");
    // Counts far beyond the mail's lines: the patch simply ends first.
    expect(reason(patch("--- a/content.tex", "+++ b/content.tex", "@@ -1,99999999 +1,99999999 @@", " a"))).toBe("patch-truncated");
  });

  it("a binary file or a file with no patch in it", () => {
    const bin = mailFile("diff --git a/x b/x\n\0\n");
    const e = theError(() => loadInput(bin));
    expect(e.reason).toBe("input-binary");
    expect(e.diagnostics[0]!.source).toMatchObject({ line: 2, column: 1 });
    expect(theError(() => loadInput(mailFile("Hello,\nno patch here.\n"))).reason).toBe("input-unrecognised");
  });

  it("a search that would take too long stops with a diagnostic", () => {
    const e = ingestError(() => loadInput(VHOST_MAIL, { base: VHOST_BASE, unwrapBudget: 50 }));
    expect(e.reason).toBe("unwrap-too-complex");
    // Every hunk the budget did not cover is reported, each at its own `@@` line.
    const hunkLines = vhostText.split("\n").flatMap((l, k) => (l.startsWith("@@ ") ? [k + 1] : []));
    expect(errorsOf(e).length).toBeGreaterThan(1);
    for (const d of errorsOf(e)) {
      expect(d.code).toBe("unwrap-too-complex");
      expect(hunkLines).toContain(d.source.line);
    }
  });

  it("keeps the notes gathered before the error", () => {
    // Hunk 1, stated two lines off, applies with an offset note; the damaged hunk 2 then fails.
    const bad = vhostText.replace("@@ -1361,6 +1369,25 @@", "@@ -1361,6 +1369,24 @@").replace("@@ -1295,6 +1295,14 @@", "@@ -1293,6 +1293,14 @@");
    const e = theError(() => loadInput(mailFile(bad), { base: VHOST_BASE }));
    expect(e.diagnostics.map((d) => d.code)).toEqual(["unwrap-unresolved", "hunk-offset"]);
  });
});
