/**
 * Unwrapping and placing hunks, on small hand-made mails whose every line is visible in the test.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { Budget, parseHunkHeader, readHunk } from "../../grammar/ingest/hunk-read.js";
import type { MailLine } from "../../grammar/ingest/mail-line.js";
import { errorsOf, ingestError, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let serial = 0;

/** Writes a base tree and a mail into a fresh folder; returns their paths. */
function setup(mail: string, base: Record<string, string>): { mail: string; base: string } {
  const dir = join(tmp.dir, String(serial++));
  const baseDir = join(dir, "base");
  mkdirSync(baseDir, { recursive: true });
  for (const [p, text] of Object.entries(base)) writeFileSync(join(baseDir, p), text);
  const mailPath = join(dir, "mail.txt");
  writeFileSync(mailPath, mail);
  return { mail: mailPath, base: baseDir };
}

const BASE = [
  "\\section{Example}",
  "",
  "The device MUST present a 0 in \\field{queue_enable} on reset.",
  "The driver writes the physical address of Used Ring here.  See section \\ref{sec:Virtqueues}.",
  "",
  "\\begin{tabular}{ |l|l| }",
  "\\hline",
  "Bits    & 0 to 31 \\\\",
  "\\hline",
  "\\end{tabular}",
  "",
  "Closing words.",
].join("\n") + "\n";

const mailOf = (...patch: string[]) =>
  ["From: someone", "Subject: [PATCH] example", "", "Body text.", "", ...patch, "-- ", "2.39.5", ""].join("\n");

