#!/usr/bin/env node
// Cold front end: a fresh Node process parses both seeds to IR (what `virtiokit parse` costs after start-up),
// with the CLI's batch tier-up budget (cli/tiering.ts) and with V8's defaults, against a fresh process that
// only starts and loads the modules (the start-up floor), all in the same run and interleaved, so that load
// changes on a shared machine hit every row alike. Reports medians of wall time and of process CPU time.
// Usage: npm run build && node test/bench/frontend-cold.mjs [--runs 9]
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string", default: "9" } } });
const runs = Number(values.runs);
const root = fileURLToPath(new URL("../../", import.meta.url));
const script = (work, tiering) => `
${tiering ? 'const { tuneTieringForBatchJob } = await import("./dist/cli/tiering.js"); tuneTieringForBatchJob({});' : ""}
const t0 = performance.now();
const { runFrontEnd } = await import("./dist/grammar/pipeline.js");
const t1 = performance.now();
const c1 = process.cpuUsage();
${work ? `runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" });
runFrontEnd("spec/seeds/vhost-pci-net.mail.txt", { base: "spec/base-be7a82c" });` : ""}
const t2 = performance.now();
const c2 = process.cpuUsage(c1);
console.log(JSON.stringify({ load: t1 - t0, work: t2 - t1, cpu: (c2.user + c2.system) / 1000 }));`;

const rows = [
  { name: "module load only (start-up floor)", work: false, tiering: true },
  { name: "both seeds, mail → IR, CLI tiering", work: true, tiering: true },
  { name: "both seeds, mail → IR, V8 defaults", work: true, tiering: false },
];
const results = rows.map(() => []);
for (let i = 0; i < runs; i++) {
  rows.forEach((row, k) => {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script(row.work, row.tiering)], { encoding: "utf8", cwd: root });
    if (r.status !== 0) throw new Error(r.stderr);
    results[k].push(JSON.parse(r.stdout));
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`runs: ${runs} (fresh process each)`);
rows.forEach((row, k) => {
  const rs = results[k];
  const work = rs.map((x) => (row.work ? x.work : x.load));
  console.log(
    `${row.name.padEnd(38)} median ${median(work).toFixed(0).padStart(5)} ms (min ${Math.min(...work).toFixed(0)}, max ${Math.max(...work).toFixed(0)})` +
      (row.work ? `, CPU ${median(rs.map((x) => x.cpu)).toFixed(0)} ms` : ""),
  );
});
const cli = median(results[1].map((x) => x.work));
const def = median(results[2].map((x) => x.work));
console.log(`V8 defaults / CLI tiering: ${(def / cli).toFixed(2)}x`);
