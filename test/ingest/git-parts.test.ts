/**
 * The parts of a git patch besides in-place hunks: renames, copies, deletions, new files, mode changes and
 * binary parts. Each patch is made by real git from two commits, and the post-image is compared with the
 * second commit's files (and, where git can apply it, with `git apply`'s result).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { run } from "../../cli/commands/apply.js";
import { ingestError, tempDir } from "./helpers.js";

const tmp = tempDir("vk-git-parts-");
afterAll(() => tmp.cleanup());
let n = 0;

/** A repository with `before` committed, then `after` (path → content; null deletes), and the patch between. */
function makePatch(before: Record<string, string | Buffer>, change: (dir: string) => void, args: string[] = []): { base: string; mail: string; repo: string } {
  const repo = join(tmp.dir, `r${n++}`);
  mkdirSync(repo, { recursive: true });
  const git = (...a: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@e", ...a], { cwd: repo, encoding: "utf8" });
  git("init", "-q");
  for (const [p, t] of Object.entries(before)) {
    mkdirSync(join(repo, p, ".."), { recursive: true });
    writeFileSync(join(repo, p), t);
  }
  git("add", "-A");
  git("commit", "-qm", "before");
  const base = join(tmp.dir, `base${n}`);
  execFileSync("sh", ["-c", `mkdir -p '${base}' && git -C '${repo}' archive HEAD | tar -x -C '${base}'`]);
  change(repo);
  git("add", "-A");
  git("commit", "-qm", "after");
  const mail = join(tmp.dir, `m${n}.patch`);
  writeFileSync(mail, git("format-patch", "-1", "--stdout", "-M", "-C", ...args, "HEAD"));
  return { base, mail, repo };
}

const lines = (k: number, tag = "") => Array.from({ length: k }, (_, i) => `line ${i + 1}${tag}`).join("\n") + "\n";

describe("git patch parts", () => {
  it("a rename with edits: the old name is gone, the new one has the post-image", () => {
    const { base, mail, repo } = makePatch({ "old.tex": lines(40) }, (r) => {
      execFileSync("sh", ["-c", "mkdir dir && git mv old.tex dir/new.tex"], { cwd: r });
    });
    const text = readFileSync(mail, "utf8");
    expect(text).toContain("rename from old.tex");
    const r = loadInput(mail, { base });
    expect(r.tree.files.has("old.tex")).toBe(false);
    expect(r.tree.files.get("dir/new.tex")?.text).toBe(lines(40));
    expect(r.tree.changed).toEqual(["old.tex", "dir/new.tex"]);
    expect(r.diagnostics.filter((d) => d.code === "diffstat-mismatch")).toEqual([]);
  });

  it("a rename with a changed hunk, a copy, a deletion, a new file and a mode change in one patch", () => {
    const big = lines(60);
    const { base, mail } = makePatch({ "a.tex": big, "b.tex": lines(50, " b"), "gone.tex": lines(5, " g"), "run.sh": "echo hi\n" }, (r) => {
      const edited = big.replace("line 30\n", "line thirty\n");
      execFileSync("sh", ["-c", "mkdir -p sub && git mv a.tex sub/a.tex && cp b.tex b2.tex && git rm -q gone.tex && chmod +x run.sh"], { cwd: r });
      writeFileSync(join(r, "sub/a.tex"), edited);
      writeFileSync(join(r, "b2.tex"), lines(50, " b").replace("line 2 b\n", "line two b\n"));
      writeFileSync(join(r, "fresh.tex"), "new\n");
    }, ["--find-copies-harder"]);
    const text = readFileSync(mail, "utf8");
    expect(text).toMatch(/rename from a\.tex/);
    expect(text).toMatch(/copy from b\.tex/);
    expect(text).toMatch(/deleted file mode/);
    expect(text).toMatch(/old mode 100644\nnew mode 100755/);
    const r = loadInput(mail, { base });
    expect(r.tree.files.get("sub/a.tex")?.text).toBe(big.replace("line 30\n", "line thirty\n"));
    expect(r.tree.files.has("a.tex")).toBe(false);
    expect(r.tree.files.get("b.tex")?.text).toBe(lines(50, " b"));
    expect(r.tree.files.get("b2.tex")?.text).toBe(lines(50, " b").replace("line 2 b\n", "line two b\n"));
    expect(r.tree.files.has("gone.tex")).toBe(false);
    expect(r.tree.files.get("fresh.tex")?.text).toBe("new\n");
    expect(r.modes?.get("run.sh")).toBe("100755");
    expect(r.diagnostics.filter((d) => d.severity !== "note" && d.code !== "entry-ambiguous").map((d) => d.message)).toEqual([]);

    // The CLI writes the same tree git would, executable bit included.
    const out = join(tmp.dir, "out-mixed");
    return run([mail, "--base", base, "--out", out]).then((code) => {
      expect(code).toBe(0);
      const gitTree = join(tmp.dir, "git-mixed");
      execFileSync("sh", ["-c", `cp -r '${base}' '${gitTree}' && cd '${gitTree}' && git apply '${mail}'`]);
      for (const f of ["sub/a.tex", "b.tex", "b2.tex", "fresh.tex", "run.sh"]) {
        expect(readFileSync(join(out, f), "utf8")).toBe(readFileSync(join(gitTree, f), "utf8"));
        expect(statSync(join(out, f)).mode & 0o111).toBe(statSync(join(gitTree, f)).mode & 0o111);
      }
      expect(() => statSync(join(out, "a.tex"))).toThrow();
      expect(() => statSync(join(out, "gone.tex"))).toThrow();
    });
  });

  it("a binary part is skipped with a warning that names the file; the text parts apply", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 4, 5, 0, 0, 9]);
    const { base, mail } = makePatch({ "a.tex": lines(10), "img/x.png": png }, (r) => {
      writeFileSync(join(r, "img/x.png"), Buffer.concat([png, png]));
      writeFileSync(join(r, "img/y.png"), png);
      writeFileSync(join(r, "a.tex"), lines(10).replace("line 5\n", "line five\n"));
    }, ["--binary"]);
    expect(readFileSync(mail, "utf8")).toContain("GIT binary patch");
    const r = loadInput(mail, { base });
    expect(r.tree.files.get("a.tex")?.text).toBe(lines(10).replace("line 5\n", "line five\n"));
    const skipped = r.diagnostics.filter((d) => d.code === "binary-skipped");
    // x.png changed; y.png a copy of x.png (git finds it with -C): both named, neither applied.
    expect(skipped.map((d) => d.message.match(/'([^']+)'/)![1])).toEqual(["img/x.png", "img/x.png"]);
    expect(skipped[1]!.message).toContain("'img/y.png'");
    expect(r.tree.changed).toEqual(["a.tex"]);
    // Without --binary, git writes `Binary files … differ`: the same outcome.
    const plain = makePatch({ "a.tex": lines(10), "img/x.png": png }, (d) => writeFileSync(join(d, "img/x.png"), Buffer.concat([png, png])));
    const r2 = loadInput(plain.mail, { base: plain.base });
    expect(r2.diagnostics.filter((d) => d.code === "binary-skipped")).toHaveLength(1);
  });

  it("a rename onto a name that exists, or from one that does not, is refused at the diff --git line", () => {
    const { base, mail } = makePatch({ "a.tex": lines(20) }, (r) => {
      execFileSync("git", ["mv", "a.tex", "b.tex"], { cwd: r });
    });
    writeFileSync(join(base, "b.tex"), "in the way\n");
    const e = ingestError(() => loadInput(mail, { base }));
    expect(e.reason).toBe("new-file-exists");
    const at = readFileSync(mail, "utf8").split("\n").findIndex((l) => l.startsWith("diff --git")) + 1;
    expect(e.diagnostics[0]!.source.line).toBe(at);
  });
});
