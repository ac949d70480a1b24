/**
 * Finding the patch in a mail: quote prefix, blank quoted lines, end of the region, the mail's diffstat.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { extractPatch } from "../../grammar/ingest/mail.js";
import { splitMailLines } from "../../grammar/ingest/text.js";
import { ISM_MAIL, VHOST_MAIL } from "./helpers.js";

const lines = (s: string) => splitMailLines(s);

describe("extractPatch on the seeds", () => {
  it("un-quotes the ISM reply with the prefix of its `diff --git` line and stops at the signature", () => {
    const raw = readFileSync(ISM_MAIL, "utf8");
    const p = extractPatch(lines(raw))!;
    expect(p.kind).toBe("mail");
    expect(p.quotePrefix).toBe("> ");
    const mail = raw.split("\n");
    const first = mail.findIndex((l) => l.startsWith("> diff --git")) + 1;
    const sig = mail.findIndex((l) => l === "> --") + 1;
    expect(p.lines[0]).toMatchObject({ line: first, text: "diff --git a/conformance.tex b/conformance.tex", column: 3, quoted: true });
    expect(p.lines[p.lines.length - 1]!.line).toBe(sig - 1);
    // `>` alone is a blank line of the patch, not the end of the quoting.
    const blank = p.lines.find((l) => mail[l.line - 1] === ">")!;
    expect(blank).toMatchObject({ text: "", quoted: true });
    expect(p.lines.every((l) => l.quoted)).toBe(true);
    // Not wrapped: no line is followed by one without a patch prefix.
    expect(p.wrapWidth).toBe(Infinity);
  });

  it("reads the ISM mail's diffstat block (quoted, with a create-mode line)", () => {
    const p = extractPatch(lines(readFileSync(ISM_MAIL, "utf8")))!;
    expect(p.mailDiffstat).toMatchObject({ filesChanged: 3, insertions: 600, deletions: 0 });
    expect(p.mailDiffstat!.files.map((f) => [f.path, f.changes, f.insertions, f.deletions])).toEqual([
      ["conformance.tex", 26, 26, 0],
      ["content.tex", 1, 1, 0],
      ["virtio-ism.tex", 573, 573, 0],
    ]);
  });

  it("finds the unquoted, wrapped vhost patch, its 80-column wrap and its diffstat", () => {
    const raw = readFileSync(VHOST_MAIL, "utf8");
    const p = extractPatch(lines(raw))!;
    expect(p.quotePrefix).toBe("");
    expect(p.lines[0]).toMatchObject({ line: 13, text: "diff --git a/content.tex b/content.tex" });
    expect(raw.split("\n")[p.lines[p.lines.length - 1]!.line]).toBe("-- ");
    expect(p.wrapWidth).toBe(80);
    // One file: the summary line gives its exact split although its graph is scaled.
    expect(p.mailDiffstat!.files).toEqual([{ path: "content.tex", changes: 227, insertions: 222, deletions: 5, mailLine: 10 }]);
  });
});

describe("extractPatch on small mails", () => {
  const diff = ["diff --git a/x.tex b/x.tex", "--- a/x.tex", "+++ b/x.tex", "@@ -1,1 +1,1 @@", "-a", "+b"];

  it("calls a bare diff a patch and anything with a preamble a mail", () => {
    expect(extractPatch(diff)!.kind).toBe("patch");
    expect(extractPatch(["", ...diff])!.kind).toBe("patch");
    expect(extractPatch(["Subject: x", "", ...diff])!.kind).toBe("mail");
  });

  it("finds a plain unified diff (no `diff --git`) only when `---`, `+++` and `@@` follow each other", () => {
    expect(extractPatch(["--- a", "+++ b", "@@ -1 +1 @@", "-x", "+y"])!.lines[0]!.text).toBe("--- a");
    expect(extractPatch(["---", "prose", "--- not a header", "and more"])).toBeUndefined();
    expect(extractPatch(["just a mail", "no patch"])).toBeUndefined();
  });

  it("takes a nested quote prefix and marks lines without it", () => {
    const mail = ["On Mon, X wrote:", ...diff.map((l) => "> > " + l), "> >", "A reply line."];
    const p = extractPatch(mail)!;
    expect(p.quotePrefix).toBe("> > ");
    expect(p.lines.map((l) => [l.text, l.quoted])).toEqual([
      ...diff.map((l) => [l, true]),
      ["", true],
      ["A reply line.", false],
    ]);
  });

  it("reads a CRLF mail like an LF one", () => {
    const lf = ["Subject: x", "", ...diff, "-- ", "2.1.0", ""].join("\n");
    const crlf = lf.replace(/\n/g, "\r\n");
    expect(extractPatch(lines(crlf))).toEqual(extractPatch(lines(lf)));
    expect(extractPatch(lines(crlf))!.lines.map((l) => l.text)).toEqual(diff);
  });

  it("stops at `-- ` only when a version follows (a deleted `- ` line is not a signature)", () => {
    const body = [...diff.slice(0, 3), "@@ -1,2 +1,1 @@", "-- ", " keep", "-- ", "2.39.5", "trailer"];
    expect(extractPatch(body)!.lines.map((l) => l.text)).toEqual(body.slice(0, 6));
  });

  it("ignores a `---` block that is not a diffstat", () => {
    expect(extractPatch(["Subject: x", "---", "Some prose.", ...diff])!.mailDiffstat).toBeUndefined();
  });
});
