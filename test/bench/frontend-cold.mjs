#!/usr/bin/env node
// Cold front end: a fresh Node process parses both seeds to IR (what `virtiokit parse` costs after start-up),
// against a fresh process that only starts and loads the modules (the start-up floor), in the same run.
// Usage: npm run build && node test/bench/frontend-cold.mjs [--runs 9]
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string", default: "9" } } });
const runs = Number(values.runs);
const script = (work) => `
const t0 = performance.now();
const { runFrontEnd } = await import("./dist/grammar/pipeline.js");
const t1 = performance.now();
${work ? `runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" });
runFrontEnd("spec/seeds/vhost-pci-net.mail.txt", { base: "spec/base-be7a82c" });` : ""}
const t2 = performance.now();
console.log(JSON.stringify({ load: t1 - t0, work: t2 - t1 }));`;

function measure(work) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script(work)], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(r.stderr);
    out.push(JSON.parse(r.stdout));
  }
  return out;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = measure(false);
const fe = measure(true);
console.log(`runs: ${runs}`);
console.log(`module load (baseline process): median ${median(base.map((x) => x.load)).toFixed(0)} ms`);
console.log(`both seeds, mail → IR, cold:     median ${median(fe.map((x) => x.work)).toFixed(0)} ms (min ${Math.min(...fe.map((x) => x.work)).toFixed(0)}, max ${Math.max(...fe.map((x) => x.work)).toFixed(0)})`);
