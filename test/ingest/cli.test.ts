/**
 * `virtiokit apply`, run as a user runs it: the compiled CLI in a child process.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadInput } from "../../grammar/ingest/index.js";
import { FIXTURES, ISM_BASE, ISM_MAIL, REPO, tempDir, VHOST_BASE, VHOST_MAIL } from "./helpers.js";

const MAIN = join(REPO, "dist/cli/main.js");
const tmp = tempDir();
afterAll(() => tmp.cleanup());
let serial = 0;
const outDir = () => join(tmp.dir, `out${serial++}`);

/** The sources the compiled `apply` command is made of. */
function sources(): string[] {
  const ingest = readdirSync(join(REPO, "grammar/ingest")).map((f) => join("grammar/ingest", f));
  return ["cli/main.ts", "cli/commands/apply.ts", "grammar/diagnostics/diagnostics.ts", ...ingest];
}

beforeAll(() => {
  // Build only when a source is newer than its compiled file (others may be building the same tree).
  const stale = sources().some((src) => {
    const js = join(REPO, "dist", src.replace(/\.ts$/, ".js"));
    return !existsSync(js) || statSync(js).mtimeMs < statSync(join(REPO, src)).mtimeMs;
  });
  if (stale) {
    try {
      execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: REPO, stdio: "pipe" });
    } catch {
      // tsc still emits when another module of the project has type errors; the check below decides.
    }
  }
  expect(existsSync(join(REPO, "dist/cli/commands/apply.js"))).toBe(true);
}, 120_000);

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, "apply", ...args], { cwd: REPO, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** stderr of a failed run: diagnostics only, never a stack trace or an internal error. */
function expectCleanFailure(stderr: string) {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain("internal error");
}

describe("virtiokit apply", () => {
  it("writes the post-patch tree and prints git's diffstat (vhost-pci-net seed)", () => {
    const out = outDir();
    const r = cli(VHOST_MAIL, "--base", VHOST_BASE, "--out", out);
    expect(r.code).toBe(0);
    // Identical to the mail's own diffstat lines (its git printed 80 columns too).
    expect(r.stdout).toBe(readFileSync(VHOST_MAIL, "utf8").split("\n").slice(9, 11).join("\n") + "\n");
    expect(r.stderr).toMatch(/^.*vhost-pci-net\.mail\.txt:\d+:\d+: note: rejoined \d+ lines of the patch of 'content.tex'/m);
    // Every base file is there; the changed one is the post-patch text.
    expect(readdirSync(out).sort()).toEqual(readdirSync(VHOST_BASE).sort());
    const expected = loadInput(VHOST_MAIL, { base: VHOST_BASE }).tree.files.get("content.tex")!.text;
    expect(readFileSync(join(out, "content.tex"), "utf8")).toBe(expected);
    expect(readFileSync(join(out, "virtio.tex"), "utf8")).toBe(readFileSync(join(VHOST_BASE, "virtio.tex"), "utf8"));
  });

  it("creates new files and copies non-spec files of the base", () => {
    const out = outDir();
    const r = cli(ISM_MAIL, "--base", ISM_BASE, "--out", out);
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split("\n").pop()).toBe(" 3 files changed, 600 insertions(+)");
    expect(readFileSync(join(out, "virtio-ism.tex"), "utf8").split("\n")).toHaveLength(574);
    const out2 = outDir();
    expect(cli(join(FIXTURES, "plain.diff"), "--base", join(FIXTURES, "mini-tree"), "--out", out2).code).toBe(0);
    expect(readFileSync(join(out2, "README.md"), "utf8")).toBe("not part of the spec\n");
    expect(readFileSync(join(out2, "sub/example.h"), "utf8")).toContain("VIRTIO_EXAMPLE_F_ONE");
  });

  it("exits 1, with a positioned warning, when the mail's diffstat disagrees", () => {
    const mail = join(tmp.dir, "wrong-stat.mail.txt");
    writeFileSync(mail, readFileSync(ISM_MAIL, "utf8").replace(">  3 files changed, 600 insertions(+)", ">  3 files changed, 601 insertions(+)"));
    const r = cli(mail, "--base", ISM_BASE, "--out", outDir());
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `${mail}:72:1: warning: the mail's diffstat says 3 files changed, 601 insertions(+) but applying the patch gives 3 files changed, 600 insertions(+) [diffstat-mismatch]`,
    );
  });

  it("prints a JSON report with --json", () => {
    const r = cli(VHOST_MAIL, "--base", VHOST_BASE, "--out", outDir(), "--json");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.diffstat).toMatchObject({ filesChanged: 1, insertions: 222, deletions: 5 });
    expect(report.changed).toEqual(["content.tex"]);
    expect(report.diagnostics.map((d: { code: string }) => d.code)).toContain("lines-unwrapped");
  });

  describe("exits 2 with one clear diagnostic, never a stack trace", () => {
    const failing = (args: string[], pattern: RegExp, count = 1) => {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expectCleanFailure(r.stderr);
      const errors = r.stderr.split("\n").filter((l) => /: error: /.test(l));
      expect(errors).toHaveLength(count);
      for (const e of errors) expect(e).toMatch(pattern);
    };

    it("truncated mail", () => {
      const mail = join(tmp.dir, "truncated.mail.txt");
      writeFileSync(mail, readFileSync(VHOST_MAIL, "utf8").split("\n").slice(0, 200).join("\n"));
      failing([mail, "--base", VHOST_BASE, "--out", outDir()], /truncated\.mail\.txt:\d+:1: error: the patch ends inside hunk #6 .*\[patch-truncated\]$/);
    });

    it("a hunk that does not apply", () => {
      failing([VHOST_MAIL, "--base", ISM_BASE, "--out", outDir()], /vhost-pci-net\.mail\.txt:\d+:1: error: hunk #\d+ .* does not apply to 'content.tex'.*\[hunk-does-not-apply\]$/, 8);
    });

    it("missing base", () => {
      failing([VHOST_MAIL, "--out", outDir()], /vhost-pci-net\.mail\.txt:13:1: error: the patch changes 'content.tex', so it needs the base tree .*\[base-required\]$/);
      failing([VHOST_MAIL, "--base", join(tmp.dir, "absent"), "--out", outDir()], /absent:1:1: error: .*\[base-not-found\]$/);
    });

    it("an unwrap that cannot be resolved", () => {
      const mail = join(tmp.dir, "miscounted.mail.txt");
      writeFileSync(mail, readFileSync(VHOST_MAIL, "utf8").replace("@@ -1361,6 +1369,25 @@", "@@ -1361,6 +1369,24 @@"));
      failing([mail, "--base", VHOST_BASE, "--out", outDir()], /miscounted\.mail\.txt:60:1: error: hunk #2 .* no way of rejoining its wrapped lines gives the declared counts \[unwrap-unresolved\]$/);
    });

    it("a wrong command line or an output folder in use", () => {
      const r = cli(VHOST_MAIL, "--base", VHOST_BASE);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("missing --out <dir>");
      expect(cli("--bogus").code).toBe(2);
      const used = outDir();
      mkdirSync(used);
      writeFileSync(join(used, "keep.txt"), "mine\n");
      failing([VHOST_MAIL, "--base", VHOST_BASE, "--out", used], /is not empty; refusing to overwrite it$/);
      expect(readdirSync(used)).toEqual(["keep.txt"]);
      failing([VHOST_MAIL, "--base", VHOST_BASE, "--out", join(VHOST_BASE, "inside")], /is inside the base tree/);
      expect(existsSync(join(VHOST_BASE, "inside"))).toBe(false);
    });
  });
});

describe("virtiokit apply: series and --base <git repository>", () => {
  it("an mbox series against the history repository: the chosen commit on stderr, the tree at --out", async () => {
    const { specGit, specHistoryGitDir, specHistoryMissing } = await import("../helpers/spec-history.js");
    if (specHistoryMissing() !== undefined) return;
    const log = specGit(["log", "--first-parent", "--format=%H %P", "master"]).trim().split("\n");
    let tip = "";
    for (let k = 0, run = 0; k < log.length; k++) {
      run = log[k]!.split(" ").length === 2 ? run + 1 : 0;
      if (run === 3) {
        tip = log[k - 2]!.split(" ")[0]!;
        break;
      }
    }
    const mbox = join(tmp.dir, "three.mbox");
    writeFileSync(mbox, specGit(["format-patch", "--cover-letter", "--stdout", "-3", tip]));
    const out = outDir();
    const r = cli(mbox, "--base", specHistoryGitDir(), "--out", out, "--json");
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { baseCommit: { commit: string }; series: { part: number }[]; changed: string[] };
    expect(report.series.map((p) => p.part)).toEqual([1, 2, 3]);
    for (const p of report.changed) {
      let want: string | undefined;
      try {
        want = specGit(["show", `${tip}:${p}`]);
      } catch {
        want = undefined;
      }
      expect(existsSync(join(out, p)) ? readFileSync(join(out, p), "utf8") : undefined, p).toBe(want);
    }
    // A file the series does not touch comes from the chosen commit's tree.
    const untouched = specGit(["ls-tree", "--name-only", report.baseCommit.commit]).trim().split("\n").find((p) => p.endsWith(".tex") && !report.changed.includes(p))!;
    expect(readFileSync(join(out, untouched), "utf8")).toBe(specGit(["show", `${report.baseCommit.commit}:${untouched}`]));
    const plain = cli(mbox, "--base", specHistoryGitDir(), "--out", outDir());
    expect(plain.stderr).toMatch(/note: applying onto commit [0-9a-f]{12} of /);
  });
});
