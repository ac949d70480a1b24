/**
 * `virtiokit demo` (compiled: run `npm run build` first) — the ISM demo runs end to end and shows what it must:
 * the token passed, C's refused attach and write, the DETACH A sees, the chunk maps, latency and throughput.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const run = promisify(execFile);

async function demo(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(CLI)) throw new Error("dist/cli/main.js is missing: run `npm run build` first");
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, "demo", ...args], { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("virtiokit demo", () => {
  it("ism: token passed, C refused, DETACH seen, chunk maps and figures printed, exit 0", async () => {
    const { code, stdout, stderr } = await demo(["ism", "--rounds", "3000", "--seconds", "0.5", "--stream-mib", "8", "--repeat", "2"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const token = /\[A\] allocated region (0x[0-9a-f]{16})/.exec(stdout)?.[1];
    expect(token).toBeDefined();
    expect(stdout).toContain(`[A] token ${token} passed to B and C`);
    expect(stdout).toMatch(new RegExp(`\\[B\\] attached ${token} read-write`));
    expect(stdout).toMatch(/\[A\] event ATTACH by B .*peers now 1/);
    expect(stdout).toContain("[C] attach read-write refused by the device: VIRTIO_ISM_PERM_EWRITE");
    expect(stdout).toMatch(/\[C\] write refused: permission-denied/);
    expect(stdout).toContain('[C] reads A\'s greeting: "hello from A"');
    expect(stdout).toMatch(/\[A\] event DETACH by C .*peers now 1/);
    expect(stdout.match(/\[A\] event ATTACH by B /g)).toHaveLength(1);
    // A picture per device: its header, then rows of slots with the shared region's letter.
    for (const name of ["A", "B", "C"]) expect(stdout).toMatch(new RegExp(`\\n\\s+${name}\\s+devid 0x[0-9a-f]{16}\\s+\\d+/256 slots used\\n\\s+\\[[a-z.]{64}\\]`));
    expect(stdout).toMatch(new RegExp(`a = token ${token} \\(A's shared region\\).*A@slot 0, B@slot 4, C@slot 0`));
    expect(stdout).toMatch(/\[A<->B\] warm-up \(untimed\): 2000 round trips, 8 MiB streamed/);
    expect(stdout).toContain("results (after the warm-up; median of 2 runs, [min-max]):");
    expect(stdout).toMatch(/latency, 64-byte round trip A->B->A: p50 \d+\.\d+ us \[\d+\.\d+-\d+\.\d+\], p99 \d+\.\d+ us \[\d+\.\d+-\d+\.\d+\] \(\d+ rounds; .* \d+ kicks\)/);
    expect(stdout).toMatch(/throughput A->B: \d+ MB\/s \[\d+-\d+\] \(2 × 8 MiB in \d+ ms, pattern verified; .* \d+ kicks\)/);
    for (const word of ["legend:", "permissions  r = read", "chunk maps", "caught spinning", "napped", "kicks", "p50 / p99"]) expect(stdout).toContain(word);
    expect(stdout).toContain("[host] all detached: 0 regions live, 0 bytes of host memory in use");
    expect(stdout).not.toContain("CHECK FAILED");
    expect(stdout).toMatch(/done in \d+\.\d s/);
  });

  it("refuses bad options and unknown demos with exit code 2", async () => {
    expect((await demo(["ism", "--rounds", "0"])).code).toBe(2);
    expect((await demo(["ism", "--bogus"])).code).toBe(2);
    expect((await demo(["ism", "--repeat", "0"])).code).toBe(2);
    const unknown = await demo(["teapot"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown demo 'teapot'");
  });
});
