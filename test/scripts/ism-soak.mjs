#!/usr/bin/env node
// @ts-check
/**
 * The long ISM soak: 10^6 alloc/attach/write/kick/detach cycles (default) through the driver library and the
 * device model in one thread, then checks that nothing is left allocated anywhere (chunks, host memory, lent
 * memory, live regions, the drivers' guest memory) and that the domain's invariants hold. The CI test
 * (test/ism/soak.test.ts) runs 10^5 of the same cycles.
 *
 *   npm run build && node test/scripts/ism-soak.mjs [--cycles 1000000] [--no-dev-mem]
 *
 * Exit code 0 when nothing leaked, 1 otherwise.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SOAK = new URL("../../dist/runtime/ism/guest/soak.js", import.meta.url);
if (!existsSync(fileURLToPath(SOAK))) {
  console.error("ism-soak: dist/runtime/ism/guest/soak.js not found; run `npm run build` first");
  process.exit(2);
}
const { soak } = await import(SOAK.href);

const i = process.argv.indexOf("--cycles");
const cycles = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
if (!Number.isSafeInteger(cycles) || cycles < 1) {
  console.error("--cycles must be a positive integer");
  process.exit(2);
}
const devMem = !process.argv.includes("--no-dev-mem");
console.log(`ISM soak: ${cycles} cycles, DEV_MEM ${devMem ? "on" : "off"}`);
const started = performance.now();
const report = await soak(cycles, {
  devMem,
  check: 50_000,
  progressEvery: Math.max(1, Math.floor(cycles / 10)),
  onProgress: (/** @type {number} */ done) => {
    const s = (performance.now() - started) / 1000;
    console.log(`  ${done} cycles, ${s.toFixed(1)} s, ${((s / done) * 1e6).toFixed(1)} us/cycle, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB`);
  },
});
console.log(JSON.stringify({ ...report, problems: report.problems.slice(0, 10) }, null, 2));
const leaked =
  report.chunks + report.hostBytes + report.lentBytes + report.regions + report.driverBytes + report.lentBuffers !== 0 ||
  report.problems.length > 0 ||
  report.updates !== cycles;
console.log(leaked ? "LEAK or inconsistency found" : "nothing left allocated");
process.exit(leaked ? 1 : 0);