describe("unwrapping", () => {
  it("rejoins a wrapped context line by the base text, and a wrapped added line by the counts", () => {
    const m = setup(
      mailOf(
        "diff --git a/c.tex b/c.tex",
        "--- a/c.tex",
        "+++ b/c.tex",
        "@@ -3,4 +3,5 @@ \\section{Example}",
        " The device MUST present a 0 in \\field{queue_enable} on reset.",
        " The driver writes the physical address of Used Ring here.  See section ",
        "\\ref{sec:Virtqueues}.",
        "+The driver MUST NOT write a 1 to \\field{peer_connection} unless it was told ",
        "so by the device.",
        " ",
        " \\begin{tabular}{ |l|l| }",
      ),
      { "c.tex": BASE },
    );
    const r = loadInput(m.mail, { base: m.base });
    const lines = r.tree.files.get("c.tex")!.text.split("\n");
    expect(lines[3]).toBe("The driver writes the physical address of Used Ring here.  See section \\ref{sec:Virtqueues}.");
    expect(lines[4]).toBe("The driver MUST NOT write a 1 to \\field{peer_connection} unless it was told so by the device.");
    expect(r.diffstat).toMatchObject({ insertions: 1, deletions: 0 });
    expect(r.diagnostics.map((d) => d.code)).toContain("lines-unwrapped");
    // The added line maps to the mail line that holds its start (line 13 of the mail).
    expect(r.tree.files.get("c.tex")!.mailLines![4]).toBe(13);
  });

  it("tells a continuation that starts with blanks from a context line (the `& 3 to 31` case)", () => {
    // `        & 3 to 31 \\` has a valid context prefix, but the counts (-1 +1 around it) and the base (no
    // such line) say it continues the added row above.
    // As in the seed, the row was broken inside a run of blanks at 80 columns; the header wrap (a line with
    // no patch prefix) shows the mail was wrapped at all.
    const row = "+Bits    & 0               & 1                              & 2                 ";
    const m = setup(
      mailOf(
        "diff --git a/c.tex b/c.tex",
        "--- a/c.tex",
        "+++ b/c.tex",
        "@@ -7,3 +7,3 @@ The driver writes the physical address of Used Ring here.  See ",
        "section \\ref{sec:Virtqueues}.",
        " \\hline",
        "-Bits    & 0 to 31 \\\\",
        row,
        "           & 3 to 31 \\\\",
        " \\hline",
      ),
      { "c.tex": BASE },
    );
    const r = loadInput(m.mail, { base: m.base });
    const lines = r.tree.files.get("c.tex")!.text.split("\n");
    expect(lines[7]).toBe(row.slice(1) + "           & 3 to 31 \\\\");
    expect(lines[8]).toBe("\\hline");
    expect(r.diffstat).toMatchObject({ insertions: 1, deletions: 1 });
  });

  it("rejoins a wrapped hunk header, even when its continuation starts like a deleted line", () => {
    // git copied the base line `... on -reset.` into the header; the client broke it before `-reset.`.
    const base = BASE.replace("on reset.", "on -reset.");
    const m = setup(
      mailOf(
        "diff --git a/c.tex b/c.tex",
        "--- a/c.tex",
        "+++ b/c.tex",
        "@@ -9,4 +9,5 @@ The device MUST present a 0 in \\field{queue_enable} on ",
        "-reset.",
        " \\hline",
        " \\end{tabular}",
        " ",
        "+New line that is long enough to be wrapped by the client, ",
        "really.",
        " Closing words.",
      ),
      { "c.tex": base },
    );
    const r = loadInput(m.mail, { base: m.base });
    expect(r.unwrappedPatch).toContain("@@ -9,4 +9,5 @@ The device MUST present a 0 in \\field{queue_enable} on -reset.\n \\hline\n");
    expect(r.tree.files.get("c.tex")!.text).toContain("\n\nNew line that is long enough to be wrapped by the client, really.\nClosing words.\n");
    expect(r.diffstat).toMatchObject({ insertions: 1, deletions: 0 });
  });

  it("joins a header continuation with a patch prefix only when the base has that header text", () => {
    const region = [
      " \\hline",
      " \\end{tabular}",
      " ",
      "+New line.",
      " Closing words.",
    ];
    const mk = (text: string, line: number): MailLine => ({ text, line, column: 1, rawLength: text.length, quoted: true });
    const header = parseHunkHeader(mk("@@ -9,4 +9,5 @@ The device MUST present", 1))!;
    const lines = region.map((t, i) => mk(t, i + 2));
    const withHeaderText = readHunk([mk("-ish", 2), ...lines.map((l) => ({ ...l, line: l.line + 1 }))], 0, header, {
      maxReadings: 8,
      budget: new Budget(1e5),
      base: { lines: ["The device MUST present-ish, and more"] },
    });
    expect(withHeaderText.readings).toHaveLength(1);
    expect(withHeaderText.readings[0]!.section).toBe("The device MUST present-ish");
    const without = readHunk([mk("-ish", 2), ...lines], 0, header, { maxReadings: 8, budget: new Budget(1e5) });
    // Read as a deleted line, `-ish` breaks the counts: no reading at all.
    expect(without.readings).toHaveLength(0);
  });

  it("refuses, with the mail position, wrapped lines that can be rejoined two ways", () => {
    // The `yyyy` continuation shows the mail was wrapped (at 81 columns). Then -0 +3 but four added mail
    // lines: either `+bbbb` or `+cccc` continues the line before it, and both fragments are long enough.
    const m = setup(
      mailOf(
        "diff --git a/c.tex b/c.tex",
        "--- a/c.tex",
        "+++ b/c.tex",
        "@@ -11,2 +11,5 @@ \\end{tabular}",
        " ",
        "+zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz ",
        "yyyy",
        "+aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa aaaa ",
        "+bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb ",
        "+cccc",
        " Closing words.",
      ),
      { "c.tex": BASE },
    );
    const e = ingestError(() => loadInput(m.mail, { base: m.base }));
    expect(e.reason).toBe("unwrap-ambiguous");
    expect(errorsOf(e)).toHaveLength(1);
    expect(e.diagnostics[0]!.source).toMatchObject({ file: m.mail, line: 14 });
    expect(e.diagnostics[0]!.message).toMatch(/mail line 14 may be a line of its own/);
  });

  it("lets the wrap width decide when only one reading looks like wrapping", () => {
    // Same shape, but `+short line` is short: a client wrapping at 81 columns would never have broken after
    // it, so only `+cccc` can be the continuation.
    const m = setup(
      mailOf(
        "diff --git a/c.tex b/c.tex",
        "--- a/c.tex",
        "+++ b/c.tex",
        "@@ -11,2 +11,5 @@ \\end{tabular}",
        " ",
        "+zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz zzzz ",
        "yyyy",
        "+short line",
        "+bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb ",
        "+cccc",
        " Closing words.",
      ),
      { "c.tex": BASE },
    );
    const r = loadInput(m.mail, { base: m.base });
    expect(r.tree.files.get("c.tex")!.text).toContain(
      "zzzz yyyy\nshort line\nbbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb bbbb +cccc\nClosing words.\n",
    );
  });

  it("takes a prefixed line as a continuation only where a client wrapping at the mail's width would break", () => {
    const mk = (text: string, line: number): MailLine => ({ text, line, column: 1, rawLength: text.length, quoted: true });
    const header = parseHunkHeader(mk("@@ -1,1 +1,4 @@", 1))!;
    const long = "+" + "word ".repeat(15); // 76 columns, ends in the break blank
    const region = [" ctx", "+short ", "+x", long, "+tail"].map((t, i) => mk(t, i + 2));
    const read = (wrapWidth?: number) =>
      readHunk(region, 0, header, { maxReadings: 8, budget: new Budget(1e5), ...(wrapWidth === undefined ? {} : { wrapWidth }) });
    // Five mail lines for four patch lines: on counts alone, any of lines 3-6 may continue the one above.
    const joined = (wrapWidth?: number) => read(wrapWidth).readings.map((r) => r.joins.map((j) => j.continuation.line));
    expect(joined().sort()).toEqual([[3], [4], [5], [6]]);
    // At 80 columns only the break after the 76-column line is one a client makes (76 + 5 >= 80).
    expect(joined(80)).toEqual([[6]]);
    // At 82 neither is: no reading.
    expect(read(82).readings).toEqual([]);
  });

  it("refuses a wrapped hunk whose counts no rejoining can satisfy", () => {
    const m = setup(
      mailOf(
        "diff --git a/c.tex b/c.tex",
        "--- a/c.tex",
        "+++ b/c.tex",
        "@@ -11,2 +11,3 @@ \\end{tabular}",
        " ",
        "+one line that the client wrapped because it is very long indeed, really it is ",
        "wrapped here",
        "+another line",
        "+and a third",
        " Closing words.",
      ),
      { "c.tex": BASE },
    );
    const e = ingestError(() => loadInput(m.mail, { base: m.base }));
    expect(e.reason).toBe("unwrap-unresolved");
    expect(errorsOf(e)).toHaveLength(1);
    expect(e.diagnostics[0]!.source).toMatchObject({ file: m.mail, line: 14 });
    expect(e.diagnostics[0]!.message).toMatch(/declares 2 old and 3 new lines, but by mail line 14 it has 1 and 4/);
  });

  it("calls the same overflow a count mismatch when nothing in the hunk was wrapped", () => {
    const m = setup(
      mailOf("--- a/c.tex", "+++ b/c.tex", "@@ -11,2 +11,3 @@", " ", "+a", "+b", "+c", " Closing words."),
      { "c.tex": BASE },
    );
    expect(ingestError(() => loadInput(m.mail, { base: m.base })).reason).toBe("hunk-count-mismatch");
  });
});

