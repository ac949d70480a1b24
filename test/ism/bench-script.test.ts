/**
 * test/bench/ism-bench.mjs still runs end to end: a tiny configuration (timing is not checked here, only that
 * every row is measured and the streams arrive intact — the script throws on a corrupted stream).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));

describe("ism-bench.mjs", () => {
  it("measures every row and prints the goal lines with a small configuration", { timeout: 60_000 }, () => {
    const args = ["test/bench/ism-bench.mjs", "--rounds", "300", "--warmup", "300", "--tcp-warmup", "20", "--mib", "4", "--repeat", "1", "--warm-rounds", "0"];
    const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8", timeout: 55_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const number = String.raw`\s+\d+(?:\.\d+)?`;
    for (const row of ["ping-pong ISM region", "ping-pong raw Atomics", "ping-pong TCP loopback"]) {
      expect(r.stdout).toMatch(new RegExp(`${row}.*${number}${number}\\n`));
    }
    for (const row of ["stream ISM region ring, consumer copies out", "stream ISM region ring, consumer in place", "stream raw SAB ring, copies out", "stream raw SAB ring, in place", "stream TCP loopback"]) {
      expect(r.stdout).toMatch(new RegExp(`${row}.*${number}\\n`));
    }
    expect(r.stdout.match(/^goal /gm)).toHaveLength(3);
  });

  it("refuses a bad option with a message, not a stack trace", () => {
    const r = spawnSync(process.execPath, ["test/bench/ism-bench.mjs", "--mib", "0"], { cwd: root, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("ism-bench: --mib must be an integer >= 1\n");
  });
});
