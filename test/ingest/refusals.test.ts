/**
 * Every refusal sits at the mail line of the piece it is about (table below: the expected line is named by
 * its text); the hint tells a wrong base (the `index` line's pre-image blob is not the base file's) from a
 * damaged mail (the blob matches, the text does not); the wrap-width estimate ignores prose; and an
 * unquoted leftover in a quoted mail is a continuation, not the end of the quoting.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { estimateWrapWidth, extractPatch } from "../../grammar/ingest/mail.js";
import { FIXTURES, ingestError, tempDir } from "./helpers.js";

const MINI = join(FIXTURES, "mini-tree");
const tmp = tempDir("vk-refusals-");
afterAll(() => tmp.cleanup());
let n = 0;
const mailOf = (lines: readonly string[]) => {
  const p = join(tmp.dir, `m${n++}.mail`);
  writeFileSync(p, lines.join("\n") + "\n");
  return p;
};
const HEAD = ["From: a@example.org", "Subject: [PATCH] x", "", "Text.", "---"];

/** name, code, mail lines (after HEAD), the text of the line the error must be at, base (MINI; null: none). */
const CASES: [string, string, string[], string, string | null][] = [
  ["truncated", "patch-truncated", ["--- a/content.tex", "+++ b/content.tex", "@@ -1,4 +1,4 @@", " \\chapter{Basic Facilities of a Virtio Device}\\label{sec:Basic Facilities}", "-"], "-", MINI],
  ["malformed header", "hunk-header-malformed", ["--- a/content.tex", "+++ b/content.tex", "@@ -1,2 +x @@", " a"], "@@ -1,2 +x @@", MINI],
  ["counts short of the next file", "hunk-count-mismatch", ["--- a/content.tex", "+++ b/content.tex", "@@ -1,3 +1,3 @@", " \\chapter{Basic Facilities of a Virtio Device}\\label{sec:Basic Facilities}", "diff --git a/virtio.tex b/virtio.tex"], "diff --git a/virtio.tex b/virtio.tex", MINI],
  ["context not in the base", "hunk-does-not-apply", ["--- a/content.tex", "+++ b/content.tex", "@@ -3,1 +3,1 @@", "-This chapter describes nothing.", "+x"], "@@ -3,1 +3,1 @@", MINI],
  ["leftover after a hunk", "unwrap-unresolved", ["--- a/content.tex", "+++ b/content.tex", "@@ -3,2 +3,2 @@", "-This chapter describes the basic facilities of a device.", "+x", " ", "tail"], "tail", MINI],
  ["file not in the base", "base-file-missing", ["diff --git a/nothere.tex b/nothere.tex", "--- a/nothere.tex", "+++ b/nothere.tex", "@@ -1 +1 @@", "-a", "+b"], "diff --git a/nothere.tex b/nothere.tex", MINI],
  ["created file exists", "new-file-exists", ["diff --git a/content.tex b/content.tex", "new file mode 100644", "--- /dev/null", "+++ b/content.tex", "@@ -0,0 +1 @@", "+a"], "diff --git a/content.tex b/content.tex", MINI],
  ["no base given", "base-required", ["--- a/content.tex", "+++ b/content.tex", "@@ -1 +1 @@", "-a", "+b"], "--- a/content.tex", null],
  ["name leaving the tree", "path-unsafe", ["--- a/../etc.tex", "+++ b/../etc.tex", "@@ -1 +1 @@", "-a", "+b"], "+++ b/../etc.tex", MINI],
  ["hunk without a file", "patch-unsupported", ["--- a/content.tex", "+++ b/content.tex", "@@ -3,2 +3,2 @@", "-This chapter describes the basic facilities of a device.", "+x", " ", "", "Prose.", "@@ -1 +1 @@", "-a", "+b"], "@@ -1 +1 @@", MINI],
  ["hunks out of order", "hunk-out-of-order", ["--- a/content.tex", "+++ b/content.tex", "@@ -7,2 +7,2 @@", "-The driver MUST update \\field{device status}, setting bits to indicate the", "+x", " completed steps of the driver initialization sequence.", "@@ -2,0 +3 @@", "+inserted"], "@@ -2,0 +3 @@", MINI],
  ["rename without its other half", "patch-unsupported", ["diff --git a/content.tex b/other.tex", "similarity index 90%", "rename from content.tex", "diff --git a/virtio.tex b/virtio.tex"], "rename from content.tex", MINI],
];

describe("each refusal at its mail line", () => {
  for (const [name, code, lines, at, base] of CASES) {
    it(`${name}: ${code}`, () => {
      const all = [...HEAD, ...lines];
      const mail = mailOf(all);
      const e = ingestError(() => loadInput(mail, base === null ? {} : { base }));
      const err = e.diagnostics.find((d) => d.severity === "error" && d.code === code);
      expect(err, `${code} among ${e.diagnostics.map((d) => d.code).join(", ")}`).toBeDefined();
      const hits = all.flatMap((l, k) => (l === at ? [k + 1] : []));
      expect(hits).toHaveLength(1);
      expect(err!.source.line).toBe(hits[0]);
    });
  }
});

