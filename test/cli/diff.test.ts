/**
 * `virtiokit diff`, run as a user runs it: the compiled CLI in a child process, on small trees, IR JSON and a
 * throw-away git repository.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { specHistoryGitDir, specHistoryMissing } from "../helpers/spec-history.js";

const REPO = resolve(import.meta.dirname, "../..");
const MAIN = join(REPO, "dist/cli/main.js");
const tmp = mkdtempSync(join(tmpdir(), "virtiokit-diff-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const spec = (type: string, extra = "") => `\\section{Widgets}\\label{sec:Widgets}

\\begin{lstlisting}
struct widget_req {
        le32 id;
        ${type} len;
        le32 flags;${extra}
};
\\end{lstlisting}
`;

function tree(name: string, text: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "main.tex"), text);
  return dir;
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, "diff", ...args], { cwd: tmp, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const A = tree("a", spec("le16"));
const B = tree("b", spec("le32"));

describe("virtiokit diff", () => {
  it("reports a changed field type as wire, with both positions, and exits 1", () => {
    const r = cli(A, B);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      `${B}/main.tex:6:9: wire: struct widget_req: field 'len': type le16 → le32, size 2 → 4; later fields shift by +2; struct size 10 → 12 [field-changed]\n  old: ${A}/main.tex:6:9\n`,
    );
    expect(r.stderr).toBe("1 wire, 0 api, 0 normative, 0 additive change(s), 0 warning(s)\n");
  });

  it("exits 0 when no change is in a --fail-on class, and 0 for identical trees", () => {
    expect(cli(A, B, "--fail-on", "api,normative").code).toBe(0);
    const same = cli(A, A);
    expect([same.code, same.stdout]).toEqual([0, ""]);
  });

  it("refuses an unknown --fail-on class and an unreadable side with exit 2 and a message", () => {
    expect(cli(A, B, "--fail-on", "wires")).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown class 'wires'") });
    const missing = cli(A, join(tmp, "nope"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("does not exist");
    writeFileSync(join(tmp, "bad.json"), "{ not json");
    expect(cli(A, join(tmp, "bad.json"))).toMatchObject({ code: 2, stderr: expect.stringContaining("is not JSON") });
    writeFileSync(join(tmp, "other.json"), '{"irVersion": "9.0.0"}');
    expect(cli(A, join(tmp, "other.json"))).toMatchObject({ code: 2, stderr: expect.stringContaining("IR 9.0.0") });
  });

  it("--json and --markdown carry the same change", () => {
    const j = JSON.parse(cli(A, B, "--json").stdout);
    expect(j.summary).toEqual({ wire: 1, api: 0, normative: 0, additive: 0, warnings: 0 });
    expect(j.changes[0]).toMatchObject({ class: "wire", entity: "field", path: "widget_req.len", old: { line: 6 }, new: { line: 6 } });
    const md = cli(A, B, "--markdown").stdout;
    expect(md).toContain("#### Wire changes");
    expect(md).toContain("field 'len': type le16 → le32");
  });

  it("reads an IR JSON file written by parse --json as a side", () => {
    const json = execFileSync(process.execPath, [MAIN, "parse", A, "--json"], { cwd: tmp, encoding: "utf8" });
    writeFileSync(join(tmp, "a.json"), json);
    const r = cli(join(tmp, "a.json"), B, "--json");
    expect(JSON.parse(r.stdout).changes.map((c: { path: string }) => c.path)).toEqual(["widget_req.len"]);
  });

  it("reads <git dir>@<rev> sides and walks --history", () => {
    const repo = join(tmp, "repo");
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync("git", ["-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", ...args], { encoding: "utf8" });
    git("init", "-q");
    writeFileSync(join(repo, "main.tex"), spec("le16"));
    git("add", ".");
    git("commit", "-qm", "widgets");
    writeFileSync(join(repo, "README"), "no spec change\n");
    git("add", ".");
    git("commit", "-qm", "readme");
    writeFileSync(join(repo, "main.tex"), spec("le16", "\n        le16 extra;"));
    git("commit", "-qam", "widget_req grows");
    const r = cli(`${repo}@HEAD~2`, `${repo}@HEAD`);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${repo}@HEAD:main.tex:8:9: wire: struct widget_req: field 'extra' (le16, offset 10) appended, guarded by no feature bit; struct size 10 → 12`);
    expect(cli(`${repo}@nosuchrev`, A)).toMatchObject({ code: 2, stderr: expect.stringContaining("'nosuchrev' is not a commit") });
    const h = cli("--history", repo, "HEAD~2..HEAD");
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/^[0-9a-f]{12} \d{4}-\d{2}-\d{2} widget_req grows\n  .*main\.tex:8:9: wire: struct widget_req: field 'extra'/);
    expect(h.stdout).not.toContain("readme");
    expect(h.stderr).toContain("2 commits (0 merges skipped, 1 without spec changes), 2 trees parsed");
    expect(cli("--history", repo, "HEAD~2..HEAD", "--struct", "other").stdout).toBe("");
  });
});

describe.skipIf(specHistoryMissing() !== undefined)("virtiokit diff --history on the virtio-spec history", () => {
  it("finds the one renumbered feature bit of 133c895 (VIRTIO_NET_F_RSC_EXT 38 → 61)", () => {
    const h = spawnSync(process.execPath, [MAIN, "diff", "--history", specHistoryGitDir(), "133c895f64ec^..133c895f64ec"], { cwd: REPO, encoding: "utf8" });
    expect(h.status).toBe(0);
    const lines = h.stdout.split("\n").filter((l) => !l.startsWith("    "));
    expect(lines[0]).toMatch(/^133c895f64ec 2018-12-02 virtio-net: changing VIRTIO_NET_F_RSC_EXT from 38 to 61$/);
    expect(lines[1]).toMatch(/content\.tex:\d+:1: wire: feature VIRTIO_NET_F_RSC_EXT of network: bit 38 → 61 \[feature-changed\]$/);
    expect(lines.slice(2).filter(Boolean)).toEqual([]);
  }, 120_000);

  it("--struct keeps one struct's changes: virtio_blk_config gains num_queues in 8f2c4e0", () => {
    const h = spawnSync(process.execPath, [MAIN, "diff", "--history", specHistoryGitDir(), "8f2c4e03eae8^..8f2c4e03eae8", "--struct", "virtio_blk_config", "--only", "wire,additive,warning"], { cwd: REPO, encoding: "utf8" });
    expect(h.status).toBe(0);
    const changes = h.stdout.split("\n").filter((l) => /^  \S.* (wire|warning|additive): /.test(l));
    // The multiqueue patch takes num_queues out of the reserved bytes after writeback: one additive carve-out,
    // not a wire change (no byte that carried meaning moves), and nothing about any other struct.
    expect(changes.map((l) => l.replace(/^.*: (wire|warning|additive): /, ""))).toEqual([
      "struct virtio_blk_config: reserved 'unused0' (u8[3], offset 33) put to use as 'unused0' (u8), 'num_queues' (u16); no other byte moves (additive) [field-added]",
    ]);
    expect(h.stdout).not.toMatch(/ wire: /);
  }, 120_000);
});
