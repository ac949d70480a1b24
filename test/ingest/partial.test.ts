/**
 * No partial result: every file header and hunk a mail carries is applied or reported, and `virtiokit apply`
 * writes nothing unless the whole patch applied.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { errorsOf, ingestError, REPO, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let serial = 0;

/** A base tree with two files of ten numbered lines each. */
function base(): string {
  const dir = join(tmp.dir, `base${serial++}`);
  mkdirSync(dir);
  for (const name of ["a.tex", "b.tex"]) {
    writeFileSync(join(dir, name), Array.from({ length: 10 }, (_, k) => `${name} line ${k + 1} with some words`).join("\n") + "\n");
  }
  return dir;
}

function mail(text: string): string {
  const p = join(tmp.dir, `m${serial++}.mail.txt`);
  writeFileSync(p, text);
  return p;
}

const fileA = [
  "diff --git a/a.tex b/a.tex",
  "index 1111111..2222222 100644",
  "--- a/a.tex",
  "+++ b/a.tex",
  "@@ -2,3 +2,3 @@",
  " a.tex line 2 with some words",
  "-a.tex line 3 with some words",
  "+a.tex line 3 changed",
  " a.tex line 4 with some words",
];
const fileB = [
  "diff --git a/b.tex b/b.tex",
  "index 3333333..4444444 100644",
  "--- a/b.tex",
  "+++ b/b.tex",
  "@@ -8,3 +8,3 @@",
  " b.tex line 8 with some words",
  "-b.tex line 9 with some words",
  "+b.tex line 9 changed",
  " b.tex line 10 with some words",
];
const head = ["From: A <a@example.org>", "Subject: [PATCH] two files", "", "Body.", "---"];

describe("prose between two files of a patch", () => {
  it("does not stop the reading: the second file is applied too", () => {
    const m = mail([...head, ...fileA, "", "Note from the author: the next file is the important one.", "", ...fileB, "-- ", "2.39.2", ""].join("\n"));
    const r = loadInput(m, { base: base() });
    expect(r.tree.changed).toEqual(["a.tex", "b.tex"]);
    expect(r.tree.files.get("a.tex")!.text).toContain("a.tex line 3 changed\n");
    expect(r.tree.files.get("b.tex")!.text).toContain("b.tex line 9 changed\n");
  });

  it("a hunk of the second file that does not apply is reported at its mail line, with the first file fine", () => {
    const badB = fileB.map((l) => l.replace("-b.tex line 9 with some words", "-b.tex line 9 not in the base"));
    const lines = [...head, ...fileA, "", "Prose.", "", ...badB, ""];
    const e = ingestError(() => loadInput(mail(lines.join("\n")), { base: base() }));
    expect(errorsOf(e)).toHaveLength(1);
    expect(e.reason).toBe("hunk-does-not-apply");
    expect(e.diagnostics[0]!.source.line).toBe(lines.indexOf("@@ -8,3 +8,3 @@") + 1);
  });

  it("every unrecovered piece gets its own error: a bad hunk in each file, and a stray hunk after them", () => {
    const badA = fileA.map((l) => l.replace("-a.tex line 3 with some words", "-nope"));
    const badB = fileB.map((l) => l.replace("-b.tex line 9 with some words", "-nope"));
    const lines = [...head, ...badA, "", "Prose.", "", ...badB, "", "@@ -1,1 +1,1 @@", "-x", "+y", ""];
    const e = ingestError(() => loadInput(mail(lines.join("\n")), { base: base() }));
    const at = (s: string) => lines.indexOf(s) + 1;
    expect(errorsOf(e).map((d) => d.source.line)).toEqual([at("@@ -2,3 +2,3 @@"), at("@@ -8,3 +8,3 @@"), at("@@ -1,1 +1,1 @@")]);
    expect(errorsOf(e).slice(0, 2).map((d) => d.code)).toEqual(["hunk-does-not-apply", "hunk-does-not-apply"]);
  });
});

