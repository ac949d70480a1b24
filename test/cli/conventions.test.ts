/**
 * One CLI convention for every command, run as a user runs it (the compiled CLI in a child process):
 * `--help` on stdout with exit 0, `--version`, the 0/1/2 exit codes, `--out` refusals that come promptly,
 * paths as typed, the unclosed-brace note, single-.tex input, `--json` fatal errors, `parse` and `lint` agreeing.
 * (`npm test` builds dist/ first.)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const REPO = resolve(import.meta.dirname, "../..");
const MAIN = join(REPO, "dist/cli/main.js");
const ISM_MAIL = "spec/seeds/virtio-ism-v3.mail.txt";
const ISM_BASE = "spec/base-985bbf3";
const tmp = mkdtempSync(join(tmpdir(), "virtiokit-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI; a command that does not finish in `timeoutMs` is a failure (the `/proc` hang was one). */
function cli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: opts.cwd ?? REPO, encoding: "utf8", timeout: opts.timeoutMs ?? 30_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("--help and --version", () => {
  const commands: string[][] = [["apply"], ["parse"], ["lint"], ["generate"], ["conformance"], ["demo"], ["demo", "ism"], ["demo", "vhost-pci-net"]];
  for (const c of commands) {
    it(`virtiokit ${c.join(" ")} --help prints its usage on stdout and exits 0`, () => {
      const r = cli([...c, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^usage: virtiokit ${c.join(" ")}`, "m"));
      expect(r.stderr).toBe("");
    });
  }
  it("answers --help even beside other options, and -h", () => {
    const r = cli(["lint", ISM_MAIL, "--base", ISM_BASE, "-h"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: virtiokit lint/);
  });
  it("--version prints the package version", () => {
    const version = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
    const r = cli(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`virtiokit ${version}\n`);
  });
  it("virtiokit --help lists the exit codes, including the one for an internal bug", () => {
    const r = cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exit status: 0 done, 1 findings/);
    expect(r.stdout).toMatch(/70 a bug in virtiokit/);
  });
});

describe("a bug in virtiokit: exit 70 and what to report", () => {
  it("an exception escaping a command gives exit 70, the message, what to report, and no stack unless VIRTIOKIT_DEBUG", () => {
    // A resolve hook swaps the lint command for one that throws as a bug would (no test hook in the CLI itself).
    const hook = join(tmp, "bug-hook.mjs");
    writeFileSync(
      hook,
      "const bug = 'data:text/javascript,' + encodeURIComponent('export const summary = \"\", usage = \"\"; export async function run() { null.boom; }');\n" +
        "export async function resolve(spec, ctx, next) { return /commands\\/lint\\.js$/.test(spec) ? { url: bug, shortCircuit: true } : next(spec, ctx); }\n",
    );
    const register = join(tmp, "bug-register.mjs");
    writeFileSync(register, `import { register } from "node:module";\nregister(${JSON.stringify(`file://${hook}`)});\n`);
    const runBug = (env: Record<string, string>) => spawnSync(process.execPath, ["--import", register, MAIN, "lint", ISM_MAIL, "--base", ISM_BASE], { cwd: REPO, encoding: "utf8", timeout: 30_000, env: { ...process.env, ...env } });
    const r = runBug({ VIRTIOKIT_DEBUG: "" });
    expect(r.status).toBe(70);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^virtiokit: internal error: Cannot read properties of null \(reading 'boom'\)\n {2}this is a bug in virtiokit, not in your input: please report it with the command line, the virtiokit version \(virtiokit --version\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const debug = runBug({ VIRTIOKIT_DEBUG: "1" });
    expect(debug.status).toBe(70);
    expect(debug.stderr).toMatch(/TypeError: Cannot read properties of null[\s\S]*\n\s+at /);
  });
});

describe("usage errors: exit 2, one message shape", () => {
  it.each([
    [["lint"], /^virtiokit lint: missing <input>/],
    [["parse", "a", "b"], /^virtiokit parse: expected one <input>, got 2/],
    [["lint", "--nope", "x"], /^virtiokit lint: Unknown option '--nope'/],
    [["generate", "--nope"], /^virtiokit generate: Unknown option '--nope'/],
    [["demo", "ism", "--rounds", "x"], /^virtiokit demo ism: --rounds must be/],
    [["nonsense"], /^virtiokit: unknown command 'nonsense'/],
  ])("%j", (args, message) => {
    const r = cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
  it("conformance --checks naming no folder exits 2 (a typo must not make CI green)", () => {
    const missing = cli(["conformance", "--checks", join(tmp, "nonexistent")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--checks '.*nonexistent' does not exist/);
    const file = join(tmp, "a-file");
    writeFileSync(file, "x");
    const notDir = cli(["conformance", "--checks", file]);
    expect(notDir.code).toBe(2);
    expect(notDir.stderr).toMatch(/is not a directory/);
  });
});

describe("--out refusals come promptly and write nothing", () => {
  const generate = (out: string) => ["generate", ISM_MAIL, "--base", ISM_BASE, "--devices", "ism", "--out", out];
  const apply = (out: string) => ["apply", ISM_MAIL, "--base", ISM_BASE, "--out", out];
  for (const [name, args] of [["generate", generate], ["apply", apply]] as const) {
    it(`${name} --out under /proc, /sys and /dev: exit 2 within the timeout`, () => {
      for (const out of ["/proc/virtiokit-x", "/sys/virtiokit-x", "/dev/virtiokit-x/y"]) {
        const r = cli(args(out), { timeoutMs: 20_000 });
        expect(r.code, out).toBe(2);
        expect(r.stderr).toMatch(/pseudo file system/);
      }
    });
    it(`${name} --out below a regular file: exit 2 with the reason`, () => {
      const file = join(tmp, `${name}-file`);
      writeFileSync(file, "x");
      const r = cli(args(join(file, "x")));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/exists and is not a directory/);
      expect(r.stderr).not.toMatch(/internal error/);
    });
    it(`${name} --out a non-empty folder of other files: refused, the files untouched`, () => {
      const dir = join(tmp, `${name}-busy`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "notes.txt"), "mine");
      const r = cli(args(dir));
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/is not empty/);
      expect(readFileSync(join(dir, "notes.txt"), "utf8")).toBe("mine");
    });
  }
  it("generate --out its own earlier output: accepted (regeneration)", () => {
    const dir = join(tmp, "gen-again");
    expect(cli(generate(dir)).code).toBe(0);
    const again = cli(generate(dir));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 written, \d+ unchanged/);
  });
});

describe("inputs and diagnostics", () => {
  it("diagnostic paths are the paths the user typed, openable from the shell", () => {
    const tree = join(tmp, "tree");
    mkdirSync(join(tree, "sub"), { recursive: true });
    writeFileSync(join(tree, "virtio.tex"), "\\section{A}\\label{sec:a}\n\\input{sub/dev}\n");
    writeFileSync(join(tree, "sub/dev.tex"), "See \\ref{sec:missing}.\n");
    const typed = relative(REPO, tree);
    const r = cli(["lint", typed, "--all"]);
    expect(r.stdout).toContain(`${join(typed, "sub/dev.tex")}:1:`);
  });
  it("an unclosed '{' is reported where it opened, with where the parser gave up", () => {
    const dir = join(tmp, "brace");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "a.tex"), "\\section{Hello}\n\\label{sec:x}\nSome text \\textbf{bold\nmore text\n\nend\n");
    const r = cli(["lint", join(dir, "a.tex")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/a\.tex:3:18: error: unbalanced braces: this '\{' is never closed .*\(the parser reached 7:1\)/);
  });
  it("a single .tex reads that file and what it \\inputs, nothing else beside it", () => {
    const dir = join(tmp, "single");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "main.tex"), "\\section{M}\\label{sec:m}\n\\input{part}\n");
    writeFileSync(join(dir, "part.tex"), "Part text.\n");
    writeFileSync(join(dir, "broken.tex"), "\\textbf{never closed\n"); // would be fatal if it were read
    writeFileSync(join(dir, "binary.c"), Buffer.from([0, 1, 2, 0xff, 0xfe]));
    const r = cli(["parse", join(dir, "main.tex")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ 2 files, /);
  });
  it("--json carries a fatal error as JSON on stdout", () => {
    for (const cmd of ["lint", "parse"]) {
      const r = cli([cmd, join(tmp, "nothere.tex"), "--json"]);
      expect(r.code).toBe(2);
      const first = JSON.parse(r.stdout.split("\n")[0]!) as { fatal: boolean; code: string };
      expect(first.fatal).toBe(true);
      expect(first.code).toBe("input-not-found");
    }
  });
  it("parse counts the findings lint prints for the same input, and shows where the first ones are", () => {
    const lint = cli(["lint", ISM_MAIL, "--base", ISM_BASE]);
    const lines = lint.stdout.split("\n").filter((l) => /^\S+:\d+:\d+: (error|warning|note):/.test(l));
    const errors = lines.filter((l) => / error: /.test(l)).length;
    const parse = cli(["parse", ISM_MAIL, "--base", ISM_BASE]);
    expect(parse.code).toBe(0);
    expect(parse.stdout).toContain(`  ${lines.length} diagnostics (${errors} errors,`);
    expect(parse.stdout).toContain(`    ${lines[0]}`);
  });
});
