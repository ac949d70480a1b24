/**
 * The history corpus: real virtio-spec commits (spec/history/virtio-spec.bundle), each turned at test time
 * into a `git format-patch` mail three ways (plain, wrapped by a mail-client-like folding, quoted with `> `).
 * Each must give the commit's own post-image of the files it touches byte for byte, or be refused with an
 * error; a load that succeeds with a different tree is the one outcome never allowed.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IngestError, loadInput } from "../../grammar/ingest/index.js";
import { specGit, specHistoryMissing } from "../helpers/spec-history.js";
import { tempDir } from "./helpers.js";

const missing = specHistoryMissing();
const tmp = tempDir("vk-history-");
afterAll(() => tmp.cleanup());

/** Folds lines longer than `width` at the last blank that fits, the blank kept on the first fragment. */
function wrap(text: string, width: number): string {
  const out: string[] = [];
  for (let line of text.split("\n")) {
    while (line.length > width) {
      const k = line.lastIndexOf(" ", width - 1);
      if (k <= 0) break;
      out.push(line.slice(0, k + 1));
      line = line.slice(k + 1);
    }
    out.push(line);
  }
  return out.join("\n");
}

const quote = (text: string) => text.split("\n").map((l) => (l === "" ? ">" : `> ${l}`)).join("\n");

/** Content of `path` at `rev`, undefined when absent. */
function show(rev: string, path: string): string | undefined {
  try {
    return specGit(["show", `${rev}:${path}`]);
  } catch {
    return undefined;
  }
}

describe.skipIf(missing !== undefined)(`history corpus${missing ? ` (skipped: ${missing})` : ""}`, () => {
  it("every commit gives its own post-image or is refused; never a different tree", () => {
    const all = specGit(["log", "--no-merges", "--format=%H", "master", "--", "*.tex"]).trim().split("\n");
    const step = Math.max(1, Math.floor(all.length / 110));
    const commits = all.filter((_, k) => k % step === 0).slice(0, 110);
    expect(commits.length).toBeGreaterThanOrEqual(100);
    const figures: Record<string, { identical: number; refused: number; wrong: number }> = {};
    const wrongCases: string[] = [];
    const refusals: string[] = [];
    let n = 0;
    for (const c of commits) {
      const paths = specGit(["diff-tree", "--no-commit-id", "--name-only", "-r", "--no-renames", `${c}^`, c]).trim().split("\n").filter(Boolean);
      const base = join(tmp.dir, `b${n}`);
      mkdirSync(base, { recursive: true });
      for (const p of paths) {
        const text = show(`${c}^`, p);
        if (text === undefined) continue;
        mkdirSync(dirname(join(base, p)), { recursive: true });
        writeFileSync(join(base, p), text);
      }
      const plain = specGit(["format-patch", "-1", "--stdout", c]);
      const width = 72 + (n % 7);
      for (const [variant, text] of [["plain", plain], ["wrapped", wrap(plain, width)], ["quoted", quote(plain)]] as const) {
        const f = (figures[variant] ??= { identical: 0, refused: 0, wrong: 0 });
        const mail = join(tmp.dir, `m${n}-${variant}.txt`);
        writeFileSync(mail, text);
        let loaded;
        try {
          loaded = loadInput(mail, { base });
        } catch (err) {
          if (!(err instanceof IngestError)) throw err;
          expect(err.diagnostics[0]!.severity).toBe("error");
          f.refused++;
          refusals.push(`${variant} ${c.slice(0, 12)}: ${err.diagnostics[0]!.code} ${err.diagnostics[0]!.message.slice(0, 100)}`);
          continue;
        }
        const same = paths.every((p) => loaded.tree.files.get(p)?.text === show(c, p));
        if (same) f.identical++;
        else {
          f.wrong++;
          wrongCases.push(`${variant} ${c.slice(0, 12)}`);
        }
      }
      rmSync(base, { recursive: true, force: true });
      n++;
    }
    console.log(`history corpus (${commits.length} commits):`, JSON.stringify(figures), "\nrefused:\n" + refusals.join("\n"));
    expect(wrongCases).toEqual([]);
    expect(figures.plain!.identical).toBeGreaterThanOrEqual(commits.length * 0.9);
  }, 120_000);
});