/** A one-commit repository change made by real git: the base tree and the format-patch mail. */
function gitChange(): { base: string; mail: string; text: string } {
  const repo = join(tmp.dir, `r${n++}`);
  mkdirSync(repo);
  const git = (...a: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", ...a], { cwd: repo, encoding: "utf8" });
  git("init", "-q");
  const before = Array.from({ length: 30 }, (_, k) => `line ${k + 1}`).join("\n") + "\n";
  writeFileSync(join(repo, "a.tex"), before);
  git("add", "-A");
  git("commit", "-qm", "one");
  writeFileSync(join(repo, "a.tex"), before.replace("line 15\n", "line fifteen\n"));
  git("commit", "-qam", "two");
  const base = join(tmp.dir, `base${n++}`);
  mkdirSync(base);
  writeFileSync(join(base, "a.tex"), before);
  const text = git("format-patch", "-1", "--stdout", "HEAD");
  return { base, mail: mailOf([text]), text };
}

describe("wrong base or damaged mail", () => {
  it("the base file is another blob than the index line names: wrong base", () => {
    const { base, mail } = gitChange();
    writeFileSync(join(base, "a.tex"), readFileSync(join(base, "a.tex"), "utf8").replace("line 14\n", "line 14 edited since\n"));
    const e = ingestError(() => loadInput(mail, { base }));
    expect(e.reason).toBe("hunk-does-not-apply");
    expect(e.diagnostics[0]!.hint).toMatch(/^wrong base: the patch was made against blob [0-9a-f]+ of 'a\.tex', the base has [0-9a-f]+/);
  });

  it("the base file is the very blob, the hunk's text differs: damaged mail", () => {
    const { base, text } = gitChange();
    const damaged = mailOf([text.replace(" line 14\n", " line  14\n")]);
    const e = ingestError(() => loadInput(damaged, { base }));
    expect(e.reason).toBe("hunk-does-not-apply");
    expect(e.diagnostics[0]!.hint).toMatch(/^damaged mail: the base holds blob [0-9a-f]+ of 'a\.tex'/);
  });
});

describe("wrap-width estimate", () => {
  it("comes from broken patch lines only, not from long prose between files", () => {
    const longProse = "A reviewer's note that nobody wrapped, running on and on well past any mail client's width.";
    const lines = [
      "diff --git a/a.tex b/a.tex",
      "--- a/a.tex",
      "+++ b/a.tex",
      "@@ -1,1 +1,1 @@",
      "-old",
      "+a line that the client broke at seventy columns, at the last blank ",
      "that fits",
      "",
      longProse,
      "and its second line.",
      "diff --git a/b.tex b/b.tex",
    ];
    const width = extractPatch(lines)!.wrapWidth;
    expect(width).toBe(lines[5]!.length);
    expect(width).toBeLessThan(longProse.length);
    expect(estimateWrapWidth(extractPatch(lines.slice(0, 6))!.lines)).toBe(Infinity);
  });
});

describe("quoted mail: an unquoted leftover line", () => {
  const quoted = (ls: string[]) => ls.map((l) => (l === "" ? ">" : `> ${l}`));
  const hunk = (last: string[]) => [
    ...HEAD,
    ...quoted(["--- a/content.tex", "+++ b/content.tex", "@@ -3,3 +3,3 @@"]),
    // (hunk lines below are written out: `> ` then the patch line with its own prefix)
    ...last,
  ];
  it("in the middle of a hunk it continues the line above; the hunk and the file after it apply", () => {
    const mail = mailOf([
      ...hunk([
        "> -This chapter describes the basic facilities of a ",
        "device.",
        "> +This chapter describes the facilities.",
        ">",
        ">  \\section{Device Status Field}\\label{sec:Basic Facilities / Device Status Field}",
      ]),
      "",
      "A reply line after the quote.",
    ]);
    const r = loadInput(mail, { base: MINI });
    expect(r.tree.files.get("content.tex")!.text.split("\n")[2]).toBe("This chapter describes the facilities.");
  });

  it("right after a hunk's last added line, with no blank before it, it is never silently dropped or taken as the reply", () => {
    // The added line may go on in the unquoted line (a re-wrapped quote) or the reply may start there: the
    // mail does not say which, so the hunk is refused at that line rather than either guessed.
    const mail = mailOf([
      ...HEAD,
      ...quoted(["--- a/content.tex", "+++ b/content.tex", "@@ -27 +27,2 @@", " \\lstinputlisting{sub/example.h}", "+An added last line that the replying client wrapped at the blank before "]),
      "its tail.",
    ]);
    const e = ingestError(() => loadInput(mail, { base: MINI }));
    expect(["unwrap-ambiguous", "unwrap-unresolved"]).toContain(e.reason);
    expect(e.diagnostics[0]!.source.line).toBe(HEAD.length + 6);
  });

  it("an empty line without the `>` inside a quoted hunk is its blank context line, not the end of the quoting", () => {
    const mail = mailOf([
      ...HEAD,
      ...quoted(["--- a/content.tex", "+++ b/content.tex", "@@ -3,3 +3,3 @@", "-This chapter describes the basic facilities of a device.", "+This chapter describes the facilities."]),
      "",
      ...quoted([" \\section{Device Status Field}\\label{sec:Basic Facilities / Device Status Field}"]),
    ]);
    expect(loadInput(mail, { base: MINI }).tree.files.get("content.tex")!.text.split("\n")[2]).toBe("This chapter describes the facilities.");
  });

  it("after a blank line it is the reply: the quoting ended, the hunk applies", () => {
    const mail = mailOf([
      ...HEAD,
      ...quoted(["--- a/content.tex", "+++ b/content.tex", "@@ -27 +27,2 @@", " \\lstinputlisting{sub/example.h}", "+An added last line."]),
      "",
      "My reply.",
    ]);
    expect(loadInput(mail, { base: MINI }).tree.files.get("content.tex")!.text.endsWith("\\lstinputlisting{sub/example.h}\nAn added last line.\n")).toBe(true);
  });
});
