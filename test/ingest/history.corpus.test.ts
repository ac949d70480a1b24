/**
 * The history corpus: real virtio-spec commits (spec/history/virtio-spec.bundle), each turned at test time
 * into a `git format-patch` mail several ways: plain, wrapped by a mail-client-like folding (72-78 columns),
 * quoted with `> `, double-quoted with `>> `, quoted-printable (Python's email package), format=flowed, and
 * plain against the repository itself (`--base <git dir>`, a sample: the base commit found from the index
 * lines). Each must give the commit's own post-image of the files it touches byte for byte, or be refused
 * with an error at a line of the piece it names; a load that succeeds with a different tree is the one
 * outcome never allowed.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IngestError, loadInput } from "../../grammar/ingest/index.js";
import { specGit, specHistoryGitDir, specHistoryMissing } from "../helpers/spec-history.js";
import { flowed, flowedSafe, pythonMissing, qpMails } from "./encodings.js";
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
const quote2 = (text: string) => text.split("\n").map((l) => (l === "" ? ">>" : `>> ${l}`)).join("\n");
/** Commits checked against the repository itself (`--base <git dir>`): every k-th, about this many. */
const GIT_BASE_SAMPLE = 28;

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
    const figures: Record<string, { identical: number; refused: number; wrong: number; skipped?: number }> = {};
    const wrongCases: string[] = [];
    const refusals: string[] = [];
    const misplaced: string[] = [];
    const plains = commits.map((c) => specGit(["format-patch", "-1", "--stdout", c]));
    const qp = pythonMissing() === undefined ? qpMails(plains) : undefined;
    const gitDir = specHistoryGitDir();
    const gitStep = Math.max(1, Math.ceil(commits.length / GIT_BASE_SAMPLE));
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
      const plain = plains[n]!;
      const post = new Map(paths.map((p) => [p, show(c, p)] as const));
      const width = 72 + (n % 7);
      const variants: [string, string | undefined, string][] = [
        ["plain", plain, base],
        ["wrapped", wrap(plain, width), base],
        ["quoted", quote(plain), base],
        [">>", quote2(plain), base],
        ["QP", qp?.[n], base],
        // format=flowed cannot carry a line that ends in a blank (RFC 3676: that is a soft break).
        ["flowed", flowedSafe(plain) ? flowed(plain) : undefined, base],
        ["git-base", n % gitStep === 0 ? plain : undefined, gitDir],
      ];
      for (const [variant, text, baseOf] of variants) {
        const f = (figures[variant] ??= { identical: 0, refused: 0, wrong: 0 });
        if (text === undefined) {
          if (variant === "flowed") f.skipped = (f.skipped ?? 0) + 1;
          continue;
        }
        const mail = join(tmp.dir, `m${n}-${variant.replace(/\W/g, "q")}.txt`);
        writeFileSync(mail, text);
        let loaded;
        try {
          loaded = loadInput(mail, { base: baseOf });
        } catch (err) {
          if (!(err instanceof IngestError)) throw err;
          const d = err.diagnostics[0]!;
          expect(d.severity).toBe("error");
          f.refused++;
          refusals.push(`${variant} ${c.slice(0, 12)}: ${d.code} at line ${d.source.line}: ${d.message.slice(0, 100)}`);
          // The refusal names a hunk: its line must lie inside that hunk (after its @@ line, before the next).
          const hunk = /\(@@ -\d+,?\d* \+\d+,?\d* @@\)/.exec(d.message)?.[0].slice(1, -1);
          if (hunk) {
            const mailLines = text.split("\n");
            let k = d.source.line - 1;
            while (k >= 0 && !/^(?:> |>> )?@@ /.test(mailLines[k]!)) k--;
            if (k < 0 || !mailLines[k]!.replace(/^(?:> |>> )/, "").startsWith(hunk)) misplaced.push(`${variant} ${c.slice(0, 12)} line ${d.source.line}`);
          }
          continue;
        }
        // A binary part is skipped with a warning naming the file; every other file must be the commit's own.
        const skipped = new Set(loaded.diagnostics.filter((d) => d.code === "binary-skipped").map((d) => /'([^']+)'/.exec(d.message)![1]!));
        const same = paths.every((p) => skipped.has(p) || loaded.tree.files.get(p)?.text === post.get(p));
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
    expect(misplaced).toEqual([]);
    // Acceptance: plain and quoted (either depth) all identical, wrapped at least 95%, the rest refused.
    for (const v of ["plain", "quoted", ">>"]) expect(figures[v]!.identical, v).toBe(commits.length);
    expect(figures.wrapped!.identical).toBeGreaterThanOrEqual(commits.length * 0.95);
    if (qp) expect(figures.QP!.identical).toBe(commits.length);
    expect(figures.flowed!.identical).toBe(commits.length - (figures.flowed!.skipped ?? 0));
    expect(figures["git-base"]!.identical).toBe(figures["git-base"]!.identical + figures["git-base"]!.refused);
  }, 120_000);
});