describe("a wrapped fragment left over after a hunk", () => {
  it("is reported at its mail line, never dropped", () => {
    // The last added line wrapped by a client, its tail left without a prefix right after the complete hunk.
    const lines = [...head, ...fileA.slice(0, -1), " a.tex line 4 with some", "words", ""];
    const e = ingestError(() => loadInput(mail(lines.join("\n")), { base: base() }));
    expect(errorsOf(e).length).toBeGreaterThanOrEqual(1);
    expect(errorsOf(e).some((d) => d.source.line === lines.indexOf("words") + 1 || d.source.line === lines.indexOf("@@ -2,3 +2,3 @@") + 1)).toBe(true);
  });

  it("a leftover with a prefix-less text after the counts are met is an error at that line", () => {
    const lines = [...head, ...fileA, "stray tail of a wrapped line", ...fileB, ""];
    const e = ingestError(() => loadInput(mail(lines.join("\n")), { base: base() }));
    expect(errorsOf(e).map((d) => [d.code, d.source.line])).toEqual([["unwrap-unresolved", lines.indexOf("stray tail of a wrapped line") + 1]]);
  });
});

describe("virtiokit apply writes nothing unless the whole patch applied", () => {
  const MAIN = join(REPO, "dist/cli/main.js");
  const cli = (...args: string[]) => spawnSync(process.execPath, [MAIN, "apply", ...args], { cwd: REPO, encoding: "utf8" });

  it("a failing second file: exit 2, no --out, no temporary directory left beside it", () => {
    const badB = fileB.map((l) => l.replace("-b.tex line 9 with some words", "-nope"));
    const m = mail([...head, ...fileA, "", "Prose.", "", ...badB, ""].join("\n"));
    const parent = join(tmp.dir, `outs${serial++}`);
    mkdirSync(parent);
    const r = cli(m, "--base", base(), "--out", join(parent, "out"));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/: error: hunk #1 \(@@ -8,3 \+8,3 @@\) does not apply to 'b.tex'/);
    expect(readdirSync(parent)).toEqual([]);
  });

  it("success: the whole tree appears at --out and the temporary directory is gone", () => {
    const m = mail([...head, ...fileA, "", "Prose.", "", ...fileB, ""].join("\n"));
    const parent = join(tmp.dir, `outs${serial++}`);
    mkdirSync(join(parent, "out"), { recursive: true });
    const r = cli(m, "--base", base(), "--out", join(parent, "out"));
    expect(r.stderr).not.toMatch(/: error: /);
    expect(r.status).toBe(0);
    expect(readdirSync(parent)).toEqual(["out"]);
    expect(readdirSync(join(parent, "out")).sort()).toEqual(["a.tex", "b.tex"]);
    expect(existsSync(join(parent, "out", "b.tex"))).toBe(true);
  });
});

describe("a wrapped `diff --git` header", () => {
  it("is rejoined like a wrapped body line (a long device-types path split at the blank before b/)", () => {
    const dir = join(tmp.dir, `base${serial++}`);
    const path = "device-types/some-long-device-name/description.tex";
    mkdirSync(join(dir, "device-types/some-long-device-name"), { recursive: true });
    writeFileSync(join(dir, path), "one\ntwo\nthree\n");
    const lines = [
      ...head,
      `diff --git a/${path} `,
      `b/${path}`,
      "index 1111111..2222222 100644",
      `--- a/${path}`,
      `+++ b/${path}`,
      "@@ -1,3 +1,3 @@",
      " one",
      "-two",
      "+TWO",
      " three",
      "",
    ];
    const r = loadInput(mail(lines.join("\n")), { base: dir });
    expect(r.tree.changed).toEqual([path]);
    expect(r.tree.files.get(path)!.text).toBe("one\nTWO\nthree\n");
  });

  it("a wrapped header of a file with no hunks (mode change) still reads its name", () => {
    const dir = join(tmp.dir, `base${serial++}`);
    const path = "device-types/some-long-device-name/description.tex";
    mkdirSync(join(dir, "device-types/some-long-device-name"), { recursive: true });
    writeFileSync(join(dir, path), "one\n");
    writeFileSync(join(dir, "a.tex"), "x\n");
    const lines = [...head, `diff --git a/${path} `, `b/${path}`, "old mode 100644", "new mode 100755", ""];
    const r = loadInput(mail(lines.join("\n")), { base: dir });
    expect(r.tree.changed).toEqual([path]);
    expect(r.tree.files.get(path)!.text).toBe("one\n");
  });
});
