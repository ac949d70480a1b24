/**
 * Diffstats: git's text format (checked against git itself), parsing a mail's block, comparing.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  compareDiffstat,
  computeDiffstat,
  formatDiffstat,
  parseMailDiffstat,
  summaryLine,
  type FileChangeCount,
} from "../../grammar/ingest/diffstat.js";
import { tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** Commits `before`, writes `after`, and returns git's own `--stat` and `--numstat` of the change. */
function gitStat(name: string, before: Record<string, string>, after: Record<string, string>) {
  const repo = join(tmp.dir, name);
  mkdirSync(repo, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "core.quotepath=false", ...args], { cwd: repo, encoding: "utf8" });
  git("init", "-q");
  const write = (files: Record<string, string>) => {
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(repo, p, ".."), { recursive: true });
      writeFileSync(join(repo, p), text);
    }
  };
  write(before);
  git("add", "-A");
  git("commit", "-qm", "base");
  write(after);
  git("add", "-A");
  const stat = git("diff", "--cached", "--stat=80");
  const counts: FileChangeCount[] = git("diff", "--cached", "--numstat")
    .trim()
    .split("\n")
    .map((l) => {
      const [ins, del, path] = l.split("\t");
      return { path: path!, insertions: Number(ins), deletions: Number(del) };
    });
  return { stat, counts };
}

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} ${i}\n`).join("");

describe("formatDiffstat matches `git diff --stat`", () => {
  it("for small changes (unscaled graph)", () => {
    const { stat, counts } = gitStat("small", { "a.tex": lines(10, "a"), "b.tex": lines(3, "b") }, {
      "a.tex": lines(8, "a") + "x\n",
      "b.tex": lines(3, "b") + "y\n",
      "new.tex": "n\n",
    });
    expect(formatDiffstat(computeDiffstat(counts))).toBe(stat);
  });

  it("for large changes (scaled graph), a deletion-only file and a long path", () => {
    const long = "device-types/some-rather-long-directory-name/and-a-long-file-name-too.tex";
    const { stat, counts } = gitStat(
      "large",
      { "content.tex": lines(400, "c"), "gone.tex": lines(30, "g"), [long]: lines(5, "l") },
      { "content.tex": lines(380, "c") + lines(250, "new"), "gone.tex": lines(2, "g"), [long]: lines(5, "l") + "z\n" },
    );
    expect(formatDiffstat(computeDiffstat(counts))).toBe(stat);
    expect(stat).toContain("...");
  });
});

describe("summaryLine", () => {
  it("follows git's singular, plural and zero rules", () => {
    expect(summaryLine({ filesChanged: 1, insertions: 1, deletions: 0 })).toBe(" 1 file changed, 1 insertion(+)");
    expect(summaryLine({ filesChanged: 2, insertions: 0, deletions: 1 })).toBe(" 2 files changed, 1 deletion(-)");
    expect(summaryLine({ filesChanged: 1, insertions: 0, deletions: 0 })).toBe(" 1 file changed, 0 insertions(+), 0 deletions(-)");
    expect(summaryLine({ filesChanged: 0, insertions: 0, deletions: 0 })).toBe(" 0 files changed");
  });
});

describe("parseMailDiffstat", () => {
  const numbered = (...ls: string[]) => ls.map((text, i) => ({ text, line: 10 + i }));

  it("keeps exact per-file splits only where the graph or the summary shows them", () => {
    const stat = parseMailDiffstat(
      numbered(
        " small.tex |   3 ++-",
        " big.tex   | 300 ++++++++++++++++++++++++++++++++++++++++++++++++++++---",
        " added.tex | 120 ++++++++++++++++++++++++++++++++",
        " 3 files changed, 380 insertions(+), 43 deletions(-)",
        " create mode 100644 added.tex",
      ),
    )!;
    expect(stat).toMatchObject({ filesChanged: 3, insertions: 380, deletions: 43, summaryLine: 13 });
    expect(stat.files).toEqual([
      { path: "small.tex", changes: 3, insertions: 2, deletions: 1, mailLine: 10 },
      { path: "big.tex", changes: 300, mailLine: 11 },
      { path: "added.tex", changes: 120, insertions: 120, deletions: 0, mailLine: 12 },
    ]);
  });

  it("gives up on a block that is not a diffstat", () => {
    expect(parseMailDiffstat(numbered("Changes since v2:", " - fixed typos"))).toBeUndefined();
    expect(parseMailDiffstat(numbered(" a.tex | 2 ++"))).toBeUndefined();
  });
});

describe("compareDiffstat", () => {
  const applied = computeDiffstat([
    { path: "conformance.tex", insertions: 26, deletions: 0 },
    { path: "device-types/ism/description.tex", insertions: 573, deletions: 0 },
  ]);

  it("is silent when the mail agrees (abbreviated paths included)", () => {
    const claimed = parseMailDiffstat([
      { text: " conformance.tex                  |  26 +++", line: 5 },
      { text: " .../ism/description.tex          | 573 +++++", line: 6 },
      { text: " 2 files changed, 599 insertions(+)", line: 7 },
    ])!;
    expect(compareDiffstat(applied, claimed, "m.txt")).toEqual([]);
  });

  it("warns at the mail line of each claim that disagrees", () => {
    const claimed = parseMailDiffstat([
      { text: " conformance.tex | 27 +++", line: 5 },
      { text: " other.tex       |  1 +", line: 6 },
      { text: " 2 files changed, 28 insertions(+)", line: 7 },
    ])!;
    const ws = compareDiffstat(applied, claimed, "m.txt");
    expect(ws.every((w) => w.severity === "warning" && w.code === "diffstat-mismatch")).toBe(true);
    expect(ws.map((w) => w.source.line)).toEqual([7, 5, 6, 7]);
    expect(ws[0]!.message).toBe(
      "the mail's diffstat says 2 files changed, 28 insertions(+) but applying the patch gives 2 files changed, 599 insertions(+)",
    );
    expect(ws[1]!.message).toContain("'conformance.tex' has 27 changed lines, the patch changes 26");
    expect(ws[3]!.message).toContain("'device-types/ism/description.tex', which the mail's diffstat does not list");
  });
});
