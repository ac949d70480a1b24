/**
 * `virtiokit demo vhost-pci-net` at a small size: the picture of where frames go, a warm-up before timing,
 * medians with their spread, the like-for-like baselines (one UDP datagram / one TCP write per frame) beside the
 * coalesced TCP stream, and a legend for every row.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("demo vhost-pci-net", () => {
  it("prints the queue picture, each path's median and spread, the like-for-like baselines and a legend", () => {
    const out = execFileSync(process.execPath, ["dist/cli/main.js", "demo", "vhost-pci-net", "--frames", "2000", "--repeat", "2", "--duration-ms", "40"], {
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(out).toMatch(/where the frames go/);
    expect(out).toMatch(/TX virtqueue +sent +2000 │ ─── B copies out ──▶ │ mirrored TX +copied +2000/);
    expect(out).toMatch(/after one warm-up run per path, median of 2 runs of 40 ms, \[min–max\]/);
    for (const size of ["64 B", "1500 B"]) {
      for (const path of ["vhost-pci-net  A → B", "vhost-pci-net  B → A", "UDP loopback, 1 datagram/frame", "TCP loopback, 1 write/frame", "TCP loopback, 64 KiB writes (stream)"]) {
        const line = out.split("\n").find((l) => l.includes(size.padEnd(7) + path));
        expect(line, `${size} ${path}`).toMatch(/\d+\.\d+ [kM] \[\d+\.\d+ [kM]–\d+\.\d+ [kM]\]\s+\d+\.\d+ Gbit\/s/);
      }
    }
    for (const word of ["legend:", "UDP, 1 datagram/frame", "TCP, 1 write/frame", "TCP, 64 KiB writes", "packets/s", "[min–max]"]) expect(out).toContain(word);
    expect(out.trimEnd().endsWith("all checks passed")).toBe(true);
  }, 150_000);
});