describe("placing hunks", () => {
  it("applies at an offset and says so in a note", () => {
    const shifted = "One more line at the top.\nAnd another.\n" + BASE;
    const m = setup(
      mailOf("--- a/c.tex", "+++ b/c.tex", "@@ -10,3 +10,4 @@", " \\end{tabular}", " ", "+Inserted.", " Closing words."),
      { "c.tex": shifted },
    );
    const r = loadInput(m.mail, { base: m.base });
    expect(r.tree.files.get("c.tex")!.text.endsWith("\\end{tabular}\n\nInserted.\nClosing words.\n")).toBe(true);
    const note = r.diagnostics.find((d) => d.code === "hunk-offset")!;
    expect(note.severity).toBe("note");
    expect(note.message).toMatch(/applied at line 12 of 'c.tex' \(offset \+2 lines\)/);
  });

  it("refuses a hunk whose context is not in the base, naming the hunk, the base line and the difference", () => {
    const m = setup(
      mailOf("--- a/c.tex", "+++ b/c.tex", "@@ -10,3 +10,4 @@", " \\end{tabular}", " ", "+Inserted.", " Opening words."),
      { "c.tex": BASE },
    );
    const e = ingestError(() => loadInput(m.mail, { base: m.base }));
    expect(e.reason).toBe("hunk-does-not-apply");
    expect(errorsOf(e)).toHaveLength(1);
    const d = e.diagnostics[0]!;
    expect(d.source).toMatchObject({ file: m.mail, line: 8, column: 1 });
    expect(d.message).toContain("hunk #1 (@@ -10,3 +10,4 @@) does not apply to 'c.tex'");
    expect(d.message).toContain(`at line 12 of 'c.tex' its context line (mail line 12) reads "Opening words." but the base has "Closing words."`);
  });

  it("anchors a hunk that starts at line 1 to the beginning, as git does", () => {
    const base = "x\na\nb\nc\nd\n";
    const ok = setup(mailOf("--- a/c.tex", "+++ b/c.tex", "@@ -1,3 +1,4 @@", " x", "+new", " a", " b"), { "c.tex": base });
    expect(loadInput(ok.mail, { base: ok.base }).tree.files.get("c.tex")!.text).toBe("x\nnew\na\nb\nc\nd\n");
    // `a b c` exists at line 2, but a hunk stated at line 1 may not slide there.
    const bad = setup(mailOf("--- a/c.tex", "+++ b/c.tex", "@@ -1,3 +1,4 @@", " a", "+new", " b", " c"), { "c.tex": base });
    expect(ingestError(() => loadInput(bad.mail, { base: bad.base })).reason).toBe("hunk-does-not-apply");
  });

  it("handles `\\ No newline at end of file` on both sides", () => {
    const m = setup(
      mailOf("--- a/c.tex", "+++ b/c.tex", "@@ -2,2 +2,2 @@", " b", "-c", "\\ No newline at end of file", "+c"),
      { "c.tex": "a\nb\nc" },
    );
    expect(loadInput(m.mail, { base: m.base }).tree.files.get("c.tex")!.text).toBe("a\nb\nc\n");
    const m2 = setup(
      mailOf("--- a/c.tex", "+++ b/c.tex", "@@ -2,2 +2,2 @@", " b", "-c", "+d", "\\ No newline at end of file"),
      { "c.tex": "a\nb\nc\n" },
    );
    expect(loadInput(m2.mail, { base: m2.base }).tree.files.get("c.tex")!.text).toBe("a\nb\nd");
  });

  it("creates and deletes files", () => {
    const m = setup(
      mailOf(
        "diff --git a/new.tex b/new.tex",
        "new file mode 100644",
        "--- /dev/null",
        "+++ b/new.tex",
        "@@ -0,0 +1,2 @@",
        "+\\section{New}",
        "+Text.",
        "diff --git a/old.tex b/old.tex",
        "deleted file mode 100644",
        "--- a/old.tex",
        "+++ /dev/null",
        "@@ -1,1 +0,0 @@",
        "-gone",
      ),
      { "c.tex": BASE, "old.tex": "gone\n" },
    );
    const r = loadInput(m.mail, { base: m.base });
    expect(r.tree.files.get("new.tex")!.text).toBe("\\section{New}\nText.\n");
    expect(r.tree.files.has("old.tex")).toBe(false);
    expect(r.tree.changed).toEqual(["new.tex", "old.tex"]);
    expect(r.diffstat).toMatchObject({ filesChanged: 2, insertions: 2, deletions: 1 });
  });
});
