/**
 * The batch commands' V8 tier-up budget (cli/tiering.ts). Checked in a child process: the flag is
 * process-wide, and this test process must keep V8's defaults.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Runs `tuneTieringForBatchJob(env)` in a fresh Node process and returns what it returned. */
function tuneInChild(env: Record<string, string>): boolean {
  const script = `
    const { tuneTieringForBatchJob } = await import("./dist/cli/tiering.js");
    process.stdout.write(JSON.stringify(tuneTieringForBatchJob(${JSON.stringify(env)})));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as boolean;
}

describe("batch tier-up budget", () => {
  it("raises the budget by default and keeps V8's defaults when VIRTIOKIT_V8_DEFAULT_TIERING is set", () => {
    expect(tuneInChild({})).toBe(true);
    expect(tuneInChild({ VIRTIOKIT_V8_DEFAULT_TIERING: "1" })).toBe(false);
  });

  it("leaves the parse command's output unchanged", () => {
    const parse = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ["dist/cli/main.js", "parse", "spec/seeds/vhost-pci-net.mail.txt", "--base", "spec/base-be7a82c", "--json"], {
        cwd: root,
        encoding: "utf8",
        env: { ...process.env, ...env },
        maxBuffer: 64 * 1024 * 1024,
      });
    const tuned = parse({});
    const plain = parse({ VIRTIOKIT_V8_DEFAULT_TIERING: "1" });
    expect(tuned.status).toBe(0);
    expect(plain.status).toBe(0);
    expect(tuned.stdout.length).toBeGreaterThan(10_000);
    expect(tuned.stdout).toBe(plain.stdout);
  });
});
